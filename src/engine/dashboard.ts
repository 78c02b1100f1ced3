import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/types';
import { type Actor, hasGlobalRole, memberOrgs } from '../auth/roles';
import { inYear } from './years';

/**
 * Figures for the dashboard, one grouped query each; workflow packages add their own
 * (WorkflowPackage.dashboard), e.g. the budget ceilings. Scope: `orgs` undefined means every OPD
 * (global roles); an OPD-scoped user gets only the OPDs they belong to (memberOrgs), never
 * another OPD's numbers, even for instances they may read as a participant.
 */
export interface DashboardScope {
  year: number;
  orgs?: readonly string[];
}

/** The OPDs an actor's dashboard covers: undefined for global roles (all), else their own. */
export function dashboardOrgs(actor: Actor): string[] | undefined {
  return hasGlobalRole(actor) ? undefined : memberOrgs(actor);
}

/** `AND column IN (…)` when the scope names OPDs; nothing for every OPD. */
export const inScope = (column: string, scope: { orgs?: readonly string[] }): RawBuilder<unknown> =>
  scope.orgs ? sql`AND ${sql.ref(column)} IN (${sql.join(scope.orgs)})` : sql``;

export interface StateCount {
  org: string;
  orgName: string;
  workflow: string;
  /** The year counted (instancesPerState); absent for overdue tasks, which are counted whatever their year. */
  year?: number;
  state: string;
  count: number;
}

/**
 * Instances per OPD, workflow and state, each workflow in one year: `years` is the year asked for
 * all, or a year per workflow (workflows not in it are not counted). The year an instance counts
 * in is its package's rule (inYear, src/engine/years.ts), the one the lists' year filter applies.
 */
export async function instancesPerState(
  db: Kysely<Database>, scope: { orgs?: readonly string[] }, years: number | ReadonlyMap<string, number>, timeZone: string,
): Promise<StateCount[]> {
  if (scope.orgs && scope.orgs.length === 0) return [];
  const yearOf = (workflow: string) => (typeof years === 'number' ? years : years.get(workflow)!);
  const inYears = typeof years === 'number'
    ? inYear('w', years, timeZone)
    : years.size === 0 ? sql<SqlBool>`false` : sql<SqlBool>`(${sql.join([...years].map(([w, y]) => sql`(w.workflow = ${w} AND ${inYear('w', y, timeZone)})`), sql` OR `)})`;
  const rows = await sql<{ org: string; org_name: string; workflow: string; state: string; n: string }>`
    SELECT w.org_id AS org, o.name AS org_name, w.workflow, w.state, count(*) AS n
    FROM workflow_instances w JOIN orgs o ON o.id = w.org_id
    WHERE ${inYears} ${inScope('w.org_id', scope)}
    GROUP BY w.org_id, o.name, w.workflow, w.state
    ORDER BY o.name, w.workflow, w.state`.execute(db);
  return rows.rows.map((r) => ({ org: r.org, orgName: r.org_name, workflow: r.workflow, year: yearOf(r.workflow), state: r.state, count: Number(r.n) }));
}

/**
 * Tasks past their deadline now, per OPD and the step (state) waiting: escalated already, or due
 * and waiting for the scheduler's next tick (the inbox's rule).
 */
export async function overduePerOffice(db: Kysely<Database>, scope: Omit<DashboardScope, 'year'>, now: Date): Promise<StateCount[]> {
  if (scope.orgs && scope.orgs.length === 0) return [];
  const rows = await sql<{ org: string; org_name: string; workflow: string; state: string; n: string }>`
    SELECT w.org_id AS org, o.name AS org_name, d.workflow, d.state, count(*) AS n
    FROM deadlines d
    JOIN workflow_instances w ON w.id = d.instance_id
    JOIN orgs o ON o.id = w.org_id
    WHERE d.kind = 'state' AND (d.overdue OR d.due_at <= ${now}) ${inScope('w.org_id', scope)}
    GROUP BY w.org_id, o.name, d.workflow, d.state
    ORDER BY o.name, d.workflow, d.state`.execute(db);
  return rows.rows.map((r) => ({ org: r.org, orgName: r.org_name, workflow: r.workflow, state: r.state, count: Number(r.n) }));
}
