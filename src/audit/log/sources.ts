import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db/types';
import { isRowColumn } from './columns';

/**
 * Terminology of the transparency log (src/audit/log/):
 * - source: a table whose every row is a leaf (audit_events, ceiling_events, documents,
 *   org_events, people_events).
 * - key: names a source row: audit_events "<instance_id>/<seq>", the side chains "<seq>",
 *   documents "<id>".
 * - hashed row: the row as chain hashes see it (src/audit/hash.ts): integers and booleans as JSON
 *   values, timestamptz through grms_ts(), anything else as its PostgreSQL text, nulls omitted;
 *   without the log columns (log_xid, log_salt) and without documents.bytes (the row's sha256
 *   commits to them, and a leaf entry stays small).
 * - leaf order: (log_xid, source name, created_at, key columns) — a transaction's rows together, in
 *   commit-safe order (src/audit/log/integrate.ts).
 */
export const LOG_SOURCES = ['audit_events', 'ceiling_events', 'documents', 'org_events', 'people_events'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

export function isLogSource(value: unknown): value is LogSource {
  return typeof value === 'string' && (LOG_SOURCES as readonly string[]).includes(value);
}

interface KeyColumn {
  name: string;
  /** SQL type to cast a keyset value back to. */
  type: 'uuid' | 'integer' | 'bigint';
}

interface SourceSpec {
  keyColumns: KeyColumn[];
  /** Columns left out of the hashed row besides the log columns. */
  excluded: ReadonlySet<string>;
}

const SPECS: Record<LogSource, SourceSpec> = {
  audit_events: { keyColumns: [{ name: 'instance_id', type: 'uuid' }, { name: 'seq', type: 'integer' }], excluded: new Set() },
  ceiling_events: { keyColumns: [{ name: 'seq', type: 'bigint' }], excluded: new Set() },
  documents: { keyColumns: [{ name: 'id', type: 'uuid' }], excluded: new Set(['bytes']) },
  org_events: { keyColumns: [{ name: 'seq', type: 'bigint' }], excluded: new Set() },
  people_events: { keyColumns: [{ name: 'seq', type: 'bigint' }], excluded: new Set() },
};

/** Whether a column of `source` is part of its hashed row (and so of its leaf entry). */
export function isEntryColumn(source: LogSource, column: string): boolean {
  return isRowColumn(column) && !SPECS[source].excluded.has(column);
}

/** The key of a hashed row of `source`. */
export function keyOf(source: LogSource, row: Readonly<Record<string, unknown>>): string {
  return SPECS[source].keyColumns.map((c) => String(row[c.name])).join('/');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COUNT = /^[1-9][0-9]{0,15}$/;

/** The key's column values, or undefined when `key` cannot name a row of `source`. */
export function parseKey(source: LogSource, key: string): Array<string | number> | undefined {
  const parts = key.split('/');
  const cols = SPECS[source].keyColumns;
  if (parts.length !== cols.length) return undefined;
  const values: Array<string | number> = [];
  for (const [i, c] of cols.entries()) {
    const p = parts[i]!;
    if (c.type === 'uuid') {
      if (!UUID.test(p)) return undefined;
      values.push(p);
    } else {
      if (!COUNT.test(p) || !Number.isSafeInteger(Number(p))) return undefined;
      values.push(Number(p));
    }
  }
  return values;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** One column rendered as its hashed form, read from alias `s`. */
function hashedColumn(name: string, type: string): string {
  const id = quote(name);
  if (type === 'timestamp with time zone') return `grms_ts(s.${id}) AS ${id}`;
  if (INTEGER_TYPES.has(type) || type === 'boolean') return `s.${id} AS ${id}`;
  return `s.${id}::text AS ${id}`;
}

/** The SELECT list of every source's hashed row (from the catalog, so columns added later are in), by source. */
export type Projections = Record<LogSource, RawBuilder<unknown>>;

export async function readProjections(db: Kysely<Database> | Transaction<Database>): Promise<Projections> {
  const cols = await sql<{ table: string; name: string; type: string }>`
    SELECT table_name AS "table", column_name AS name, data_type AS type FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name IN (${sql.join([...LOG_SOURCES])})
    ORDER BY table_name, ordinal_position`.execute(db);
  const out = {} as Record<LogSource, string[]>;
  for (const s of LOG_SOURCES) out[s] = [];
  for (const c of cols.rows) {
    const source = c.table as LogSource;
    if (isEntryColumn(source, c.name)) out[source].push(hashedColumn(c.name, c.type));
  }
  return Object.fromEntries(LOG_SOURCES.map((s) => [s, sql.raw(out[s].join(', '))])) as Projections;
}

/** The key columns of `source` compared with `values`, as SQL (for a WHERE clause on alias `s`). */
export function keyMatches(source: LogSource, values: Array<string | number>): RawBuilder<unknown> {
  return sql.join(SPECS[source].keyColumns.map((c, i) => sql`s.${sql.ref(c.name)} = ${values[i]}::${sql.raw(c.type)}`), sql` AND `);
}

/** `s.log_xid, s.created_at, <key columns>`: the leaf order within one source. */
export function orderColumns(source: LogSource): RawBuilder<unknown> {
  return sql.join([sql`s.log_xid`, sql`s.created_at`, ...SPECS[source].keyColumns.map((c) => sql`s.${sql.ref(c.name)}`)]);
}

/** The keyset bound after `row` (a hashed row with its _log_xid) in leaf order, cast to the columns' types. */
export function orderValues(source: LogSource, row: Readonly<Record<string, unknown>>): RawBuilder<unknown> {
  return sql.join([
    sql`${row._log_xid as string}::xid8`,
    sql`${row.created_at as string}::timestamptz`,
    ...SPECS[source].keyColumns.map((c) => sql`${row[c.name] as string | number}::${sql.raw(c.type)}`),
  ]);
}
