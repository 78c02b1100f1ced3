import crypto from 'node:crypto';

/**
 * RFC 9162 §2.1.1 tree hashing: the leaf and interior-node prefixes keep a leaf from ever being
 * read as an interior node (second-preimage resistance). Hashes are raw 32-byte Buffers.
 */
export const HASH_SIZE = 32;

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_TREE_HASH: Buffer = crypto.createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(entry: Buffer | string): Buffer {
  return crypto.createHash('sha256').update(Buffer.from([0])).update(entry).digest();
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return crypto.createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/** The largest power of two strictly smaller than n (n >= 2): where RFC 9162 splits a tree. */
export function splitPoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2) throw new RangeError(`splitPoint needs n >= 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
