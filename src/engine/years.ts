import { sql, type Expression, type SqlBool } from 'kysely';
import { badRequest } from '../errors';

/**
 * "The instance belongs to year Y", on `table` (a name or alias of workflow_instances): its
 * fiscal year where it has one, else the year it was created in the deployment's time zone (as a
 * range, so indexes apply). The dashboard counts and the lists' year filter both use this.
 */
export function inYear(table: string, year: number, timeZone: string): Expression<SqlBool> {
  const col = (c: string) => sql.ref(`${table}.${c}`);
  return sql<SqlBool>`(${col('fiscal_year')} = ${year} OR (${col('fiscal_year')} IS NULL
    AND ${col('created_at')} >= make_timestamptz(${year}, 1, 1, 0, 0, 0, ${timeZone})
    AND ${col('created_at')} < make_timestamptz(${year + 1}, 1, 1, 0, 0, 0, ${timeZone})))`;
}

/** A year filter from a query: four digits, 2000..2100 (the schemas' range). */
export function parseYear(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = /^\d{4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 2000 && n <= 2100)) throw badRequest('year must be 2000..2100', [{ path: '/year', message: 'must be 2000..2100' }]);
  return n;
}
