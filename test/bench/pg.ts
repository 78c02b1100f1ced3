import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the benchmark runs against, and the databases it makes there. Every
 * database the run creates is named grms_bench_… and dropped at the end; cached data-set templates
 * are named grms_bench_tpl_<fingerprint>_… and kept between runs.
 */

export const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

export class BenchDbError extends Error {
  readonly code = 'BENCH_DB';
}

/** The URL of database `name` on the server of `url`. */
export function urlOf(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function nameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

export function quoteIdent(name: string): string {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new BenchDbError(`unexpected database name "${name}"`);
  return `"${name}"`;
}

export function randomName(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
}

/** Runs `fn` with a client on the `postgres` database of the server. */
export async function withAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlOf(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates database `name` (copied from `template` when given: FILE_COPY copies the files, which is
 * much faster than the WAL_LOG default for data sets of gigabytes).
 */
export async function createDatabase(serverUrl: string, name: string, template?: string): Promise<string> {
  await withAdmin(serverUrl, (c) =>
    c.query(template ? `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)} STRATEGY FILE_COPY` : `CREATE DATABASE ${quoteIdent(name)}`),
  );
  return urlOf(serverUrl, name);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

export async function databaseExists(serverUrl: string, name: string): Promise<boolean> {
  return withAdmin(serverUrl, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
}

export async function listDatabases(serverUrl: string, like: string): Promise<string[]> {
  return withAdmin(serverUrl, async (c) => (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [like])).rows.map((r) => r.datname));
}

export async function serverVersion(serverUrl: string): Promise<string> {
  return withAdmin(serverUrl, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v);
}

/** Runs a query on the database at `url` and returns its rows. */
export async function query<R extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to completion, keeping its output (bounded: benchmarks pipe large outputs elsewhere). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProcessResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < 1_000_000) stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 1_000_000) stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** libpq connection settings of a URL, for psql and pgbench. */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    ...process.env,
    PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'),
    PGDATABASE: nameOf(url), ...(u.password ? { PGPASSWORD: decodeURIComponent(u.password) } : {}),
  };
}

export interface PgbenchResult {
  tps: number;
  latencyAvgMs: number;
  latencyStddevMs: number | null;
  transactions: number;
  failed: number;
}

/** pgbench's TPC-B-like run on its own (already initialised) database. */
export async function pgbench(url: string, clients: number, threads: number, seconds: number): Promise<PgbenchResult> {
  const r = await run('pgbench', ['-c', String(clients), '-j', String(threads), '-T', String(seconds), '-n'], { env: libpqEnv(url), timeoutMs: (seconds + 120) * 1000 });
  if (r.code !== 0) throw new BenchDbError(`pgbench failed (${r.code}): ${r.stderr}${r.stdout}`);
  const num = (re: RegExp) => {
    const m = re.exec(r.stdout);
    return m ? Number(m[1]) : null;
  };
  const tps = num(/tps = ([\d.]+) \(without initial connection time\)/) ?? num(/tps = ([\d.]+)/);
  if (tps === null) throw new BenchDbError(`cannot read pgbench's tps from:\n${r.stdout}`);
  return {
    tps,
    latencyAvgMs: num(/latency average = ([\d.]+) ms/) ?? NaN,
    latencyStddevMs: num(/latency stddev = ([\d.]+) ms/),
    transactions: num(/number of transactions actually processed: (\d+)/) ?? NaN,
    failed: num(/number of failed transactions: (\d+)/) ?? 0,
  };
}

export async function pgbenchInit(url: string, scale: number): Promise<number> {
  const r = await run('pgbench', ['-i', '-s', String(scale), '-q'], { env: libpqEnv(url), timeoutMs: 600_000 });
  if (r.code !== 0) throw new BenchDbError(`pgbench -i failed (${r.code}): ${r.stderr}`);
  return r.ms;
}
