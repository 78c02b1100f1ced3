import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WitnessConfigError } from './config';
import { acquireDataDirLock, DataDirLocked, type DataDirLock } from '../../db/data-dir-lock';

/**
 * The witness's storage, a folder of its own:
 * - `logs/<sha256(origin) hex>.json`: the latest checkpoint cosigned for that origin, replaced
 *   atomically (temp file, fsync, rename, fsync of the folder) before a cosignature is returned;
 * - `refusals.jsonl`: one JSON line per refused checkpoint that carried a valid log signature,
 *   appended and fsynced before the refusal is answered — evidence of a log that forked, shrank or
 *   rewrote a leaf;
 * - `grms.lock`: one witness process per storage, so the in-process lock below is the only one.
 */
export interface CosignedState {
  origin: string;
  size: number;
  root: Buffer;
  /** The checkpoint as verified, with the log's signature and this witness's cosignature. */
  checkpoint: string;
  /** ISO time of the cosignature (real clock). */
  cosignedAt: string;
}

/** Why a checkpoint was refused; rollback, fork and inconsistent are evidence against the log. */
export type RefusalKind = 'rollback' | 'fork' | 'inconsistent' | 'stale-old-size' | 'old-exceeds-new';

export interface Refusal {
  time: string;
  origin: string;
  kind: RefusalKind;
  status: number;
  message: string;
  oldSize: number;
  cosignedSize: number;
  /** base64 */
  cosignedRoot: string;
  /** The refused checkpoint, signatures included. */
  checkpoint: string;
  /** base64 hashes as sent. */
  proof: string[];
}

export const REFUSALS_FILE = 'refusals.jsonl';

/** Another process holds this storage (a second `grms witness serve` on the same folder). */
export class WitnessStorageLocked extends Error {
  readonly code = 'WITNESS_STORAGE_LOCKED';
}

interface StoredJson {
  origin: string;
  size: number;
  root: string;
  checkpoint: string;
  cosignedAt: string;
}

export function originHash(origin: string): string {
  return crypto.createHash('sha256').update(origin).digest('hex');
}

async function fsyncPath(p: string, flags: string): Promise<void> {
  const fh = await fs.promises.open(p, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` so that a crash leaves either the old or the new content. */
async function writeAtomically(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  const fh = await fs.promises.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fsyncPath(path.dirname(file), 'r');
}

export class WitnessStore {
  private readonly cache = new Map<string, CosignedState | null>();
  private readonly tails = new Map<string, Promise<void>>();

  private constructor(
    readonly dir: string,
    private readonly lock: DataDirLock,
  ) {}

  /** Opens (creating) the storage folder and claims it for this process. */
  static open(dir: string): WitnessStore {
    // A database folder (PGlite's or PostgreSQL's) is the log's, never a witness's.
    if (fs.existsSync(path.join(dir, 'PG_VERSION'))) throw new WitnessConfigError(`storage ${dir} is a database folder: a witness keeps its state in a folder of its own, never in the log's database`);
    fs.mkdirSync(path.join(dir, 'logs'), { recursive: true, mode: 0o700 });
    try {
      return new WitnessStore(dir, acquireDataDirLock(dir, 'grms witness serve'));
    } catch (err) {
      if (!(err instanceof DataDirLocked)) throw err;
      const h = err.holder;
      throw new WitnessStorageLocked(`The witness storage ${dir} is in use by ${h ? `process ${h.pid} on ${h.hostname} since ${h.startedAt}` : 'another process'}: one witness process per storage`, { cause: err });
    }
  }

  private fileOf(origin: string): string {
    return path.join(this.dir, 'logs', `${originHash(origin)}.json`);
  }

  /** The latest cosigned checkpoint of `origin`, or undefined before the first. */
  latest(origin: string): CosignedState | undefined {
    if (!this.cache.has(origin)) {
      let text: string | undefined;
      try {
        text = fs.readFileSync(this.fileOf(origin), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (text === undefined) this.cache.set(origin, null);
      else {
        const j = JSON.parse(text) as StoredJson;
        if (j.origin !== origin) throw new Error(`${this.fileOf(origin)} holds the state of ${JSON.stringify(j.origin)}, not of ${JSON.stringify(origin)}`);
        this.cache.set(origin, { ...j, root: Buffer.from(j.root, 'base64') });
      }
    }
    return this.cache.get(origin) ?? undefined;
  }

  /** Persists the new state durably; only then may its cosignature leave the witness. */
  async save(state: CosignedState): Promise<void> {
    const json: StoredJson = { ...state, root: state.root.toString('base64') };
    this.cache.delete(state.origin); // a failed write must not leave the cache ahead of the disk
    await writeAtomically(this.fileOf(state.origin), `${JSON.stringify(json, null, 2)}\n`);
    this.cache.set(state.origin, state);
  }

  /** Appends a refusal to the evidence log and fsyncs it. */
  async recordRefusal(r: Refusal): Promise<void> {
    await this.exclusive('\0refusals', async () => {
      const fh = await fs.promises.open(path.join(this.dir, REFUSALS_FILE), 'a', 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(r)}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
  }

  /** Runs `fn` alone for `key`: a compare-and-persist is never interleaved with another. */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  close(): void {
    this.lock.release();
  }
}
