/**
 * Terminology:
 * - step facts: what a workflow says about one event in one state (`Step` in definition.ts: roles,
 *   scope, task, review, document, comment rule …). A workflow writes them once, as the `meta` of
 *   the xstate transition they belong to; the steps table (`WorkflowDefinition.steps`) is derived
 *   from the machine here, never written beside it.
 * - state name: a nested state is named by its path (`payment.spp`), as the engine stores it, and
 *   has the events of its ancestors too (xstate gives a child's own transition first).
 * - branches: one event may have several guarded transitions (a contract signed by the second
 *   party goes on, by the first it stays). They are one step: the facts go on the first branch; a
 *   later branch carries none, or facts equal to the first's.
 *
 * What the engine checks from the facts before the machine sees an event (the role and its scope,
 * the submitter under scope 'submitter', a required comment) is not written again as a guard: a
 * machine's guards only choose between the branches of one event.
 */
import type { AnyStateMachine } from 'xstate';
import type { Step, StepScope, WorkflowDefinition } from './definition';

/** Step facts per state name and event, as the engine, auth and the console read them. */
export type StepTable = Record<string, Record<string, Step>>;

/** One event of one state of the machine, with the facts of each of its branches (in order). */
export interface MachineEvent {
  state: string;
  event: string;
  branches: Array<Step | undefined>;
}

/** A workflow version whose steps do not match its machine or its package; lists every problem. */
export class WorkflowStepsInvalid extends Error {
  readonly code = 'WORKFLOW_STEPS_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

interface StateConfig {
  type?: string;
  on?: Record<string, unknown>;
  states?: Record<string, StateConfig>;
}

/** A transition config as xstate accepts it: a target, one transition object or a list of them. */
function branchesOf(transition: unknown): unknown[] {
  if (transition === undefined || transition === null) return [];
  return Array.isArray(transition) ? transition : [transition];
}

function factsOf(branch: unknown): Step | undefined {
  return branch !== null && typeof branch === 'object' ? ((branch as { meta?: Step }).meta ?? undefined) : undefined;
}

/**
 * Every event each state of `machine` takes, states in the order the config lists them. Delayed
 * and eventless transitions are not steps (nobody fires them) and are not listed.
 */
export function machineEvents(machine: AnyStateMachine): MachineEvent[] {
  const out: MachineEvent[] = [];
  const visit = (path: string, node: StateConfig, inherited: ReadonlyArray<[string, unknown]>, depth: number) => {
    if (node.type === 'parallel') throw new WorkflowStepsInvalid([`workflow ${machine.id}: state ${path} is parallel; an instance is in one state at a time`]);
    const own = Object.entries(node.on ?? {});
    const events = [...own, ...inherited.filter(([e]) => !own.some(([o]) => o === e))];
    const children = Object.entries(node.states ?? {});
    if (children.length > 0) {
      for (const [name, child] of children) visit(path ? `${path}.${name}` : name, child, events, depth + 1);
      return;
    }
    // A top-level final state ends the machine: it takes no event, not even the root's.
    if (node.type === 'final' && depth === 1) return;
    for (const [event, transition] of events) {
      const branches = branchesOf(transition);
      // `event: undefined` forbids an ancestor's event in this state.
      if (branches.length > 0) out.push({ state: path, event, branches: branches.map(factsOf) });
    }
  };
  visit('', machine.config as StateConfig, [], 0);
  return out;
}

/**
 * The steps table of a machine whose transitions carry their facts as `meta`. An event without
 * facts is left out here and reported by `checkSteps` when the registry loads the version.
 */
export function stepsOf(machine: AnyStateMachine): StepTable {
  const steps: StepTable = {};
  for (const { state, event, branches } of machineEvents(machine)) {
    const facts = branches[0];
    if (facts) (steps[state] ??= {})[event] = facts;
  }
  return steps;
}

const SCOPES: ReadonlySet<StepScope> = new Set(['instance-org', 'global', 'submitter', 'data-org', 'timer', 'tracking-pin']);

/**
 * Refuses a version whose machine and steps disagree — an event without facts, facts without a
 * transition, branches of one event with different facts — or whose steps or creators name a
 * role that is neither its package's nor a core role. Every problem names workflow, version,
 * state and event.
 */
export function checkSteps(def: WorkflowDefinition, knownRoles: ReadonlySet<string>): void {
  const problems: string[] = [];
  const at = (state: string, event: string) => `workflow ${def.name} v${def.version}: ${state}/${event}`;
  const inMachine = new Set<string>();
  for (const { state, event, branches } of machineEvents(def.machine)) {
    inMachine.add(`${state}\u0000${event}`);
    if (!def.steps[state]?.[event]) problems.push(`${at(state, event)} has no step facts: give its transition a meta with roles, scope, task and review`);
    const first = branches[0];
    branches.forEach((facts, i) => {
      if (i === 0 || facts === undefined) return;
      if (first === undefined) problems.push(`${at(state, event)}: its facts go on its first transition, not on transition ${i + 1}`);
      else if (!sameFacts(first, facts)) problems.push(`${at(state, event)}: transition ${i + 1} gives other step facts than the first; an event's facts are given once, on its first transition`);
    });
  }
  for (const [state, events] of Object.entries(def.steps)) {
    for (const [event, step] of Object.entries(events)) {
      if (!inMachine.has(`${state}\u0000${event}`)) problems.push(`${at(state, event)} has step facts, but the machine has no such transition`);
      problems.push(...factProblems(step).map((p) => `${at(state, event)} ${p}`));
      for (const role of [...(Array.isArray(step.roles) ? step.roles : []), ...(step.escalateTo?.roles ?? [])]) {
        if (!knownRoles.has(role)) problems.push(`${at(state, event)} names role ${role}, which the package does not declare and the core does not have`);
      }
    }
  }
  for (const role of def.creatorRoles) {
    if (!knownRoles.has(role)) problems.push(`workflow ${def.name} v${def.version}: creatorRoles names role ${role}, which the package does not declare and the core does not have`);
  }
  if (problems.length > 0) throw new WorkflowStepsInvalid(problems);
}

/** The shape TypeScript checks for built-in packages, checked again for packages written in JavaScript. */
function factProblems(step: Step): string[] {
  const problems: string[] = [];
  // A timer step is no user's: the SLA scheduler fires it (src/engine/timers.ts). A step proven by
  // tracking number and PIN is nobody's role and nobody's task (no inbox holds it).
  if (step.scope === 'tracking-pin') {
    if (!Array.isArray(step.roles) || step.roles.length > 0) problems.push('has scope tracking-pin, so it names no roles (roles: [])');
    if (step.task === true) problems.push('has scope tracking-pin, so it is no task (task: false)');
  } else if (!Array.isArray(step.roles) || (step.roles.length === 0) !== (step.scope === 'timer')) problems.push(step.scope === 'timer' ? 'has scope timer, so no roles' : 'has no roles');
  if (!SCOPES.has(step.scope)) problems.push(`has scope ${String(step.scope)}, not one of ${[...SCOPES].join(', ')}`);
  if (step.scope === 'data-org' && typeof step.orgField !== 'string') problems.push('has scope data-org but no orgField');
  if (typeof step.task !== 'boolean' || typeof step.review !== 'boolean') problems.push('must say whether it is a task and a review (true or false)');
  return problems;
}

/** Equal facts: the same values, functions (hooks) by identity. */
function sameFacts(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameFacts((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
