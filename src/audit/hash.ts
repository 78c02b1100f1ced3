import crypto from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * Terminology of the audit trail:
 * - chain: the audit rows of one workflow instance, seq 1, 2, 3 …, each row's prev_hash being the
 *   hash of the row before it.
 * - row hash: SHA-256 (hex) of the RFC 8785 (JCS) form of every column except `hash`, null columns
 *   omitted, so a nullable column added later leaves older rows verifiable.
 * - head: the last row of a chain as a checkpoint saw it: (instance, seq, hash).
 * - checkpoint: a signed record of the heads that moved since the previous checkpoint plus a Merkle
 *   root over all heads (see merkle.ts), so removed rows, removed chains and back-dated rows are
 *   caught.
 */

/** A chain head as stored in audit_checkpoints.heads. */
export interface Head {
  instance: string;
  seq: number;
  hash: string;
}

export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** RFC 8785 canonical JSON; throws on values JSON cannot represent (undefined, NaN, Infinity). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/** SHA-256 hex of the JCS form of an event payload, stored in audit_events.payload_digest. */
export function payloadDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/**
 * The hash of an audit row given as { column: value }. Values must already be in their hashed
 * form: integers as numbers, timestamptz as grms_ts() text, everything else as PostgreSQL text.
 */
export function rowHash(row: Readonly<Record<string, unknown>>): string {
  const hashed: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === 'hash' || value === null || value === undefined) continue;
    hashed[column] = value;
  }
  return sha256Hex(canonicalJson(hashed));
}
