import pg from 'pg';
import { describeBackends, describePostgres } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';

/**
 * A transition is written in one statement from the instance and chain head read with it
 * (src/engine/history.ts): what that statement hashes must be what the verifier recomputes, a
 * comment or another transition in between must neither break the chain nor be lost, and an
 * `update` through the API stays within issue 16's four statements, authentication included.
 */
async function draft(app: TestApp): Promise<string> {
  const r = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

describePostgres('statements per transition', () => {
  test('an update through the API sends at most four statements to PostgreSQL, the token check included', async () => {
    const app = await startTestApp('postgres');
    const original = pg.Client.prototype.query;
    let sent: string[] = [];
    pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text?: string };
      sent.push(typeof q === 'string' ? q : q.text ?? '');
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      const id = await draft(app);
      const update = (title: string) => app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'update', data: proposal({ title }) });
      expect((await update('Revisi 1')).status).toBe(200);
      sent = [];
      const r = await update('Revisi 2');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ version: 3, title: 'Revisi 2' });
      expect(sent.length).toBeLessThanOrEqual(4);
      expect(sent.some((s) => /insert into "audit_events"/i.test(s))).toBe(true);
    } finally {
      pg.Client.prototype.query = original;
      await app.close();
    }
  });
});

describeBackends('one-statement transitions', (kind) => {
  test(`${kind}: the hash the statement computes over its created_at is the one the verifier recomputes, whatever the comment holds`, async () => {
    const app = await startTestApp(kind);
    try {
      const id = await draft(app);
      const comments = ['Tanda "kutip", garis \\ miring', 'Baris satu\nbaris dua', 'Rupiah — ½ anggaran, café, Ngayogyakarta ꦲꦏ꧀ꦱꦫ', '{"created_at":"2000-01-01T00:00:00.000000Z"}'];
      for (const [i, comment] of comments.entries()) {
        const r = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'update', comment, data: proposal({ title: `Revisi ${i}` }) });
        expect([r.status, r.text]).toEqual([200, expect.any(String)]);
      }
      const history = (await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}/history`)).body.items;
      expect(history.slice(1).map((h: { comment: string }) => h.comment)).toEqual(comments);
      expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
    } finally {
      await app.close();
    }
  });

  test(`${kind}: comments and transitions racing on one instance all apply, the chain and the versions stay consecutive`, async () => {
    const app = await startTestApp(kind);
    try {
      const id = await draft(app);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        i % 2
          ? app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/comments`, { comment: `Catatan ${i}` })
          : app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'update', data: proposal({ title: `Revisi ${i}` }) })));
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 ? 201 : 200)));
      const rows = await app.db.kysely.selectFrom('audit_events').select(['seq', 'event', 'instance_version']).where('instance_id', '=', id).orderBy('seq').execute();
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(rows.filter((r) => r.event === 'update').map((r) => r.instance_version)).toEqual([2, 3, 4, 5, 6, 7]);
      const view = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}`)).body;
      expect(view.version).toBe(7);
      const participants = (await app.db.kysely.selectFrom('workflow_instances').select('participants').where('id', '=', id).executeTakeFirstOrThrow()).participants;
      expect([...participants].sort()).toEqual(['kadis.dinkes', 'perencana.dinkes']);
      expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
    } finally {
      await app.close();
    }
  });
});
