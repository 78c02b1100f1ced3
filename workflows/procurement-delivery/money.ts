/**
 * Money rules of a procurement contract, as pure functions over the contract data.
 *
 * Terminology: termin = a payment instalment tied to physical progress; retention = the share of
 * every termin held back until the final handover (FHO); penalty = the late fine, 1/1000 of the
 * value per calendar day from the day after the end date to the day handover was requested,
 * capped at 5 % of the value, deducted from the next payments. Amounts are integer rupiah.
 */
import {
  handoverIncomplete, maintenancePeriodRunning, paymentExceedsContractValue, progressDecreased, terminAlreadyPaid,
  terminThresholdNotReached, unknownTermin,
} from './errors';
import { quantityProblem } from '../../src/engine/money';

export interface Termin { percent: number; threshold: number }
export type ReturnTo = 'in_progress' | 'maintenance' | 'closed';

/** A payment on its way through SPP → SPM → SP2D; kept after payment (status 'paid') for its documents. */
export interface Claim {
  kind: 'termin' | 'retention';
  termin?: number;
  returnTo: ReturnTo;
  gross: number;
  retention: number;
  penalty: number;
  net: number;
  status: 'review' | 'approved' | 'paid' | 'rejected';
}

export interface Payment extends Omit<Claim, 'status' | 'returnTo'> { paidAt: string }

export interface Penalty { days: number; amount: number; deducted: number }

export interface ContractData {
  value: number;
  endDate: string;
  maintenanceDays: number;
  retentionPercent: number;
  termins: Termin[];
  progress: number;
  payments: Payment[];
  claim?: Claim | null;
  penalty?: Penalty | null;
  bastDate?: string;
}

/** Penalty per day (per mille of the value) and its cap (percent of the value): ≈, from Perpres 16/2018. */
export const PENALTY_PER_MILLE_PER_DAY = 1;
export const PENALTY_CAP_PERCENT = 5;
/** Whole calendar days from `from` to `to` (YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const paidGross = (c: ContractData) => c.payments.filter((p) => p.kind === 'termin').reduce((s, p) => s + p.gross, 0);
const heldRetention = (c: ContractData) => c.payments.reduce((s, p) => s + (p.kind === 'termin' ? p.retention : -p.gross), 0);
const outstandingPenalty = (c: ContractData) => (c.penalty ? c.penalty.amount - c.penalty.deducted : 0);

/** Refuses a new progress figure below the last one. */
export function checkProgress(c: ContractData, percent: number): void {
  if (percent < c.progress) throw progressDecreased(`Progress was ${c.progress} %; a report cannot lower it to ${percent} %`);
}

/** A termin's gross amount: its percentage of the contract value, rounded down to whole rupiah. */
export function terminGross(value: number, percent: number): number {
  return Math.floor((value * percent) / 100);
}

/** A termin percentage below one hundredth, or one that comes to less than Rp 1 of the value: its problem. */
export function terminPercentProblem(value: number, percent: number): string | undefined {
  return quantityProblem(percent) ?? (terminGross(value, percent) < 1 ? 'must come to at least Rp 1 of the contract value' : undefined);
}

/** The claim for termin n (1-based): threshold, not yet paid, and within the contract value. */
export function terminClaim(c: ContractData, n: number, returnTo: ReturnTo): Claim {
  const termin = c.termins[n - 1];
  if (!termin) throw unknownTermin(`The contract has ${c.termins.length} termins; there is no termin ${n}`);
  if (c.payments.some((p) => p.kind === 'termin' && p.termin === n)) throw terminAlreadyPaid(`Termin ${n} has been paid already`);
  if (c.progress < termin.threshold) {
    throw terminThresholdNotReached(`Termin ${n} needs ${termin.threshold} % progress; the work is at ${c.progress} %`);
  }
  const gross = terminGross(c.value, termin.percent);
  if (paidGross(c) + gross > c.value) {
    throw paymentExceedsContractValue(`Termin ${n} (${gross}) would bring payments to ${paidGross(c) + gross}, above the contract value ${c.value}`);
  }
  const retention = Math.round((gross * c.retentionPercent) / 100);
  const penalty = Math.min(outstandingPenalty(c), gross - retention);
  return { kind: 'termin', termin: n, returnTo, gross, retention, penalty, net: gross - retention - penalty, status: 'review' };
}

/** The retention payment after FHO: every rupiah held, less any penalty still owed. */
export function retentionClaim(c: ContractData): Claim {
  const gross = heldRetention(c);
  const penalty = Math.min(outstandingPenalty(c), gross);
  return { kind: 'retention', returnTo: 'closed', gross, retention: 0, penalty, net: gross - penalty, status: 'approved' };
}

/** Records a paid claim: the payment, and the penalty it deducted. */
export function recordPayment(c: ContractData, paidAt: Date): Pick<ContractData, 'payments' | 'penalty' | 'claim'> {
  const claim = c.claim!;
  const { status: _s, returnTo: _r, ...payment } = claim;
  return {
    payments: [...c.payments, { ...payment, paidAt: paidAt.toISOString() }],
    penalty: c.penalty ? { ...c.penalty, deducted: c.penalty.deducted + claim.penalty } : c.penalty ?? null,
    claim: { ...claim, status: 'paid' },
  };
}

/** The late penalty as of a handover request on `requested` (YYYY-MM-DD); 100 % progress required. */
export function handoverPenalty(c: ContractData, requested: string): Penalty {
  if (c.progress < 100) throw handoverIncomplete(`Handover needs 100 % progress; the work is at ${c.progress} %`);
  const days = Math.max(0, daysBetween(c.endDate, requested));
  const amount = Math.min(Math.floor((c.value * days * PENALTY_PER_MILLE_PER_DAY) / 1000), Math.floor((c.value * PENALTY_CAP_PERCENT) / 100));
  return { days, amount, deducted: c.penalty?.deducted ?? 0 };
}

/** FHO only once the maintenance period after BAST has run. */
export function checkMaintenanceOver(c: ContractData, today: string): void {
  const ends = addDays(c.bastDate!, c.maintenanceDays);
  if (today < ends) throw maintenancePeriodRunning(`The maintenance period runs until ${ends}; FHO cannot be signed before`);
}

/** An amendment may not lower the value below what has been paid. */
export function checkAmendedValue(c: ContractData, value: number): void {
  if (value < paidGross(c)) throw paymentExceedsContractValue(`Payments of ${paidGross(c)} already exceed the amended value ${value}`);
}
