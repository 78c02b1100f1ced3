import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { assertDay, CalendarError } from './calendar';

/** One row of the holiday table (a day that is not a working day besides weekends). */
export interface Holiday {
  /** YYYY-MM-DD. */
  date: string;
  name: string;
  createdBy: string;
  createdAt: Date;
}

// Drivers parse `date` into a Date at the server process's local midnight; text is exact.
const DATE_TEXT = sql<string>`"date"::text`;
const asDate = (day: string) => sql<Date>`${day}::date`;

/** Every holiday, as the set addWorkingDays takes. */
export async function loadHolidays(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('holidays').select(DATE_TEXT.as('date')).execute();
  return new Set(rows.map((r) => r.date));
}

/** Adds a holiday or renames it. Throws CalendarError for a malformed date or an empty name. */
export async function setHoliday(db: Kysely<Database>, date: string, name: string, by: string): Promise<Holiday> {
  assertDay(date);
  if (name.trim() === '') throw new CalendarError('a holiday needs a name');
  const row = await db
    .insertInto('holidays')
    .values({ date, name: name.trim(), created_by: by })
    .onConflict((oc) => oc.column('date').doUpdateSet({ name: name.trim(), created_by: by, created_at: sql<Date>`now()` }))
    .returning([DATE_TEXT.as('date'), 'name', 'created_by', 'created_at'])
    .executeTakeFirstOrThrow();
  return { date: row.date, name: row.name, createdBy: row.created_by, createdAt: row.created_at };
}

/** Removes a holiday; false when there was none on that date. */
export async function removeHoliday(db: Kysely<Database>, date: string): Promise<boolean> {
  assertDay(date);
  const r = await db.deleteFrom('holidays').where('date', '=', asDate(date)).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The holidays of one calendar year, in date order. */
export async function listHolidays(db: Kysely<Database>, year: number): Promise<Holiday[]> {
  if (!Number.isInteger(year) || year < 1 || year > 9999) throw new CalendarError(`year must be an integer 1..9999, got ${year}`);
  const y = String(year).padStart(4, '0');
  const rows = await db
    .selectFrom('holidays')
    .select([DATE_TEXT.as('date'), 'name', 'created_by', 'created_at'])
    .where('date', '>=', asDate(`${y}-01-01`))
    .where('date', '<=', asDate(`${y}-12-31`))
    .orderBy('date')
    .execute();
  return rows.map((r) => ({ date: r.date, name: r.name, createdBy: r.created_by, createdAt: r.created_at }));
}
