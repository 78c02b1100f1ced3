import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';

/** Tampering as a superuser would: with the append-only trigger switched off. */
async function asSuperuser(app: TestApp, statement: ReturnType<typeof sql>) {
  await app.db.kysely.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_events DISABLE TRIGGER USER`.execute(trx);
    await statement.execute(trx);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER USER`.execute(trx);
  });
}

describeBackends('audit verify through the API catches tampering', (kind) => {
  let app: TestApp;
  const ids: string[] = [];
  beforeEach(async () => {
    app = await startTestApp(kind);
    ids.length = 0;
    for (let i = 0; i < 3; i++) {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
      await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'return', comment: 'Perbaiki' });
      ids.push(id);
    }
    expect((await app.call('admin', 'POST', '/api/v1/audit/checkpoints')).status).toBe(201);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
  });
  afterEach(async () => {
    await app.close();
  });

  const verify = async () => (await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body;

  test('a row altered', async () => {
    await asSuperuser(app, sql`UPDATE audit_events SET comment = 'Disetujui' WHERE instance_id = ${ids[1]} AND seq = 3`);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken[0]).toMatchObject({ instanceId: ids[1], seq: 3 });
  });

  test('a row deleted', async () => {
    await asSuperuser(app, sql`DELETE FROM audit_events WHERE instance_id = ${ids[0]} AND seq = 2`);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.broken.map((b: { instanceId: string }) => b.instanceId)).toContain(ids[0]);
  });

  test('a whole instance deleted', async () => {
    // A superuser bypassing every trigger and key at once.
    await app.db.kysely.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`DELETE FROM audit_events WHERE instance_id = ${ids[2]}`.execute(trx);
      await sql`DELETE FROM documents WHERE instance_id = ${ids[2]}`.execute(trx);
      await sql`DELETE FROM workflow_instances WHERE id = ${ids[2]}`.execute(trx);
    });
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.broken)).toContain(ids[2]);
  });

  test('auditors only: verify is refused to others', async () => {
    expect((await app.call('kadis.dinkes', 'GET', '/api/v1/audit/verify')).status).toBe(403);
    expect((await app.call('auditor.inspektorat', 'POST', '/api/v1/audit/checkpoints')).status).toBe(403);
  });
});
