import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/types';
import { hashedProjection, INTEGER_TYPES } from './verify';
import { toCheckpoint, type Checkpoint } from './checkpoint';
import { csvField, csvLine } from './csv';
import { isRowColumn } from './log/columns';
import { ZONE_ABBREVIATIONS } from '../config';

/**
 * An audit export: the audit_events rows as their hash sees them (so the file can be checked
 * offline), each with its instance's workflow and OPD for reading, plus the latest checkpoint.
 * Format id in the meta record. Version 2: a CSV cell that begins with `=`, `+`, `-`, `@`, TAB,
 * CR or `'` carries one more `'` in front (src/audit/csv.ts). Version 3 (CSV only; JSONL stays
 * version 2): the header row names the columns for people (CSV_LABELS; the meta record keeps the
 * names), and the event time in the deployment's zone stands beside the UTC one. Files of every
 * earlier version are still verified (README, "Audit export format").
 */
export const EXPORT_FORMATS = { csv: 'grms-audit-export/3', jsonl: 'grms-audit-export/2' } as const;

/** The newest format (the CSV's). */
export const EXPORT_FORMAT = EXPORT_FORMATS.csv;

/** Every format version `grms audit verify --file` reads, oldest first. */
export const READABLE_EXPORT_FORMATS = ['grms-audit-export/1', 'grms-audit-export/2', 'grms-audit-export/3'] as const;
export type ExportFormat = (typeof READABLE_EXPORT_FORMATS)[number];

/** The event time's column and the local-time column beside it (CSV version 3). */
export const LOCAL_TIME = { of: 'created_at', column: 'created_at_local' } as const;

/**
 * Column headings of a CSV export (version 3) for people: the auditor's spreadsheet shows these;
 * the meta record names the columns (by position, in the same order). A column not named here
 * keeps its name as heading.
 */
export const CSV_LABELS: Readonly<Record<string, string>> = {
  record: 'Jenis baris', instance_id: 'ID proses', seq: 'Urutan', event: 'Peristiwa', from_state: 'Dari status', to_state: 'Ke status',
  actor: 'Pelaku (nama pengguna)', actor_role: 'Peran pelaku', comment: 'Catatan', payload_digest: 'Sidik data (SHA-256)',
  created_at: 'Waktu (UTC)', prev_hash: 'Sidik baris sebelumnya', hash: 'Sidik baris', document_sha256: 'Sidik dokumen (SHA-256)',
  acting_for: 'Atas nama (Plt/Plh)', instance_version: 'Versi data proses', instance_org: 'OPD proses (kode)', instance_digest: 'Sidik data proses (SHA-256)',
  workflow: 'Alur kerja', org: 'Kode OPD', org_name: 'Nama OPD', details: 'Rincian (JSON)',
};

/** The local time's heading: the zone's Indonesian abbreviation, else the zone's name. */
export function localTimeLabel(timeZone: string): string {
  return `Waktu (${ZONE_ABBREVIATIONS[timeZone] ?? timeZone})`;
}

/** The columns of a version 3 CSV after `record` and before `details`, in order, from its meta record. */
export function csvColumnsV3(meta: Pick<ExportMeta, 'columns'>): string[] {
  const names = meta.columns.map((c) => c.name);
  const at = names.indexOf(LOCAL_TIME.of);
  if (at >= 0) names.splice(at + 1, 0, LOCAL_TIME.column);
  return [...names, ...READING_COLUMNS];
}

export interface ExportFilters {
  from?: string;
  to?: string;
  workflow?: string;
  org?: string;
  actor?: string;
  instance?: string;
}

export interface ExportColumn {
  name: string;
  type: 'integer' | 'text';
}

/** Columns added for the reader; they are not part of the hashed row. */
export const READING_COLUMNS = ['workflow', 'org', 'org_name'] as const;

export interface ExportMeta {
  record: 'meta';
  format: ExportFormat;
  exportedAt: string;
  filters: ExportFilters;
  columns: ExportColumn[];
  /** CSV version 3: the zone of the local-time column (GRMS_TIMEZONE). */
  timeZone?: string;
}

export interface ExportTrailer {
  record: 'checkpoint';
  checkpoint: Checkpoint | null;
  publicKeyPem: string | null;
  rows: number;
}

/** Where the export writes; returns false when the consumer wants a pause (backpressure). */
export interface ExportSink {
  write(text: string): boolean | Promise<boolean>;
  drain(): Promise<void>;
}

async function exportColumns(db: Kysely<Database>): Promise<ExportColumn[]> {
  const cols = await sql<{ name: string; type: string }>`
    SELECT column_name AS name, data_type AS type FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'audit_events' ORDER BY ordinal_position`.execute(db);
  return cols.rows.filter((c) => isRowColumn(c.name)).map((c) => ({ name: c.name, type: INTEGER_TYPES.has(c.type) ? 'integer' : 'text' }));
}

function filterSql(f: ExportFilters): RawBuilder<unknown>[] {
  const where: RawBuilder<unknown>[] = [];
  if (f.from) where.push(sql`e.created_at >= ${f.from}::timestamptz`);
  if (f.to) where.push(sql`e.created_at < ${f.to}::timestamptz`);
  if (f.workflow) where.push(sql`i.workflow = ${f.workflow}`);
  if (f.org) where.push(sql`i.org_id = ${f.org}`);
  if (f.actor) where.push(sql`e.actor = ${f.actor}`);
  if (f.instance) where.push(sql`e.instance_id = ${f.instance}::uuid`);
  return where;
}

export interface ExportOptions {
  format: 'csv' | 'jsonl';
  filters: ExportFilters;
  publicKeyPem: string | null;
  /** GRMS_TIMEZONE: the zone of the CSV's local-time column. */
  timeZone: string;
  batchSize?: number;
  onProgress?: (rows: number) => void;
}

/** Rows per keyset page: one page is in flight while the previous one is written. */
export const EXPORT_PAGE_ROWS = 1000;

/** Text handed to the sink at once: small enough that no page-sized string is ever built. */
const PIECE_CHARS = 64 * 1024;

type Keyset = { at: string; instance: string; seq: number };

/**
 * Streams the export page by page (keyset on created_at, instance, seq), so memory stays flat
 * whatever the size. Rows come in time order; each instance's rows in seq order. The next page's
 * query runs while the current page is encoded and written (one page ahead, no more), and the
 * text goes out in pieces of about 64 KB, each waiting for the sink to drain when it asks to.
 */
export async function exportAudit(db: Kysely<Database>, sink: ExportSink, opts: ExportOptions): Promise<number> {
  const columns = await exportColumns(db);
  const projection = await hashedProjection(db);
  // The trailer is the checkpoint that was latest when the export began, but only its id is held
  // meanwhile: its heads (one per chain) are read at the end, so they are not live, and do not
  // raise V8's heap limit, for the whole export.
  const latestId = (await db.selectFrom('audit_checkpoints').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst())?.id;
  const csv = opts.format === 'csv';
  const meta: ExportMeta = {
    record: 'meta', format: EXPORT_FORMATS[opts.format], exportedAt: new Date().toISOString(), filters: opts.filters, columns, ...(csv && { timeZone: opts.timeZone }),
  };
  const names = csv ? csvColumnsV3(meta) : [...columns.map((c) => c.name), ...READING_COLUMNS];
  const write = async (text: string) => {
    if (!(await sink.write(text))) await sink.drain();
  };
  if (csv) {
    const label = (n: string) => (n === LOCAL_TIME.column ? localTimeLabel(opts.timeZone) : CSV_LABELS[n] ?? n);
    // The BOM makes spreadsheet programs read the file as UTF-8.
    await write(`\uFEFF${csvLine(['record', ...names, 'details'].map(label))}`);
    await write(csvLine(['meta', ...names.map(() => null), JSON.stringify(meta)]));
  } else {
    await write(`${JSON.stringify(meta)}\n`);
  }
  const batch = Math.max(1, opts.batchSize ?? EXPORT_PAGE_ROWS);
  const filters = filterSql(opts.filters);
  // CSV only (JSONL's rows are as in version 2): the event time in the deployment's zone.
  const localTime = csv ? sql`, to_char(e.created_at AT TIME ZONE ${opts.timeZone}, 'YYYY-MM-DD HH24:MI:SS') AS created_at_local` : undefined;
  const fetchPage = (after: Keyset | null) => {
    const where = [...filters];
    if (after) where.push(sql`(e.created_at, e.instance_id, e.seq) > (${after.at}::timestamptz, ${after.instance}::uuid, ${after.seq})`);
    // The inner query filters and pages on the raw columns; the outer one renders them as hashed.
    const page = sql<Record<string, unknown>>`
      SELECT ${sql.raw(projection)}, workflow, org, org_name${localTime ? sql`, created_at_local` : sql``} FROM (
        SELECT e.*, i.workflow, i.org_id AS org, o.name AS org_name${localTime ?? sql``}
        FROM audit_events e
        JOIN workflow_instances i ON i.id = e.instance_id
        JOIN orgs o ON o.id = i.org_id
        ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
        ORDER BY e.created_at, e.instance_id, e.seq
        LIMIT ${batch}) AS page
      ORDER BY page.created_at, page.instance_id, page.seq`.execute(db);
    // Awaited below; until then a failure (the export stopped by a closed sink) must not be unhandled.
    page.catch(() => undefined);
    return page;
  };
  // Field by field into one string: no array per row (the export's garbage is most of its cost).
  const line = (row: Record<string, unknown>) => {
    if (opts.format !== 'csv') return `${JSON.stringify({ record: 'event', ...row })}\n`;
    let text = 'event';
    for (const n of names) text += `,${csvField(row[n])}`;
    return `${text},\r\n`;
  };
  let next = fetchPage(null);
  let rows = 0;
  for (;;) {
    const page = (await next).rows;
    if (page.length === 0) break;
    const more = page.length === batch;
    if (more) {
      const last = page[page.length - 1]!;
      next = fetchPage({ at: last.created_at as string, instance: last.instance_id as string, seq: last.seq as number });
    }
    let piece = '';
    for (const row of page) {
      piece += line(row);
      if (piece.length >= PIECE_CHARS) {
        await write(piece);
        piece = '';
      }
    }
    if (piece) await write(piece);
    rows += page.length;
    opts.onProgress?.(rows);
    if (!more) break;
  }
  await writeTrailer(db, latestId, { record: 'checkpoint', checkpoint: null, publicKeyPem: opts.publicKeyPem, rows }, opts.format, names.length, write);
  return rows;
}

/** Heads per query when the trailer writes a checkpoint's heads. */
const HEAD_PAGE_ROWS = 10_000;

/**
 * The trailer record, exactly JSON.stringify(trailer) (CSV-quoted as one field in CSV), with the
 * checkpoint's heads (one per chain) read and written a page at a time: the whole array parsed,
 * stringified and quoted at once was the export's highest memory peak on a large trail.
 */
async function writeTrailer(
  db: Kysely<Database>, checkpointId: number | undefined, trailer: ExportTrailer, format: 'csv' | 'jsonl', nameCount: number,
  write: (text: string) => Promise<void>,
): Promise<void> {
  const cp = checkpointId === undefined ? undefined : await db
    .selectFrom('audit_checkpoints')
    .select(['id', 'row_count', 'head_count', 'merkle_root', 'previous_id', 'signature', 'key_name', 'format', 'side_heads', sql<string>`grms_ts(as_of)`.as('as_of_text')])
    .where('id', '=', checkpointId)
    .executeTakeFirst();
  const text = JSON.stringify({ ...trailer, checkpoint: cp ? toCheckpoint({ ...cp, heads: [] }) : null });
  const quote = (t: string) => (format === 'csv' ? t.replace(/"/g, '""') : t);
  const start = format === 'csv' ? `checkpoint${','.repeat(nameCount + 1)}"` : '';
  const end = format === 'csv' ? '"\r\n' : '\n';
  // Nothing before the heads (numbers and a timestamp) can contain this, so it marks where they go.
  const at = cp ? text.indexOf('"heads":[]') + '"heads":['.length : -1;
  if (at < 0) {
    await write(`${start}${quote(text)}${end}`);
    return;
  }
  await write(`${start}${quote(text.slice(0, at))}`);
  for (let after = 0; ;) {
    const page = await sql<{ head: unknown; n: number }>`
      SELECT h.value AS head, h.n::int AS n
      FROM audit_checkpoints c CROSS JOIN LATERAL jsonb_array_elements(c.heads) WITH ORDINALITY AS h(value, n)
      WHERE c.id = ${cp!.id} AND h.n > ${after}
      ORDER BY h.n
      LIMIT ${HEAD_PAGE_ROWS}`.execute(db);
    if (page.rows.length === 0) break;
    let piece = '';
    for (const r of page.rows) piece += `${after === 0 && piece === '' ? '' : ','}${JSON.stringify(r.head)}`;
    await write(quote(piece));
    after = page.rows[page.rows.length - 1]!.n;
    if (page.rows.length < HEAD_PAGE_ROWS) break;
  }
  await write(`${quote(text.slice(at))}${end}`);
}
