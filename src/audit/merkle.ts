import crypto from 'node:crypto';
import { canonicalJson, type Head } from './hash';

/**
 * The Merkle tree over all chain heads that a checkpoint signs: a binary Merkle tree whose leaves
 * are the heads in instance id order and whose shape is a crit-bit (Patricia) trie over the
 * instance id's 128 bits, so one moved head costs one path of hashes instead of the whole tree
 * (verification replays every checkpoint).
 *
 *   leaf(h)        = SHA-256(0x00 || JCS({"hash": h.hash, "instance": h.instance, "seq": h.seq}))
 *   T({h})         = leaf(h)
 *   T(S), |S| >= 2 = SHA-256(0x01 || T(S0) || T(S1)), split at the first bit (most significant
 *                    first) where the ids in S differ; S0 = ids with a 0 there
 *   T({})          = SHA-256 of the empty string
 * The root is hex; hashes inside the tree are the raw 32 bytes.
 */

type Node =
  | { kind: 'leaf'; key: bigint; head: Head; hash: Buffer }
  | { kind: 'branch'; bit: number; key: bigint; left: Node; right: Node; hash: Buffer };

const LEAF = Buffer.from([0]);
const BRANCH = Buffer.from([1]);
const EMPTY_ROOT = crypto.createHash('sha256').digest('hex');

function keyOf(instance: string): bigint {
  const hex = instance.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError(`"${instance}" is not a lower-case uuid`);
  return BigInt(`0x${hex}`);
}

/** Bit `i` of a 128-bit key, bit 0 being the most significant. */
function bitAt(key: bigint, i: number): number {
  return Number((key >> BigInt(127 - i)) & 1n);
}

function firstDifferentBit(a: bigint, b: bigint): number {
  return 128 - (a ^ b).toString(2).length;
}

function leaf(head: Head): Node {
  const data = canonicalJson({ hash: head.hash, instance: head.instance, seq: head.seq });
  const hash = crypto.createHash('sha256').update(LEAF).update(data).digest();
  return { kind: 'leaf', key: keyOf(head.instance), head, hash };
}

function branch(bit: number, left: Node, right: Node): Node {
  const hash = crypto.createHash('sha256').update(BRANCH).update(left.hash).update(right.hash).digest();
  return { kind: 'branch', bit, key: left.key, left, right, hash };
}

function upsert(node: Node | null, added: Node & { kind: 'leaf' }): Node {
  if (!node) return added;
  if (node.kind === 'leaf' && node.key === added.key) return added;
  // Every key below `node` shares its first `node.bit` bits (all 128 for a leaf).
  const d = firstDifferentBit(node.key, added.key);
  const depth = node.kind === 'leaf' ? 128 : node.bit;
  if (d < depth) return bitAt(added.key, d) ? branch(d, node, added) : branch(d, added, node);
  const b = node as Node & { kind: 'branch' };
  return bitAt(added.key, b.bit) ? branch(b.bit, b.left, upsert(b.right, added)) : branch(b.bit, upsert(b.left, added), b.right);
}

/** All chain heads, with the Merkle root kept up to date as heads move. */
export class HeadTree {
  private top: Node | null = null;
  private readonly heads = new Map<string, Head>();

  get size(): number {
    return this.heads.size;
  }

  get(instance: string): Head | undefined {
    return this.heads.get(instance);
  }

  /** Adds a chain or moves its head. */
  set(head: Head): void {
    const copy = { instance: head.instance, seq: head.seq, hash: head.hash };
    this.top = upsert(this.top, leaf(copy) as Node & { kind: 'leaf' });
    this.heads.set(copy.instance, copy);
  }

  root(): string {
    return this.top ? this.top.hash.toString('hex') : EMPTY_ROOT;
  }
}

/** The Merkle root over a set of heads (one per instance), computed from scratch. */
export function merkleRoot(heads: Iterable<Head>): string {
  const tree = new HeadTree();
  for (const h of heads) tree.set(h);
  return tree.root();
}

/** Heads in instance id order (lower-case uuid text sorts like PostgreSQL's uuid). */
export function sortHeads(heads: Head[]): Head[] {
  return heads.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
}
