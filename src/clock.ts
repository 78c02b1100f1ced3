/**
 * grms keeps two clocks (see "Two clocks" in the README):
 * - the workflow clock, this module: SLAs and deadlines, overdue flags, inbox and dashboards,
 *   default years, dates of events, delegations, numbers and documents. One function, injected
 *   everywhere from the engine; tests set it years away and at any hour.
 * - the real clock (`new Date()`, SQL `now()`): certificate validity, signing and time-stamp
 *   times, session, token and rate-limit expiry, and the moment a row is recorded (created_at,
 *   the audit chain's time, which the checkpoint protocol orders by).
 * One configured time zone (GRMS_TIMEZONE) turns instants into calendar days, SQL included (SQL
 * gets the day computed here as a parameter, never `now()` in a fixed zone).
 */
import { localDay, localYear } from './sla/calendar';
import { DEFAULT_TIMEZONE } from './config';

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

// The default zone is a setting (GRMS_TIMEZONE), kept with the other settings in config.ts.
export { DEFAULT_TIMEZONE };

/** The workflow clock read in the deployment's time zone. */
export interface WorkflowTime {
  readonly clock: Clock;
  readonly timeZone: string;
}

export function workflowTime(timeZone: string = DEFAULT_TIMEZONE, clock: Clock = systemClock): WorkflowTime {
  return Object.freeze({ clock, timeZone });
}

/** Today's local day ("YYYY-MM-DD") on the workflow clock. */
export function todayOf(time: WorkflowTime): string {
  return localDay(time.clock(), time.timeZone);
}

/** This year on the workflow clock, in the deployment's zone (the default fiscal year). */
export function yearOf(time: WorkflowTime): number {
  return localYear(time.clock(), time.timeZone);
}

/**
 * The budget year being prepared on the workflow clock: next year (the RKA for a year is drawn up
 * and ratified the year before). What the dashboard opens on.
 */
export function budgetYearOf(time: WorkflowTime): number {
  return yearOf(time) + 1;
}
