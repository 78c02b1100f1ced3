import path from 'node:path';
import type { Config } from './config';
import { openPglite, openPostgres, type Db } from './db/connect';
import { migrate } from './db/migrate';
import { acquireDataDirLock, type DataDirLock } from './db/data-dir-lock';
import { loadOrCreateKeyFile, parseKey } from './auth/secrets';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

export interface Deployment {
  db: Db;
  /** GRMS_KEY as bytes; undefined when the command does not need it. */
  masterKey: Buffer | undefined;
  embedded: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Shown to anyone who finds the embedded database locked ("server", "cli:token" …). */
  purpose: string;
  /** serve and seed store private keys: they need GRMS_KEY. */
  needsKey: boolean;
  poolSize?: number;
  /** PostgreSQL: told about connections lost outside a query (the pool replaces them). */
  onConnectionError?: (err: Error) => void;
  /** Told as opening moves on (the server prints it for the person at the terminal). */
  onStep?: (label: string) => void;
}

export const KEY_HELP = 'set GRMS_KEY to 32 random bytes in base64 (make one with `npx grms key generate` and keep it safe: it encrypts the deployment\'s private keys)';

/**
 * Opens the deployment's database — PostgreSQL when DATABASE_URL is set, otherwise the embedded
 * PGlite in the data folder, locked against every other process — and applies migrations.
 */
export async function openDeployment(config: Config, opts: OpenOptions): Promise<Deployment> {
  if (config.databaseUrl) {
    if (opts.needsKey && !config.key) throw new ConfigError(`DATABASE_URL is set but GRMS_KEY is not: ${KEY_HELP}`);
    const masterKey = config.key ? parseKey(config.key) : undefined;
    opts.onStep?.('connecting to PostgreSQL (DATABASE_URL) and applying migrations');
    const db = openPostgres({ connectionString: config.databaseUrl, max: opts.poolSize ?? 10, onConnectionError: opts.onConnectionError });
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
    return { db, masterKey, embedded: false, close: () => db.close() };
  }
  let lock: DataDirLock | undefined = acquireDataDirLock(config.dataDir, opts.purpose);
  try {
    const masterKey = parseKey(config.key ?? loadOrCreateKeyFile(config.dataDir));
    opts.onStep?.(`opening the embedded database (PGlite) in ${path.join(config.dataDir, 'pgdata')}`);
    const db = await openPglite({ dataDir: path.join(config.dataDir, 'pgdata') });
    try {
      opts.onStep?.('applying migrations');
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
    return {
      db,
      masterKey,
      embedded: true,
      async close() {
        await db.close();
        lock?.release();
        lock = undefined;
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
