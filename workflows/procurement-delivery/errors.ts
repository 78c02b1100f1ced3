import { GrmsError } from '../../src/errors';

/**
 * Procurement delivery's refusals: the workflow's guard and money rules, each its own type so a client can
 * tell them apart (all 422: the request is well formed, the contract does not allow it now).
 */
const procurement = (code: string, slug: string, title: string) => (detail: string) => new GrmsError(code, 422, slug, title, detail);
export const terminThresholdNotReached = procurement('TERMIN_THRESHOLD_NOT_REACHED', 'termin-threshold-not-reached', 'Termin threshold not reached');
export const terminAlreadyPaid = procurement('TERMIN_ALREADY_PAID', 'termin-already-paid', 'Termin already paid');
export const unknownTermin = procurement('UNKNOWN_TERMIN', 'unknown-termin', 'Unknown termin');
export const progressDecreased = procurement('PROGRESS_DECREASED', 'progress-decreased', 'Progress cannot go down');
export const handoverIncomplete = procurement('HANDOVER_INCOMPLETE', 'handover-incomplete', 'Work not complete');
export const maintenancePeriodRunning = procurement('MAINTENANCE_PERIOD_RUNNING', 'maintenance-period-running', 'Maintenance period still running');
export const paymentExceedsContractValue = procurement('PAYMENT_EXCEEDS_CONTRACT_VALUE', 'payment-exceeds-contract-value', 'Payment exceeds the contract value');
export const alreadySigned = procurement('ALREADY_SIGNED', 'already-signed', 'Already signed');
export const invalidSupplier = procurement('INVALID_SUPPLIER', 'invalid-supplier', 'Invalid supplier');
export const invalidBudgetLink = procurement('INVALID_BUDGET_LINK', 'invalid-budget-link', 'Invalid budget link');
