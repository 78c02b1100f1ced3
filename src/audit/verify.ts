import crypto from 'node:crypto';
import { sql, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { Database } from '../db/types';
import { AuditKeyError } from './errors';
import { rowHash } from './hash';
import { isRowColumn } from './log/columns';
import { replayCheckpoints, type AuditBreak, type CheckpointReplay } from './verify-checkpoints';

export type { AuditBreak } from './verify-checkpoints';

export interface VerifyOptions {
  /** Rows per keyset page (default 5,000). */
  batchSize?: number;
  /** Called after each page with the number of rows checked so far. */
  onProgress?: (checked: number) => void;
  /**
   * Refuse rows that no checkpoint covers when there is no checkpoint at all (a truncated
   * audit_checkpoints looks exactly like that). The CLI sets it unless --allow-unchecked-tail.
   */
  requireCheckpoint?: boolean;
}

export interface VerifyResult {
  ok: boolean;
  /** Audit rows checked. */
  checked: number;
  /** Checkpoints checked. */
  checkpoints: number;
  /** Audit rows covered by the latest checkpoint (signed by the key given); the rest are the unchecked tail. */
  covered: number;
  /** The first broken row of each broken chain, and every broken checkpoint. */
  broken: AuditBreak[];
}

export const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/**
 * The SELECT list that renders every column of audit_events the way its hash sees it: integers
 * and booleans as JSON values, timestamptz through grms_ts, anything else as its text form. Read
 * from the catalog, so columns added by later migrations are hashed without code changes here;
 * the log's bookkeeping columns (log_xid, log_salt) are not part of the row.
 */
export async function hashedProjection(db: Kysely<Database>): Promise<string> {
  const cols = await sql<{ name: string; type: string }>`
    SELECT column_name AS name, data_type AS type FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'audit_events' ORDER BY ordinal_position`.execute(db);
  return cols.rows
    .filter(({ name }) => isRowColumn(name))
    .map(({ name, type }) => {
      const id = `"${name.replace(/"/g, '""')}"`;
      if (type === 'timestamp with time zone') return `grms_ts(${id}) AS ${id}`;
      if (INTEGER_TYPES.has(type) || type === 'boolean') return id;
      return `${id}::text AS ${id}`;
    })
    .join(', ');
}

interface Chain {
  instance: string;
  lastSeq: number;
  lastHash: string | null;
  /** Highest seq with created_at <= the latest checkpoint's as_of, and its hash. */
  coveredSeq: number;
  coveredHash: string | null;
  uncoveredSeen: boolean;
  broken: boolean;
}

type Row = Record<string, unknown> & { instance_id: string; seq: number; prev_hash: string | null; hash: string; created_at: string };

/**
 * Recomputes every chain and replays every checkpoint. Any altered row (hash, prev_hash or seq gap)
 * is caught wherever it is; removed or added rows and chains are caught up to the latest
 * checkpoint (its heads must be exactly the chains' rows with created_at <= as_of). Streams the
 * table in keyset pages ordered by (instance_id, seq); memory is one entry per instance.
 */
export async function verifyAudit(db: Kysely<Database>, publicKeyPem: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const publicKey = crypto.createPublicKey(publicKeyPem);
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new AuditKeyError(`the audit public key must be Ed25519, got ${publicKey.asymmetricKeyType}`);
  const batchSize = Math.max(1, opts.batchSize ?? 5000);
  const broken: AuditBreak[] = [];
  // Checkpoints first: every row they cover was committed before they were written, so the
  // pages read afterwards see all of them even while new rows are being appended.
  const replay = await replayCheckpoints(db, publicKey, broken, batchSize);
  const checked = await walkChains(db, replay, broken, batchSize, opts.onProgress);
  for (const [instance, head] of replay.heads) {
    if (head.seen) continue;
    broken.push({
      instanceId: instance, checkpointId: head.checkpointId,
      reason: `chain is missing: checkpoint #${head.checkpointId} recorded it up to seq ${head.seq} (instance removed)`,
    });
  }
  await checkSideHeads(db, replay, broken);
  if (opts.requireCheckpoint && replay.count === 0 && checked > 0) {
    broken.push({ instanceId: '', reason: `${checked} audit rows and no checkpoint: nothing signed covers them (audit_checkpoints emptied?); give --allow-unchecked-tail to check the chains alone` });
  }
  broken.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : (a.seq ?? 0) - (b.seq ?? 0)));
  return { ok: broken.length === 0, checked, checkpoints: replay.count, covered: replay.latest?.rowCount ?? 0, broken };
}

/** Every side-chain head a checkpoint signed must still be that row of its chain (a re-hashed chain is not). */
async function checkSideHeads(db: Kysely<Database>, replay: CheckpointReplay, broken: AuditBreak[]): Promise<void> {
  for (const h of replay.sideHistory) {
    const row = await sql<{ hash: string }>`SELECT hash FROM ${sql.table(h.table)} WHERE seq = ${h.seq}`.execute(db);
    const hash = row.rows[0]?.hash;
    if (hash === undefined) broken.push({ instanceId: '', checkpointId: h.checkpointId, reason: `${h.table} row ${h.seq}, signed by checkpoint #${h.checkpointId}, is missing (rows removed)` });
    else if (hash !== h.hash) broken.push({ instanceId: '', checkpointId: h.checkpointId, reason: `${h.table} row ${h.seq} differs from the head signed by checkpoint #${h.checkpointId} (chain rewritten)` });
  }
}

async function walkChains(
  db: Kysely<Database>,
  replay: CheckpointReplay,
  broken: AuditBreak[],
  batchSize: number,
  onProgress: ((checked: number) => void) | undefined,
): Promise<number> {
  const projection = sql.raw(await hashedProjection(db));
  const asOf = replay.latest?.asOf ?? null;
  const latestId = replay.latest?.id;
  let checked = 0;
  let chain: Chain | null = null;
  let after: { instance: string; seq: number } | null = null;

  const fail = (c: Chain, b: Omit<AuditBreak, 'instanceId'>) => {
    c.broken = true;
    broken.push({ instanceId: c.instance, ...b });
  };
  // At the end of a chain: its rows up to as_of must be exactly those up to the recorded head.
  const finish = (c: Chain) => {
    const head = replay.heads.get(c.instance);
    if (head) head.seen = true;
    if (c.broken) return;
    if (!head) {
      if (c.coveredSeq > 0) fail(c, { seq: 1, checkpointId: latestId, reason: `chain has rows created before checkpoint #${latestId} but is not in it (rows added)` });
    } else if (c.coveredSeq < head.seq) {
      fail(c, { seq: c.coveredSeq + 1, checkpointId: head.checkpointId, reason: `checkpoint #${head.checkpointId} recorded the chain up to seq ${head.seq}, but only ${c.coveredSeq} rows predate it (rows removed)` });
    } else if (c.coveredSeq > head.seq) {
      fail(c, { seq: head.seq + 1, checkpointId: latestId, reason: `row predates checkpoint #${latestId} but is not in it: checkpoint #${head.checkpointId} recorded the chain up to seq ${head.seq} (row added)` });
    } else if (c.coveredHash !== head.hash) {
      fail(c, { seq: head.seq, checkpointId: head.checkpointId, reason: `hash differs from the head recorded by checkpoint #${head.checkpointId} (chain rewritten)` });
    }
  };

  for (;;) {
    const where: RawBuilder<unknown> = after ? sql`WHERE (instance_id, seq) > (${after.instance}::uuid, ${after.seq})` : sql``;
    const page: QueryResult<Row> = await sql<Row>`SELECT ${projection} FROM audit_events ${where} ORDER BY instance_id, seq LIMIT ${batchSize}`.execute(db);
    for (const row of page.rows) {
      checked++;
      if (!chain || chain.instance !== row.instance_id) {
        if (chain) finish(chain);
        chain = { instance: row.instance_id, lastSeq: 0, lastHash: null, coveredSeq: 0, coveredHash: null, uncoveredSeen: false, broken: false };
      }
      const c: Chain = chain;
      if (c.broken) continue;
      const expected = c.lastSeq + 1;
      if (row.seq !== expected) {
        fail(c, { seq: expected, reason: `row ${expected} is missing: the chain goes from seq ${c.lastSeq} to ${row.seq}` });
      } else if (rowHash(row) !== row.hash) {
        fail(c, { seq: row.seq, reason: 'hash does not match the row (row altered)' });
      } else if (row.prev_hash !== c.lastHash) {
        fail(c, { seq: row.seq, reason: `prev_hash does not match the hash of row ${c.lastSeq} (one of them was altered or replaced)` });
      } else if (asOf !== null && row.created_at <= asOf) {
        if (c.uncoveredSeen) {
          fail(c, { seq: row.seq, checkpointId: latestId, reason: `created_at ${row.created_at} predates checkpoint #${latestId} yet follows a later row (row added or back-dated)` });
        }
        c.coveredSeq = row.seq;
        c.coveredHash = row.hash;
      } else {
        c.uncoveredSeen = true;
      }
      c.lastSeq = row.seq;
      c.lastHash = row.hash;
    }
    onProgress?.(checked);
    if (page.rows.length < batchSize) break;
    const last: Row = page.rows[page.rows.length - 1]!;
    after = { instance: last.instance_id, seq: last.seq };
  }
  if (chain) finish(chain);
  return checked;
}
