import crypto from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { ADVISORY, tryAdvisoryXactLock } from '../db/advisory';
import { canonicalJson, type Head } from './hash';
import { HeadTree, sortHeads } from './merkle';
import type { CheckpointKey } from './keys';

/** A signed checkpoint as stored; asOf is grms_ts text. */
export interface Checkpoint {
  id: number;
  asOf: string;
  rowCount: number;
  /** Number of chains in the Merkle tree (all chains, not only the moved ones). */
  headCount: number;
  /** Heads of the chains that moved since the previous checkpoint, by instance. */
  heads: Head[];
  merkleRoot: string;
  previousId: number | null;
  /** Ed25519 over checkpointMessage(), base64. */
  signature: string;
  keyName: string;
  /** 1 (absent in old exports): audit_events heads only; 2: also the side chains' heads. */
  format?: CheckpointFormat;
  /** Format 2: the head (seq, hash) of each side chain as of this checkpoint, null while it is empty. */
  sideHeads?: SideHeads | null;
}

export type CheckpointFormat = 1 | 2;
/** The format new checkpoints are written in. */
export const CHECKPOINT_FORMAT: CheckpointFormat = 2;

/** The single-chain tables a format-2 checkpoint signs the heads of. */
export const SIDE_CHAINS = ['people_events', 'org_events'] as const;
export type SideHeads = Record<(typeof SIDE_CHAINS)[number], { seq: number; hash: string } | null>;

/** The exact bytes a checkpoint's signature covers: the JCS form of every field but the signature. */
export function checkpointMessage(c: Omit<Checkpoint, 'signature'>): Buffer {
  const format = c.format ?? 1;
  if (format !== 1 && format !== 2) throw new Error(`unknown checkpoint format ${String(format)}`);
  return Buffer.from(
    canonicalJson({
      type: `grms-audit-checkpoint/${format}`,
      ...(format === 2 ? { side_heads: c.sideHeads ?? null } : {}),
      id: c.id,
      as_of: c.asOf,
      row_count: c.rowCount,
      head_count: c.headCount,
      heads: c.heads,
      merkle_root: c.merkleRoot,
      previous_id: c.previousId,
      key_name: c.keyName,
    }),
    'utf8',
  );
}

/** Selects a checkpoint row in its Checkpoint shape (as_of through grms_ts). */
export function selectCheckpoints(db: Kysely<Database> | Transaction<Database>) {
  return db
    .selectFrom('audit_checkpoints')
    .select([
      'id', 'row_count', 'head_count', 'heads', 'merkle_root', 'previous_id', 'signature', 'key_name', 'format', 'side_heads',
      sql<string>`grms_ts(as_of)`.as('as_of_text'),
    ]);
}

type CheckpointRow = Awaited<ReturnType<ReturnType<typeof selectCheckpoints>['execute']>>[number];

export function toCheckpoint(r: CheckpointRow): Checkpoint {
  const c: Checkpoint = {
    id: r.id, asOf: r.as_of_text, rowCount: r.row_count, headCount: r.head_count, heads: r.heads,
    merkleRoot: r.merkle_root, previousId: r.previous_id, signature: r.signature, keyName: r.key_name,
  };
  // Format 1 keeps its old shape, so exports of old checkpoints read as before.
  if (r.format === 2) Object.assign(c, { format: 2, sideHeads: (r.side_heads as SideHeads | null) ?? null });
  return c;
}

/** The current head of each side chain (read inside the checkpoint's transaction). */
async function readSideHeads(trx: Transaction<Database>): Promise<SideHeads> {
  const out = {} as SideHeads;
  for (const table of SIDE_CHAINS) {
    const r = await sql<{ seq: string; hash: string }>`SELECT seq, hash FROM ${sql.table(table)} ORDER BY seq DESC LIMIT 1`.execute(trx);
    out[table] = r.rows[0] ? { seq: Number(r.rows[0].seq), hash: r.rows[0].hash } : null;
  }
  return out;
}

function sameSideHeads(a: SideHeads | null | undefined, b: SideHeads): boolean {
  return SIDE_CHAINS.every((t) => (a?.[t]?.seq ?? 0) === (b[t]?.seq ?? 0) && (a?.[t]?.hash ?? null) === (b[t]?.hash ?? null));
}

interface HeadState {
  /** The checkpoint these heads are as of; 0 = none. */
  id: number;
  tree: HeadTree;
}

// All heads as of the latest checkpoint this process knows, so a checkpoint only reads the
// checkpoints written since (by any process) instead of every checkpoint or every chain.
const headCache = new WeakMap<Kysely<Database>, HeadState>();

async function catchUp(trx: Transaction<Database>, state: HeadState, latestId: number): Promise<void> {
  if (state.id > latestId) {
    // A checkpoint of ours failed, or the database went back (restored backup): start over.
    state.id = 0;
    state.tree = new HeadTree();
  }
  while (state.id < latestId) {
    const rows = await trx
      .selectFrom('audit_checkpoints')
      .select(['id', 'heads'])
      .where('id', '>', state.id)
      .where('id', '<=', latestId)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      for (const h of r.heads) state.tree.set(h);
      state.id = r.id;
    }
  }
}

export interface CheckpointOptions {
  /** How long to wait for in-flight appends before giving up (appends queue behind us meanwhile). */
  lockTimeoutMs?: number;
}

/**
 * Records a signed checkpoint of every chain that moved since the previous one. Returns null when
 * another process is taking a checkpoint right now. When nothing moved it writes nothing and
 * returns the previous checkpoint (created: false), or null if there has never been one.
 */
export async function createCheckpoint(
  db: Kysely<Database>,
  key: CheckpointKey,
  opts: CheckpointOptions = {},
): Promise<(Checkpoint & { created: boolean }) | null> {
  let cache = headCache.get(db);
  if (!cache) headCache.set(db, (cache = { id: 0, tree: new HeadTree() }));
  const state = cache;
  // READ COMMITTED on purpose: every statement after the LOCK must see the appends that committed
  // while we waited for it (a REPEATABLE READ snapshot could predate them).
  return db
    .transaction()
    .setIsolationLevel('read committed')
    .execute((trx) => checkpointIn(trx, key, state, opts));
}

async function checkpointIn(
  trx: Transaction<Database>,
  key: CheckpointKey,
  state: HeadState,
  opts: CheckpointOptions,
): Promise<(Checkpoint & { created: boolean }) | null> {
  if (!(await tryAdvisoryXactLock(trx, ADVISORY.checkpoint))) return null;
  const previousRow = await selectCheckpoints(trx).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const previous = previousRow ? toCheckpoint(previousRow) : null;
  // Old checkpoints are read before the table lock, so appends are not held up by it.
  await catchUp(trx, state, previous?.id ?? 0);

  await sql.raw(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(opts.lockTimeoutMs ?? 5000))}`).execute(trx);
  await sql`LOCK TABLE audit_events IN SHARE MODE`.execute(trx);
  const asOf = (await sql<{ ts: string }>`SELECT grms_ts(clock_timestamp()) AS ts`.execute(trx)).rows[0]!.ts;
  const since = previous ? sql`created_at > ${previous.asOf}::timestamptz AND` : sql``;
  const moved = await sql<Head>`
    SELECT DISTINCT ON (instance_id) instance_id::text AS instance, seq, hash
    FROM audit_events WHERE ${since} created_at <= ${asOf}::timestamptz
    ORDER BY instance_id, seq DESC`.execute(trx);
  const sideHeads = await readSideHeads(trx);
  const sideMoved = !sameSideHeads(previous?.sideHeads, sideHeads);
  if (moved.rows.length === 0 && !sideMoved) return previous ? { ...previous, created: false } : null;
  const added = await sql<{ n: number }>`
    SELECT count(*)::int8 AS n FROM audit_events WHERE ${since} created_at <= ${asOf}::timestamptz`.execute(trx);

  const heads = sortHeads(moved.rows.map((h) => ({ instance: h.instance, seq: h.seq, hash: h.hash })));
  // Until this checkpoint commits the tree is ahead of the table; if we fail, the next call finds
  // id > latest and rebuilds it.
  state.id = Number.MAX_SAFE_INTEGER;
  for (const h of heads) state.tree.set(h);
  const idRow = await sql<{ id: number }>`
    SELECT nextval(pg_get_serial_sequence('audit_checkpoints', 'id'))::int8 AS id`.execute(trx);
  const unsigned: Omit<Checkpoint, 'signature'> = {
    id: idRow.rows[0]!.id,
    asOf,
    rowCount: (previous?.rowCount ?? 0) + added.rows[0]!.n,
    headCount: state.tree.size,
    heads,
    merkleRoot: state.tree.root(),
    previousId: previous?.id ?? null,
    keyName: key.name,
    format: CHECKPOINT_FORMAT,
    sideHeads,
  };
  const signature = crypto.sign(null, checkpointMessage(unsigned), key.privateKey).toString('base64');
  await trx
    .insertInto('audit_checkpoints')
    .values({
      id: unsigned.id,
      as_of: sql`${asOf}::timestamptz` as never,
      row_count: unsigned.rowCount,
      head_count: unsigned.headCount,
      heads: JSON.stringify(heads),
      merkle_root: unsigned.merkleRoot,
      previous_id: unsigned.previousId,
      signature,
      key_name: unsigned.keyName,
      format: CHECKPOINT_FORMAT,
      side_heads: JSON.stringify(sideHeads),
    })
    .execute();
  state.id = unsigned.id;
  return { ...unsigned, signature, created: true };
}
