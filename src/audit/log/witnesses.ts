import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { formatNote, parseNote, verifyCosignature } from '../tlog';
import type { Witness } from './witness-list';
import type { LogCheckpoint } from './checkpoint';
import { logConsistencyProof, logSize } from './nodes';

/** The C2SP tlog-witness add-checkpoint call (src/audit/witness/client.ts); throws only when the witness cannot be reached. */
export type SendCheckpoint = (
  url: string,
  req: { oldSize: number; proof: Buffer[]; checkpoint: string },
  opts?: { timeoutMs?: number },
) => Promise<{ ok: true; cosignatures: string[] } | { ok: false; status: number; size?: number; message: string }>;

/** What one push to one witness came to. */
export interface WitnessOutcome {
  witness: string;
  /** The witness cosigned this checkpoint (now, or before). */
  ok: boolean;
  /** The size the witness holds a cosignature of ours for, as far as we know. */
  cosignedSize: number | null;
  /** HTTP status of the last answer; undefined when the witness could not be reached. */
  status?: number;
  /** A fatal alarm was raised (the witness cosigned a larger tree than this database holds). */
  fatal?: boolean;
  detail: string;
}

export interface PushOptions {
  send: SendCheckpoint;
  timeoutMs?: number;
}

/**
 * Pushes a checkpoint to every witness, each from the size it last cosigned (log_cosignatures, 0
 * when none) with a consistency proof. A 409 naming another size is retried once from that size;
 * a 409 naming a size larger than the database's tree is a fatal alarm (log_alarms): the database
 * was wiped or rolled back, and checkpointing stops while the tree is smaller. Returned
 * cosignatures are verified with the witness's key before they are stored.
 */
export async function pushToWitnesses(db: Kysely<Database>, cp: LogCheckpoint, witnesses: readonly Witness[], opts: PushOptions): Promise<WitnessOutcome[]> {
  return Promise.all(witnesses.map((w) => pushTo(db, cp, w, opts)));
}

async function lastCosigned(db: Kysely<Database>, witness: string): Promise<number | null> {
  const r = await db.selectFrom('log_cosignatures').select('size').where('witness', '=', witness).orderBy('size', 'desc').limit(1).executeTakeFirst();
  return r ? Number(r.size) : null;
}

async function pushTo(db: Kysely<Database>, cp: LogCheckpoint, w: Witness, opts: PushOptions): Promise<WitnessOutcome> {
  const known = await lastCosigned(db, w.name);
  if (known !== null && known >= cp.size) {
    return { witness: w.name, ok: known === cp.size, cosignedSize: known, detail: known === cp.size ? 'already cosigned' : `already cosigned a newer checkpoint (${known})` };
  }
  let old = known ?? 0;
  for (let attempt = 1; ; attempt++) {
    const proof = old === 0 ? [] : await logConsistencyProof(db, old, cp.size);
    const request = { oldSize: old, proof, checkpoint: cp.note };
    let answer;
    try {
      answer = await opts.send(w.url, request, { timeoutMs: opts.timeoutMs });
    } catch {
      // Once more at once: a kept-alive connection the witness closed just then fails without an answer.
      try {
        answer = await opts.send(w.url, request, { timeoutMs: opts.timeoutMs });
      } catch (err) {
        return { witness: w.name, ok: false, cosignedSize: known, detail: (err as Error).message };
      }
    }
    if (answer.ok) return store(db, cp, w, answer.cosignatures);
    if (answer.status === 409 && answer.size !== undefined) {
      const tree = await logSize(db);
      if (answer.size > tree) {
        const detail = `witness ${w.name} cosigned a tree of ${answer.size} leaves, this database holds ${tree}: it was wiped or rolled back`;
        await db.insertInto('log_alarms').values({ kind: 'witness-ahead', witness: w.name, fatal: true, tree_size: tree, reported_size: answer.size, detail }).execute();
        return { witness: w.name, ok: false, cosignedSize: answer.size, status: 409, fatal: true, detail };
      }
      // Another process pushed a newer checkpoint of ours meanwhile: nothing to do for this one.
      if (answer.size > cp.size) return { witness: w.name, ok: false, cosignedSize: answer.size, status: 409, detail: `the witness already cosigned a newer checkpoint (${answer.size})` };
      if (attempt === 1 && answer.size !== old) {
        old = answer.size;
        continue;
      }
    }
    await refused(db, w, cp, answer.status, answer.message);
    return { witness: w.name, ok: false, cosignedSize: known, status: answer.status, detail: answer.message };
  }
}

/** Keeps the returned cosignature lines that verify with the witness's key; unknown keys are ignored (as the spec says). */
async function store(db: Kysely<Database>, cp: LogCheckpoint, w: Witness, lines: string[]): Promise<WitnessOutcome> {
  const text = parseNote(cp.note).text;
  for (const line of lines) {
    let sig;
    try {
      sig = parseNote(formatNote(text, [line])).signatures[0]!;
    } catch {
      continue;
    }
    if (sig.name !== w.key.name || !sig.keyId.equals(w.key.keyId)) continue;
    const verified = verifyCosignature(text, sig, w.key);
    if (!verified) continue;
    // Two processes may push the same checkpoint: the first stored line stands.
    await db.insertInto('log_cosignatures').values({ size: cp.size, witness: w.name, signature: line, signed_at: verified.timestamp })
      .onConflict((oc) => oc.columns(['size', 'witness']).doNothing()).execute();
    return { witness: w.name, ok: true, cosignedSize: cp.size, status: 200, detail: 'cosigned' };
  }
  await refused(db, w, cp, 200, 'the witness answered without a cosignature that verifies with its key');
  return { witness: w.name, ok: false, cosignedSize: await lastCosigned(db, w.name), status: 200, detail: 'no valid cosignature in the answer' };
}

/** A witness refused the checkpoint (not a transport failure): recorded once per witness, status and tree size. */
async function refused(db: Kysely<Database>, w: Witness, cp: LogCheckpoint, status: number, message: string): Promise<void> {
  const detail = `witness ${w.name} refused the checkpoint of ${cp.size} leaves (HTTP ${status}): ${message.slice(0, 500)}`;
  const seen = await db.selectFrom('log_alarms').select('id').where('kind', '=', 'witness-refused').where('witness', '=', w.name)
    .where('tree_size', '=', cp.size).where('detail', '=', detail).executeTakeFirst();
  if (!seen) await db.insertInto('log_alarms').values({ kind: 'witness-refused', witness: w.name, fatal: false, tree_size: cp.size, reported_size: null, detail }).execute();
}
