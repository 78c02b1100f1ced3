import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireDataDirLock, DataDirLocked, LOCK_FILE, type DataDirLock, type LockRecord } from '../src/db/data-dir-lock';

const HOLDER = path.join(__dirname, 'support', 'lock-holder.ts');

interface Report {
  result: 'acquired' | 'locked';
  pid: number;
  tookOverFrom?: number | null;
  code?: string;
  message?: string;
  holder?: number | null;
}

interface Child {
  proc: ChildProcess;
  report: Promise<Report>;
  exited: Promise<NodeJS.Signals | number | null>;
}

const children: Child[] = [];
const locks: DataDirLock[] = [];
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-lock-'));
});

afterEach(async () => {
  for (const lock of locks.splice(0)) lock.release();
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await c.exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

function acquire(purpose = 'server'): DataDirLock {
  const lock = acquireDataDirLock(dir, purpose);
  locks.push(lock);
  return lock;
}

/** Runs test/support/lock-holder.ts in its own node process; resolves its one-line report. */
function runChild(purpose: string, mode: 'hold' | 'exit', startAt?: number): Child {
  const args = ['-r', 'tsx/cjs', HOLDER, dir, purpose, mode, ...(startAt ? [String(startAt)] : [])];
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    proc.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  const report = new Promise<Report>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line!) as Report);
    });
    void exited.then((how) => reject(new Error(`lock-holder exited (${how}) without a report: ${err}`)));
  });
  const child = { proc, report, exited };
  children.push(child);
  return child;
}

/** A pid that certainly belongs to no process now: a child that has already exited. */
async function deadPid(): Promise<number> {
  const c = runChild('cli:probe', 'exit');
  const { pid } = await c.report;
  await c.exited;
  return pid;
}

function writeLock(rec: Partial<LockRecord>): void {
  const base: LockRecord = {
    pid: process.pid,
    purpose: 'server',
    hostname: os.hostname(),
    bootId: readBootId(),
    procStart: null,
    startedAt: '2026-01-02T03:04:05.000Z',
    token: 'stale-test',
  };
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...base, ...rec }));
}

function readBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function lockOnDisk(): LockRecord {
  return JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockRecord;
}

describe('data-dir lock', () => {
  test('writes who holds the folder into <dataDir>/grms.lock', () => {
    const lock = acquire('cli:migrate');
    const rec = lockOnDisk();
    expect(rec).toMatchObject({ pid: process.pid, purpose: 'cli:migrate', hostname: os.hostname() });
    expect(rec.bootId).toBe(readBootId());
    expect(Date.parse(rec.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    if (fs.existsSync('/proc/self/stat')) expect(typeof rec.procStart).toBe('number');
    expect(lock.tookOverFrom).toBeUndefined();
  });

  test('a second acquire in the same process is refused, naming the holder and the way out', () => {
    const first = acquire('server');
    let caught: unknown;
    try {
      acquire('cli:migrate');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DataDirLocked);
    const e = caught as DataDirLocked;
    expect(e.code).toBe('DATA_DIR_LOCKED');
    expect(e.holder?.pid).toBe(process.pid);
    expect(e.message).toContain(`grms process ${process.pid} (server)`);
    expect(e.message).toContain(`since ${first.record.startedAt}`);
    expect(e.message).toContain(`stop the grms server using ${path.resolve(dir)}`);
    expect(e.message).toContain('point DATABASE_URL at a PostgreSQL server');
    // The refused attempt left the holder's lock alone.
    expect(lockOnDisk().token).toBe(first.record.token);
  });

  test('a lock held by a child process refuses the parent, and the parent’s lock refuses a child', async () => {
    const holder = runChild('server', 'hold');
    const { result, pid } = await holder.report;
    expect(result).toBe('acquired');
    expect(() => acquire('cli:migrate')).toThrow(new RegExp(`grms process ${pid} \\(server\\)`));

    holder.proc.stdin!.end(); // clean shutdown releases the file
    await holder.exited;
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    acquire('server');
    const refused = await runChild('cli:migrate', 'exit').report;
    expect(refused).toMatchObject({ result: 'locked', code: 'DATA_DIR_LOCKED', holder: process.pid });
    expect(refused.message).toContain(`grms process ${process.pid} (server)`);
  });

  test('the lock of a process killed with SIGKILL is taken over', async () => {
    const victim = runChild('server', 'hold');
    const { pid } = await victim.report;
    victim.proc.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    expect(lockOnDisk().pid).toBe(pid); // no exit handler ran

    const lock = acquire('server');
    expect(lock.tookOverFrom?.pid).toBe(pid);
    expect(lockOnDisk().token).toBe(lock.record.token);
  });

  test('a lock from another boot is stale even though its pid is alive now', () => {
    writeLock({ pid: process.pid, bootId: '00000000-0000-0000-0000-000000000000' });
    expect(acquire('server').tookOverFrom?.bootId).toBe('00000000-0000-0000-0000-000000000000');
  });

  test('a lock from another host is taken over', () => {
    writeLock({ pid: process.pid, hostname: `${os.hostname()}-old-container` });
    expect(acquire('server').tookOverFrom?.hostname).toBe(`${os.hostname()}-old-container`);
  });

  test('a recycled pid (alive, but started at another time) is not mistaken for the holder', () => {
    if (!fs.existsSync('/proc/self/stat')) {
      if (process.env.CI === 'true') throw new Error('CI runs on Linux: /proc is required for this test');
      console.warn('!! SKIPPED: no /proc on this system, pid recycling cannot be detected here');
      return;
    }
    // Our own pid is alive; a record claiming it with another start time is a previous process.
    writeLock({ pid: process.pid, procStart: 1 });
    expect(acquire('server').tookOverFrom?.procStart).toBe(1);
  });

  test('a lock from a pid that no longer exists is taken over; garbage in the file is too', async () => {
    writeLock({ pid: await deadPid() });
    acquire('server').release();

    fs.writeFileSync(path.join(dir, LOCK_FILE), 'not json');
    fs.utimesSync(path.join(dir, LOCK_FILE), new Date(0), new Date(0));
    expect(acquire('server').record.pid).toBe(process.pid);
  });

  test('a takeover whose taker died half-way does not block the next one', async () => {
    const dead = await deadPid();
    writeLock({ pid: dead });
    const stale = fs.readFileSync(path.join(dir, LOCK_FILE));
    const digest = crypto.createHash('sha256').update(stale).digest('hex').slice(0, 32);
    // Marker 1: a taker killed after claiming it; marker 2: one that lost its content (old, empty).
    const marker = (n: number) => path.join(dir, `${LOCK_FILE}.takeover.${digest}.${n}`);
    fs.writeFileSync(marker(1), JSON.stringify({ pid: dead, purpose: 'takeover', hostname: os.hostname(), bootId: readBootId() }));
    fs.writeFileSync(marker(2), '');
    fs.utimesSync(marker(2), new Date(0), new Date(0));

    expect(acquire('server').tookOverFrom?.pid).toBe(dead);
    expect(fs.readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  test('release removes the file, is idempotent, and a new acquire works', () => {
    const first = acquire('cli:migrate');
    first.release();
    first.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const second = acquire('server');
    expect(second.tookOverFrom).toBeUndefined();
    expect(lockOnDisk().purpose).toBe('server');
  });

  test('release leaves alone a lock file that is no longer ours', () => {
    const lock = acquire('server');
    fs.unlinkSync(lock.file); // e.g. an operator removed it and started another process
    writeLock({ pid: process.pid, token: 'someone-else' });
    lock.release();
    expect(lockOnDisk().token).toBe('someone-else');
  });

  test('the exit safety net removes a lock the process never released', async () => {
    const c = runChild('cli:migrate', 'exit'); // acquires, then exits without release()
    expect((await c.report).result).toBe('acquired');
    expect(await c.exited).toBe(0);
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  test('processes racing to take over one stale lock: exactly one wins', async () => {
    const dead = await deadPid();
    for (let round = 0; round < 5; round++) {
      writeLock({ pid: dead, token: `stale-${round}` });
      // Children take ~150 ms to start; all spin until the same instant, then acquire.
      const startAt = Date.now() + 1500;
      const racers = Array.from({ length: 4 }, () => runChild('server', 'hold', startAt));
      const reports = await Promise.all(racers.map((r) => r.report));
      const winners = reports.filter((r) => r.result === 'acquired');
      expect(winners).toHaveLength(1);
      // null: the winner linked its lock in the instant between another racer's unlink and link.
      expect([dead, null]).toContain(winners[0]!.tookOverFrom);
      for (const loser of reports.filter((r) => r.result === 'locked')) expect(loser.holder).toBe(winners[0]!.pid);
      expect(lockOnDisk().pid).toBe(winners[0]!.pid);
      expect(fs.readdirSync(dir).sort()).toEqual([LOCK_FILE]); // no markers or temp files left
      for (const r of racers) r.proc.stdin!.end();
      await Promise.all(racers.map((r) => r.exited));
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    }
  });
});
