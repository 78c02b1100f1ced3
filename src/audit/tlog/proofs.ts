import { EMPTY_TREE_HASH, HASH_SIZE, nodeHash, splitPoint } from './hash';

const rootHashOfNothing = (): Buffer => Buffer.from(EMPTY_TREE_HASH);

/**
 * RFC 9162 §2.1 Merkle tree proofs over a tree stored as its complete, aligned subtrees: node
 * (level, index) is the hash of leaves [index·2^level, (index+1)·2^level); level 0 is the leaf
 * hashes. Every range the RFC algorithms ask for starts at a multiple of its largest power of two,
 * so it is a short list of such nodes; a proof fetches all of them in one call.
 */
export interface NodeId {
  level: number;
  index: number;
}

export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

/** Must return a hash for every id asked, keyed by nodeKey. */
export type FetchNodes = (ids: NodeId[]) => Promise<Map<string, Buffer>>;

/** A leaf range [start, end), end > start. */
type Range = readonly [number, number];

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

/** The complete aligned subtrees that make up [start, end), left to right. */
function rangeNodes(start: number, end: number, out: NodeId[] = []): NodeId[] {
  const width = end - start;
  if (isPowerOfTwo(width) && start % width === 0) {
    out.push({ level: Math.round(Math.log2(width)), index: start / width });
    return out;
  }
  const k = splitPoint(width);
  rangeNodes(start, start + k, out);
  rangeNodes(start + k, end, out);
  return out;
}

async function hashRanges(ranges: readonly Range[], fetch: FetchNodes): Promise<Buffer[]> {
  const ids = new Map<string, NodeId>();
  for (const [s, e] of ranges) for (const id of rangeNodes(s, e)) ids.set(nodeKey(id), id);
  const got = ids.size ? await fetch([...ids.values()]) : new Map<string, Buffer>();
  return hashRangesFrom(ranges, got);
}

/**
 * The hashes of `ranges` from complete subtrees already fetched (keyed by nodeKey). `memo` keeps
 * the hashes of ranges that are not complete subtrees (the tree's right edge) across calls.
 */
function hashRangesFrom(ranges: readonly Range[], got: ReadonlyMap<string, Buffer>, memo?: Map<string, Buffer>): Buffer[] {
  const nodeAt = (id: NodeId): Buffer => {
    const h = got.get(nodeKey(id));
    if (!h || h.length !== HASH_SIZE) throw new Error(`tree node ${nodeKey(id)} is missing`);
    return h;
  };
  const hashOf = (s: number, e: number): Buffer => {
    const width = e - s;
    if (isPowerOfTwo(width) && s % width === 0) return nodeAt({ level: Math.round(Math.log2(width)), index: s / width });
    const key = `${s}-${e}`;
    const known = memo?.get(key);
    if (known) return known;
    const k = splitPoint(width);
    const h = nodeHash(hashOf(s, s + k), hashOf(s + k, e));
    memo?.set(key, h);
    return h;
  };
  return ranges.map(([s, e]) => hashOf(s, e));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[start:end]) as the ranges whose hashes make the proof. */
function pathRanges(m: number, start: number, end: number, out: Range[]): void {
  const n = end - start;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    pathRanges(m, start, start + k, out);
    out.push([start + k, end]);
  } else {
    pathRanges(m - k, start + k, end, out);
    out.push([start, start + k]);
  }
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b). */
function subproofRanges(m: number, start: number, end: number, b: boolean, out: Range[]): void {
  const n = end - start;
  if (m === n) {
    if (!b) out.push([start, end]);
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproofRanges(m, start, start + k, b, out);
    out.push([start + k, end]);
  } else {
    subproofRanges(m - k, start + k, end, false, out);
    out.push([start, start + k]);
  }
}

export async function treeRoot(size: number, fetch: FetchNodes): Promise<Buffer> {
  checkSize('size', size);
  if (size === 0) return rootHashOfNothing();
  return (await hashRanges([[0, size]], fetch))[0]!;
}

export async function inclusionProof(index: number, size: number, fetch: FetchNodes): Promise<Buffer[]> {
  checkSize('size', size);
  checkSize('index', index);
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const ranges: Range[] = [];
  pathRanges(index, 0, size, ranges);
  return hashRanges(ranges, fetch);
}

/**
 * Many inclusion proofs in the tree of `size` at once (an export proves thousands of rows a page
 * at a time): the stored nodes all of them need are fetched in one call, and the hashes of the
 * tree's right edge are computed once for all of them. The same proofs as inclusionProof.
 */
export async function inclusionProofs(indexes: readonly number[], size: number, fetch: FetchNodes): Promise<Buffer[][]> {
  checkSize('size', size);
  const paths = indexes.map((index) => {
    checkSize('index', index);
    if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
    const ranges: Range[] = [];
    pathRanges(index, 0, size, ranges);
    return ranges;
  });
  const ids = new Map<string, NodeId>();
  for (const ranges of paths) for (const [s, e] of ranges) for (const id of rangeNodes(s, e)) ids.set(nodeKey(id), id);
  const got = ids.size ? await fetch([...ids.values()]) : new Map<string, Buffer>();
  const memo = new Map<string, Buffer>();
  return paths.map((ranges) => hashRangesFrom(ranges, got, memo));
}

/** Empty when oldSize is 0 or equals newSize (nothing to prove). */
export async function consistencyProof(oldSize: number, newSize: number, fetch: FetchNodes): Promise<Buffer[]> {
  checkSize('oldSize', oldSize);
  checkSize('newSize', newSize);
  if (oldSize > newSize) throw new RangeError(`a tree of size ${newSize} cannot extend one of size ${oldSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const ranges: Range[] = [];
  subproofRanges(oldSize, 0, newSize, true, ranges);
  return hashRanges(ranges, fetch);
}

/**
 * The complete subtrees (level >= 1) that appending `leaves` (leaf hashes) to a tree of oldSize
 * completes, bottom-up. The old tree's right edge is fetched; the new leaves themselves (level 0)
 * are the caller's to store.
 */
export async function appendNodes(oldSize: number, leaves: Buffer[], fetch: FetchNodes): Promise<Array<NodeId & { hash: Buffer }>> {
  checkSize('oldSize', oldSize);
  const known = oldSize > 0 ? await fetch(rangeNodes(0, oldSize)) : new Map<string, Buffer>();
  const node = (id: NodeId): Buffer => {
    const h = known.get(nodeKey(id));
    if (!h) throw new Error(`tree node ${nodeKey(id)} is missing`);
    return h;
  };
  const made: Array<NodeId & { hash: Buffer }> = [];
  leaves.forEach((leaf, i) => {
    const index = oldSize + i;
    known.set(nodeKey({ level: 0, index }), leaf);
    // Leaf `index` completes the subtree of level l that it ends, for every l with 2^l dividing index+1.
    let width = 2;
    let level = 1;
    while ((index + 1) % width === 0) {
      const at = { level, index: (index + 1) / width - 1 };
      const hash = nodeHash(node({ level: level - 1, index: 2 * at.index }), node({ level: level - 1, index: 2 * at.index + 1 }));
      known.set(nodeKey(at), hash);
      made.push({ ...at, hash });
      width *= 2;
      level++;
    }
  });
  return made;
}

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: Buffer[], root: Buffer): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(root);
}

/**
 * RFC 9162 §2.1.4.2, exactly as the reference vectors expect: equal sizes need equal roots and an
 * empty proof, and an old size of 0 is refused (nothing to prove). A witness's first checkpoint
 * (old 0) is accepted by the witness protocol itself, without calling this.
 */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Buffer, newRoot: Buffer, proof: Buffer[]): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && oldRoot.equals(newRoot);
  if (oldRoot.length !== HASH_SIZE || newRoot.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) { fn = half(fn); sn = half(sn); }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(oldRoot) && sr.equals(newRoot);
}

/** MTH over leaf hashes held in memory. */
export function rootOf(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return rootHashOfNothing();
  const mth = (s: number, e: number): Buffer => {
    if (e - s === 1) return leaves[s]!;
    const k = splitPoint(e - s);
    return nodeHash(mth(s, s + k), mth(s + k, e));
  };
  return mth(0, leaves.length);
}

/** A FetchNodes over leaf hashes held in memory (tests, small verifiers). */
export function memoryNodes(leaves: Buffer[]): FetchNodes {
  return async (ids) => {
    const out = new Map<string, Buffer>();
    for (const id of ids) {
      const width = 2 ** id.level;
      const start = id.index * width;
      if (start + width > leaves.length) throw new Error(`tree node ${nodeKey(id)} is beyond ${leaves.length} leaves`);
      out.set(nodeKey(id), rootOf(leaves.slice(start, start + width)));
    }
    return out;
  };
}
