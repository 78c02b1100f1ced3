/**
 * Timer steps and the SLA facts a definition must get right, checked when it is registered.
 *
 * Terminology:
 * - timer step: a step of scope 'timer' (no user's); its state's SLA names its event (`fire`) and
 *   the scheduler fires it, as the system actor, when the state's deadline falls due ("silence
 *   closes a complaint").
 * - escalation scope: a step's `escalateTo`, who else may act while its state's deadline is
 *   escalated (src/auth/access.ts).
 */
import type { Transaction } from 'kysely';
import type { Database } from '../db/types';
import type { Actor } from '../auth/roles';
import { ESCALATED_SQL } from '../auth/access';
import { checkSlaSpec, stateSlaOf, timerEventOf, type SlaSpec } from '../sla/deadlines';
import { SYSTEM_ACTOR, type DueTimer, type TimerState } from '../sla/scheduler';
import type { Step, WorkflowDefinition } from './definition';
import { slaFor, type SlaSettings } from './deadlines';
import type { WorkflowRegistry } from './registry';
import type { AccessRow } from './view';

/** How the engine decides a timer's step: allowed, under the system's name. */
export interface TimerDecision {
  kind: 'allowed';
  step: Step;
  role: string;
}

/** The actor a timer transition is recorded and documented under; it holds no role. */
export function systemActor(org: string): Actor {
  return { username: SYSTEM_ACTOR, fullName: 'Sistem (batas waktu)', position: '', org, orgName: '', roles: [] };
}

/** The audit comment of a timer transition: which deadline fired it. */
export function timerComment(due: DueTimer): string {
  return `SLA timer: state "${due.state}" (${due.workingDays} working days) ended ${due.dueAt.toISOString()}`;
}

/** Every registered (workflow, version, state) whose deadline fires an event. */
export function timerStatesOf(registry: WorkflowRegistry, settings: SlaSettings): TimerState[] {
  return registry.all().flatMap((def) => {
    const sla = slaFor(def, settings);
    return Object.keys(sla?.states ?? {}).filter((state) => timerEventOf(sla, state) !== undefined)
      .map((state) => ({ workflow: def.name, version: def.version, state }));
  });
}

/** The timer event of `state` and its step, if the state's deadline is a timer. */
export function timerStepOf(def: WorkflowDefinition, settings: SlaSettings, state: string): { event: string; step: Step } | undefined {
  const event = timerEventOf(slaFor(def, settings), state);
  const step = event === undefined ? undefined : def.steps[state]?.[event];
  return event !== undefined && step?.scope === 'timer' ? { event, step } : undefined;
}

/**
 * The instance of a due timer, locked, if no one else holds it (SKIP LOCKED: another scheduler or
 * a transition in progress has it) and it is still in the timer's state with the deadline due and
 * not yet spent.
 */
export async function stillDue(trx: Transaction<Database>, due: DueTimer, now: Date): Promise<AccessRow | undefined> {
  const locked = await trx
    .selectFrom('workflow_instances')
    .selectAll()
    .select(ESCALATED_SQL.as('escalated'))
    .where('id', '=', due.instanceId)
    .where('state', '=', due.state)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!locked) return undefined;
  const deadline = await trx
    .selectFrom('deadlines')
    .select('instance_id')
    .where('instance_id', '=', locked.id)
    .where('kind', '=', 'state')
    .where('state', '=', due.state)
    .where('due_at', '<=', now)
    .where('escalated_at', 'is', null)
    .executeTakeFirst();
  return deadline && locked;
}

export class WorkflowSlaInvalid extends Error {
  readonly code = 'WORKFLOW_SLA_INVALID';
}

/**
 * Refuses a definition whose SLA facts do not fit its steps and schema: a timer naming an event
 * that is not a 'timer' step of its state (or a 'timer' step no SLA fires), a timer step that takes
 * input or produces a document, working days read from data the schema does not make a required integer >= 1, or an
 * escalation scope on a state without a deadline.
 */
export function checkSlaFacts(def: WorkflowDefinition): void {
  const where = `workflow ${def.name} v${def.version}`;
  const bad = (msg: string) => new WorkflowSlaInvalid(`${where}: ${msg}`);
  const sla: SlaSpec = def.sla ?? { states: {} };
  try {
    checkSlaSpec(sla);
  } catch (err) {
    throw new WorkflowSlaInvalid(`${where}: ${(err as Error).message}`, { cause: err });
  }
  for (const state of Object.keys(sla.states)) {
    const spec = stateSlaOf(sla, state)!;
    if (spec.fire !== undefined && def.steps[state]?.[spec.fire]?.scope !== 'timer') {
      throw bad(`the deadline of "${state}" fires "${spec.fire}", which is not a step of scope 'timer' in "${state}"`);
    }
    if (typeof spec.days === 'object') {
      // What an instance holds (normalize or an event may add the field), not what creating it takes.
      const problem = integerAtLeastOne(def.storedSchema ?? def.schema, spec.days.fromData);
      if (problem) throw bad(`the working days of "${state}" come from ${spec.days.fromData}, but the ${def.storedSchema ? 'stored ' : ''}data schema ${problem}`);
    }
  }
  for (const [state, events] of Object.entries(def.steps)) {
    for (const [event, step] of Object.entries(events)) {
      if (step.scope === 'timer') {
        if (timerEventOf(sla, state) !== event) throw bad(`"${state}"/"${event}" has scope 'timer' but the SLA of "${state}" does not fire it`);
        if (step.replacesData || step.payload || step.requiresComment || step.escalateTo) throw bad(`timer step "${state}"/"${event}" cannot take data, a payload, a required comment or an escalation`);
        // Stage documents are signed with the actor's own certificate; the system has none.
        if (step.document) throw bad(`timer step "${state}"/"${event}" cannot produce a document: the system actor has no signing identity`);
      }
      const up = step.escalateTo;
      if (!up) continue;
      if (!stateSlaOf(sla, state)) throw bad(`"${state}"/"${event}" escalates, but "${state}" has no deadline`);
      if (up.roles.length === 0 || (up.scope === 'data-org') !== (typeof up.orgField === 'string')) {
        throw bad(`"${state}"/"${event}" escalates to no role, or names orgField without scope 'data-org' (or the reverse)`);
      }
    }
  }
}

type SchemaNode = { type?: unknown; properties?: Record<string, SchemaNode>; required?: unknown; minimum?: unknown; exclusiveMinimum?: unknown };

/** Why `pointer` in data valid under `schema` is not always an integer >= 1; undefined when it is. */
function integerAtLeastOne(schema: Record<string, unknown>, pointer: string): string | undefined {
  let node = schema as SchemaNode;
  const keys = pointer.slice(1).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const key of keys) {
    const child = node.properties?.[key];
    if (!child) return `has no property "${key}" there`;
    if (!Array.isArray(node.required) || !node.required.includes(key)) return `does not require "${key}"`;
    node = child;
  }
  if (node.type !== 'integer') return 'does not make it an integer';
  const min = typeof node.minimum === 'number' ? node.minimum : typeof node.exclusiveMinimum === 'number' ? node.exclusiveMinimum + 1 : undefined;
  if (min === undefined || min < 1) return 'does not make it at least 1';
  return undefined;
}
