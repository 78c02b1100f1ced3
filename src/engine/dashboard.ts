import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/types';
import { type Actor, hasGlobalRole, memberOrgs } from '../auth/roles';
import { CEILING_USING_STATES } from './ceilings';
import { inYear } from './years';

/**
 * Figures for the dashboard, one grouped query each. Scope: `orgs` undefined means every OPD
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

/**
 * The workflow whose proposals the budget section counts against the ceilings; its package says
 * the section's words (labels.texts). Named here only until the ceiling rule moves into it.
 */
export const BUDGET_WORKFLOW = 'budget-proposal';

export interface BudgetTotals {
  org: string;
  orgName: string;
  /** Null when no ceiling (pagu) is set for the year. */
  ceiling: number | null;
  /** Approved by TAPD, ratified ones included (what counts against the ceiling). */
  approved: number;
  ratified: number;
}

const inScope = (column: string, scope: { orgs?: readonly string[] }): RawBuilder<unknown> =>
  scope.orgs ? sql`AND ${sql.ref(column)} IN (${sql.join(scope.orgs)})` : sql``;

/** Ceiling vs approved vs ratified per OPD that has a ceiling or an approved proposal that year. */
export async function budgetTotals(db: Kysely<Database>, scope: DashboardScope): Promise<BudgetTotals[]> {
  if (scope.orgs && scope.orgs.length === 0) return [];
  // Served by workflow_instances_ceiling (org_id, fiscal_year, state) and the ceilings key.
  const rows = await sql<{ org: string; org_name: string; ceiling: string | null; approved: string; ratified: string }>`
    SELECT o.id AS org, o.name AS org_name, c.amount AS ceiling,
      coalesce(sum(w.total), 0) AS approved,
      coalesce(sum(w.total) FILTER (WHERE w.state = 'ratified'), 0) AS ratified
    FROM orgs o
    LEFT JOIN ceilings c ON c.org_id = o.id AND c.fiscal_year = ${scope.year}
    LEFT JOIN workflow_instances w ON w.org_id = o.id AND w.workflow = ${BUDGET_WORKFLOW} AND w.fiscal_year = ${scope.year}
      AND w.state IN (${sql.join([...CEILING_USING_STATES])})
    WHERE (c.org_id IS NOT NULL OR w.id IS NOT NULL) ${inScope('o.id', scope)}
    GROUP BY o.id, o.name, c.amount
    ORDER BY o.name`.execute(db);
  return rows.rows.map((r) => ({
    org: r.org, orgName: r.org_name, ceiling: r.ceiling === null ? null : Number(r.ceiling), approved: Number(r.approved), ratified: Number(r.ratified),
  }));
}

export interface StateCount {
  org: string;
  orgName: string;
  workflow: string;
  state: string;
  count: number;
}

/**
 * Instances per OPD, workflow and state for a year (inYear: the fiscal year where the instance
 * has one, else the year it was created in).
 */
export async function instancesPerState(db: Kysely<Database>, scope: DashboardScope, timeZone: string): Promise<StateCount[]> {
  if (scope.orgs && scope.orgs.length === 0) return [];
  const rows = await sql<{ org: string; org_name: string; workflow: string; state: string; n: string }>`
    SELECT w.org_id AS org, o.name AS org_name, w.workflow, w.state, count(*) AS n
    FROM workflow_instances w JOIN orgs o ON o.id = w.org_id
    WHERE ${inYear('w', scope.year, timeZone)} ${inScope('w.org_id', scope)}
    GROUP BY w.org_id, o.name, w.workflow, w.state
    ORDER BY o.name, w.workflow, w.state`.execute(db);
  return rows.rows.map((r) => ({ org: r.org, orgName: r.org_name, workflow: r.workflow, state: r.state, count: Number(r.n) }));
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
