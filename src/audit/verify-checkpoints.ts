import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { checkpointMessage, selectCheckpoints, SIDE_CHAINS, toCheckpoint, type Checkpoint, type SideHeads } from './checkpoint';
import { HeadTree } from './merkle';

/** One problem the verifier found; instanceId is '' for a problem of a checkpoint as a whole. */
export interface AuditBreak {
  instanceId: string;
  seq?: number;
  checkpointId?: number;
  reason: string;
}

/** A chain head as of the latest checkpoint, and which checkpoint recorded it. */
export interface CoveredHead {
  seq: number;
  hash: string;
  checkpointId: number;
  /** Set by the chain walk when it meets the instance. */
  seen: boolean;
}

export interface CheckpointReplay {
  count: number;
  latest: Checkpoint | null;
  heads: Map<string, CoveredHead>;
  /** The side chains' heads as signed by the latest format-2 checkpoint (null: none signed them yet). */
  sideHeads: { heads: SideHeads; checkpointId: number } | null;
  /** Every side-chain head any checkpoint signed: each must still be in its chain. */
  sideHistory: Array<{ table: (typeof SIDE_CHAINS)[number]; seq: number; hash: string; checkpointId: number }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function signatureValid(c: Checkpoint, publicKey: crypto.KeyObject): boolean {
  try {
    return crypto.verify(null, checkpointMessage(c), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false; // malformed signature or key: as bad as a wrong one
  }
}

/**
 * Replays every checkpoint in id order: each must link to the one before, be signed by `publicKey`,
 * only move heads forward, and carry the head count, row count (= sum of head seqs, since a chain
 * of head seq n has exactly n rows) and Merkle root of all heads so far. Returns the heads as of
 * the latest checkpoint for the chain walk. Memory: one entry per instance.
 */
export async function replayCheckpoints(
  db: Kysely<Database>,
  publicKey: crypto.KeyObject,
  broken: AuditBreak[],
  batchSize: number,
): Promise<CheckpointReplay> {
  const tree = new HeadTree();
  const heads = new Map<string, CoveredHead>();
  let rowSum = 0;
  let count = 0;
  let previous: Checkpoint | null = null;
  let sideHeads: CheckpointReplay['sideHeads'] = null;
  const sideHistory: CheckpointReplay['sideHistory'] = [];
  for (;;) {
    const rows = await selectCheckpoints(db)
      .where('id', '>', previous?.id ?? 0)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const c = toCheckpoint(row);
      count++;
      const problems: string[] = [];
      if (c.previousId !== (previous?.id ?? null)) {
        problems.push(`previous_id is ${c.previousId}, expected ${previous?.id ?? null} (a checkpoint was removed or inserted)`);
      }
      if (previous && c.asOf <= previous.asOf) problems.push(`as_of ${c.asOf} is not after the previous checkpoint's ${previous.asOf}`);
      if (!signatureValid(c, publicKey)) problems.push('signature does not verify with the audit public key');
      let lastInstance = '';
      for (const h of Array.isArray(c.heads) ? c.heads : []) {
        if (!h || typeof h.instance !== 'string' || !UUID.test(h.instance) || !Number.isSafeInteger(h.seq) || h.seq < 1 ||
          typeof h.hash !== 'string' || !SHA256_HEX.test(h.hash)) {
          problems.push(`malformed head ${JSON.stringify(h)}`);
          continue;
        }
        if (h.instance <= lastInstance) problems.push(`heads are not in instance order at ${h.instance}`);
        lastInstance = h.instance;
        const before = heads.get(h.instance);
        if (before && h.seq <= before.seq) {
          broken.push({
            instanceId: h.instance, seq: h.seq, checkpointId: c.id,
            reason: `checkpoint moves the head back from seq ${before.seq} (checkpoint #${before.checkpointId}) to ${h.seq}`,
          });
        }
        rowSum += h.seq - (before?.seq ?? 0);
        heads.set(h.instance, { seq: h.seq, hash: h.hash, checkpointId: c.id, seen: false });
        tree.set(h);
      }
      let sideMoved = false;
      if (c.format === 2) {
        const side = c.sideHeads;
        if (!side || typeof side !== 'object') problems.push('format 2 without side_heads');
        else {
          for (const t of SIDE_CHAINS) {
            const h = side[t];
            if (h !== null && (!h || !Number.isSafeInteger(h.seq) || h.seq < 1 || typeof h.hash !== 'string' || !SHA256_HEX.test(h.hash))) {
              problems.push(`malformed ${t} head ${JSON.stringify(h)}`);
              continue;
            }
            const before = sideHeads?.heads[t] ?? null;
            if ((h?.seq ?? 0) < (before?.seq ?? 0)) problems.push(`moves the ${t} head back from seq ${before!.seq} (checkpoint #${sideHeads!.checkpointId}) to ${h?.seq ?? 0}`);
            if (h && before && h.seq === before.seq && h.hash !== before.hash) problems.push(`gives ${t} seq ${h.seq} another hash than checkpoint #${sideHeads!.checkpointId}`);
            if ((h?.seq ?? 0) !== (before?.seq ?? 0) || (h?.hash ?? null) !== (before?.hash ?? null)) {
              sideMoved = true;
              if (h) sideHistory.push({ table: t, seq: h.seq, hash: h.hash, checkpointId: c.id });
            }
          }
          sideHeads = { heads: side, checkpointId: c.id };
        }
      } else if (c.format !== undefined && c.format !== 1) problems.push(`unknown checkpoint format ${String(c.format)}`);
      if (!Array.isArray(c.heads) || (c.heads.length === 0 && !sideMoved)) problems.push('records no moved heads');
      if (c.headCount !== tree.size) problems.push(`head_count is ${c.headCount}, the heads so far number ${tree.size}`);
      if (c.rowCount !== rowSum) problems.push(`row_count is ${c.rowCount}, the heads so far cover ${rowSum} rows`);
      if (c.merkleRoot !== tree.root()) problems.push('merkle_root does not match the heads so far');
      if (problems.length > 0) broken.push({ instanceId: '', checkpointId: c.id, reason: problems.join('; ') });
      previous = c;
    }
  }
  return { count, latest: previous, heads, sideHeads, sideHistory };
}
