import fs from 'node:fs';
import crypto from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Db, type DbKind } from '../../src/db/connect';
import { withDatabase } from './global-setup';

/** The backends this run can test: PGlite always, PostgreSQL when global setup found it. */
export function availableBackends(): DbKind[] {
  return process.env.GRMS_TEST_PG_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export function postgresAvailable(): boolean {
  return Boolean(process.env.GRMS_TEST_PG_URL);
}

function loudSkip(name: string): void {
  console.warn(`!! SKIPPED (no PostgreSQL): "${name}" — runs in CI, where .ci/run provides PostgreSQL`);
}

/** A fresh, migrated database of its own for one test file or test. */
export async function createTestDb(kind: DbKind): Promise<Db & { url?: string }> {
  if (kind === 'pglite') {
    const file = process.env.GRMS_TEST_PGLITE_TEMPLATE;
    if (!file) throw new Error('GRMS_TEST_PGLITE_TEMPLATE is not set: run tests through jest (global setup)');
    return openPglite({ loadDataDir: new Blob([fs.readFileSync(file)]) });
  }
  const url = await createPostgresDatabase();
  const db = openPostgres({ connectionString: url, max: 20 });
  return {
    ...db,
    url,
    async close() {
      await db.close();
      await dropPostgresDatabase(url);
    },
  };
}

/** Creates a migrated PostgreSQL database from the template and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  const admin = process.env.GRMS_TEST_PG_URL;
  const template = process.env.GRMS_TEST_PG_TEMPLATE;
  if (!admin || !template) throw new Error('PostgreSQL is not available to this test run');
  const name = `grms_t_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    // A test database is thrown away: its commits need not wait for the disk (an fsync each, about
    // 2 ms on the CI machine). Sessions still see their commits in order, and a killed grms process
    // loses nothing PostgreSQL acknowledged; only a crash of the shared server itself could, which
    // no test does. The server's own setting, which the benchmarks use, is untouched.
    await client.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  } finally {
    await client.end();
  }
  return withDatabase(admin, name);
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  const admin = process.env.GRMS_TEST_PG_URL!;
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Declares the suite once per available backend. */
export function describeBackends(name: string, fn: (kind: DbKind) => void): void {
  for (const kind of availableBackends()) describe(`${name} [${kind}]`, () => fn(kind));
  if (!postgresAvailable()) loudSkip(`${name} [postgres]`);
}

/** Declares a suite that needs real concurrency or several processes: PostgreSQL only. */
export function describePostgres(name: string, fn: () => void): void {
  if (postgresAvailable()) describe(`${name} [postgres]`, fn);
  else loudSkip(name);
}
