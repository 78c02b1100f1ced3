import { sql } from 'kysely';
import { describePostgres, createPostgresDatabase, dropPostgresDatabase } from '../support/db';
import { exited, grms, serve } from '../support/cli';
import { openPostgres } from '../../src/db/connect';
import { proposal } from '../support/proposals';

interface Ack {
  id: string;
  version: number;
  event: string;
}

describePostgres('reliability: kill -9 under load', () => {
  test('every acknowledged transition survives with its document; nothing half-written; the trail verifies', async () => {
    const url = await createPostgresDatabase();
    const env = { DATABASE_URL: url, GRMS_KEY: grms(['key', 'generate'], {}).stdout.trim() };
    const db = openPostgres({ connectionString: url });
    try {
      expect(grms(['seed', '--demo'], env).status).toBe(0);
      const token = grms(['token', 'perencana.dinkes'], env).stdout.trim();
      const server = await serve(env);
      const call = (method: string, path: string, body?: unknown) =>
        fetch(server.url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

      // Full speed: each client submits (signed document) and withdraws (none) its own proposals.
      const acks: Ack[] = [];
      let stop = false;
      const client = async (n: number) => {
        const created = await call('POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: `Crash ${n}` }) });
        const { id, version } = (await created.json()) as { id: string; version: number };
        acks.push({ id, version, event: 'create' });
        for (let i = 0; !stop && i < 500; i++) {
          const type = i % 2 === 0 ? 'submit' : 'withdraw';
          try {
            const res = await call('POST', `/api/v1/instances/${id}/events`, { type });
            if (res.status !== 200) throw new Error(`${type}: ${res.status} ${await res.text()}`);
            acks.push({ id, version: ((await res.json()) as { version: number }).version, event: type });
          } catch (err) {
            if (stop) return; // the server died under this request: not acknowledged
            throw err;
          }
        }
      };
      const clients = Promise.all(Array.from({ length: 6 }, (_, n) => client(n)));
      await new Promise((r) => setTimeout(r, 4000));
      stop = true;
      server.child.kill('SIGKILL');
      await exited(server.child);
      await clients;
      expect(acks.filter((a) => a.event === 'submit').length).toBeGreaterThan(5);

      // Every acknowledged transition is stored, with its document when it makes one.
      for (const ack of acks) {
        const row = await db.kysely.selectFrom('audit_events').select(['event', sql<string | null>`document_sha256`.as('doc')]).where('instance_id', '=', ack.id).where('seq', '=', ack.version).executeTakeFirst();
        expect({ ack, event: row?.event }).toEqual({ ack, event: ack.event });
        if (ack.event === 'submit') {
          const doc = await db.kysely.selectFrom('documents').select('sha256').where('instance_id', '=', ack.id).where('seq', '=', ack.version).executeTakeFirst();
          expect(doc?.sha256).toBe(row!.doc);
        }
      }
      // Nothing half-written: versions match their chains, every document has its transition.
      const mismatched = await sql<{ id: string }>`
        SELECT i.id FROM workflow_instances i
        WHERE i.version <> (SELECT count(*) FROM audit_events e WHERE e.instance_id = i.id)
           OR i.version <> (SELECT max(seq) FROM audit_events e WHERE e.instance_id = i.id)`.execute(db.kysely);
      expect(mismatched.rows).toEqual([]);
      const orphans = await sql<{ id: string }>`
        SELECT d.id FROM documents d LEFT JOIN audit_events e ON e.instance_id = d.instance_id AND e.seq = d.seq AND e.document_sha256 = d.sha256
        WHERE e.instance_id IS NULL`.execute(db.kysely);
      expect(orphans.rows).toEqual([]);

      // Restarted, it serves again; a checkpoint and a full verification pass.
      const again = await serve(env);
      try {
        expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
      } finally {
        again.child.kill('SIGTERM');
        await exited(again.child);
      }
      expect(grms(['audit', 'checkpoint'], env).status).toBe(0);
      const verify = grms(['audit', 'verify'], env);
      expect(verify.status).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, broken: [] });
    } finally {
      await db.close();
      await dropPostgresDatabase(url);
    }
  }, 240_000);
});
