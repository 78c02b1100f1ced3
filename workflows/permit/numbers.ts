import { sql, type Kysely, type Transaction } from 'kysely';
import { localYear } from '../../src/sla/calendar';
import type { Database, InstanceRow } from '../../src/db/types';
import type { WorkflowInstant } from '../../src/engine/definition';
import { formatDocumentNumber } from '../../src/documents/numbers';
import { issueTracking, type TrackingReceipt } from '../../src/tracking/register';

/**
 * Numbers of a permit application (terminology: DPMPTSP = the one-stop permit office; SK Izin =
 * the permit decree):
 * - registration number `REG/DPMPTSP/2026/000123`, given at registration and printed on the
 *   receipt (tanda terima) with the applicant's PIN: the core's tracking number (src/tracking),
 *   in this format;
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

export type Receipt = TrackingReceipt;

/** Registers a new permit application inside its creating transaction; returns the receipt. */
export async function registerPermit(trx: Transaction<Database>, row: InstanceRow, at: WorkflowInstant): Promise<Receipt> {
  return issueTracking(trx, row, (seq) => formatRegistrationNumber(orgCodeOf(row.org_id), yearOf(at), seq));
}

/** The next permit number of the permit's OPD, e.g. 503/0007/DPMPTSP/2026. */
export async function takePermitNumber(db: Kysely<Database>, row: InstanceRow, at: WorkflowInstant, classification: string): Promise<string> {
  const r = await sql<{ n: string | number }>`SELECT nextval('permit_number_seq') AS n`.execute(db);
  return formatDocumentNumber(classification, Number(r.rows[0]!.n), orgCodeOf(row.org_id), yearOf(at));
}
