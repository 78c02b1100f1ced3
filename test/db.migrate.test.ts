import { sql } from 'kysely';
import { migrate } from '../src/db/migrate';
import { createTestDb, describeBackends } from './support/db';
import { seedDemoPeople } from '../src/seed/demo';

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

  test('as grms_audit_reader: the trail reads, secrets, hashes and keys are refused (permission denied)', async () => {
    const db = await createTestDb(kind);
    try {
      await seedDemoPeople(db.kysely); // users with password hashes, so a leak would have something to show
      // SET ROLE holds for the session: one connection for the whole check.
      await db.kysely.connection().execute(async (conn) => {
        const attempt = async (query: string): Promise<string> => {
          try {
            await sql.raw(query).execute(conn);
            return 'read';
          } catch (err) {
            return /permission denied/.test((err as Error).message) ? 'denied' : `failed: ${(err as Error).message}`;
          }
        };
        await sql`SET ROLE grms_audit_reader`.execute(conn);
        try {
          const secrets = [
            'SELECT password_hash FROM users', 'SELECT password_must_change FROM users', 'SELECT * FROM users',
            'SELECT token_hash FROM api_tokens', 'SELECT id_hash, csrf_token FROM web_sessions',
            'SELECT pin_hash FROM tracking_registrations', 'SELECT private_key FROM deployment_keys', 'SELECT * FROM deployment_keys',
            'SELECT private_key FROM user_certificates', 'SELECT response FROM idempotency_keys', 'SELECT client FROM auth_failures',
            'SELECT client_ip FROM tracking_failures',
          ];
          const reads = [
            'SELECT * FROM audit_events', 'SELECT * FROM audit_checkpoints', 'SELECT * FROM people_events', 'SELECT * FROM org_events',
            'SELECT * FROM workflow_instances', 'SELECT * FROM documents', 'SELECT * FROM attachments', 'SELECT * FROM delegations',
            'SELECT * FROM orgs', 'SELECT * FROM user_roles', 'SELECT * FROM ceilings', 'SELECT * FROM void_document_numbers',
            'SELECT * FROM workflow_definitions', 'SELECT * FROM holidays', 'SELECT * FROM ceiling_events', 'SELECT * FROM log_leaves',
            'SELECT * FROM log_nodes', 'SELECT * FROM log_integrations', 'SELECT * FROM log_checkpoints', 'SELECT * FROM log_cosignatures',
            'SELECT * FROM log_alarms', 'SELECT * FROM submitted_data',
            'SELECT username, full_name, position, org_id, active, created_at, password_changed_at FROM users',
            'SELECT name, algorithm, public_key, certificate, created_at FROM deployment_keys',
            'SELECT id, username, serial, certificate, created_at, revoked_at, revocation_reason FROM user_certificates',
            'SELECT instance_id, registration_number, created_at FROM tracking_registrations',
          ];
          const writes = ["DELETE FROM audit_events", "UPDATE users SET full_name = 'x'", "INSERT INTO orgs (id, name) VALUES ('x', 'x')"];
          const outcome = async (queries: string[]) => {
            const out: Record<string, string> = {};
            for (const q of queries) out[q] = await attempt(q);
            return out;
          };
          expect(await outcome(secrets)).toEqual(Object.fromEntries(secrets.map((q) => [q, 'denied'])));
          expect(await outcome(reads)).toEqual(Object.fromEntries(reads.map((q) => [q, 'read'])));
          expect(await outcome(writes)).toEqual(Object.fromEntries(writes.map((q) => [q, 'denied'])));
          // The reader sees the users themselves: the seeded people are there.
          const users = await sql<{ n: number }>`SELECT count(*)::int AS n FROM users WHERE active`.execute(conn);
          expect(users.rows[0]!.n).toBeGreaterThan(5);
        } finally {
          await sql`RESET ROLE`.execute(conn);
        }
      });
    } finally {
      await db.close();
    }
  });
});
