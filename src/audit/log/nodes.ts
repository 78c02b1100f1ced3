import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/types';
import { consistencyProof, inclusionProof, nodeKey, treeRoot, type FetchNodes, type NodeId } from '../tlog';
import { LogError } from './errors';

type Q = Kysely<Database> | Transaction<Database>;

/** bytea comes back as a Buffer from pg and as a Uint8Array from PGlite. */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The stored tree as FetchNodes: level 0 from log_leaves, complete subtrees from log_nodes, every
 * id asked in one query. A node that is not there is a damaged tree (LOG_TREE_DAMAGED): the
 * proofs ask only for nodes inside the tree.
 */
export function storedNodes(db: Q): FetchNodes {
  return async (ids: NodeId[]) => {
    const out = new Map<string, Buffer>();
    if (ids.length === 0) return out;
    const leaves = ids.filter((id) => id.level === 0).map((id) => id.index);
    const inner = ids.filter((id) => id.level > 0);
    // Array literals of integers only: the same on pg and PGlite, whatever their array parameter support.
    const list = (xs: number[]) => `{${xs.map((x) => String(Math.trunc(x))).join(',')}}`;
    const rows = await sql<{ level: number; idx: number; hash: Uint8Array }>`
      SELECT 0 AS level, idx, leaf_hash AS hash FROM log_leaves WHERE idx = ANY(${list(leaves)}::bigint[])
      UNION ALL
      SELECT n.level::int, n.idx, n.hash FROM log_nodes n
        JOIN unnest(${list(inner.map((i) => i.level))}::smallint[], ${list(inner.map((i) => i.index))}::bigint[]) AS u(level, idx)
          ON n.level = u.level AND n.idx = u.idx`.execute(db);
    for (const r of rows.rows) out.set(nodeKey({ level: Number(r.level), index: Number(r.idx) }), asBuffer(r.hash));
    const missing = ids.find((id) => !out.has(nodeKey(id)));
    if (missing) {
      throw new LogError('LOG_TREE_DAMAGED', `the log's tree node ${nodeKey(missing)} (level/index) is missing: leaves or nodes were removed`);
    }
    return out;
  };
}

/** The tree size as the last integration left it (0 before the first). */
export async function logSize(db: Q): Promise<number> {
  const r = await db.selectFrom('log_integrations').select('size').orderBy('size', 'desc').limit(1).executeTakeFirst();
  return r ? Number(r.size) : 0;
}

async function checkSize(db: Q, size: number, what: string): Promise<void> {
  if (!Number.isSafeInteger(size) || size < 0) throw new LogError('LOG_RANGE', `${what} must be a non-negative integer`);
  const current = await logSize(db);
  if (size > current) throw new LogError('LOG_RANGE', `${what} ${size} is beyond the log's ${current} leaves`);
}

/** The root hash of the tree's first `size` leaves (RFC 9162 MTH). */
export async function logRoot(db: Q, size: number): Promise<Buffer> {
  await checkSize(db, size, 'size');
  return treeRoot(size, storedNodes(db));
}

/** RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves. */
export async function logInclusionProof(db: Q, index: number, size: number): Promise<Buffer[]> {
  await checkSize(db, size, 'size');
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new LogError('LOG_RANGE', `leaf ${index} is not in a tree of ${size} leaves`);
  return inclusionProof(index, size, storedNodes(db));
}

/** RFC 9162 consistency proof from the tree of `oldSize` leaves to the tree of `newSize` (empty for 0 or equal sizes). */
export async function logConsistencyProof(db: Q, oldSize: number, newSize: number): Promise<Buffer[]> {
  await checkSize(db, newSize, 'new size');
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) throw new LogError('LOG_RANGE', `old size ${oldSize} must be between 0 and the new size ${newSize}`);
  return consistencyProof(oldSize, newSize, storedNodes(db));
}

/** One stored node: a leaf hash (level 0) or a complete subtree; LOG_RANGE when it is not (yet) in the tree. */
export async function logNode(db: Q, level: number, index: number): Promise<Buffer> {
  if (!Number.isSafeInteger(level) || level < 0 || level > 62 || !Number.isSafeInteger(index) || index < 0) {
    throw new LogError('LOG_RANGE', 'level must be 0..62 and index a non-negative integer');
  }
  const size = await logSize(db);
  if ((index + 1) * 2 ** level > size) throw new LogError('LOG_RANGE', `node ${level}/${index} is not a complete subtree of the log's ${size} leaves`);
  return (await storedNodes(db)([{ level, index }])).get(nodeKey({ level, index }))!;
}
