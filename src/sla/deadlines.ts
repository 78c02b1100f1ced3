/**
 * Durable SLA deadlines, written by the engine inside the transaction of each transition.
 *
 * Terminology:
 * - SLA: the working days a state may take ('state' deadline), and optionally the working days the
 *   whole workflow may take ('overall' deadline), per workflow (SlaSpec).
 * - counting state: a state whose time counts towards the overall SLA. Paused states (the applicant
 *   holds the file: permit `returned`, `awaiting_payment`) stop the overall clock; final states end it.
 * - stretch: one uninterrupted period of the overall clock running, from start or resume to pause.
 * - timer: a state deadline that, when due, fires an event of the machine (e.g. silence closes a
 *   complaint) instead of escalating; see ./scheduler.
 * - data-dependent days: a state's working days read from the instance data when it is entered
 *   (e.g. the answer time of a complaint's category), by a JSON Pointer the registry checks.
 *
 * Rules (calendar rules in ./calendar): entering a state with an SLA of N days sets its deadline to
 * addWorkingDays(entry, N). The overall clock starts at the first counting state with the full
 * budget; pausing charges workingDaysBetween(stretch start, pause) to used_days; resuming sets the
 * deadline to addWorkingDays(resume, budget - used_days). So the day a stretch starts is free and
 * the day it pauses is charged, and a clock that never pauses is due exactly when a state deadline
 * of the same length would be.
 *
 * Locking: the caller holds the instance's row lock (SELECT … FOR UPDATE) as the engine does for
 * every transition; the scheduler takes its locks with SKIP LOCKED, so neither order deadlocks.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, DeadlineRow } from '../db/types';
import { addWorkingDays, workingDaysBetween } from './calendar';

export { loadHolidays, setHoliday, removeHoliday, listHolidays, type Holiday } from './holidays';

/** Working days read from the instance data: a JSON Pointer to an integer >= 1 (checked at registration). */
export interface DaysFromData {
  fromData: string;
}

/** One state's SLA: its working days, and the event the deadline fires instead of escalating. */
export interface StateSlaSpec {
  days: number | DaysFromData;
  /** When due, the instance fires this event as the system (a step of scope 'timer'), once. */
  fire?: string;
}

/** The SLA table of one workflow definition, in working days. */
export interface SlaSpec {
  /** State name -> working days (or a StateSlaSpec); states not listed have no deadline of their own. */
  states: Record<string, number | StateSlaSpec>;
  overall?: {
    days: number;
    /** States where the overall clock stops (the file is with the applicant). */
    pausedIn: readonly string[];
    /** States that end the workflow: the overall deadline is removed there. */
    finalStates: readonly string[];
  };
}

export class SlaSpecInvalid extends Error {
  readonly code = 'SLA_SPEC_INVALID';
}

/** A state's SLA in its long form (undefined when the state has none). */
export function stateSlaOf(spec: SlaSpec, state: string): StateSlaSpec | undefined {
  const entry = spec.states[state];
  return typeof entry === 'number' ? { days: entry } : entry;
}

/** The event a state's deadline fires when due, if it is a timer. */
export function timerEventOf(spec: SlaSpec | undefined, state: string): string | undefined {
  return spec && stateSlaOf(spec, state)?.fire;
}

const validDays = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 1;

/** Reads a JSON Pointer ("/a/b", RFC 6901) in `data`; undefined when it names nothing. */
export function readPointer(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let at: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The working days of `state` for an instance holding `data`; undefined when the state has no SLA. */
export function stateDays(spec: SlaSpec, state: string, data: unknown): number | undefined {
  const sla = stateSlaOf(spec, state);
  if (!sla) return undefined;
  if (typeof sla.days === 'number') return sla.days;
  const days = readPointer(data, sla.days.fromData);
  // The registry checked that the schema makes it an integer >= 1; data that escaped it is refused.
  if (!validDays(days)) throw new SlaSpecInvalid(`SLA of state "${state}": data at ${sla.days.fromData} must be a whole number of working days >= 1, got ${JSON.stringify(days)}`);
  return days;
}

/** Throws SlaSpecInvalid unless every number is a whole number of working days >= 1. */
export function checkSlaSpec(spec: SlaSpec): void {
  const bad = (what: string, n: unknown) => new SlaSpecInvalid(`${what} must be a whole number of working days >= 1, got ${String(n)}`);
  for (const state of Object.keys(spec.states)) {
    const sla = stateSlaOf(spec, state)!;
    if (typeof sla.days === 'number' || typeof sla.days !== 'object' || sla.days === null) {
      if (!validDays(sla.days)) throw bad(`SLA of state "${state}"`, sla.days);
    } else if (typeof sla.days.fromData !== 'string' || !sla.days.fromData.startsWith('/')) {
      throw new SlaSpecInvalid(`SLA of state "${state}": fromData must be a JSON Pointer such as "/answerDays", got ${JSON.stringify(sla.days.fromData)}`);
    }
    if (sla.fire !== undefined && (typeof sla.fire !== 'string' || sla.fire === '')) throw new SlaSpecInvalid(`SLA of state "${state}": fire must name an event`);
  }
  const o = spec.overall;
  if (!o) return;
  if (!Number.isSafeInteger(o.days) || o.days < 1) throw bad('the overall SLA', o.days);
  const both = o.pausedIn.filter((s) => o.finalStates.includes(s));
  if (both.length) throw new SlaSpecInvalid(`states cannot be both paused and final: ${both.join(', ')}`);
}

/** What the engine knows when an instance enters a state. */
export interface EnterState {
  instanceId: string;
  workflow: string;
  state: string;
  sla: SlaSpec;
  /** The transition's time (the same for every deadline it touches). */
  at: Date;
  /** The instance data as the transition leaves it (for working days read from the data). */
  data?: unknown;
  holidays: ReadonlySet<string>;
  /** The deployment's time zone (config.timezone). */
  timeZone: string;
}

/**
 * Records the deadlines of the state an instance has just entered (also on creation): its own
 * deadline if the SLA table lists the state, and the overall clock's start, pause, resume or end.
 * Call it once per state change, after leaveState for the state left; it replaces the 'state' row.
 */
export async function enterState(trx: Transaction<Database>, e: EnterState): Promise<void> {
  checkSlaSpec(e.sla);
  const instanceId = e.instanceId.toLowerCase();
  const days = stateDays(e.sla, e.state, e.data);
  if (days === undefined) {
    await trx.deleteFrom('deadlines').where('instance_id', '=', instanceId).where('kind', '=', 'state').execute();
  } else {
    const row = {
      instance_id: instanceId, kind: 'state' as const, workflow: e.workflow, state: e.state, working_days: days, used_days: 0,
      started_at: e.at, paused_at: null, due_at: addWorkingDays(e.at, days, e.holidays, e.timeZone), overdue: false, escalated_at: null,
    };
    const { instance_id: _i, kind: _k, ...update } = row;
    await trx.insertInto('deadlines').values(row).onConflict((oc) => oc.columns(['instance_id', 'kind']).doUpdateSet(update)).execute();
  }
  if (e.sla.overall) await moveOverallClock(trx, { ...e, instanceId }, e.sla.overall);
}

async function moveOverallClock(trx: Transaction<Database>, e: EnterState, o: NonNullable<SlaSpec['overall']>): Promise<void> {
  const current = await trx
    .selectFrom('deadlines')
    .selectAll()
    .where('instance_id', '=', e.instanceId)
    .where('kind', '=', 'overall')
    .forUpdate()
    .executeTakeFirst();
  const update = (values: Partial<Omit<DeadlineRow, 'instance_id' | 'kind'>>) =>
    trx.updateTable('deadlines').set(values).where('instance_id', '=', e.instanceId).where('kind', '=', 'overall').execute();

  if (o.finalStates.includes(e.state)) {
    await trx.deleteFrom('deadlines').where('instance_id', '=', e.instanceId).where('kind', '=', 'overall').execute();
    return;
  }
  const paused = o.pausedIn.includes(e.state);
  if (!current) {
    // A workflow that begins in a paused state starts its clock at its first counting state.
    await trx
      .insertInto('deadlines')
      .values({
        instance_id: e.instanceId, kind: 'overall', workflow: e.workflow, state: e.state, working_days: o.days, used_days: 0,
        started_at: e.at, paused_at: paused ? e.at : null, due_at: paused ? null : addWorkingDays(e.at, o.days, e.holidays, e.timeZone),
      })
      .execute();
    return;
  }
  if (paused && current.paused_at === null) {
    const used = current.used_days + workingDaysBetween(current.started_at, e.at, e.holidays, e.timeZone);
    // A deadline already missed but not yet fired (scheduler down) keeps its due_at, so it fires.
    const missed = current.escalated_at === null && current.due_at !== null && current.due_at.getTime() <= e.at.getTime();
    await update({ state: e.state, used_days: used, paused_at: e.at, due_at: missed ? current.due_at : null });
  } else if (!paused && current.paused_at !== null) {
    const remaining = current.working_days - current.used_days;
    const due = remaining > 0 ? addWorkingDays(e.at, remaining, e.holidays, e.timeZone) : (current.due_at ?? e.at);
    await update({ state: e.state, started_at: e.at, paused_at: null, due_at: due });
  }
  // Counting -> counting and paused -> paused leave the clock as it is.
}

/** What the engine knows when an instance leaves a state. */
export interface LeaveState {
  instanceId: string;
  state: string;
}

/** Removes the deadline of the state being left (the overall clock is moved by enterState). */
export async function leaveState(trx: Transaction<Database>, e: LeaveState): Promise<void> {
  await trx
    .deleteFrom('deadlines')
    .where('instance_id', '=', e.instanceId.toLowerCase())
    .where('kind', '=', 'state')
    .where('state', '=', e.state)
    .execute();
}

/** One open deadline, as the API shows it. */
export interface DeadlineView {
  instanceId: string;
  kind: 'state' | 'overall';
  workflow: string;
  state: string;
  workingDays: number;
  usedDays: number;
  startedAt: Date;
  /** Null while the overall clock is paused with time left. */
  dueAt: Date | null;
  pausedAt: Date | null;
  /** Set by the scheduler when it escalated; see isOverdue for "due but not yet fired". */
  overdue: boolean;
  escalatedAt: Date | null;
}

/** The open deadlines of some instances ('state' before 'overall' for each). */
export async function listDeadlines(db: Kysely<Database>, instanceIds: readonly string[]): Promise<DeadlineView[]> {
  if (instanceIds.length === 0) return [];
  const rows = await db
    .selectFrom('deadlines')
    .selectAll()
    .where('instance_id', 'in', instanceIds.map((id) => id.toLowerCase()))
    .orderBy('instance_id')
    .orderBy(sql`kind = 'overall'`)
    .execute();
  return rows.map(toView);
}

function toView(r: DeadlineRow): DeadlineView {
  return {
    instanceId: r.instance_id, kind: r.kind, workflow: r.workflow, state: r.state, workingDays: r.working_days, usedDays: r.used_days,
    startedAt: r.started_at, dueAt: r.due_at, pausedAt: r.paused_at, overdue: r.overdue, escalatedAt: r.escalated_at,
  };
}

/** Overdue at `now`: escalated already, or due and waiting for the scheduler's next tick. */
export function isOverdue(d: Pick<DeadlineView, 'overdue' | 'dueAt'>, now: Date): boolean {
  return d.overdue || (d.dueAt !== null && d.dueAt.getTime() <= now.getTime());
}

/**
 * Computes the due time of every running, not yet escalated deadline again from its start, with
 * the holiday table as it is now: call it after an admin adds or removes a holiday. Each row is
 * one statement, conditional on its stretch being unchanged, so it races safely with transitions
 * and the scheduler. Returns how many deadlines moved.
 */
export async function rescheduleDeadlines(db: Kysely<Database>, holidays: ReadonlySet<string>, timeZone: string): Promise<number> {
  const open = await db
    .selectFrom('deadlines')
    .select(['instance_id', 'kind', 'working_days', 'used_days', 'started_at', 'due_at'])
    .where('escalated_at', 'is', null)
    .where('paused_at', 'is', null)
    .execute();
  let moved = 0;
  for (const d of open) {
    const remaining = d.working_days - d.used_days;
    if (remaining < 1) continue;
    const due = addWorkingDays(d.started_at, remaining, holidays, timeZone);
    if (d.due_at !== null && due.getTime() === d.due_at.getTime()) continue;
    const r = await db
      .updateTable('deadlines')
      .set({ due_at: due })
      .where('instance_id', '=', d.instance_id)
      .where('kind', '=', d.kind)
      .where('started_at', '=', d.started_at)
      .where('used_days', '=', d.used_days)
      .where('escalated_at', 'is', null)
      .where('paused_at', 'is', null)
      .executeTakeFirst();
    moved += Number(r.numUpdatedRows);
  }
  return moved;
}
