/**
 * Working-day calendar for SLAs. Pure: no database, no clock, no environment.
 *
 * Terminology:
 * - local day: a calendar date "YYYY-MM-DD" in the deployment's time zone (GRMS_TIMEZONE).
 * - working day: a local day that is Monday–Friday and not in the holiday table.
 * - SLA of N working days, entered at instant `start`: the day of `start` itself never counts (a
 *   file received at 15:00 is not due that evening); day 1 is the first working day AFTER the start
 *   day, and the deadline is the last millisecond (23:59:59.999 local) of working day N.
 *   Entered Friday 10:00 with 1 day: due at the end of Monday; a weekend or holiday start day
 *   behaves the same (entered Saturday with 1 day: due at the end of Monday).
 */

export class CalendarError extends Error {
  readonly code = 'SLA_CALENDAR_INVALID';
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' });
    } catch (err) {
      throw new CalendarError(`unknown time zone "${timeZone}"`, { cause: err });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Checks "YYYY-MM-DD" is a real calendar date and returns it as days since 1970-01-01. */
function dayNumber(day: string): number {
  const m = DAY.exec(day);
  if (!m) throw new CalendarError(`"${day}" is not a date in the form YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new CalendarError(`"${day}" is not a calendar date`);
  }
  return t / MS_PER_DAY;
}

function dayString(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Throws CalendarError unless `day` is a real date written YYYY-MM-DD. */
export function assertDay(day: string): void {
  dayNumber(day);
}

/** The calendar year of an instant in a time zone (fiscal years and number series restart with it). */
export function localYear(instant: Date, timeZone: string): number {
  return Number(localDay(instant, timeZone).slice(0, 4));
}

/** The local day ("YYYY-MM-DD") of an instant in `timeZone`. */
export function localDay(instant: Date, timeZone: string): string {
  if (Number.isNaN(instant.getTime())) throw new CalendarError('invalid Date');
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The day after (or `n` days after) a local day. */
export function nextDay(day: string, n = 1): string {
  return dayString(dayNumber(day) + n);
}

/** Monday–Friday and not a holiday. */
export function isWorkingDay(day: string, holidays: ReadonlySet<string>): boolean {
  const weekday = new Date(dayNumber(day) * MS_PER_DAY).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(day);
}

/**
 * The last millisecond whose local day is `day`. Found by bisection on the instant, so it holds in
 * any zone, including days of 23 or 25 hours and zones whose midnight is skipped by DST.
 */
export function endOfLocalDay(day: string, timeZone: string): Date {
  const next = nextDay(day);
  // The local day starts within [UTC midnight - 15 h, UTC midnight + 15 h] in every real zone.
  let lo = (dayNumber(day) + 1) * MS_PER_DAY - 15 * 3_600_000; // still `day` (or earlier) here
  let hi = lo + 30 * 3_600_000; // already `next` (or later) here
  if (localDay(new Date(lo), timeZone) >= next || localDay(new Date(hi), timeZone) < next) {
    throw new CalendarError(`cannot find the end of ${day} in ${timeZone}`);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDay(new Date(mid), timeZone) >= next) hi = mid;
    else lo = mid;
  }
  return new Date(lo);
}

/** The first millisecond whose local day is `day`. */
export function startOfLocalDay(day: string, timeZone: string): Date {
  return new Date(endOfLocalDay(nextDay(day, -1), timeZone).getTime() + 1);
}

function checkDays(days: number): void {
  if (!Number.isSafeInteger(days) || days < 1) throw new CalendarError(`an SLA is a whole number of working days >= 1, got ${days}`);
}

/**
 * The deadline of an SLA of `days` working days entered at `start`: the end (23:59:59.999 local) of
 * the `days`-th working day after the start day. See the rule at the top of this module.
 */
export function addWorkingDays(start: Date, days: number, holidays: ReadonlySet<string>, timeZone: string): Date {
  checkDays(days);
  let day = localDay(start, timeZone);
  let counted = 0;
  // A holiday table with every day listed would loop forever; no real calendar has 2 idle years.
  for (let guard = 0; counted < days; guard++) {
    if (guard > days + 731) throw new CalendarError(`no ${days} working days within two years after ${day}`);
    day = nextDay(day);
    if (isWorkingDay(day, holidays)) counted++;
  }
  return endOfLocalDay(day, timeZone);
}

/**
 * Working days used between two instants: the working days d with localDay(from) < d <=
 * localDay(to). It is the inverse of addWorkingDays (for any deadline D = addWorkingDays(s, n),
 * workingDaysBetween(s, D) = n), so a clock that is paused and resumed charges each working day
 * once: the day it pauses counts, the day it resumes does not (like the day it started).
 */
export function workingDaysBetween(from: Date, to: Date, holidays: ReadonlySet<string>, timeZone: string): number {
  const first = dayNumber(localDay(from, timeZone));
  const last = dayNumber(localDay(to, timeZone));
  let n = 0;
  for (let d = first + 1; d <= last; d++) if (isWorkingDay(dayString(d), holidays)) n++;
  return n;
}
