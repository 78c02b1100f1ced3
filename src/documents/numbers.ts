import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { advisoryXactLock } from '../db/advisory';
import { InvalidDocumentNumber, DocumentNumberInUse } from './errors';

/**
 * Document numbers come from the issuing office's registers: one per office, year and document
 * kind (a workflow package declares each document's kind and archive classification code; a
 * document it does not declare is numbered in the default register, `umum`). Each register is a
 * PostgreSQL sequence, created on first use. `nextval` is never rolled back, so a number is never
 * handed out twice; one taken by an attempt that then failed is recorded with voidDocumentNumber,
 * so the gap is explained.
 *
 * The printed form is the deployment's GRMS_DOCUMENT_NUMBER_FORMAT, by default
 * `{class}/{seq}/{unit}/{year}` (e.g. `900/0015/BPKAD/2027`): {class} the archive classification
 * code, {seq} the place in the register (at least four digits), {unit} the office's unit code
 * (orgs.unit_code), {year} the year of issue, {kind} the register's kind. The parts are stored with
 * each document and void record (format version 2), never parsed back; rows written before were
 * the fixed form (format 1) and are read by parsing it (parseDocumentNumber).
 */

// "grms-document-numbers" folded into 63 bits, next to the keys in src/db/advisory.ts.
const SEQUENCE_CREATION_LOCK = 7_451_203_391_004_230n;

/** The format every deployment printed before numbers had parts (format 1), and the default. */
export const DEFAULT_NUMBER_FORMAT = '{class}/{seq}/{unit}/{year}';
/** Where a document is numbered when its package declares no kind for it. */
export const DEFAULT_KIND = 'umum';
/** Numbers whose parts are stored with them. */
export const NUMBER_FORMAT_VERSION = 2;

export const UNIT_CODE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,39}$/;
export const KIND = /^[a-z][a-z0-9-]{0,39}$/;
export const CLASSIFICATION = /^[0-9]+(\.[0-9]+)*$/;
const LEGACY_NUMBER = /^([0-9.]+)\/([0-9]+)\/([A-Za-z0-9][A-Za-z0-9.-]*)\/([0-9]{4})$/;
const PLACEHOLDERS = ['class', 'seq', 'unit', 'year', 'kind'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/** A checked number format: literal text and placeholders in order. */
export interface NumberFormat {
  readonly source: string;
  readonly parts: ReadonlyArray<{ literal: string } | { placeholder: Placeholder }>;
}

/**
 * Checks a number format (GRMS_DOCUMENT_NUMBER_FORMAT) and returns it parsed; throws an
 * InvalidDocumentNumber saying what is wrong. The format holds {seq} and {year} once each, any of
 * {class} {unit} {kind} at most once, between them only letters, digits and / . - _ and spaces,
 * and a separator between two placeholders (so the printed number reads back unambiguously).
 */
export function parseNumberFormat(source: string): NumberFormat {
  const fail = (why: string) => new InvalidDocumentNumber(`document number format ${JSON.stringify(source)}: ${why}`);
  if (source.length === 0 || source.length > 100) throw fail('must be 1 to 100 characters');
  const parts: Array<{ literal: string } | { placeholder: Placeholder }> = [];
  const seen = new Set<string>();
  const token = /\{([^{}]*)\}|([^{}]+)|([{}])/gy;
  for (let m = token.exec(source); m; m = token.exec(source)) {
    if (m[3] !== undefined) throw fail(`an unmatched "${m[3]}"`);
    if (m[2] !== undefined) {
      if (!/^[A-Za-z0-9/._ -]+$/.test(m[2])) throw fail(`"${m[2]}" may hold only letters, digits, spaces and / . - _`);
      parts.push({ literal: m[2] });
      continue;
    }
    const name = m[1]!;
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) throw fail(`{${name}} is not a placeholder; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
    if (seen.has(name)) throw fail(`{${name}} appears twice`);
    if (parts.length > 0 && 'placeholder' in parts[parts.length - 1]!) throw fail(`{${name}} follows another placeholder without a separator`);
    seen.add(name);
    parts.push({ placeholder: name as Placeholder });
  }
  for (const needed of ['seq', 'year']) if (!seen.has(needed)) throw fail(`must contain {${needed}}`);
  return Object.freeze({ source, parts: Object.freeze(parts) });
}

export const DEFAULT_FORMAT = parseNumberFormat(DEFAULT_NUMBER_FORMAT);

/** Whether numbers of the format show the register's kind (two kinds may then share a classification). */
export function formatShowsKind(format: NumberFormat): boolean {
  return format.parts.some((p) => 'placeholder' in p && p.placeholder === 'kind');
}

/** The parts a number is printed from. */
export interface NumberParts {
  classification: string;
  seq: number;
  unit: string;
  year: number;
  kind: string;
}

/** Prints a number in a format; the register place has at least four digits. */
export function printNumber(format: NumberFormat, p: NumberParts): string {
  const value: Record<Placeholder, string> = { class: p.classification, seq: String(p.seq).padStart(4, '0'), unit: p.unit, year: String(p.year), kind: p.kind };
  return format.parts.map((part) => ('literal' in part ? part.literal : value[part.placeholder])).join('');
}

/** Formats a number in the fixed form of format 1 (the default format). */
export function formatDocumentNumber(classification: string, seq: number, orgCode: string, year: number): string {
  return printNumber(DEFAULT_FORMAT, { classification, seq, unit: orgCode, year, kind: DEFAULT_KIND });
}

export interface NumberRequest {
  orgId: string;
  /** The office's unit code printed in the number (orgs.unit_code), e.g. BPKAD. */
  orgCode: string;
  year: number;
  /** Archive classification code; 900 (finance) unless the workflow says otherwise. */
  classification?: string;
  /** The register's document kind; the default register ('umum') when absent. */
  kind?: string;
  /** The printed form; the default format when absent. */
  format?: NumberFormat;
}

/** A number taken from a register, with the parts it was printed from (stored with it). */
export interface TakenNumber extends NumberParts {
  number: string;
  orgId: string;
  format: string;
}

/** Sequence names are derived, never taken from input: a hash keeps them short and safe. */
function sequenceName(orgId: string, year: number, kind: string): string {
  // The default register keeps the name it had before registers had kinds.
  const key = kind === DEFAULT_KIND ? orgId : `${orgId}\u0000${kind}`;
  return `document_number_${year}_${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * Looks in the registry table, not the catalog: to_regclass answers from the session's catalog
 * cache, which can still say "missing" after another session created the sequence and released
 * the advisory lock (advisory locks do not process catalog invalidations).
 */
async function sequenceExists(db: Kysely<Database>, orgId: string, year: number, kind: string): Promise<boolean> {
  const row = await db.selectFrom('document_number_sequences').select('sequence_name')
    .where('org_id', '=', orgId).where('year', '=', year).where('kind', '=', kind).executeTakeFirst();
  return row !== undefined;
}

/**
 * Creates the sequence in a short transaction of its own, under an advisory lock: CREATE SEQUENCE
 * IF NOT EXISTS alone races across processes (both see "missing", one fails on pg_class). A
 * register of a kind opened for an office and year whose numbers were taken before registers had
 * kinds (a `legacy` default register, migration 0047) starts after the number that one reached, so
 * it never prints a number issued before the upgrade.
 */
async function createSequence(db: Kysely<Database>, orgId: string, year: number, kind: string, name: string): Promise<void> {
  if (db.isTransaction) {
    // Inside the caller's transaction a rollback would drop the sequence and restart it at 1,
    // reusing numbers someone may already have voided or printed.
    throw new InvalidDocumentNumber('the first number of a register (office, year and kind) must be taken outside a transaction');
  }
  await db.transaction().execute(async (trx) => {
    await advisoryXactLock(trx, SEQUENCE_CREATION_LOCK);
    if (await sequenceExists(trx, orgId, year, kind)) return;
    let start = 1;
    const legacy = kind === DEFAULT_KIND ? undefined : await trx.selectFrom('document_number_sequences').select('sequence_name')
      .where('org_id', '=', orgId).where('year', '=', year).where('kind', '=', DEFAULT_KIND).where('legacy', '=', true).executeTakeFirst();
    if (legacy) {
      const r = await sql<{ last: string | number; called: boolean }>`SELECT last_value AS last, is_called AS called FROM ${sql.id(legacy.sequence_name)}`.execute(trx);
      const { last, called } = r.rows[0]!;
      start = called ? Number(last) + 1 : Number(last);
    }
    await sql`CREATE SEQUENCE ${sql.id(name)} AS bigint MINVALUE 1 START WITH ${sql.raw(String(start))} NO CYCLE`.execute(trx);
    await trx.insertInto('document_number_sequences').values({ org_id: orgId, year, kind, sequence_name: name, start_value: start }).execute();
  });
}

/**
 * Takes the next number of an office's register (office, year, kind). Call it before the
 * transaction that stores the document (and with the root Kysely, not a transaction, the first
 * time a register is used).
 */
export async function takeNumber(db: Kysely<Database>, req: NumberRequest): Promise<TakenNumber> {
  const classification = req.classification ?? '900';
  const kind = req.kind ?? DEFAULT_KIND;
  const format = req.format ?? DEFAULT_FORMAT;
  if (!UNIT_CODE.test(req.orgCode)) throw new InvalidDocumentNumber(`unit code ${JSON.stringify(req.orgCode)} must be letters, digits, "." or "-" (at most 40)`);
  if (!CLASSIFICATION.test(classification)) throw new InvalidDocumentNumber(`classification ${JSON.stringify(classification)} must be digits and dots`);
  if (!KIND.test(kind)) throw new InvalidDocumentNumber(`document kind ${JSON.stringify(kind)} must be lower-case letters, digits and "-"`);
  if (!Number.isInteger(req.year) || req.year < 1000 || req.year > 9999) throw new InvalidDocumentNumber(`year ${req.year} is not a four-digit year`);
  const name = sequenceName(req.orgId, req.year, kind);
  if (!(await sequenceExists(db, req.orgId, req.year, kind))) await createSequence(db, req.orgId, req.year, kind, name);
  const r = await sql<{ n: string | number }>`SELECT nextval(${name}::regclass) AS n`.execute(db);
  const parts: NumberParts = { classification, seq: Number(r.rows[0]!.n), unit: req.orgCode, year: req.year, kind };
  return { ...parts, number: printNumber(format, parts), orgId: req.orgId, format: format.source };
}

/** takeNumber, answering the printed number only. */
export async function takeDocumentNumber(db: Kysely<Database>, req: NumberRequest): Promise<string> {
  return (await takeNumber(db, req)).number;
}

/** Parts of a number in the fixed form of format 1 (rows written before parts were stored). */
export function parseDocumentNumber(number: string): { classification: string; seq: number; orgCode: string; year: number } {
  const m = LEGACY_NUMBER.exec(number);
  if (!m) throw new InvalidDocumentNumber(`${JSON.stringify(number)} is not a document number`);
  return { classification: m[1]!, seq: Number(m[2]), orgCode: m[3]!, year: Number(m[4]) };
}

/**
 * A number a workflow stamped (e.g. a permit number), not taken from a document register: it
 * names its office and year only.
 */
export interface StampedNumber {
  number: string;
  orgId: string;
  unit: string;
  year: number;
}

/** The columns of documents and void_document_numbers that hold a number's parts (migration 0047). */
export function numberColumns(n: TakenNumber | StampedNumber) {
  const taken = 'kind' in n;
  return {
    number_format_version: NUMBER_FORMAT_VERSION,
    number_org: n.orgId,
    number_kind: taken ? n.kind : null,
    number_seq: taken ? n.seq : null,
    number_classification: taken ? n.classification : null,
    number_unit: n.unit,
    number_format: taken ? n.format : null,
  };
}

/**
 * Records that a number will never appear on a document (the attempt that took it failed), with
 * its parts. A bare string is a number of format 1, read by parsing it. Idempotent; refuses a
 * number a stored document carries.
 */
export async function voidDocumentNumber(db: Kysely<Database>, number: string | TakenNumber | StampedNumber, reason: string): Promise<void> {
  const text = typeof number === 'string' ? number : number.number;
  const row = typeof number === 'string'
    ? (() => {
      const { orgCode, year } = parseDocumentNumber(number);
      return { number, org: orgCode, year };
    })()
    : { number: text, org: number.unit, year: number.year, ...numberColumns(number) };
  const used = await db.selectFrom('documents').select('id').where('number', '=', text).executeTakeFirst();
  if (used) throw new DocumentNumberInUse(`document number ${text} is on document ${used.id}`);
  await db.insertInto('void_document_numbers')
    .values({ ...row, reason })
    .onConflict((oc) => oc.column('number').doNothing())
    .execute();
}
