import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Database } from './types';

/** SQL type oids whose default text parsing we override. */
const INT8_OID = 20;

// Money and counts are bigint in SQL but always well inside 2^53 (a province's whole APBD is ~3e13).
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} is outside the safe integer range`);
  return n;
}
pg.types.setTypeParser(INT8_OID, parseInt8);

export type DbKind = 'postgres' | 'pglite';

/** An open database: the typed query builder plus what migrations and shutdown need. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly kind: DbKind;
  /** Runs a multi-statement SQL script outside any transaction the script does not open itself. */
  execScript(sql: string): Promise<void>;
  close(): Promise<void>;
  /** The PGlite handle, for dumps in tests; undefined on PostgreSQL. */
  readonly pglite?: PGlite;
  readonly pool?: pg.Pool;
}

export interface PostgresOptions {
  connectionString: string;
  max?: number;
  /** Told about connections lost outside a query (restart, outage); they are replaced, not fatal. */
  onConnectionError?: (err: Error) => void;
}

/** How long a request waits for a connection before it fails (503) instead of hanging. */
const CONNECT_TIMEOUT_MS = 5000;

export function openPostgres({ connectionString, max = 10, onConnectionError = () => undefined }: PostgresOptions): Db {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A client that loses its server (restart, outage) emits 'error', which without a listener ends
  // the process. The pool listens on idle clients only; a client checked out inside a transaction,
  // between two queries, needs its own listener. Its holder's next query fails and releasing it
  // drops it from the pool.
  pool.on('error', () => undefined); // reported once, by the client's own listener below
  pool.on('connect', (client) => {
    client.on('error', onConnectionError);
  });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    kind: 'postgres',
    pool,
    async execScript(sql) {
      const client = await pool.connect();
      try {
        await client.query(sql);
      } finally {
        client.release();
      }
    },
    async close() {
      await kysely.destroy();
    },
  };
}

export interface PgliteOptions {
  /** Folder of the data directory; undefined keeps everything in memory. */
  dataDir?: string;
  /** A dumpDataDir() tarball to start from (cheap test isolation). */
  loadDataDir?: Blob;
}

export async function openPglite({ dataDir, loadDataDir }: PgliteOptions = {}): Promise<Db> {
  const pglite = await PGlite.create({
    dataDir,
    loadDataDir,
    parsers: { [INT8_OID]: parseInt8 },
  });
  const kysely = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    kysely,
    kind: 'pglite',
    pglite,
    async execScript(sql) {
      await pglite.exec(sql);
    },
    async close() {
      await kysely.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
