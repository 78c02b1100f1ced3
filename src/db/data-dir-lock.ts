import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The embedded database (PGlite in a data folder) may be opened by one process only: a second
 * server or a `grms migrate` running beside it would corrupt it. `<dataDir>/grms.lock` says who
 * holds the folder. Node has no flock(), so a lock left behind by a crash (kill -9, power cut)
 * stays on disk; it is recognised as stale when its holder is provably gone, and taken over.
 *
 * Terminology:
 * - record: the JSON inside a lock file (who, what for, since when, how to recognise the process).
 * - stale: a record whose process is gone (other boot, other host, no such pid, or pid recycled).
 * - takeover marker: `grms.lock.takeover.<digest>.<n>`, created exclusively by the one process
 *   allowed to replace the stale lock whose bytes hash to <digest>.
 */

export const LOCK_FILE = 'grms.lock';
const MARKER_PREFIX = `${LOCK_FILE}.takeover.`;

export interface LockRecord {
  pid: number;
  purpose: string;
  hostname: string;
  /** /proc/sys/kernel/random/boot_id; null where the system has none. */
  bootId: string | null;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat); null without /proc. */
  procStart: number | null;
  /** ISO timestamp. */
  startedAt: string;
  /** Makes every record's bytes unique, so "still the same lock file" is a byte comparison. */
  token: string;
}

export interface DataDirLock {
  readonly file: string;
  readonly record: LockRecord;
  /** The dead holder whose lock was taken over, for a log line; undefined on a clean start. */
  readonly tookOverFrom: LockRecord | undefined;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

export class DataDirLocked extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    readonly holder: LockRecord | undefined,
    detail?: string,
  ) {
    const who = holder
      ? `grms process ${holder.pid} (${holder.purpose}) on ${holder.hostname}, since ${holder.startedAt}`
      : (detail ?? 'another grms process');
    super(
      `The data folder ${dataDir} is in use by ${who}. The embedded database allows one process ` +
        `at a time: stop the grms server using ${dataDir} first, or point DATABASE_URL at a ` +
        `PostgreSQL server.`,
    );
  }
}

// Locks held by this process, released by the 'exit' safety net if the caller forgot.
const held = new Set<DataDirLock>();
const releaseAllOnExit = (): void => {
  for (const lock of [...held]) lock.release();
};

/** Claims `dataDir` for this process or throws DataDirLocked naming the live holder. */
export function acquireDataDirLock(dataDir: string, purpose: string): DataDirLock {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const record = ownRecord(purpose);
  const bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  let tookOverFrom: LockRecord | undefined;

  // Each pass either wins, throws, or saw the file change under it (someone released or took
  // over between our steps) and looks again. The deadline only guards against a livelock.
  const deadline = Date.now() + 10_000;
  let taker: LockRecord | undefined;
  for (;;) {
    if (Date.now() > deadline) throw new DataDirLocked(dir, taker, 'a process that keeps changing its lock file');
    if (createExclusive(file, bytes)) break;
    const current = readOrNull(file);
    if (current === null) continue; // released just now
    const holder = parseRecord(current);
    if (holder && isAlive(holder)) throw new DataDirLocked(dir, holder);
    if (!holder && isFresh(file)) {
      sleepMs(50); // being written through the O_EXCL fallback, not yet complete
      continue;
    }
    const outcome = takeOverStale(dir, file, current, bytes);
    if (outcome === 'won') {
      tookOverFrom = holder ?? undefined;
      break;
    }
    if (outcome !== 'changed') {
      taker = outcome.busy ?? undefined; // another live process is replacing the stale lock
      sleepMs(10);
    }
  }

  let released = false;
  const lock: DataDirLock = {
    file,
    record,
    tookOverFrom,
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      if (held.size === 0) process.off('exit', releaseAllOnExit);
      // Only remove the file if it is still ours: nobody can replace a live holder's lock, but
      // an operator might have deleted it and started another process by hand.
      const current = readOrNull(file);
      if (current !== null && current.equals(bytes)) unlinkQuietly(file);
    },
  };
  if (held.size === 0) process.on('exit', releaseAllOnExit);
  held.add(lock);
  return lock;
}

/**
 * Replaces a stale lock file whose content is `stale`, so that of several processes doing this
 * at once exactly one wins. POSIX has no "unlink if unchanged", so contenders first serialise on
 * an exclusive marker named after the stale bytes, then check the lock still holds those bytes.
 * Only the marker holder may remove those bytes, and no fresh lock can appear while they are
 * there, so the check stays true until our unlink.
 * A marker whose creator died mid-takeover cannot be deleted safely (another contender might be
 * replacing it at that moment), so the next contender uses the next number instead.
 */
function takeOverStale(dir: string, file: string, stale: Buffer, ours: Buffer): 'won' | 'changed' | { busy: LockRecord | null } {
  const digest = crypto.createHash('sha256').update(stale).digest('hex').slice(0, 32);
  const markerBytes = Buffer.from(JSON.stringify(ownRecord('takeover')));
  for (let n = 1; ; n++) {
    const marker = path.join(dir, `${MARKER_PREFIX}${digest}.${n}`);
    if (!createExclusive(marker, markerBytes)) {
      const content = readOrNull(marker);
      if (content === null) return 'changed'; // its holder finished and cleaned up
      const taker = parseRecord(content);
      if (taker ? isAlive(taker) : isFresh(marker)) return { busy: taker };
      continue;
    }
    try {
      const current = readOrNull(file);
      if (current === null || !current.equals(stale)) return 'changed';
      fs.unlinkSync(file);
      if (!createExclusive(file, ours)) return 'changed'; // a plain acquire got in first: fine
      removeMarkers(dir, digest);
      return 'won';
    } finally {
      unlinkQuietly(marker);
    }
  }
}

function removeMarkers(dir: string, digest: string): void {
  for (const name of fs.readdirSync(dir)) {
    // Exact marker names only: other contenders' half-made "<marker>.<pid>.<rand>.tmp" are theirs.
    if (name.startsWith(`${MARKER_PREFIX}${digest}.`) && /\.\d+$/.test(name)) unlinkQuietly(path.join(dir, name));
  }
}

/**
 * Creates `file` with `content` only if it does not exist. The content is written to a private
 * temporary file and hard-linked into place, so a reader never sees a half-written lock; link()
 * fails with EEXIST exactly like O_EXCL. Where the filesystem has no hard links, O_EXCL is used.
 */
function createExclusive(file: string, content: Buffer): boolean {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  writeDurably(tmp, content);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createWithOExcl(file, content);
    throw err;
  } finally {
    unlinkQuietly(tmp);
  }
}

function createWithOExcl(file: string, content: Buffer): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function writeDurably(file: string, content: Buffer): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    fs.writeSync(fd, content);
    // A lock that survives a power cut must not survive as an empty file.
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the process a record names is still running (not a recycled pid, not another boot). */
export function isAlive(rec: LockRecord): boolean {
  if (rec.hostname !== os.hostname()) return false;
  const bootId = readBootId();
  if (rec.bootId !== null && bootId !== null && rec.bootId !== bootId) return false;
  try {
    process.kill(rec.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (rec.procStart !== null && fs.existsSync('/proc/self/stat')) {
    // Same pid, different start time: the pid was recycled by an unrelated process.
    return procStartOf(rec.pid) === rec.procStart;
  }
  return true;
}

/** An unparsable file younger than this may still be being written (O_EXCL fallback). */
const WRITE_GRACE_MS = 5_000;

function isFresh(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < WRITE_GRACE_MS;
  } catch {
    return false;
  }
}

function ownRecord(purpose: string): LockRecord {
  return {
    pid: process.pid,
    purpose,
    hostname: os.hostname(),
    bootId: readBootId(),
    procStart: procStartOf(process.pid),
    startedAt: new Date().toISOString(),
    token: crypto.randomBytes(8).toString('hex'),
  };
}

function parseRecord(bytes: Buffer): LockRecord | null {
  try {
    const r = JSON.parse(bytes.toString('utf8')) as Partial<LockRecord>;
    // pid 0 or negative would make process.kill() signal a whole process group.
    if (!Number.isSafeInteger(r.pid) || (r.pid as number) <= 0) return null;
    if (typeof r.hostname !== 'string' || typeof r.purpose !== 'string') return null;
    return {
      pid: r.pid as number,
      purpose: r.purpose,
      hostname: r.hostname,
      bootId: typeof r.bootId === 'string' ? r.bootId : null,
      procStart: typeof r.procStart === 'number' ? r.procStart : null,
      startedAt: typeof r.startedAt === 'string' ? r.startedAt : 'an unknown time',
      token: typeof r.token === 'string' ? r.token : '',
    };
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may itself contain ") ". */
function procStartOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? start : null;
  } catch {
    return null;
  }
}

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
