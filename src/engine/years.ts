import { sql, type Expression, type SqlBool } from 'kysely';
import { badRequest } from '../errors';
import { yearOf, type WorkflowTime } from '../clock';
import { localYear } from '../sla/calendar';
import type { YearRule } from './package';

/**
 * "The instance belongs to year Y", on `table` (a name or alias of workflow_instances): the year
 * the engine stored for it (`year_group`, by its package's `years` rule, see groupYear); for a row
 * made before migration 0042, its fiscal year where it has one, else the year it was created in
 * the deployment's time zone (as a range, so indexes apply). The dashboard counts and the lists'
 * year filter both use this.
 */
export function inYear(table: string, year: number, timeZone: string): Expression<SqlBool> {
  const col = (c: string) => sql.ref(`${table}.${c}`);
  return sql<SqlBool>`(${col('year_group')} = ${year} OR (${col('year_group')} IS NULL AND (${col('fiscal_year')} = ${year} OR (${col('fiscal_year')} IS NULL
    AND ${col('created_at')} >= make_timestamptz(${year}, 1, 1, 0, 0, 0, ${timeZone})
    AND ${col('created_at')} < make_timestamptz(${year + 1}, 1, 1, 0, 0, 0, ${timeZone})))))`;
}

/**
 * The year an instance is counted in, by its package's rule: 'fiscal', the fiscal year its data
 * gives (none: as 'created'); 'created' (the default), the year it was created in on the workflow
 * clock, in the deployment's zone. Taken when the instance is created.
 */
export function groupYear(rule: YearRule | undefined, fiscalYear: number | null, at: { instant: Date; timeZone: string }): number {
  return rule?.by === 'fiscal' && fiscalYear !== null ? fiscalYear : localYear(at.instant, at.timeZone);
}

/** On a change of data: the fiscal year for a 'fiscal' rule, else the stored year (NULL, grouped as before 0042, stays NULL). */
export function changedGroupYear(rule: YearRule | undefined, fiscalYear: number | null, stored: number | null): number | null {
  return rule?.by === 'fiscal' && fiscalYear !== null ? fiscalYear : stored;
}

/**
 * The year the dashboard shows a workflow in when no year is asked: this year on the workflow
 * clock, or next year for a package whose rule opens on the next ('next': a budget is drawn up
 * the year before it runs).
 */
export function openingYear(rule: YearRule | undefined, time: WorkflowTime): number {
  return yearOf(time) + (rule?.opensOn === 'next' ? 1 : 0);
}

/** A year filter from a query: four digits, 2000..2100 (the schemas' range). */
export function parseYear(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = /^\d{4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 2000 && n <= 2100)) throw badRequest('year must be 2000..2100', [{ path: '/year', message: 'must be 2000..2100' }]);
  return n;
}
