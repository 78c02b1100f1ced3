import crypto from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/types';
import { ADVISORY, advisoryXactLock } from '../../db/advisory';
import {
  consistencyProof, logVerifierKey, openCheckpoint, parseVerifierKey, signCheckpoint, treeRoot, verifyCheckpoint, verifyConsistency, type LogSigner, type Policy,
} from '../tlog';
import { LogError } from './errors';
import { asBuffer, logSize, storedNodes } from './nodes';
import type { LogSource } from './sources';

/** A checkpoint of the log as stored in log_checkpoints. */
export interface LogCheckpoint {
  size: number;
  root: Buffer;
  /** The C2SP signed note: origin, size, base64 root, blank line, the log's signature line. */
  note: string;
}

export interface CheckpointOutcome extends LogCheckpoint {
  /** False when the tree had not grown since the last checkpoint (which is returned). */
  created: boolean;
  /** Size of the checkpoint this one extends; null for the first. */
  previousSize: number | null;
}

// The largest checkpoint this process signed per database, so a table emptied under a running
// server cannot make it sign a smaller tree either.
const signedHere = new WeakMap<Kysely<Database>, { origin: string; size: number; root: Buffer }>();

/** The latest stored checkpoint, or undefined. */
export async function latestLogCheckpoint(db: Kysely<Database> | Transaction<Database>): Promise<LogCheckpoint | undefined> {
  const r = await db.selectFrom('log_checkpoints').select(['size', 'root', 'note']).orderBy('size', 'desc').limit(1).executeTakeFirst();
  return r ? { size: Number(r.size), root: asBuffer(r.root), note: r.note } : undefined;
}

/** A fatal alarm whose reported size the tree has not reached: checkpointing stays stopped. */
export async function blockingAlarm(db: Kysely<Database> | Transaction<Database>, treeSize: number): Promise<{ id: number; reportedSize: number; detail: string } | undefined> {
  const r = await db.selectFrom('log_alarms').select(['id', 'reported_size', 'detail'])
    .where('fatal', '=', true).where('reported_size', '>', treeSize).orderBy('reported_size', 'desc').limit(1).executeTakeFirst();
  return r ? { id: Number(r.id), reportedSize: Number(r.reported_size), detail: r.detail } : undefined;
}

/**
 * Signs a checkpoint of the whole tree as the integrator left it and stores it in log_checkpoints.
 * Before signing it proves the tree extends the last checkpoint issued (stored, or signed by this
 * process): a smaller tree is LOG_ROLLED_BACK, a different one LOG_INCONSISTENT, a stored
 * checkpoint that our key did not sign LOG_CHECKPOINT_INVALID, and a fatal witness alarm
 * LOG_HALTED. It never starts over. One at a time across processes (advisory lock), so
 * checkpoints form one sequence. An unchanged tree signs nothing and returns the last checkpoint.
 */
export async function checkpointLog(db: Kysely<Database>, signer: LogSigner): Promise<CheckpointOutcome | null> {
  const logKey = parseVerifierKey(logVerifierKey(signer.origin, crypto.createPublicKey(signer.privateKey)));
  const outcome = await db.transaction().setIsolationLevel('read committed').execute(async (trx): Promise<CheckpointOutcome | null> => {
    await advisoryXactLock(trx, ADVISORY.logCheckpoint);
    const size = await logSize(trx);
    const alarm = await blockingAlarm(trx, size);
    if (alarm) {
      throw new LogError('LOG_HALTED', `checkpointing is stopped: a witness reported a tree of ${alarm.reportedSize} leaves, this database holds ${size} (alarm #${alarm.id}: ${alarm.detail})`);
    }
    const stored = await latestLogCheckpoint(trx);
    let last: { size: number; root: Buffer } | undefined;
    if (stored) {
      let body;
      try {
        ({ body } = openCheckpoint(stored.note, logKey));
      } catch (err) {
        const origin = stored.note.slice(0, stored.note.indexOf('\n'));
        if (origin !== signer.origin) {
          throw new LogError('LOG_ORIGIN_CHANGED', `the log's checkpoints name the origin "${origin}", this server "${signer.origin}": the origin of a log never changes (set GRMS_LOG_ORIGIN back)`, { cause: err });
        }
        throw new LogError('LOG_CHECKPOINT_INVALID', `the stored checkpoint of size ${stored.size} does not verify with the log key: ${(err as Error).message}`, { cause: err });
      }
      if (body.size !== stored.size || !body.root.equals(stored.root)) {
        throw new LogError('LOG_CHECKPOINT_INVALID', `the stored checkpoint row of size ${stored.size} does not match its signed note (size ${body.size})`);
      }
      last = { size: body.size, root: body.root };
    }
    const mine = signedHere.get(db);
    if (mine && mine.origin === signer.origin && (!last || mine.size > last.size)) last = mine;
    if (!last && size === 0) return null;
    if (last && size < last.size) {
      throw new LogError('LOG_ROLLED_BACK', `the log holds ${size} leaves, but a checkpoint of ${last.size} leaves was issued: the database was rolled back or leaves were removed; refusing to sign`);
    }
    const fetch = storedNodes(trx);
    const root = await treeRoot(size, fetch);
    if (last) {
      const proof = await consistencyProof(last.size, size, fetch);
      const consistent = last.size === 0 ? true : verifyConsistency(last.size, size, last.root, root, proof);
      if (!consistent) {
        throw new LogError('LOG_INCONSISTENT', `the log's tree of ${size} leaves does not extend the checkpoint of ${last.size} leaves already issued: leaves were rewritten; refusing to sign`);
      }
      if (size === last.size && stored && stored.size === size) return { ...stored, created: false, previousSize: stored.size };
    }
    const note = signCheckpoint({ origin: signer.origin, size, root, extensions: [] }, signer);
    await trx.insertInto('log_checkpoints').values({ size, root, note }).execute();
    return { size, root, note, created: true, previousSize: last?.size ?? null };
  });
  if (outcome?.created) signedHere.set(db, { origin: signer.origin, size: outcome.size, root: outcome.root });
  return outcome;
}

/** The checkpoint of `size` with every stored cosignature appended (what GET /log/checkpoint serves). */
export async function cosignedCheckpoint(db: Kysely<Database> | Transaction<Database>, size?: number): Promise<(LogCheckpoint & { cosigned: string[] }) | undefined> {
  const cp = size === undefined
    ? await latestLogCheckpoint(db)
    : await db.selectFrom('log_checkpoints').select(['size', 'root', 'note']).where('size', '=', size).executeTakeFirst()
      .then((r) => (r ? { size: Number(r.size), root: asBuffer(r.root), note: r.note } : undefined));
  if (!cp) return undefined;
  const cosigs = await db.selectFrom('log_cosignatures').select(['witness', 'signature']).where('size', '=', cp.size).orderBy('witness').execute();
  // The stored note ends in its signature lines; cosignature lines follow them.
  const note = cp.note + cosigs.map((c) => `${c.signature}\n`).join('');
  return { ...cp, note, cosigned: cosigs.map((c) => c.witness) };
}

/**
 * The latest checkpoint whose stored cosignatures meet the policy's witness quorum, with them
 * appended; with a policy that names no witness (quorum none) that is the latest checkpoint.
 * Undefined when none does (no checkpoint yet, or none cosigned by enough witnesses).
 */
export async function latestQuorumCheckpoint(db: Kysely<Database> | Transaction<Database>, policy: Policy): Promise<(LogCheckpoint & { cosigned: string[] }) | undefined> {
  const PAGE = 100;
  for (let below: number | undefined; ;) {
    let q = db.selectFrom('log_checkpoints').select('size').orderBy('size', 'desc').limit(PAGE);
    if (below !== undefined) q = q.where('size', '<', below);
    const sizes = (await q.execute()).map((r) => Number(r.size));
    for (const size of sizes) {
      const cp = (await cosignedCheckpoint(db, size))!;
      try {
        if (verifyCheckpoint(cp.note, policy).quorumMet) return cp;
      } catch {
        // Not signed by the policy's log key: no verifier would accept it either.
      }
    }
    if (sizes.length < PAGE) return undefined;
    below = sizes[sizes.length - 1];
  }
}

/** Tree size and checkpoint size, for status reports. */
export async function logHeads(db: Kysely<Database>): Promise<{ size: number; checkpointSize: number | null }> {
  const r = (await sql<{ size: number | null; cp: number | null }>`
    SELECT (SELECT max(size) FROM log_integrations) AS size, (SELECT max(size) FROM log_checkpoints) AS cp`.execute(db)).rows[0]!;
  return { size: Number(r.size ?? 0), checkpointSize: r.cp === null ? null : Number(r.cp) };
}

/**
 * When a witness first vouched for a row: the earliest stored cosignature (verified before it was
 * stored) of a checkpoint whose tree holds the row's leaf, or undefined while none does. A time
 * the operator cannot move: it is signed by the witness.
 */
export async function firstWitnessed(db: Kysely<Database> | Transaction<Database>, source: LogSource, key: string): Promise<Date | undefined> {
  // The first cosigned checkpoint after the leaf: checkpoints are made and cosigned in order, so
  // its cosignatures are the earliest (and the primary key's index finds it without a scan).
  const r = (await sql<{ at: string | null }>`
    SELECT min(c.signed_at)::text AS at FROM log_cosignatures c
    WHERE c.size = (SELECT min(c2.size) FROM log_cosignatures c2 JOIN log_leaves l ON c2.size > l.idx
                    WHERE l.source = ${source} AND l.source_key = ${key})`.execute(db)).rows[0];
  return r?.at ? new Date(Number(r.at) * 1000) : undefined;
}
