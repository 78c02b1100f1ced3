import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { invalidData, notFound } from '../errors';
import { invalidTextProblems } from '../engine/validate';
import { loadHolidays, removeHoliday, setHoliday, type Holiday } from './holidays';
import { rescheduleDeadlines } from './deadlines';

/**
 * Holiday changes as an admin makes them (API or console): validated with field problems, and
 * followed by rescheduling every open deadline, which was computed with the old calendar.
 */
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isCalendarDay(value: unknown): value is string {
  return typeof value === 'string' && DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
    && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
}

export async function addHoliday(db: Kysely<Database>, date: unknown, name: unknown, by: string, timeZone: string): Promise<Holiday> {
  const problems = isCalendarDay(date) ? [] : [{ path: '/date', message: 'must be YYYY-MM-DD' }];
  problems.push(...invalidTextProblems(name, '/name'));
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) problems.push({ path: '/name', message: 'must be a non-empty string of at most 200 characters' });
  if (problems.length) throw invalidData('The holiday is invalid', problems);
  const holiday = await setHoliday(db, date as string, name as string, by);
  await rescheduleDeadlines(db, await loadHolidays(db), timeZone);
  return holiday;
}

/** Removes the holiday on `date` (a valid calendar day) or throws not found. */
export async function deleteHoliday(db: Kysely<Database>, date: string, timeZone: string): Promise<void> {
  if (!(await removeHoliday(db, date))) throw notFound(`No holiday on ${date}`);
  await rescheduleDeadlines(db, await loadHolidays(db), timeZone);
}
