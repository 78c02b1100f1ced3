import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './connect';

/** Where the numbered SQL files live, relative to the repository root. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'migrations');

// A constant key for pg_advisory_lock: "grms-migrate" folded into 63 bits.
const MIGRATION_LOCK_KEY = 7_451_203_391_004_221n;
/** A file whose first line carries this marker runs outside a transaction (CREATE INDEX CONCURRENTLY). */
const NO_TRANSACTION_MARKER = '-- grms:no-transaction';

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      return { name, sql: text, checksum: crypto.createHash('sha256').update(text).digest('hex') };
    });
}

/** A short fingerprint of all migrations, for caching migrated templates in tests. */
export function migrationsFingerprint(dir = MIGRATIONS_DIR): string {
  const h = crypto.createHash('sha256');
  for (const m of readMigrations(dir)) h.update(m.name).update(m.checksum);
  return h.digest('hex').slice(0, 16);
}

export class MigrationChanged extends Error {
  readonly code = 'MIGRATION_CHANGED';
}

/**
 * Applies every migration not yet recorded, in order, under an advisory lock so that several
 * processes starting together apply each file once. Returns the names applied now.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = readMigrations(dir);
  const applied: string[] = [];
  // One connection for the whole run: advisory locks belong to a session.
  await db.kysely.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`.execute(conn);
      const done = await sql<{ name: string; checksum: string }>`SELECT name, checksum FROM schema_migrations`.execute(conn);
      const known = new Map(done.rows.map((r) => [r.name, r.checksum]));
      for (const m of migrations) {
        const previous = known.get(m.name);
        if (previous !== undefined) {
          if (previous !== m.checksum) {
            throw new MigrationChanged(`migration ${m.name} was changed after it was applied; add a new migration instead`);
          }
          continue;
        }
        const record = sql`INSERT INTO schema_migrations (name, checksum) VALUES (${m.name}, ${m.checksum})`;
        // pg sends a parameterless query with the simple protocol, which takes several statements;
        // PGlite's query() does not, its exec() does (same single connection, so same session).
        const runScript = (text: string) =>
          db.pglite ? db.pglite.exec(text).then(() => undefined) : sql.raw(text).execute(conn).then(() => undefined);
        if (m.sql.startsWith(NO_TRANSACTION_MARKER)) {
          await runScript(m.sql);
          await record.execute(conn);
        } else {
          await sql.raw('BEGIN').execute(conn);
          try {
            await runScript(m.sql);
            await record.execute(conn);
            await sql.raw('COMMIT').execute(conn);
          } catch (err) {
            await sql.raw('ROLLBACK').execute(conn);
            throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
          }
        }
        applied.push(m.name);
      }
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.execute(conn);
    }
  });
  return applied;
}
