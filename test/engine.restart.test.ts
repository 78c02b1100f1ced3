import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { openPglite, openPostgres, type Db } from '../src/db/connect';
import { migrate } from '../src/db/migrate';
import { describeBackends, createPostgresDatabase, dropPostgresDatabase } from './support/db';
import { startTestApp } from './support/app';
import { proposal } from './support/proposals';

describeBackends('restart', (kind) => {
  test('a new app on the same database continues an instance where it stopped', async () => {
    const masterKey = crypto.randomBytes(32);
    let dir: string | undefined;
    let url: string | undefined;
    const open = async (): Promise<Db> => {
      if (kind === 'pglite') {
        const db = await openPglite({ dataDir: dir });
        await migrate(db);
        return db;
      }
      return openPostgres({ connectionString: url! });
    };
    if (kind === 'pglite') dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-restart-'));
    else url = await createPostgresDatabase();
    try {
      const db1 = await open();
      const first = await startTestApp(kind, { db: db1, masterKey });
      const id = (await first.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      await first.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
      await first.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' });
      const keysBefore = await sql<{ name: string; public_key: string }>`SELECT name, public_key FROM deployment_keys ORDER BY name`.execute(db1.kysely);
      await first.close();
      await db1.close();

      const db2 = await open();
      const second = await startTestApp(kind, { db: db2, masterKey, seed: false });
      try {
        const got = await second.call('verifikator.bappeda', 'GET', `/api/v1/instances/${id}`);
        expect(got.body).toMatchObject({ state: 'bappeda_verification', version: 3, allowedEvents: ['verify', 'return'] });
        const verified = await second.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' }, { 'if-match': '"3"' });
        expect(verified.body).toMatchObject({ state: 'tapd_review', version: 4 });
        // The same checkpoint key and document CA are found again, not made anew.
        const keys = await sql<{ name: string; public_key: string }>`SELECT name, public_key FROM deployment_keys ORDER BY name`.execute(db2.kysely);
        expect(keys.rows).toEqual(keysBefore.rows);
        expect(keys.rows.map((k) => k.name)).toEqual(expect.arrayContaining(['audit-checkpoint', 'document-ca']));
        expect((await second.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
      } finally {
        await second.close();
        await db2.close();
      }
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      if (url) await dropPostgresDatabase(url);
    }
  });
});
