import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { rowHash } from './hash';

/**
 * The single-chain tables beside audit_events (people_events, org_events, ceiling_events): one
 * chain per table, seq 1, 2, 3 …, each row's prev_hash the hash of the row before, hashed like
 * audit rows (integer columns as numbers, so give them as numbers).
 */
export type SideChainTable = 'people_events' | 'org_events' | 'ceiling_events';

export interface SideChainResult {
  ok: boolean;
  checked: number;
  broken: Array<{ seq: number; reason: string }>;
}

/** Appends one row (its own columns, without seq/created_at/prev_hash/hash) inside the caller's transaction. */
export async function appendToSideChain(trx: Transaction<Database>, table: SideChainTable, columns: Record<string, string | number | null>): Promise<void> {
  // One chain for the whole table: writers take turns (these changes are rare).
  await sql`LOCK TABLE ${sql.table(table)} IN EXCLUSIVE MODE`.execute(trx);
  const head = await sql<{ seq: string; hash: string }>`SELECT seq, hash FROM ${sql.table(table)} ORDER BY seq DESC LIMIT 1`.execute(trx);
  const now = await sql<{ ts: string }>`SELECT grms_ts(clock_timestamp()) AS ts`.execute(trx);
  const row: Record<string, unknown> = {
    seq: head.rows[0] ? Number(head.rows[0].seq) + 1 : 1, ...columns, created_at: now.rows[0]!.ts, prev_hash: head.rows[0]?.hash ?? null,
  };
  row.hash = rowHash(row);
  const names = Object.keys(row);
  const values = names.map((n) => (n === 'created_at' ? sql`${row[n]}::timestamptz` : sql`${row[n]}`));
  await sql`INSERT INTO ${sql.table(table)} (${sql.join(names.map((n) => sql.ref(n)))}) VALUES (${sql.join(values)})`.execute(trx);
}

/** Recomputes a side chain; `columns` are the table's own columns (as given to appendToSideChain). */
export async function verifySideChain(db: Kysely<Database>, table: SideChainTable, columns: readonly string[]): Promise<SideChainResult> {
  const rows = await sql<Record<string, unknown> & { seq: string; hash: string; prev_hash: string | null }>`
    SELECT seq, ${sql.join(columns.map((c) => sql.ref(c)))}, grms_ts(created_at) AS created_at, prev_hash, hash
    FROM ${sql.table(table)} ORDER BY seq`.execute(db);
  const broken: SideChainResult['broken'] = [];
  let prev: string | null = null;
  let expected = 1;
  for (const r of rows.rows) {
    const seq = Number(r.seq);
    if (seq !== expected) broken.push({ seq: expected, reason: `row ${expected} is missing` });
    else if (rowHash({ ...r, seq }) !== r.hash) broken.push({ seq, reason: 'hash does not match the row (row altered)' });
    else if (r.prev_hash !== prev) broken.push({ seq, reason: 'prev_hash does not match the previous row' });
    if (broken.length) break;
    prev = r.hash;
    expected++;
  }
  return { ok: broken.length === 0, checked: rows.rows.length, broken };
}
