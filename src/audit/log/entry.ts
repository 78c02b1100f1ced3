import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/types';
import { canonicalJson } from '../hash';
import { leafHash } from '../tlog';
import { LogError } from './errors';
import { isEntryColumn, isLogSource, keyMatches, parseKey, readProjections, type LogSource } from './sources';

/** The version of the leaf entry's canonical form ("v" in the entry). */
export const LEAF_ENTRY_VERSION = 1;

/**
 * A leaf entry, format 1: the UTF-8 bytes of the RFC 8785 (JCS) form of
 *   {"v":1,"source":<table>,"key":<key>,"salt":<log_salt>,"row":{<hashed row>}}
 * where the hashed row is every column of the source row except log_xid and log_salt (and
 * documents.bytes), in the form chain hashes use: integers and booleans as JSON values,
 * timestamptz as grms_ts() text, everything else as PostgreSQL text, null columns omitted. The
 * leaf hash is SHA-256(0x00 ‖ entry) (RFC 9162). The random salt keeps the public tree from
 * revealing a row anyone could guess; whoever may read the row can be given the entry.
 */
export function leafEntry(source: LogSource, key: string, salt: string, row: Readonly<Record<string, unknown>>): Buffer {
  const hashed: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === null || value === undefined || !isEntryColumn(source, column)) continue;
    hashed[column] = value;
  }
  return Buffer.from(canonicalJson({ v: LEAF_ENTRY_VERSION, source, key, salt, row: hashed }), 'utf8');
}

export interface LeafEntryRecord {
  source: LogSource;
  key: string;
  /** The canonical entry as text (its UTF-8 bytes are what the leaf hash covers). */
  entry: string;
  salt: string;
  /** The leaf's index in the log; null until the integrator has taken the row. */
  idx: number | null;
  /** SHA-256(0x00 ‖ entry), as the log stores it. */
  leafHash: Buffer;
}

/**
 * The leaf entry of one source row as it stands in the database, with its salt and leaf index:
 * for those who may read the row (auditors, exports, a document's evidence bundle). Throws
 * LOG_ROW_NOT_FOUND when no such row exists.
 */
export async function readLeafEntry(db: Kysely<Database> | Transaction<Database>, source: LogSource, key: string): Promise<LeafEntryRecord> {
  if (!isLogSource(source)) throw new LogError('LOG_RANGE', `"${String(source)}" is not a source of log leaves`);
  const values = parseKey(source, key);
  if (!values) throw new LogError('LOG_ROW_NOT_FOUND', `"${key}" is not a key of ${source}`);
  const projections = await readProjections(db);
  const found = await sql<Record<string, unknown> & { _log_salt: string; _log_idx: number | null }>`
    SELECT s.log_salt AS _log_salt, (SELECT l.idx FROM log_leaves l WHERE l.source = ${source} AND l.source_key = ${key}) AS _log_idx,
           ${projections[source]}
    FROM ${sql.table(source)} AS s WHERE ${keyMatches(source, values)}`.execute(db);
  const r = found.rows[0];
  if (!r) throw new LogError('LOG_ROW_NOT_FOUND', `${source} has no row ${key}`);
  const { _log_salt: salt, _log_idx: idx, ...row } = r;
  const entry = leafEntry(source, key, salt, row);
  return { source, key, entry: entry.toString('utf8'), salt, idx: idx === null ? null : Number(idx), leafHash: leafHash(entry) };
}
