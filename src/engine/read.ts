import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../db/types';
import { type Actor, hasGlobalRole, hasRole, memberOrgs } from '../auth/roles';
import { badRequest } from '../errors';
import type { WorkflowRegistry } from './registry';
import { definitionOf, toView, type InstanceView } from './view';

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

export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('cursor is not valid', [{ path: '/cursor', message: 'unknown cursor' }]);
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
 * SQL for "the actor may fire a task event on this instance now", built from the workflow
 * definitions: one disjunct per (workflow version, state, event) the actor holds a role for.
 * With `anyState`, "… at some stage" instead (who may read it, see canRead).
 */
function taskCondition(eb: EB, actor: Actor, registry: WorkflowRegistry, tasksOnly: boolean, anyState = false): Expression<SqlBool> {
  const disjuncts: Expression<SqlBool>[] = [];
  for (const def of registry.all()) {
    for (const [state, events] of Object.entries(def.steps)) {
      for (const step of Object.values(events)) {
        if (tasksOnly && !step.task) continue;
        const where: Expression<SqlBool>[] = [eb('workflow', '=', def.name), eb('workflow_version', '=', def.version)];
        if (!anyState) where.push(eb('state', '=', state));
        if (step.scope === 'global') {
          if (!step.roles.some((r) => hasRole(actor, r))) continue;
        } else {
          const orgs = actor.roles.filter((g) => step.roles.includes(g.role as never)).map((g) => g.org);
          if (orgs.length === 0) continue;
          if (step.scope === 'data-org') {
            if (!step.orgField) continue;
            where.push(eb(sql<string>`data->>${step.orgField}`, 'in', orgs));
          } else {
            where.push(eb('org_id', 'in', orgs));
          }
          if (step.scope === 'submitter') where.push(sql<SqlBool>`snapshot->'context'->>'submittedBy' = ${actor.username}`);
        }
        if (tasksOnly && step.review) where.push(eb.not(sql<SqlBool>`submitters @> ARRAY[${actor.username}]::text[]`));
        disjuncts.push(eb.and(where));
      }
    }
  }
  return disjuncts.length ? eb.or(disjuncts) : sql<SqlBool>`false`;
}

export function visibility(eb: EB, actor: Actor, registry: WorkflowRegistry): Expression<SqlBool> {
  if (hasGlobalRole(actor)) return sql<SqlBool>`true`;
  return eb.or([
    eb('org_id', 'in', memberOrgs(actor)),
    sql<SqlBool>`participants @> ARRAY[${actor.username}]::text[]`,
    taskCondition(eb, actor, registry, false, true),
  ]);
}

export interface ListFilters {
  /** "true": only instances with a deadline past due. */
  overdue?: string;
  workflow?: string;
  state?: string;
  org?: string;
  cursor?: string;
  limit?: string;
}

/** Instances the actor may read, newest first. */
export async function listInstances(db: Kysely<Database>, registry: WorkflowRegistry, actor: Actor, f: ListFilters): Promise<Page<InstanceView>> {
  const limit = parseLimit(f.limit);
  const after = decodeCursor(f.cursor);
  let q = db.selectFrom('workflow_instances').selectAll().where((eb) => visibility(eb, actor, registry));
  if (f.workflow) q = q.where('workflow', '=', f.workflow);
  if (f.state) q = q.where('state', '=', f.state);
  if (f.org) q = q.where('org_id', '=', f.org);
  if (f.overdue === 'true') {
    q = q.where(({ exists, selectFrom }) =>
      exists(selectFrom('deadlines').select('deadlines.instance_id').whereRef('deadlines.instance_id', '=', 'workflow_instances.id').where((eb) => eb.or([eb('deadlines.overdue', '=', true), eb('deadlines.due_at', '<', new Date())]))),
    );
  } else if (f.overdue !== undefined && f.overdue !== 'false') {
    throw badRequest('overdue must be true or false', [{ path: '/overdue', message: 'must be true or false' }]);
  }
  if (after !== undefined) q = q.where('row_no', '<', after);
  const rows = await q.orderBy('row_no', 'desc').limit(limit + 1).execute();
  return page(rows, limit, (r) => toView(r, definitionOf(registry, r), actor), (r) => r.row_no);
}

/** A task: the instance plus the due date of the step it waits at (null when the step has no SLA). */
export type TaskView = InstanceView & { dueAt: string | null; overdue: boolean };

export interface TaskPage extends Page<TaskView> {
  counts: { total: number; overdue: number; byWorkflow: Record<string, number> };
}

function encodeTaskCursor(due: Date | null, rowNo: number): string {
  return Buffer.from(`${due ? due.getTime() : ''}:${rowNo}`).toString('base64url');
}

function decodeTaskCursor(cursor: string | undefined): { due: Date | null; rowNo: number } | undefined {
  if (!cursor) return undefined;
  const m = /^(\d*):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw badRequest('cursor is not valid', [{ path: '/cursor', message: 'unknown cursor' }]);
  return { due: m[1] ? new Date(Number(m[1])) : null, rowNo: Number(m[2]) };
}

/**
 * The actor's inbox: instances waiting for a task event the actor may fire, soonest due first
 * (steps without a deadline last), with counts per workflow. Overdue means past the due time,
 * whether or not the scheduler has escalated it yet.
 */
export async function listTasks(db: Kysely<Database>, registry: WorkflowRegistry, actor: Actor, f: ListFilters, now = new Date()): Promise<TaskPage> {
  const limit = parseLimit(f.limit);
  const after = decodeTaskCursor(f.cursor);
  let inner = db
    .selectFrom('workflow_instances')
    .selectAll()
    .select((eb) =>
      eb.selectFrom('deadlines').select('deadlines.due_at').whereRef('deadlines.instance_id', '=', 'workflow_instances.id').where('deadlines.kind', '=', 'state').as('due_at'),
    )
    .select((eb) =>
      eb.selectFrom('deadlines').select('deadlines.overdue').whereRef('deadlines.instance_id', '=', 'workflow_instances.id').where('deadlines.kind', '=', 'state').as('escalated'),
    )
    .where((eb) => taskCondition(eb, actor, registry, true));
  if (f.workflow) inner = inner.where('workflow', '=', f.workflow);
  if (f.org) inner = inner.where('org_id', '=', f.org);
  let q = db.selectFrom(inner.as('t')).selectAll();
  if (after) {
    q = after.due
      ? q.where((eb) => eb.or([eb('t.due_at', '>', after.due!), eb.and([eb('t.due_at', '=', after.due!), eb('t.row_no', '>', after.rowNo)]), eb('t.due_at', 'is', null)]))
      : q.where((eb) => eb.and([eb('t.due_at', 'is', null), eb('t.row_no', '>', after.rowNo)]));
  }
  const rows = await q.orderBy(sql`t.due_at asc nulls last`).orderBy('t.row_no', 'asc').limit(limit + 1).execute();
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const items = kept.map((r) => {
    const due = r.due_at as Date | null;
    return { ...toView(r, definitionOf(registry, r), actor), dueAt: due ? due.toISOString() : null, overdue: r.escalated === true || (due !== null && due.getTime() < now.getTime()) };
  });
  let countQ = db
    .selectFrom('workflow_instances')
    .select((eb) => [
      'workflow',
      eb.fn.countAll<number>().as('n'),
      sql<number>`count(*) FILTER (WHERE EXISTS (SELECT 1 FROM deadlines d WHERE d.instance_id = workflow_instances.id AND d.kind = 'state' AND (d.overdue OR d.due_at < ${now})))`.as('late'),
    ])
    .where((eb) => taskCondition(eb, actor, registry, true))
    .groupBy('workflow');
  if (f.workflow) countQ = countQ.where('workflow', '=', f.workflow);
  if (f.org) countQ = countQ.where('org_id', '=', f.org);
  const grouped = await countQ.execute();
  const byWorkflow = Object.fromEntries(grouped.map((g) => [g.workflow, Number(g.n)]));
  const last = kept[kept.length - 1];
  return {
    items,
    nextCursor: more && last ? encodeTaskCursor(last.due_at as Date | null, last.row_no) : null,
    counts: {
      total: grouped.reduce((sum, g) => sum + Number(g.n), 0),
      overdue: grouped.reduce((sum, g) => sum + Number(g.late), 0),
      byWorkflow,
    },
  };
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
  payloadDigest: string | null;
  documentSha256: string | null;
  prevHash: string | null;
  hash: string;
}

/** An instance's transitions in order; the caller has already checked it may read the instance. */
export async function instanceHistory(db: Kysely<Database>, instanceId: string, f: ListFilters): Promise<Page<HistoryItem>> {
  const limit = parseLimit(f.limit);
  const after = decodeCursor(f.cursor) ?? 0;
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .select(sql<string>`grms_ts(created_at)`.as('at'))
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
      at: r.at, actingFor: ((r as Record<string, unknown>).acting_for as string | null) ?? null, payloadDigest: r.payload_digest, documentSha256: ((r as Record<string, unknown>).document_sha256 as string | null) ?? null,
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
