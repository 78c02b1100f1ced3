import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A PostgreSQL cluster of the test's own (initdb into a temp folder, its own port), for tests that
 * stop the database: the machine's shared server on 5432 is never touched. initdb and pg_ctl refuse
 * to run as root, so they run as the postgres user in a folder it owns. Needs root and the server
 * binaries (Debian: postgresql); missing either skips loudly, and fails under CI (CI=true).
 */
const run = promisify(execFile);

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const versions = fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => path.join(base, v, 'bin')).find((d) => fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'pg_ctl')));
}

function postgresUid(): { uid: number; gid: number } | undefined {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Why a throwaway cluster cannot be made here, or undefined when it can. */
export function throwawayClusterMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'the tests do not run as root (initdb and pg_ctl run through runuser -u postgres)';
  if (!binDir()) return 'no initdb/pg_ctl under /usr/lib/postgresql/<version>/bin (apt-get install -y postgresql)';
  if (!postgresUid()) return 'there is no postgres user';
  if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error) return 'runuser is not installed';
  return undefined;
}

/** Declares the suite when a throwaway cluster can be made; otherwise a loud skip, or a failure under CI. */
export function describeWithThrowawayCluster(name: string, fn: () => void): void {
  const missing = throwawayClusterMissing();
  if (!missing) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs a throwaway PostgreSQL cluster', () => {
        throw new Error(`${missing}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`!! SKIPPED: "${name}" — ${missing}; CI fails instead of skipping`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ThrowawayCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** Fast shutdown (sessions are terminated with 57P01), waiting until it is down. */
  stop(): Promise<void>;
  /** Stops it whatever its state and removes its folder. */
  destroy(): Promise<void>;
}

/** initdb into a fresh temp folder owned by postgres; the cluster is created stopped. */
export async function createThrowawayCluster(): Promise<ThrowawayCluster> {
  const bin = binDir()!;
  const owner = postgresUid()!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-pg-'));
  fs.chownSync(dir, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const asPostgres = (tool: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { cwd: dir });
  const pgCtl = (args: string[]) => asPostgres('pg_ctl', ['-D', data, ...args]);
  try {
    await asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // fsync off: the test stops PostgreSQL, never the machine, so the page cache keeps every commit.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pgCtl(['start', '-w', '-t', '120', '-l', path.join(dir, 'server.log'), '-o', options]);
    },
    async stop() {
      await pgCtl(['stop', '-w', '-t', '120', '-m', 'fast']);
    },
    async destroy() {
      await pgCtl(['stop', '-w', '-t', '60', '-m', 'immediate']).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
