import { startPeriodic } from '../periodic';
/**
 * Fires SLA deadlines: a due deadline becomes overdue once, with one 'escalated' audit row by the
 * `system` actor. Runs inside every `grms serve` process; SKIP LOCKED lets several run at once.
 *
 * Timers: a state deadline whose SLA names an event (`fire`) is not escalated; the TimerFirer (the
 * engine) fires that event as a transition of its own, one instance per transaction, taking the
 * instance without waiting (SKIP LOCKED) and only while it is still in the state and the deadline
 * still due, so it fires once however many schedulers run, and never on an instance that moved on.
 *
 * Escalation and the instance version: an escalation is a history row (src/engine/history.ts)
 * appended at the chain's head (comments make the chain longer than the version), and it bumps
 * workflow_instances.version by one in the same transaction (under the instance's row lock),
 * leaving state and snapshot unchanged. A client holding the old version (If-Match) gets 412 and
 * reloads: the instance's deadlines changed. It fires once per deadline, so it cannot starve an
 * approval the way a stream of comments could. updated_at is left alone: the instance's data and
 * state did not change.
 */
import { sql, type ExpressionBuilder, type Kysely, type SqlBool, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { appendHistory } from '../engine/history';

/** The actor of escalations in the audit trail. */
export const SYSTEM_ACTOR = 'system';
/** The audit event of an escalation (from_state = to_state = the instance's state). */
export const ESCALATED_EVENT = 'escalated';

const DEFAULT_BATCH = 20;

/** A workflow version's state whose deadline fires an event when due. */
export interface TimerState {
  workflow: string;
  version: number;
  state: string;
}

/** A due timer deadline, as the scheduler hands it to the TimerFirer. */
export interface DueTimer {
  instanceId: string;
  state: string;
  workingDays: number;
  dueAt: Date;
}

/** What fires timer deadlines: the engine (Engine.timers). */
export interface TimerFirer {
  timerStates(): readonly TimerState[];
  /**
   * Fires the event of one due timer in its own transaction: 'fired'; 'escalated' when the
   * machine or a rule of the workflow refuses the event now (the deadline is escalated instead); 'skipped' when the instance
   * is busy or has moved on.
   */
  fire(due: DueTimer, now: Date): Promise<'fired' | 'escalated' | 'skipped'>;
}

/** SQL: the deadline `d` of instance `i` is one of these timer states. */
function isTimer(states: readonly TimerState[]) {
  if (states.length === 0) return sql<SqlBool>`false`;
  const keys = states.map((t) => sql`(${t.workflow}, ${t.version}::int, ${t.state})`);
  return sql<SqlBool>`(d.kind = 'state' and (i.workflow, i.workflow_version, d.state) in (${sql.join(keys)}))`;
}

/**
 * A 'state' deadline belongs to the state the instance is in; one for another state is stale (the
 * engine removes it on leaving) and never fires. Both queries of a batch must filter alike, or a
 * batch full of rows the second one drops would be taken again and again.
 */
const current = (eb: ExpressionBuilder<Database & { d: Database['deadlines']; i: Database['workflow_instances'] }, 'd' | 'i'>) =>
  eb.or([eb('d.kind', '=', 'overall'), eb('d.state', '=', eb.ref('i.state'))]);

/** Some deadlines could not be escalated (the others were). */
export class DeadlineEscalationFailed extends Error {
  readonly code = 'SLA_ESCALATION_FAILED';
  constructor(
    readonly fired: number,
    readonly failures: ReadonlyArray<{ instanceId: string; kind: string; error: unknown }>,
  ) {
    super(`${failures.length} deadline(s) could not be escalated (${fired} were): ${failures.map((f) => `${f.instanceId}/${f.kind}: ${(f.error as Error)?.message ?? String(f.error)}`).join('; ')}`);
  }
}

export interface DueRow {
  instance_id: string;
  kind: 'state' | 'overall';
  state: string;
  working_days: number;
  due_at: Date;
}

/**
 * Escalates every deadline due at `now` (due_at <= now, not escalated), in batches of one
 * transaction each. Rows locked by another scheduler or by a transition in progress are skipped
 * and picked up by a later tick, so each deadline fires exactly once. With `timers`, due timer
 * deadlines fire their event instead (see the module comment); without, every due deadline is
 * escalated. Returns how many fired; throws DeadlineEscalationFailed (after committing the rest)
 * when some could not be.
 */
export async function fireDueDeadlines(db: Kysely<Database>, now: Date, opts: { batchSize?: number; timers?: TimerFirer } = {}): Promise<number> {
  const batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
  const failures: Array<{ instanceId: string; kind: string; error: unknown }> = [];
  const timerStates = opts.timers?.timerStates() ?? [];
  let fired = opts.timers ? await fireDueTimers(db, now, opts.timers, timerStates, batchSize, failures) : 0;
  for (;;) {
    const batch = await db.transaction().execute(async (trx) => {
      // Lock order is instance, then deadline, as in the engine's transitions; the instances are
      // taken without waiting (SKIP LOCKED), so a busy instance is left for a later tick and two
      // schedulers split the work. LIMIT applies after skipping, so a batch is full when it can be.
      const taken = await trx
        .selectFrom('workflow_instances as i')
        .innerJoin('deadlines as d', 'd.instance_id', 'i.id')
        .select('i.id')
        .where('d.due_at', '<=', now)
        .where('d.escalated_at', 'is', null)
        .where(current)
        .where(sql<SqlBool>`not ${isTimer(timerStates)}`)
        .orderBy('d.due_at')
        .limit(batchSize)
        .forUpdate('i')
        .skipLocked()
        .execute();
      if (taken.length === 0) return { size: 0, done: 0, failed: 0 };
      // Read again under the instance locks (a transition may have committed meanwhile). Only
      // transitions and schedulers holding the instance lock change these rows, so this does not wait.
      const due = (await trx
        .selectFrom('deadlines as d')
        .innerJoin('workflow_instances as i', 'i.id', 'd.instance_id')
        .select(['d.instance_id', 'd.kind', 'd.state', 'd.working_days', 'd.due_at'])
        .where('d.instance_id', 'in', [...new Set(taken.map((t) => t.id))])
        .where('d.due_at', '<=', now)
        .where('d.escalated_at', 'is', null)
        .where(current)
        .where(sql<SqlBool>`not ${isTimer(timerStates)}`)
        .orderBy('d.due_at')
        .forUpdate('d')
        .execute()) as DueRow[];
      let done = 0;
      let failed = 0;
      for (const d of due) {
        // A savepoint per deadline: one that cannot be escalated does not hold back the others.
        await sql`SAVEPOINT grms_sla_item`.execute(trx);
        try {
          await escalate(trx, d, now);
          await sql`RELEASE SAVEPOINT grms_sla_item`.execute(trx);
          done++;
        } catch (error) {
          await sql`ROLLBACK TO SAVEPOINT grms_sla_item`.execute(trx);
          failures.push({ instanceId: d.instance_id, kind: d.kind, error });
          failed++;
        }
      }
      return { size: taken.length, done, failed };
    });
    fired += batch.done;
    // A short batch means nothing is left that this scheduler may take now; a failure would come
    // back first in the next batch, so stop and report instead of looping on it.
    if (batch.size < batchSize || batch.failed > 0) break;
  }
  if (failures.length) throw new DeadlineEscalationFailed(fired, failures);
  return fired;
}

/**
 * Fires the due timers in due order, each through `timers.fire` in a transaction of its own (a
 * transition plans outside it, as the engine does for users, e.g. a stamp). The walk moves past every
 * deadline it handed over, fired or skipped, so a busy instance waits for the next tick.
 */
async function fireDueTimers(
  db: Kysely<Database>, now: Date, timers: TimerFirer, states: readonly TimerState[], batchSize: number,
  failures: Array<{ instanceId: string; kind: string; error: unknown }>,
): Promise<number> {
  if (states.length === 0) return 0;
  let fired = 0;
  let after: { dueAt: Date; instanceId: string } | undefined;
  for (;;) {
    let q = db
      .selectFrom('deadlines as d')
      .innerJoin('workflow_instances as i', 'i.id', 'd.instance_id')
      .select(['d.instance_id', 'd.state', 'd.working_days', 'd.due_at'])
      .where('d.due_at', '<=', now)
      .where('d.escalated_at', 'is', null)
      .where('d.kind', '=', 'state')
      .whereRef('d.state', '=', 'i.state')
      .where(isTimer(states));
    if (after) q = q.where(sql<SqlBool>`(d.due_at, d.instance_id) > (${after.dueAt}, ${after.instanceId}::uuid)`);
    const due = await q.orderBy('d.due_at').orderBy('d.instance_id').limit(batchSize).execute();
    for (const d of due) {
      try {
        const outcome = await timers.fire({ instanceId: d.instance_id, state: d.state, workingDays: d.working_days, dueAt: d.due_at! }, now);
        if (outcome !== 'skipped') fired++;
      } catch (error) {
        failures.push({ instanceId: d.instance_id, kind: 'state', error });
      }
    }
    const last = due[due.length - 1];
    if (!last || due.length < batchSize) return fired;
    after = { dueAt: last.due_at!, instanceId: last.instance_id };
  }
}

/** Marks a due deadline overdue with its 'escalated' history row; the caller holds the instance lock. */
export async function escalate(trx: Transaction<Database>, d: DueRow, now: Date): Promise<void> {
  // appendHistory reads the instance again under its lock: the batch may hold the state and
  // overall deadline of one instance, and each takes a version.
  const what = d.kind === 'state' ? `state "${d.state}"` : 'whole workflow';
  await appendHistory(trx, {
    kind: 'escalation',
    instanceId: d.instance_id,
    entry: {
      event: ESCALATED_EVENT, actor: SYSTEM_ACTOR,
      comment: `SLA overdue: ${d.kind} deadline (${what}, ${d.working_days} working days) was due ${d.due_at.toISOString()}`,
    },
  });
  await trx
    .updateTable('deadlines')
    .set({ overdue: true, escalated_at: now })
    .where('instance_id', '=', d.instance_id)
    .where('kind', '=', d.kind)
    .execute();
}

/**
 * Calls fireDueDeadlines right away and then every `intervalMs` with `clock()` as now, telling
 * `onFired` how many fired when any did. A tick is skipped while the previous one still runs; the timer does not keep the process alive. The
 * returned stop function waits for a running tick.
 */
export function startDeadlineScheduler(
  db: Kysely<Database>,
  intervalMs: number,
  clock: () => Date,
  onError: (err: unknown) => void,
  onFired: (count: number) => void = () => undefined,
  timers?: TimerFirer,
): () => Promise<void> {
  // Deadlines that fell due while no process ran are fired at start, not one interval later.
  return startPeriodic(async () => {
    const fired = await fireDueDeadlines(db, clock(), { timers });
    if (fired > 0) onFired(fired);
  }, intervalMs, onError, true);
}
