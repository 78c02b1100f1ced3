import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/types';
import { hashedProjection, INTEGER_TYPES } from './verify';
import type { Checkpoint } from './checkpoint';
import { csvField, csvLine } from './csv';
import { isRowColumn } from './log/columns';
import { latestQuorumCheckpoint } from './log/checkpoint';
import { LEAF_ENTRY_VERSION } from './log/entry';
import { storedNodes } from './log/nodes';
import { inclusionProofs, type Policy } from './tlog';
import { ZONE_ABBREVIATIONS } from '../config';

/**
 * An audit export: the audit_events rows as their hash sees them (so the file can be checked
 * offline), each with its instance's workflow and OPD for reading, its leaf index, salt and
 * inclusion proof in the transparency log, and the cosigned log checkpoint they are proven against.
 * Format id in the meta record (README, "Audit export format"):
 * - version 1: rows and the latest chain checkpoint (grms-audit-checkpoint) with the audit key;
 * - version 2: as 1, a CSV cell that begins with `=`, `+`, `-`, `@`, TAB, CR or `'` carries one
 *   more `'` in front (src/audit/csv.ts); rows gained instance_version, instance_org and
 *   instance_digest with migration 0026 (the meta record lists the hashed columns either way);
 * - version 3: as 2, ending at the latest log checkpoint that meets the witness quorum (it, with
 *   its cosignatures, is in the meta record); each row carries log_index, log_salt and log_proof;
 *   the closing `end` record counts the rows left out; no key travels in the file. A CSV's header
 *   row holds headings for people (CSV_LABELS; the meta record names the columns, by position),
 *   and the event time in the deployment's zone (meta timeZone) stands beside the UTC one.
 * Files of every version are still verified (src/audit/verify-file.ts).
 */
export const EXPORT_FORMAT = 'grms-audit-export/3';

/** Every format version `grms audit verify --file` reads, oldest first. */
export const READABLE_EXPORT_FORMATS = ['grms-audit-export/1', 'grms-audit-export/2', EXPORT_FORMAT] as const;
export type ExportFormat = (typeof READABLE_EXPORT_FORMATS)[number];

/** The event time's column and the local-time column beside it (CSV, version 3). */
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
  workflow: 'Alur kerja', org: 'Kode OPD', org_name: 'Nama OPD',
  log_index: 'Nomor daun log', log_salt: 'Salt daun log', log_proof: 'Bukti inklusi log (RFC 9162)', details: 'Rincian (JSON)',
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
  return [...names, ...READING_COLUMNS, ...LOG_PROOF_COLUMNS];
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

/**
 * Columns that prove each row is in the log (version 3): the row's leaf index, its salt, and the
 * RFC 9162 inclusion proof of its leaf in the tree of the meta record's checkpoint (base64 hashes
 * separated by one space, leaf to root; empty for a tree of one leaf). Not part of the hashed row.
 */
export const LOG_PROOF_COLUMNS = ['log_index', 'log_salt', 'log_proof'] as const;

/**
 * The log checkpoint a version 3 export ends at. basis `cosigned`: the deployment names witnesses,
 * and this is the latest checkpoint their stored cosignatures meet the quorum of; `unwitnessed`: no
 * witness is configured, so it is the latest checkpoint, signed by the log alone. checkpoint is
 * the C2SP signed note with every stored cosignature line, or null when no checkpoint qualifies
 * (then the export holds no rows).
 */
export interface ExportLog {
  basis: 'cosigned' | 'unwitnessed';
  /** Tree size of the checkpoint (0 without one). */
  size: number;
  checkpoint: string | null;
  /** Witnesses whose cosignature the note carries, by key name. */
  cosigners: string[];
  /** The version of the leaf entries' canonical form (src/audit/log/entry.ts). */
  leafEntry: number;
}

export interface ExportMeta {
  record: 'meta';
  format: ExportFormat;
  exportedAt: string;
  filters: ExportFilters;
  columns: ExportColumn[];
  /** Version 3 only. */
  log?: ExportLog;
  /** Version 3, CSV only: the zone of the local-time column (GRMS_TIMEZONE). */
  timeZone?: string;
}

/** The closing record of versions 1 and 2: the chain checkpoint and the key it came with. */
export interface ExportTrailer {
  record: 'checkpoint';
  checkpoint: Checkpoint | null;
  publicKeyPem: string | null;
  rows: number;
}

/** The closing record of version 3. */
export interface ExportEnd {
  record: 'end';
  rows: number;
  /** Rows matching the filters that the checkpoint does not cover (newer, or not yet in the log). */
  leftOut: number;
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
  /**
   * The deployment's witness policy (GRMS_WITNESS_POLICY, else every GRMS_WITNESSES witness): the
   * export ends at the latest checkpoint whose cosignatures meet it.
   */
  policy: Policy;
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

/** The row's log leaf, when it is one of the first `size` leaves. */
const leafOfRow = (size: number) => sql`
  l.source = 'audit_events' AND l.source_key = e.instance_id::text || '/' || e.seq::text AND l.idx < ${size}`;

/**
 * Streams the export page by page (keyset on created_at, instance, seq), so memory stays flat
 * whatever the size. Rows come in time order; each instance's rows in seq order. Only rows that
 * are leaves of the chosen checkpoint's tree are written, each with its inclusion proof (the
 * stored nodes a page of proofs needs are read in one query). The next page's queries (rows, then
 * their proofs' nodes) run while the current page is encoded and written (one page ahead, no
 * more), and the text goes out in
 * pieces of about 64 KB, each waiting for the sink to drain when it asks to.
 */
export async function exportAudit(db: Kysely<Database>, sink: ExportSink, opts: ExportOptions): Promise<number> {
  const columns = await exportColumns(db);
  const projection = await hashedProjection(db);
  const cp = await latestQuorumCheckpoint(db, opts.policy);
  const size = cp?.size ?? 0;
  const log: ExportLog = {
    basis: opts.policy.witnesses.size > 0 ? 'cosigned' : 'unwitnessed', size, checkpoint: cp?.note ?? null, cosigners: cp?.cosigned ?? [], leafEntry: LEAF_ENTRY_VERSION,
  };
  const csv = opts.format === 'csv';
  const meta: ExportMeta = {
    record: 'meta', format: EXPORT_FORMAT, exportedAt: new Date().toISOString(), filters: opts.filters, columns, log, ...(csv && { timeZone: opts.timeZone }),
  };
  const names = csv ? csvColumnsV3(meta) : [...columns.map((c) => c.name), ...READING_COLUMNS, ...LOG_PROOF_COLUMNS];
  const write = async (text: string) => {
    if (!(await sink.write(text))) await sink.drain();
  };
  const record = (json: string) => (csv ? csvLine([JSON.parse(json).record as string, ...names.map(() => null), json]) : `${json}\n`);
  if (csv) {
    const label = (n: string) => (n === LOCAL_TIME.column ? localTimeLabel(opts.timeZone) : CSV_LABELS[n] ?? n);
    // The BOM makes spreadsheet programs read the file as UTF-8.
    await write(`\uFEFF${csvLine(['record', ...names, 'details'].map(label))}`);
  }
  await write(record(JSON.stringify(meta)));
  const batch = Math.max(1, opts.batchSize ?? EXPORT_PAGE_ROWS);
  const filters = filterSql(opts.filters);
  // CSV only (JSONL has no local time): the event time in the deployment's zone.
  const localTime = csv ? sql`, to_char(e.created_at AT TIME ZONE ${opts.timeZone}, 'YYYY-MM-DD HH24:MI:SS') AS created_at_local` : undefined;
  /**
   * Every row's inclusion proof, from one read of the stored nodes the page needs. Rows of a page
   * share most of their proof's nodes (the same Buffers): each is put in base64 once.
   */
  const proofs = async (page: Record<string, unknown>[]): Promise<string[]> => {
    const text = new Map<Buffer, string>();
    const b64 = (h: Buffer) => {
      let t = text.get(h);
      if (t === undefined) text.set(h, (t = h.toString('base64')));
      return t;
    };
    return (await inclusionProofs(page.map((row) => Number(row.log_index)), size, storedNodes(db))).map((p) => p.map(b64).join(' '));
  };
  const fetchPage = (after: Keyset | null) => {
    const where = [...filters];
    if (after) where.push(sql`(e.created_at, e.instance_id, e.seq) > (${after.at}::timestamptz, ${after.instance}::uuid, ${after.seq})`);
    // The inner query filters and pages on the raw columns; the outer one renders them as hashed.
    const page = sql<Record<string, unknown>>`
      SELECT ${sql.raw(projection)}, workflow, org, org_name, log_index, log_salt${localTime ? sql`, created_at_local` : sql``} FROM (
        SELECT e.*, i.workflow, i.org_id AS org, o.name AS org_name, l.idx AS log_index${localTime ?? sql``}
        FROM audit_events e
        JOIN log_leaves l ON ${leafOfRow(size)}
        JOIN workflow_instances i ON i.id = e.instance_id
        JOIN orgs o ON o.id = i.org_id
        ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
        ORDER BY e.created_at, e.instance_id, e.seq
        LIMIT ${batch}) AS page
      ORDER BY page.created_at, page.instance_id, page.seq`.execute(db);
    // The page's proofs are read as soon as its rows are, so both are ready when it is written.
    const proven = page.then(async (r) => ({ rows: r.rows, proofs: await proofs(r.rows) }));
    // Awaited below; until then a failure (the export stopped by a closed sink) must not be unhandled.
    proven.catch(() => undefined);
    return proven;
  };
  // Field by field into one string: no array per row (the export's garbage is most of its cost).
  const line = (row: Record<string, unknown>) => {
    if (!csv) return `${JSON.stringify({ record: 'event', ...row })}\n`;
    let text = 'event';
    for (const n of names) text += `,${csvField(row[n])}`;
    return `${text},\r\n`;
  };
  let next = cp ? fetchPage(null) : null;
  let rows = 0;
  while (next) {
    const { rows: page, proofs: pageProofs } = await next;
    if (page.length === 0) break;
    const more = page.length === batch;
    next = null;
    if (more) {
      const last = page[page.length - 1]!;
      next = fetchPage({ at: last.created_at as string, instance: last.instance_id as string, seq: last.seq as number });
    }
    let piece = '';
    for (const [i, row] of page.entries()) {
      row.log_index = Number(row.log_index);
      row.log_proof = pageProofs[i];
      piece += line(row);
      if (piece.length >= PIECE_CHARS) {
        await write(piece);
        piece = '';
      }
    }
    if (piece) await write(piece);
    rows += page.length;
    opts.onProgress?.(rows);
  }
  const left = await sql<{ n: string }>`
    SELECT count(*) AS n FROM audit_events e
    JOIN workflow_instances i ON i.id = e.instance_id
    WHERE NOT EXISTS (SELECT 1 FROM log_leaves l WHERE ${leafOfRow(size)})
    ${filters.length ? sql`AND ${sql.join(filters, sql` AND `)}` : sql``}`.execute(db);
  const end: ExportEnd = { record: 'end', rows, leftOut: Number(left.rows[0]!.n) };
  await write(record(JSON.stringify(end)));
  return rows;
}
