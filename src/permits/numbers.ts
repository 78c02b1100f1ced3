import { sql, type Kysely, type Transaction } from 'kysely';
import { localYear } from '../sla/calendar';
import type { Database, InstanceRow } from '../db/types';
import type { WorkflowInstant } from '../engine/definition';
import { formatDocumentNumber } from '../documents/numbers';
import { generatePin, hashPin } from './pin';

/**
 * Numbers of a permit application (terminology: DPMPTSP = the one-stop permit office; SK Izin =
 * the permit decree):
 * - registration number `REG/DPMPTSP/2026/000123`, given at registration and printed on the
 *   receipt (tanda terima) with the applicant's PIN;
 * - permit number `503/0007/DPMPTSP/2026`, given when the SK Izin is signed; it is the SK Izin's
 *   document number (503 = permits in the archive classification (≈), kept in the workflow).
 * Both come from sequences that never restart, so no number is ever reused; the year is the
 * year of issue in WIB.
 */
export const REGISTRATION_NUMBER = /^REG\/[A-Z0-9.-]+\/[0-9]{4}\/[0-9]{6,}$/;

function yearOf(at: WorkflowInstant): number {
  return localYear(at.instant, at.timeZone);
}

/** The OPD code printed in numbers, as the document numbers print it. */
export function orgCodeOf(orgId: string): string {
  return orgId.toUpperCase().replace(/[^A-Z0-9.-]/g, '-');
}

export function formatRegistrationNumber(orgCode: string, year: number, seq: number): string {
  return `REG/${orgCode}/${year}/${String(seq).padStart(6, '0')}`;
}

async function next(db: Kysely<Database> | Transaction<Database>, sequence: 'permit_registration_seq' | 'permit_number_seq'): Promise<number> {
  const r = await sql<{ n: string | number }>`SELECT nextval(${sequence}::regclass) AS n`.execute(db);
  return Number(r.rows[0]!.n);
}

export interface Receipt {
  registrationNumber: string;
  /** Shown once; only its hash is stored. */
  pin: string;
  registeredAt: string;
}

/** Registers a new permit application inside its creating transaction; returns the receipt. */
export async function registerPermit(trx: Transaction<Database>, row: InstanceRow, at: WorkflowInstant): Promise<Receipt> {
  const registrationNumber = formatRegistrationNumber(orgCodeOf(row.org_id), yearOf(at), await next(trx, 'permit_registration_seq'));
  const pin = generatePin();
  await trx.insertInto('permit_registrations').values({ instance_id: row.id, registration_number: registrationNumber, pin_hash: await hashPin(pin) }).execute();
  return { registrationNumber, pin, registeredAt: row.created_at.toISOString() };
}

/** The next permit number of the permit's OPD, e.g. 503/0007/DPMPTSP/2026. */
export async function takePermitNumber(db: Kysely<Database>, row: InstanceRow, at: WorkflowInstant, classification: string): Promise<string> {
  return formatDocumentNumber(classification, await next(db, 'permit_number_seq'), orgCodeOf(row.org_id), yearOf(at));
}
