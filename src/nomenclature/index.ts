import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, NomenclatureTable } from '../db/types';
import { GrmsError, invalidData, type FieldProblem } from '../errors';
import { firstUnprintable, unprintableMessage } from '../documents/printable';

/**
 * The regional budget nomenclature (Permendagri 90/2019, updated by decree): the names of
 * urusan, bidang urusan, program, kegiatan, sub kegiatan and accounts (kode rekening) per fiscal
 * year (migration 0049). Reference data of regional budgeting, not of one workflow: a workflow's
 * documents look names up here and print the bare code when a name is missing.
 *
 * Loaded by an admin from a CSV file (`kind,code,name`, UTF-8, a header line first), through
 * `POST /api/v1/nomenclature/{year}` or `grms nomenclature import`: the whole file in one
 * transaction, or nothing when any row is refused (every refused row is named).
 */

export type NomenclatureKind = NomenclatureTable['kind'];

/** The code form of each kind (sub kegiatan `U.BB.PP.K.KK.SSSS`, account `5.K.JJ.OO.RR.SSSS` and its parents). */
export const CODE_PATTERNS: Readonly<Record<NomenclatureKind, RegExp>> = {
  urusan: /^[0-9X]$/,
  bidang: /^[0-9X]\.[0-9]{2}$/,
  program: /^[0-9X]\.[0-9]{2}\.[0-9]{2}$/,
  kegiatan: /^[0-9X]\.[0-9]{2}\.[0-9]{2}\.[12]\.[0-9]{2}$/,
  sub_kegiatan: /^[0-9X]\.[0-9]{2}\.[0-9]{2}\.[12]\.[0-9]{2}\.[0-9]{4}$/,
  akun: /^[1-9](\.[0-9](\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?)?)?$/,
};
export const NOMENCLATURE_KINDS = Object.keys(CODE_PATTERNS) as NomenclatureKind[];

/** Bounds of one import: a regency's whole nomenclature (some thousands of sub kegiatan and accounts) fits. */
export const NOMENCLATURE_LIMITS = Object.freeze({
  /** Bytes of one CSV file. */
  bytes: 4 * 1024 * 1024,
  /** Data rows of one file. */
  rows: 50_000,
  /** Characters of a name. */
  nameChars: 500,
  /** Refused rows named in one answer (the count says how many there were). */
  problems: 100,
});

export const HEADER = ['kind', 'code', 'name'] as const;

export interface NomenclatureEntry {
  kind: NomenclatureKind;
  code: string;
  name: string;
}

export interface ImportResult {
  fiscalYear: number;
  /** Rows in the file. */
  rows: number;
  created: number;
  updated: number;
}

const refused = (problems: FieldProblem[], total: number) =>
  invalidData(
    `The nomenclature file is refused, nothing was imported: ${total} problem${total === 1 ? '' : 's'}${total > problems.length ? ` (the first ${problems.length} are listed)` : ''}`,
    problems,
  );

/**
 * RFC 4180 fields of a CSV text: quoted fields may hold commas, quotes ("") and line breaks; CRLF
 * or LF ends a record; a UTF-8 BOM is skipped. Throws on a quote that does not close.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let wasQuoted = false;
  const endField = () => {
    record.push(field);
    field = '';
    wasQuoted = false;
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += ch;
      continue;
    }
    if (ch === '"' && field === '' && !wasQuoted) { quoted = true; wasQuoted = true; continue; }
    if (ch === ',') { endField(); continue; }
    if (ch === '\r' && text[i + 1] === '\n') continue;
    if (ch === '\n') {
      endField();
      records.push(record);
      record = [];
      continue;
    }
    field += ch;
  }
  if (quoted) throw refused([{ path: `/rows/${Math.max(0, records.length - 1)}`, message: `line ${records.length + 1}: a quoted field does not close` }], 1);
  if (field !== '' || record.length) {
    endField();
    records.push(record);
  }
  return records;
}

/**
 * The entries of a CSV file, every row checked: the header `kind,code,name`; a known kind; a code
 * of that kind's form; a name of 1..500 characters a document can print; no (kind, code) twice.
 * Problems name the row as `/rows/<n>/<column>` (n counts data rows from 1, the header is row 0)
 * and the line in the message. Throws INVALID_DATA (422) listing them.
 */
export function parseNomenclatureCsv(text: string): NomenclatureEntry[] {
  if (text.includes('\u0000')) throw refused([{ path: '/rows', message: 'the file holds NUL characters: it is not a text file' }], 1);
  const records = parseCsv(text);
  const header = records[0]?.map((h) => h.trim().toLowerCase());
  if (!header || header.join(',') !== HEADER.join(',')) {
    throw refused([{ path: '/rows/0', message: `line 1: the header must be "${HEADER.join(',')}"` }], 1);
  }
  const body = records.slice(1);
  // A file ending in blank lines: they are no rows.
  while (body.length && body[body.length - 1]!.length === 1 && body[body.length - 1]![0]!.trim() === '') body.pop();
  if (body.length === 0) throw refused([{ path: '/rows', message: 'the file has no rows after its header' }], 1);
  if (body.length > NOMENCLATURE_LIMITS.rows) throw refused([{ path: '/rows', message: `the file has ${body.length} rows; at most ${NOMENCLATURE_LIMITS.rows} are imported at once` }], 1);
  const problems: FieldProblem[] = [];
  let total = 0;
  const problem = (row: number, column: string, message: string) => {
    total++;
    if (problems.length < NOMENCLATURE_LIMITS.problems) problems.push({ path: `/rows/${row}${column ? `/${column}` : ''}`, message: `line ${row + 1}: ${message}` });
  };
  const seen = new Map<string, number>();
  const entries: NomenclatureEntry[] = [];
  body.forEach((cells, i) => {
    const row = i + 1;
    if (cells.length !== 3) {
      problem(row, '', `has ${cells.length} field${cells.length === 1 ? '' : 's'}; a row is kind,code,name`);
      return;
    }
    const [kindText, codeText, nameText] = cells.map((c) => c.trim()) as [string, string, string];
    let ok = true;
    const kind = kindText.toLowerCase() as NomenclatureKind;
    if (!NOMENCLATURE_KINDS.includes(kind)) {
      problem(row, 'kind', `"${kindText.slice(0, 40)}" is not one of ${NOMENCLATURE_KINDS.join(', ')}`);
      ok = false;
    } else if (!CODE_PATTERNS[kind].test(codeText)) {
      problem(row, 'code', `"${codeText.slice(0, 40)}" is not a code of kind ${kind}`);
      ok = false;
    }
    const bad = firstUnprintable(nameText);
    if (nameText.length === 0 || nameText.length > NOMENCLATURE_LIMITS.nameChars) {
      problem(row, 'name', `must be 1 to ${NOMENCLATURE_LIMITS.nameChars} characters`);
      ok = false;
    } else if (bad || /[\r\n\t]/.test(nameText)) {
      problem(row, 'name', bad ? unprintableMessage(bad) : 'must be one line');
      ok = false;
    }
    if (!ok) return;
    const key = `${kind} ${codeText}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problem(row, 'code', `${kind} ${codeText} is already on line ${first + 1}`);
      return;
    }
    seen.set(key, row);
    entries.push({ kind, code: codeText, name: nameText });
  });
  if (total) throw refused(problems, total);
  return entries;
}

/** The CSV bytes as text: UTF-8 only (a byte that is not is refused, not replaced). */
export function csvText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidData('The nomenclature file is refused, nothing was imported: it is not UTF-8 text', [{ path: '/rows', message: 'is not UTF-8 text' }]);
  }
}

export function checkFiscalYear(year: number, path = '/year'): number {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw invalidData('The fiscal year must be 2000..2100', [{ path, message: 'must be a fiscal year 2000..2100' }]);
  return year;
}

const BATCH = 1000;

/** Writes entries for a year in one transaction: new codes are added, known ones renamed. */
export async function writeNomenclature(db: Kysely<Database> | Transaction<Database>, fiscalYear: number, entries: readonly NomenclatureEntry[], by: string): Promise<ImportResult> {
  checkFiscalYear(fiscalYear);
  const run = async (trx: Transaction<Database>) => {
    let created = 0;
    for (let i = 0; i < entries.length; i += BATCH) {
      const rows = await trx
        .insertInto('nomenclature')
        .values(entries.slice(i, i + BATCH).map((e) => ({ fiscal_year: fiscalYear, kind: e.kind, code: e.code, name: e.name, updated_by: by })))
        .onConflict((oc) => oc.columns(['fiscal_year', 'kind', 'code']).doUpdateSet({
          name: sql`excluded.name`, updated_by: sql`excluded.updated_by`, updated_at: sql`now()`,
        }))
        // xmax = 0 for a row this statement inserted, not one it updated.
        .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
        .execute();
      created += rows.filter((r) => r.inserted).length;
    }
    return { fiscalYear, rows: entries.length, created, updated: entries.length - created };
  };
  return db.isTransaction ? run(db as Transaction<Database>) : db.transaction().execute(run);
}

/** Parses and imports a CSV file (see parseNomenclatureCsv): all of it or, when any row is refused, nothing. */
export async function importNomenclatureCsv(db: Kysely<Database>, fiscalYear: number, csv: string, by: string): Promise<ImportResult> {
  checkFiscalYear(fiscalYear);
  return writeNomenclature(db, fiscalYear, parseNomenclatureCsv(csv), by);
}

export const nomenclatureTooLarge = () =>
  new GrmsError('PAYLOAD_TOO_LARGE', 413, 'payload-too-large', 'Payload too large', `A nomenclature file is at most ${NOMENCLATURE_LIMITS.bytes} bytes`);

/** Looks names up for a year: `name(kind, code)` gives the name, or undefined when the table has none. */
export async function nomenclatureNames(
  q: Kysely<Database> | Transaction<Database>,
  fiscalYear: number,
  wanted: ReadonlyArray<{ kind: NomenclatureKind; code: string }>,
): Promise<(kind: NomenclatureKind, code: string) => string | undefined> {
  const codes = [...new Set(wanted.map((w) => w.code))];
  const rows = codes.length
    ? await q.selectFrom('nomenclature').select(['kind', 'code', 'name']).where('fiscal_year', '=', fiscalYear).where('code', 'in', codes).execute()
    : [];
  const names = new Map(rows.map((r) => [`${r.kind} ${r.code}`, r.name]));
  return (kind, code) => names.get(`${kind} ${code}`);
}

/** The entries of a year, ordered by kind and code (the API's listing). */
export async function listNomenclature(db: Kysely<Database>, fiscalYear: number, kind?: NomenclatureKind): Promise<NomenclatureEntry[]> {
  let query = db.selectFrom('nomenclature').select(['kind', 'code', 'name']).where('fiscal_year', '=', fiscalYear);
  if (kind) query = query.where('kind', '=', kind);
  return query.orderBy('kind').orderBy('code').execute();
}
