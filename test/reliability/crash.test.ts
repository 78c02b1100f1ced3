import { describePostgres, createPostgresDatabase, dropPostgresDatabase } from '../support/db';
import { exited, grms, serve, logKey } from '../support/cli';
import { openPostgres } from '../../src/db/connect';
import { proposal } from '../support/proposals';
import { expectAcknowledgedStored, type Ack } from '../support/acknowledged';


describePostgres('reliability: kill -9 under load', () => {
  test('every acknowledged transition survives with its document; nothing half-written; the trail verifies', async () => {
    const url = await createPostgresDatabase();
    const env = { DATABASE_URL: url, GRMS_PUBLIC_URL: 'https://grms.semarangkota.example', GRMS_KEY: grms(['key', 'generate'], {}).stdout.trim() };
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
      // Killed once the load is under way (enough submits acknowledged), not after a fixed time:
      // with a worker process per core, each warms its own signing threads first.
      const underWay = (async () => {
        while (acks.filter((a) => a.event === 'submit').length <= 5) await new Promise((r) => setTimeout(r, 50));
      })();
      await Promise.race([underWay, clients]);
      stop = true;
      server.child.kill('SIGKILL');
      await exited(server.child);
      await clients;
      expect(acks.filter((a) => a.event === 'submit').length).toBeGreaterThan(5);

      // Every acknowledged transition is stored, with its document when it makes one; nothing half-written.
      await expectAcknowledgedStored(db.kysely, acks);

      // Restarted, it serves again; a checkpoint and a full verification pass.
      const again = await serve(env);
      try {
        expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
      } finally {
        again.child.kill('SIGTERM');
        await exited(again.child);
      }
      expect(grms(['audit', 'checkpoint'], env).status).toBe(0);
      const verify = grms(['audit', 'verify', '--log-key', logKey(env)], env);
      expect(verify.status).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, broken: [] });
    } finally {
      await db.close();
      await dropPostgresDatabase(url);
    }
  }, 240_000);
});
