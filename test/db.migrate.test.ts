import { sql } from 'kysely';
import { migrate } from '../src/db/migrate';
import { createTestDb, describeBackends } from './support/db';

describeBackends('migrations', (kind) => {
  test('a migrated database applies nothing more and refuses to alter the audit trail', async () => {
    const db = await createTestDb(kind);
    try {
      expect(await migrate(db)).toEqual([]);
      const applied = await sql<{ name: string }>`SELECT name FROM schema_migrations ORDER BY name`.execute(db.kysely);
      expect(applied.rows.map((r) => r.name)).toContain('0001_init.sql');
      await expect(sql`TRUNCATE audit_events`.execute(db.kysely)).rejects.toThrow(/append-only/);
    } finally {
      await db.close();
    }
  });
});
