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

describeBackends('read-only audit role', (kind) => {
  test('grms_audit_reader exists, reads the audit trail and cannot write or read private keys', async () => {
    const db = await createTestDb(kind);
    try {
      const can = async (priv: string, table: string) =>
        (await sql<{ ok: boolean }>`SELECT has_table_privilege('grms_audit_reader', ${table}, ${priv}) AS ok`.execute(db.kysely)).rows[0]!.ok;
      expect(await can('SELECT', 'audit_events')).toBe(true);
      expect(await can('SELECT', 'documents')).toBe(true);
      expect(await can('INSERT', 'audit_events')).toBe(false);
      expect(await can('UPDATE', 'workflow_instances')).toBe(false);
      const keyColumn = await sql<{ ok: boolean }>`SELECT has_column_privilege('grms_audit_reader', 'deployment_keys', 'private_key', 'SELECT') AS ok`.execute(db.kysely);
      expect(keyColumn.rows[0]!.ok).toBe(false);
      const login = await sql<{ rolcanlogin: boolean }>`SELECT rolcanlogin FROM pg_roles WHERE rolname = 'grms_audit_reader'`.execute(db.kysely);
      expect(login.rows[0]!.rolcanlogin).toBe(false);
    } finally {
      await db.close();
    }
  });
});
