import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { advisoryXactLock } from '../db/advisory';
import { InvalidDocumentNumber, DocumentNumberInUse } from './errors';

/**
 * Document numbers in the Indonesian official-letter form `<classification>/<seq>/<OPD code>/<year>`,
 * e.g. `900/0012/DINKES/2026` (900 = finance in the archive classification). Each OPD and year has
 * its own PostgreSQL sequence, created on first use. `nextval` is never rolled back, so a number is
 * never handed out twice; one taken by an attempt that then failed is recorded with
 * voidDocumentNumber, so the gap is explained.
 */

// "grms-document-numbers" folded into 63 bits, next to the keys in src/db/advisory.ts.
const SEQUENCE_CREATION_LOCK = 7_451_203_391_004_230n;

const ORG_CODE = /^[A-Z0-9][A-Z0-9.-]*$/;
const CLASSIFICATION = /^[0-9]+(\.[0-9]+)*$/;
const NUMBER = /^([0-9.]+)\/([0-9]+)\/([A-Z0-9][A-Z0-9.-]*)\/([0-9]{4})$/;

export interface NumberRequest {
  orgId: string;
  /** Short OPD code printed in the number, e.g. DINKES. */
  orgCode: string;
  year: number;
  /** Archive classification code; 900 (finance) unless the workflow says otherwise. */
  classification?: string;
}

/** Sequence names are derived, never taken from input: a hash keeps them short and safe. */
function sequenceName(orgId: string, year: number): string {
  return `document_number_${year}_${crypto.createHash('sha256').update(orgId).digest('hex').slice(0, 16)}`;
}

/**
 * Looks in the registry table, not the catalog: to_regclass answers from the session's catalog
 * cache, which can still say "missing" after another session created the sequence and released
 * the advisory lock (advisory locks do not process catalog invalidations).
 */
async function sequenceExists(db: Kysely<Database>, orgId: string, year: number): Promise<boolean> {
  const row = await db.selectFrom('document_number_sequences').select('sequence_name')
    .where('org_id', '=', orgId).where('year', '=', year).executeTakeFirst();
  return row !== undefined;
}

/**
 * Creates the sequence in a short transaction of its own, under an advisory lock: CREATE SEQUENCE
 * IF NOT EXISTS alone races across processes (both see "missing", one fails on pg_class).
 */
async function createSequence(db: Kysely<Database>, orgId: string, year: number, name: string): Promise<void> {
  if (db.isTransaction) {
    // Inside the caller's transaction a rollback would drop the sequence and restart it at 1,
    // reusing numbers someone may already have voided or printed.
    throw new InvalidDocumentNumber('the first number of an OPD and year must be taken outside a transaction');
  }
  await db.transaction().execute(async (trx) => {
    await advisoryXactLock(trx, SEQUENCE_CREATION_LOCK);
    if (await sequenceExists(trx, orgId, year)) return;
    await sql`CREATE SEQUENCE ${sql.id(name)} AS bigint MINVALUE 1 NO CYCLE`.execute(trx);
    await trx.insertInto('document_number_sequences').values({ org_id: orgId, year, sequence_name: name }).execute();
  });
}

/** Formats the number; the sequence part has at least four digits. */
export function formatDocumentNumber(classification: string, seq: number, orgCode: string, year: number): string {
  return `${classification}/${String(seq).padStart(4, '0')}/${orgCode}/${year}`;
}

/**
 * Takes the next number of an OPD and year. Call it before the transaction that stores the
 * document (and with the root Kysely, not a transaction, the first time an OPD numbers a year).
 */
export async function takeDocumentNumber(db: Kysely<Database>, req: NumberRequest): Promise<string> {
  const classification = req.classification ?? '900';
  if (!ORG_CODE.test(req.orgCode)) throw new InvalidDocumentNumber(`org code ${JSON.stringify(req.orgCode)} must be upper-case letters, digits, "." or "-"`);
  if (!CLASSIFICATION.test(classification)) throw new InvalidDocumentNumber(`classification ${JSON.stringify(classification)} must be digits and dots`);
  if (!Number.isInteger(req.year) || req.year < 1000 || req.year > 9999) throw new InvalidDocumentNumber(`year ${req.year} is not a four-digit year`);
  const name = sequenceName(req.orgId, req.year);
  if (!(await sequenceExists(db, req.orgId, req.year))) await createSequence(db, req.orgId, req.year, name);
  const r = await sql<{ n: string | number }>`SELECT nextval(${name}::regclass) AS n`.execute(db);
  return formatDocumentNumber(classification, Number(r.rows[0]!.n), req.orgCode, req.year);
}

/** Parts of a document number. */
export function parseDocumentNumber(number: string): { classification: string; seq: number; orgCode: string; year: number } {
  const m = NUMBER.exec(number);
  if (!m) throw new InvalidDocumentNumber(`${JSON.stringify(number)} is not a document number`);
  return { classification: m[1]!, seq: Number(m[2]), orgCode: m[3]!, year: Number(m[4]) };
}

/**
 * Records that `number` will never appear on a document (the attempt that took it failed).
 * Idempotent; refuses a number a stored document carries.
 */
export async function voidDocumentNumber(db: Kysely<Database>, number: string, reason: string): Promise<void> {
  const { orgCode, year } = parseDocumentNumber(number);
  const used = await db.selectFrom('documents').select('id').where('number', '=', number).executeTakeFirst();
  if (used) throw new DocumentNumberInUse(`document number ${number} is on document ${used.id}`);
  await db.insertInto('void_document_numbers')
    .values({ number, org: orgCode, year, reason })
    .onConflict((oc) => oc.column('number').doNothing())
    .execute();
}
