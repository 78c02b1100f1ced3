/**
 * Returns and resubmissions, read from an instance's history.
 *
 * - submission: a transition whose step facts say `submits` (a planner sending a draft up). The
 *   data the instance held as it left is kept in submitted_data (migrations/0043), so reviewers
 *   can see what changed between two submissions.
 * - return: a review step that requires a comment and leads back to a state from which the
 *   instance is submitted again: the reviewer sends it back to its submitter with a note. Decided
 *   from the step facts and the audit row alone, so no workflow, state or event is named here.
 * - returned instance: one whose latest state-changing transition is a return (edits of the data
 *   in the state it returned to do not change its state, so it stays returned until resubmitted).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types';
import type { WorkflowDefinition } from './definition';
import type { WorkflowRegistry } from './registry';
import { definitionOf } from './view';

/** Records the data an instance holds after a submitting transition (the audit row `seq`). */
export async function recordSubmission(trx: Transaction<Database>, instanceId: string, seq: number, data: Record<string, unknown>): Promise<void> {
  await trx.insertInto('submitted_data').values({ instance_id: instanceId, seq, data: JSON.stringify(data) }).execute();
}

/** Whether firing `event` in `from`, arriving in `to`, returns the instance to its submitter (see the module comment). */
export function isReturnStep(def: WorkflowDefinition, from: string | null, event: string, to: string): boolean {
  if (from === null || from === to) return false;
  const step = def.steps[from]?.[event];
  if (!step?.review || !step.requiresComment) return false;
  return Object.values(def.steps[to] ?? {}).some((s) => s.submits === true);
}

/** The return an instance is waiting under: who sent it back, when, and their note. */
export interface ReturnMark {
  seq: number;
  event: string;
  actor: string;
  actorRole: string | null;
  /** The official the actor acted for (Plt/Plh), if any. */
  actingFor: string | null;
  comment: string;
  at: Date;
}

type InstanceKey = { id: string; workflow: string; workflow_version: number };

/** For each given instance that is returned now, its return (one query for a page of instances). */
export async function currentReturns(db: Kysely<Database>, registry: WorkflowRegistry, instances: readonly InstanceKey[]): Promise<Map<string, ReturnMark>> {
  const out = new Map<string, ReturnMark>();
  if (instances.length === 0) return out;
  const rows = await db
    .selectFrom('audit_events')
    .distinctOn('instance_id')
    .selectAll()
    .where('instance_id', 'in', [...new Set(instances.map((i) => i.id))])
    // A comment or an escalation leaves the state as it was: only transitions that moved it count.
    .where((eb) => eb('from_state', 'is', null).or('from_state', '<>', eb.ref('to_state')))
    .orderBy('instance_id')
    .orderBy('seq', 'desc')
    .execute();
  const byId = new Map(instances.map((i) => [i.id, i]));
  for (const r of rows) {
    const instance = byId.get(r.instance_id);
    if (!instance || r.comment === null) continue;
    if (!isReturnStep(definitionOf(registry, instance), r.from_state, r.event, r.to_state)) continue;
    const actingFor = ((r as Record<string, unknown>).acting_for as string | null | undefined) ?? null;
    out.set(r.instance_id, { seq: r.seq, event: r.event, actor: r.actor, actorRole: r.actor_role, actingFor, comment: r.comment, at: r.created_at });
  }
  return out;
}

/** One stored submission of an instance's data. */
export interface Submission {
  seq: number;
  at: Date;
  data: Record<string, unknown>;
}

/** The instance's last two stored submissions, newest first (fewer when fewer were stored). */
export async function lastSubmissions(db: Kysely<Database>, instanceId: string): Promise<Submission[]> {
  const rows = await db
    .selectFrom('submitted_data as s')
    .innerJoin('audit_events as e', (j) => j.onRef('e.instance_id', '=', 's.instance_id').onRef('e.seq', '=', 's.seq'))
    .select(['s.seq', 's.data', 'e.created_at'])
    .where('s.instance_id', '=', instanceId)
    .orderBy('s.seq', 'desc')
    .limit(2)
    .execute();
  return rows.map((r) => ({ seq: r.seq, at: r.created_at, data: r.data }));
}
