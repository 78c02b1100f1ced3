import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openPglite, openPostgres } from '../../src/db/connect';
import { migrate, migrationsFingerprint } from '../../src/db/migrate';
import { preparePool } from './rsa-pool';

/**
 * Runs once before all test files: finds PostgreSQL, builds a migrated template database on it
 * and a migrated PGlite dump, and a pool of RSA keys (test/support/rsa-pool.ts), and tells the
 * workers where they are through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const fingerprint = migrationsFingerprint();
  process.env.GRMS_TEST_FINGERPRINT = fingerprint;
  const cache = path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'grms');
  const [pool] = await Promise.all([preparePool(cache), preparePglite(fingerprint), preparePostgres(fingerprint)]);
  process.env.GRMS_TEST_RSA_POOL = pool;
}

async function preparePglite(fingerprint: string): Promise<void> {
  const dir = path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'grms');
  const file = path.join(dir, `pglite-${fingerprint}.tar`);
  if (!fs.existsSync(file)) {
    const db = await openPglite();
    await migrate(db);
    const dump = await db.pglite!.dumpDataDir('none');
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
    await db.close();
  }
  process.env.GRMS_TEST_PGLITE_TEMPLATE = file;
}

export function postgresAdminUrl(): string {
  return process.env.GRMS_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

async function preparePostgres(fingerprint: string): Promise<void> {
  const adminUrl = postgresAdminUrl();
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query('SELECT 1');
  } catch (err) {
    await admin.end().catch(() => undefined);
    const why = `PostgreSQL is not reachable at ${adminUrl} (${(err as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}; CI=true requires it`);
    process.env.GRMS_TEST_PG_URL = '';
    console.warn(`\n${'!'.repeat(78)}\n!! ${why}\n!! Every PostgreSQL test suite is SKIPPED in this run. Start PostgreSQL or set\n!! GRMS_TEST_DATABASE_URL; CI (CI=true) fails instead of skipping.\n${'!'.repeat(78)}\n`);
    return;
  }
  const template = `grms_tpl_${fingerprint}`;
  try {
    // Serialise template creation across concurrent test runs on one server.
    await admin.query('SELECT pg_advisory_lock(74512033910)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await admin.query(`CREATE DATABASE ${building}`);
      const db = openPostgres({ connectionString: withDatabase(adminUrl, building), max: 1 });
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock(74512033910)').catch(() => undefined);
    await admin.end();
  }
  process.env.GRMS_TEST_PG_URL = adminUrl;
  process.env.GRMS_TEST_PG_TEMPLATE = template;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
