import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db/types';
import { type Actor, hasGlobalRole, memberOrgs } from '../auth/roles';
import { actingKindOfAuditRow, type DelegationKind } from '../auth/delegation-kind';
import { type Atom, atomSql, type Duty, ESCALATED_SQL, stepAccess } from '../auth/access';
import { badRequest, GrmsError, type FieldProblem } from '../errors';
import type { WorkflowRegistry } from './registry';
import { definitionOf, toView, type InstanceView } from './view';
import { inYear, parseYear } from './years';
import { searchCondition, searchTerm } from './search';
import type { WorkflowTime } from '../clock';

type EB = ExpressionBuilder<Database, 'workflow_instances'>;

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(n: number): string {
  return Buffer.from(String(n)).toString('base64url');
}

const badCursor = () => badRequest('cursor is not valid', [{ path: '/cursor', message: 'unknown cursor' }]);

/** The key a page cursor holds; `max` is the largest value its column can hold (a larger one is no cursor this app made). */
export function decodeCursor(cursor: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw badCursor();
  return n;
}

export function parseLimit(limit: string | undefined): number {
  if (limit === undefined || limit === '') return DEFAULT_PAGE;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_PAGE}`, [{ path: '/limit', message: `must be 1..${MAX_PAGE}` }]);
  }
  return n;
}

/**
 * One way the actor may fire an event: the workflow version and state, and what the instance must
 * satisfy besides, as stated once in src/auth/access.ts: one of the grants (scope), and for a task
 * every duty (segregation of duties).
 */
interface Disjunct {
  workflow: string;
  /**
   * The versions where this way to act is the same (usually all of a workflow's: a v2 that adds a
   * field keeps v1's steps). One disjunct for them all, so a branch never walks the deadlines of
   * instances of another version to find none of its own (after an upgrade, most of them).
   */
  versions: number[];
  state: string;
  /** Conditions of the grants (any one suffices), merged where they differ only in their orgs. */
  grants: Atom[][];
  /** Duties (all must hold); empty unless tasks were asked for. */
  duties: Atom[];
}

/** The org atom a grant's condition reads from the instance's own OPD, if any. */
const orgAtom = (when: readonly Atom[]) => when.find((a): a is Extract<Atom, { kind: 'org' }> => a.kind === 'org');

/**
 * OR of conditions that differ only in the orgs of their org or data-org atom is one condition
 * over the union of those orgs (a grant holds at most one such atom): the SQL stays one IN list.
 */
function mergeGrants(grants: ReadonlyArray<readonly Atom[]>): Atom[][] {
  const merged = new Map<string, Atom[]>();
  for (const when of grants) {
    const shape = JSON.stringify(when.map((a) => (a.kind === 'org' || a.kind === 'dataOrg' ? { ...a, in: [] } : a)));
    const seen = merged.get(shape);
    merged.set(shape, seen ? seen.map((a, i) => unionOrgs(a, when[i]!)) : [...when]);
  }
  return [...merged.values()];
}

function unionOrgs(a: Atom, b: Atom): Atom {
  if ((a.kind === 'org' || a.kind === 'dataOrg') && a.kind === b.kind) return { ...a, in: [...new Set([...a.in, ...(b as typeof a).in])].sort() };
  return a;
}

/** Duties as SQL conjuncts: the step_hands ones in one array (none of them may be there). */
function mergeDuties(duties: readonly Duty[]): Atom[] {
  const keys = duties.flatMap((d) => (d.must.kind === 'noStepHand' ? d.must.keys : [])).sort();
  const rest = duties.map((d) => d.must).filter((a) => a.kind !== 'noStepHand');
  return keys.length ? [...rest, { kind: 'noStepHand', keys }] : rest;
}

/**
 * The disjuncts of "the actor may fire an event (with tasksOnly: a task event) on this instance
 * now", from the workflow definitions: one per (workflow, state, event) the actor holds a role
 * for, duplicates dropped (the head of an OPD approves and returns under the same condition) and
 * versions where the condition is the same taken together.
 */
function taskDisjuncts(actor: Actor, registry: WorkflowRegistry, tasksOnly: boolean): Disjunct[] {
  const out = new Map<string, Disjunct>();
  for (const def of registry.all()) {
    for (const [state, events] of Object.entries(def.steps)) {
      for (const [type, step] of Object.entries(events)) {
        if (tasksOnly && !step.task) continue;
        const access = stepAccess(actor, def, state, type)!;
        if (access.grants.length === 0) continue;
        const d: Disjunct = {
          workflow: def.name, versions: [def.version], state,
          grants: mergeGrants(access.grants.map((g) => g.when)), duties: tasksOnly ? mergeDuties(access.duties) : [],
        };
        const key = JSON.stringify({ ...d, versions: [] });
        const same = out.get(key);
        if (same) same.versions = [...new Set([...same.versions, def.version])].sort((a, b) => a - b);
        else out.set(key, d);
      }
    }
  }
  return [...out.values()];
}

/**
 * A disjunct as SQL on the (unaliased) workflow_instances table. `without` leaves out what the
 * caller does not ask (the state, for "at some stage") or already guarantees (the workflow, state
 * and OPD a branch reads from the deadlines index: restating them on the instance makes the
 * planner count their selectivity twice and read the whole inbox).
 */
function disjunctSql(d: Disjunct, without: { state?: boolean; workflow?: boolean; org?: boolean } = {}): Expression<SqlBool> {
  const parts: Expression<unknown>[] = [d.versions.length === 1
    ? sql`workflow_instances.workflow_version = ${d.versions[0]!}`
    : sql`workflow_instances.workflow_version in (${sql.join(d.versions)})`];
  if (!without.workflow) parts.push(sql`workflow_instances.workflow = ${d.workflow}`);
  if (!without.state) parts.push(sql`workflow_instances.state = ${d.state}`);
  const grants = d.grants.map((when) => when.filter((a) => !(without.org && a.kind === 'org')));
  if (!grants.some((when) => when.length === 0)) {
    const conditions = grants.map((when) => when.map(atomSql));
    parts.push(conditions.length === 1 ? sql.join(conditions[0]!, sql` and `) : anyOf(conditions.map((c) => sql<SqlBool>`(${sql.join(c, sql` and `)})`)));
  }
  parts.push(...d.duties.map(atomSql));
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

function anyOf(conditions: Expression<SqlBool>[]): Expression<SqlBool> {
  return conditions.length ? sql<SqlBool>`(${sql.join(conditions, sql` or `)})` : sql<SqlBool>`false`;
}

/** SQL for "the actor may fire an event on this instance at some stage" (who may read it, see canRead). */
function actsAtSomeStage(actor: Actor, registry: WorkflowRegistry): Expression<SqlBool> {
  const seen = new Set<string>();
  const conditions: Expression<SqlBool>[] = [];
  for (const d of taskDisjuncts(actor, registry, false)) {
    // Without the state, disjuncts that differ only by state are the same condition.
    const key = JSON.stringify({ ...d, state: '' });
    if (seen.has(key)) continue;
    seen.add(key);
    conditions.push(disjunctSql(d, { state: true }));
  }
  return anyOf(conditions);
}

/**
 * `visibility` as branches whose union is the same set, each a condition an index reads in
 * `row_no` order, or null when the actor reads everything. With `byWorkflow`, an OPD's instances
 * are one branch per registered workflow (an instance's workflow always is: toView needs its
 * definition), the range (workflow, state, OPD) of workflow_instances_inbox; without
 * it, the range of the OPD in workflow_instances_org. A way to act at some stage that holds only at
 * the actor's own OPDs adds nothing to those branches and is left out. Instances the actor took
 * part in are not among them: see listInstances.
 */
export function visibilityBranches(actor: Actor, registry: WorkflowRegistry, byWorkflow: boolean): Expression<SqlBool>[] | null {
  if (hasGlobalRole(actor)) return null;
  const member = memberOrgs(actor);
  const workflows = [...new Set(registry.all().map((d) => d.name))].sort();
  const branches: Expression<SqlBool>[] = member.flatMap((org) => byWorkflow
    ? workflows.map((w) => sql<SqlBool>`(workflow_instances.workflow = ${w} and workflow_instances.org_id = ${org})`)
    : [sql<SqlBool>`workflow_instances.org_id = ${org}`]);
  const seen = new Set<string>();
  for (const d of taskDisjuncts(actor, registry, false)) {
    const key = JSON.stringify({ ...d, state: '' });
    if (seen.has(key)) continue;
    seen.add(key);
    const grants = d.grants.filter((when) => !orgAtom(when)?.in.every((o) => member.includes(o)));
    if (grants.length > 0) branches.push(disjunctSql({ ...d, grants }, { state: true }));
  }
  return branches;
}

/** UNION ALL of queries with the same columns, each kept whole (its own ORDER BY and LIMIT). */
function unionAllOf<DB, TB extends keyof DB, O>(db: Kysely<Database>, queries: Array<SelectQueryBuilder<DB, TB, O>>) {
  return queries.slice(1).reduce((acc, q, i) => acc.unionAll(db.selectFrom(q.as(`b${i + 1}`)).selectAll()), db.selectFrom(queries[0]!.as('b0')).selectAll());
}

export function visibility(eb: EB, actor: Actor, registry: WorkflowRegistry): Expression<SqlBool> {
  if (hasGlobalRole(actor)) return sql<SqlBool>`true`;
  return eb.or([
    eb('org_id', 'in', memberOrgs(actor)),
    sql<SqlBool>`participants @> ARRAY[${actor.username}]::text[]`,
    actsAtSomeStage(actor, registry),
  ]);
}

export interface ListFilters {
  /** "true": only instances with a deadline past due. */
  overdue?: string;
  /** Instances of that year (inYear: the fiscal year, else the year created). */
  year?: string;
  /** A search text (searchCondition: number, registration, NIK/NIB, title words). */
  q?: string;
  workflow?: string;
  state?: string;
  org?: string;
  cursor?: string;
  limit?: string;
}

/**
 * Instances the actor may read, newest first. For an actor who does not read everything, each
 * visibility branch reads its own index range newest first with `LIMIT n+1` and the page is the
 * newest of their union: one filtered walk over every instance would read further the smaller
 * the actor's share of the table.
 */
/** `time` is the workflow clock (the overdue filter) and the deployment's zone (the year filter). */
export async function listInstances(db: Kysely<Database>, registry: WorkflowRegistry, actor: Actor, f: ListFilters, time: WorkflowTime): Promise<Page<InstanceView>> {
  const limit = parseLimit(f.limit);
  const after = decodeCursor(f.cursor);
  if (f.overdue !== undefined && f.overdue !== 'true' && f.overdue !== 'false') {
    throw badRequest('overdue must be true or false', [{ path: '/overdue', message: 'must be true or false' }]);
  }
  // Every refused filter is named at once (a form shows each beside its field).
  const problems: FieldProblem[] = [];
  const checked = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof GrmsError) || !err.errors) throw err;
      problems.push(...err.errors);
      return undefined;
    }
  };
  const year = checked(() => parseYear(f.year));
  const term = f.q === undefined || f.q === '' ? undefined : checked(() => searchTerm(f.q));
  if (problems.length) throw badRequest(problems.map((p) => `${p.path.slice(1)} ${p.message}`).join('; '), problems);
  const matches = term === undefined ? undefined : searchCondition(term, actor, registry, f.workflow || undefined);
  const now = time.clock();
  const filtered = <O>(q: SelectQueryBuilder<Database, 'workflow_instances', O>) => {
    if (f.workflow) q = q.where('workflow_instances.workflow', '=', f.workflow);
    if (f.state) q = q.where('workflow_instances.state', '=', f.state);
    if (f.org) q = q.where('workflow_instances.org_id', '=', f.org);
    if (year !== undefined) q = q.where(inYear('workflow_instances', year, time.timeZone));
    if (matches) q = q.where(matches);
    if (f.overdue === 'true') {
      q = q.where(({ exists, selectFrom }) =>
        exists(selectFrom('deadlines').select('deadlines.instance_id').whereRef('deadlines.instance_id', '=', 'workflow_instances.id').where((eb) => eb.or([eb('deadlines.overdue', '=', true), eb('deadlines.due_at', '<=', now)]))),
      );
    }
    if (after !== undefined) q = q.where('workflow_instances.row_no', '<', after);
    return q.orderBy('workflow_instances.row_no', 'desc').limit(limit + 1);
  };
  const branches = visibilityBranches(actor, registry, f.state !== undefined && f.state !== '');
  // With InstanceAccess.escalated: toView decides the actor's events on it.
  let rows: Array<Selectable<Database['workflow_instances']> & { escalated: boolean }>;
  if (branches === null) {
    rows = await filtered(db.selectFrom('workflow_instances').selectAll().select(ESCALATED_SQL.as('escalated'))).execute();
  } else {
    const newest = unionAllOf(db, branches.map((b) => filtered(db.selectFrom('workflow_instances').select('workflow_instances.row_no').where(b))));
    // Branches overlap (several workflows' ways to act at one OPD): DISTINCT.
    const keys = (await db.selectFrom(newest.as('u')).select('u.row_no').distinct().orderBy('u.row_no', 'desc').limit(limit + 1).execute()).map((r) => r.row_no);
    // Instances the actor took part in have no index in row_no order. When the branches fill a
    // page, only those newer than its last row can still enter it: the planner intersects that
    // range of row_no (of the state, when filtered) with the participants index, reading index
    // pages only. Otherwise they are read from the participants index and sorted (OFFSET 0 keeps
    // the planner from walking all of row_no instead): as many as the actor's own history.
    const tookPart = sql<SqlBool>`workflow_instances.participants @> ARRAY[${actor.username}]::text[]`;
    const floor = keys.length > limit ? keys[keys.length - 1]! : undefined;
    const participated = floor === undefined
      ? filtered(db.selectFrom(db.selectFrom('workflow_instances').selectAll().where(tookPart).offset(0).as('workflow_instances')).select('workflow_instances.row_no') as unknown as SelectQueryBuilder<Database, 'workflow_instances', { row_no: number }>)
      : filtered(db.selectFrom('workflow_instances').select('workflow_instances.row_no').where(tookPart).where('workflow_instances.row_no', '>', floor));
    const fromParticipated = db.selectFrom(participated.as('p')).select('p.row_no');
    const pageKeys = keys.length ? fromParticipated.unionAll(db.selectNoFrom(sql<number>`unnest(${sql.val(keys)}::bigint[])`.as('row_no'))) : fromParticipated;
    rows = await db.selectFrom('workflow_instances').selectAll().select(ESCALATED_SQL.as('escalated')).where('workflow_instances.row_no', 'in', db.selectFrom(pageKeys.as('k')).select('k.row_no'))
      .orderBy('workflow_instances.row_no', 'desc').limit(limit + 1).execute();
  }
  return page(rows, limit, (r) => toView(r, definitionOf(registry, r), actor), (r) => r.row_no);
}

/**
 * A task: the instance plus the due date of the step it waits at (null when the step has no SLA),
 * and whether the scheduler escalated that deadline (then holders of the step's escalation scope
 * see it too).
 */
export type TaskView = InstanceView & { dueAt: string | null; overdue: boolean; escalated: boolean };

/**
 * Inbox counts stop at this many: a figure equal to it reads "this many or more". Counting a
 * large inbox exactly would read all of it on every request; each task counted costs a lookup of
 * its instance (segregation of duties is checked there), so the cap is small.
 */
export const TASK_COUNT_CAP = 100;

export interface TaskPage extends Page<TaskView> {
  counts: { total: number; overdue: number; byWorkflow: Record<string, number>; cap: number };
}

function encodeTaskCursor(due: Date | null, rowNo: number): string {
  return Buffer.from(`${due ? due.getTime() : ''}:${rowNo}`).toString('base64url');
}

/** A due time (ms, within the range of a Date) and a row number (a safe integer), as encodeTaskCursor wrote them. */
function decodeTaskCursor(cursor: string | undefined): { due: Date | null; rowNo: number } | undefined {
  if (!cursor) return undefined;
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const m = /^(\d{0,16}):(\d{1,16})$/.exec(text);
  const due = m?.[1] ? new Date(Number(m[1])) : null;
  const rowNo = Number(m?.[2]);
  if (!m || (due && Number.isNaN(due.getTime())) || !Number.isSafeInteger(rowNo)) throw badCursor();
  return { due, rowNo };
}

/**
 * The inbox split into disjoint branches, each read from a deadlines index in due order: one per
 * (workflow, state), or per (workflow, state, OPD) when every way to act there
 * is held at the instance's OPD. Disjuncts of the same branch are OR'd.
 */
interface TaskBranch {
  workflow: string;
  state: string;
  org: string | null;
  /** On the instance alone. */
  condition: Expression<SqlBool>;
  /** On the instance joined to a deadline of this branch's workflow, state (and OPD). */
  rest: Expression<SqlBool>;
}

function taskBranches(actor: Actor, registry: WorkflowRegistry, f: ListFilters): TaskBranch[] {
  const byState = new Map<string, Disjunct[]>();
  for (const d of taskDisjuncts(actor, registry, true)) {
    if (f.workflow && d.workflow !== f.workflow) continue;
    // Every version in one branch: branches stay disjoint (one per workflow and state) whatever
    // versions each way to act holds in.
    const key = JSON.stringify([d.workflow, d.state]);
    byState.set(key, [...(byState.get(key) ?? []), d]);
  }
  const orgFilter = f.org ? sql<SqlBool>` and workflow_instances.org_id = ${f.org}` : sql``;
  const branches: TaskBranch[] = [];
  for (const disjuncts of byState.values()) {
    const { workflow, state } = disjuncts[0]!;
    const conditionOf = (ds: Disjunct[], without: { workflow?: boolean; state?: boolean; org?: boolean } = {}) =>
      sql<SqlBool>`(${anyOf(ds.map((d) => disjunctSql(d, without)))}${orgFilter})`;
    if (disjuncts.some((d) => d.grants.some((when) => !orgAtom(when)))) {
      branches.push({ workflow, state, org: null, condition: conditionOf(disjuncts), rest: conditionOf(disjuncts, { workflow: true, state: true }) });
      continue;
    }
    // Every way to act here is held at the instance's own OPD: one branch per OPD.
    const orgs = [...new Set(disjuncts.flatMap((d) => d.grants.flatMap((when) => orgAtom(when)!.in)))].filter((o) => !f.org || o === f.org).sort();
    for (const org of orgs) {
      const here = disjuncts
        .map((d) => ({ ...d, grants: d.grants.filter((when) => orgAtom(when)!.in.includes(org)).map((when) => when.map((a): Atom => (a.kind === 'org' ? { ...a, in: [org] } : a))) }))
        .filter((d) => d.grants.length > 0);
      branches.push({ workflow, state, org, condition: conditionOf(here), rest: conditionOf(here, { workflow: true, state: true, org: true }) });
    }
  }
  return branches;
}

/**
 * Deadlines of a branch in index order, each with its instance when that instance is in the
 * deadline's state (a deadline left behind for another state is stale and never counts; the
 * scheduler skips it too) and meets the branch's condition. A deadline's workflow and OPD are its
 * instance's. The instance is a LATERAL lookup by primary key, one per deadline read, so a page
 * or a capped count reads no further than it needs: as a join, the planner (which cannot know that
 * the deadline's state is the instance's) may hash the whole state instead.
 */
function withDeadline(db: Kysely<Database>, b: TaskBranch) {
  let q = db
    .selectFrom('deadlines')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('workflow_instances')
          .selectAll('workflow_instances')
          .whereRef('workflow_instances.id', '=', 'deadlines.instance_id')
          .whereRef('workflow_instances.state', '=', 'deadlines.state')
          .where(b.rest)
          .limit(1)
          .as('i'),
      (join) => join.onTrue(),
    )
    .where('deadlines.kind', '=', 'state')
    .where('deadlines.workflow', '=', b.workflow)
    .where('deadlines.state', '=', b.state);
  if (b.org !== null) q = q.where('deadlines.org_id', '=', b.org);
  return q;
}

type TaskRow = Selectable<Database['workflow_instances']> & { due_at: Date | null; escalated: boolean };

/**
 * The actor's inbox: instances waiting for a task event the actor may fire, soonest due first
 * (steps without a deadline last, in instance order), with counts per workflow up to
 * TASK_COUNT_CAP. Overdue means the due time (the last millisecond of its day) is reached, whether or not the scheduler has escalated it.
 *
 * A page reads, per branch, the first rows of the deadlines index after the cursor and merges
 * them; only a page that runs out of dated tasks reads the instances without a deadline.
 */
export async function listTasks(db: Kysely<Database>, registry: WorkflowRegistry, actor: Actor, f: ListFilters, now: Date): Promise<TaskPage> {
  const limit = parseLimit(f.limit);
  const after = decodeTaskCursor(f.cursor);
  const branches = taskBranches(actor, registry, f);
  if (branches.length === 0) return { items: [], nextCursor: null, counts: { total: 0, overdue: 0, byWorkflow: {}, cap: TASK_COUNT_CAP } };

  let rows: TaskRow[] = [];
  if (!after || after.due) {
    // Escalated and other deadlines are separate ranges of the index, each in due order.
    const dated = branches.flatMap((b) => [true, false].map((escalated) => {
      let q = withDeadline(db, b).where('deadlines.overdue', '=', escalated).selectAll('i').select(['deadlines.due_at', 'deadlines.overdue as escalated']);
      if (after?.due) q = q.where(sql<SqlBool>`(deadlines.due_at, deadlines.row_no) > (${after.due}, ${after.rowNo})`);
      return q.orderBy('deadlines.due_at').orderBy('deadlines.row_no').limit(limit + 1);
    }));
    rows = (await db.selectFrom(unionAllOf(db, dated).as('t')).selectAll().orderBy('t.due_at').orderBy('t.row_no').limit(limit + 1).execute()) as TaskRow[];
  }
  if (rows.length <= limit) {
    let q = db
      .selectFrom('workflow_instances')
      .selectAll()
      .select([sql<Date | null>`null::timestamptz`.as('due_at'), sql<boolean>`false`.as('escalated')])
      .where(anyOf(branches.map((b) => b.condition)))
      .where(sql<SqlBool>`NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.instance_id = workflow_instances.id AND d.kind = 'state' AND d.state = workflow_instances.state)`);
    if (after && !after.due) q = q.where('row_no', '>', after.rowNo);
    rows = rows.concat((await q.orderBy('row_no').limit(limit + 1 - rows.length).execute()) as TaskRow[]);
  }

  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const items = kept.map((r) => {
    const due = r.due_at;
    return {
      ...toView(r, definitionOf(registry, r), actor), dueAt: due ? due.toISOString() : null, overdue: r.escalated === true || (due !== null && due.getTime() <= now.getTime()),
      escalated: r.escalated === true,
    };
  });
  const last = kept[kept.length - 1];
  return { items, nextCursor: more && last ? encodeTaskCursor(last.due_at, last.row_no) : null, counts: await taskCounts(db, branches, now) };
}

/**
 * Per branch, how many tasks and how many overdue, each counted up to the cap in one statement.
 * Overdue tasks are the escalated ones plus the others due before now: two ranges of the
 * deadlines index, so the count reads no more of it than it counts.
 */
async function taskCounts(db: Kysely<Database>, branches: TaskBranch[], now: Date): Promise<TaskPage['counts']> {
  const capped = (q: { as(alias: string): unknown }) => sql<number>`(SELECT count(*)::int FROM (${q}) AS capped)`;
  const figures = branches.flatMap((b, i) => [
    capped(db.selectFrom('workflow_instances').select(sql`1`.as('one')).where(b.condition).limit(TASK_COUNT_CAP)).as(`n${i}`),
    capped(
      withDeadline(db, b).select(sql`1`.as('one')).where('deadlines.overdue', '=', true)
        .unionAll(withDeadline(db, b).select(sql`1`.as('one')).where('deadlines.overdue', '=', false).where('deadlines.due_at', '<=', now))
        .limit(TASK_COUNT_CAP),
    ).as(`late${i}`),
  ]);
  const row = (await db.selectNoFrom(figures).executeTakeFirstOrThrow()) as Record<string, number>;
  const byWorkflow: Record<string, number> = {};
  let total = 0;
  let overdue = 0;
  branches.forEach((b, i) => {
    if (row[`n${i}`]! > 0) byWorkflow[b.workflow] = Math.min(TASK_COUNT_CAP, (byWorkflow[b.workflow] ?? 0) + row[`n${i}`]!);
    total += row[`n${i}`]!;
    overdue += row[`late${i}`]!;
  });
  return { total: Math.min(TASK_COUNT_CAP, total), overdue: Math.min(TASK_COUNT_CAP, overdue), byWorkflow, cap: TASK_COUNT_CAP };
}

export interface HistoryItem {
  seq: number;
  event: string;
  from: string | null;
  to: string;
  actor: string;
  actorRole: string | null;
  comment: string | null;
  at: string;
  /** The official the actor acted for (Plt/Plh), if any. */
  actingFor: string | null;
  /** Plt or Plh, when the actor acted for someone (see actingKindOfAuditRow). */
  actingKind: DelegationKind | null;
  payloadDigest: string | null;
  documentSha256: string | null;
  prevHash: string | null;
  hash: string;
}

/** audit_events.seq is an integer column: a larger cursor cannot be compared with it. */
const SEQ_MAX = 2_147_483_647;

/** An instance's transitions in order; the caller has already checked it may read the instance. */
export async function instanceHistory(db: Kysely<Database>, instanceId: string, f: ListFilters): Promise<Page<HistoryItem>> {
  const limit = parseLimit(f.limit);
  const after = decodeCursor(f.cursor, SEQ_MAX) ?? 0;
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .select(sql<string>`grms_ts(created_at)`.as('at'))
    .select(actingKindOfAuditRow.as('acting_kind'))
    .where('instance_id', '=', instanceId)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  return page(
    rows,
    limit,
    (r) => ({
      seq: r.seq, event: r.event, from: r.from_state, to: r.to_state, actor: r.actor, actorRole: r.actor_role, comment: r.comment,
      at: r.at, actingFor: ((r as Record<string, unknown>).acting_for as string | null) ?? null, actingKind: r.acting_kind, payloadDigest: r.payload_digest, documentSha256: ((r as Record<string, unknown>).document_sha256 as string | null) ?? null,
      prevHash: r.prev_hash, hash: r.hash,
    }),
    (r) => r.seq,
  );
}

function page<R, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => number): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: more ? encodeCursor(key(kept[kept.length - 1]!)) : null };
}
