import type { Step, WorkflowDefinition } from '../engine/definition';
import { type Actor, hasGlobalRole, hasRole, memberOrgs } from './roles';

/** What the engine needs of an instance to decide who may do what. */
export interface InstanceAccess {
  state: string;
  org_id: string;
  submitters: string[];
  participants: string[];
  snapshot: unknown;
}

function submittedBy(instance: InstanceAccess): string | undefined {
  const ctx = (instance.snapshot as { context?: { submittedBy?: unknown } } | null)?.context;
  return typeof ctx?.submittedBy === 'string' ? ctx.submittedBy : undefined;
}

/** The role under which `actor` may fire `step` on `instance`, ignoring segregation of duties. */
export function qualifyingRole(actor: Actor, step: Step, instance: InstanceAccess): string | undefined {
  for (const role of step.roles) {
    if (step.scope === 'global' && hasRole(actor, role)) return role;
    if (step.scope === 'instance-org' && hasRole(actor, role, instance.org_id)) return role;
    if (step.scope === 'submitter' && hasRole(actor, role, instance.org_id) && submittedBy(instance) === actor.username) return role;
  }
  return undefined;
}

/** Anyone who has ever submitted an instance may not review it, whatever roles they hold. */
export function violatesSegregation(actor: Actor, step: Step, instance: InstanceAccess): boolean {
  return step.review && instance.submitters.includes(actor.username);
}

export type EventDecision =
  | { kind: 'allowed'; step: Step; role: string }
  | { kind: 'forbidden'; detail: string }
  | { kind: 'segregation'; detail: string }
  | { kind: 'no-transition'; detail: string };

/**
 * Decides an event for an actor in the order the API reports refusals: role (403), segregation
 * (403), then whether the current state has the event at all (409, reported after If-Match).
 */
export function decideEvent(actor: Actor, def: WorkflowDefinition, instance: InstanceAccess, type: string): EventDecision {
  const step = def.steps[instance.state]?.[type];
  if (step) {
    const role = qualifyingRole(actor, step, instance);
    if (!role) return { kind: 'forbidden', detail: `You may not fire "${type}" on this ${def.name} in state "${instance.state}"` };
    if (violatesSegregation(actor, step, instance)) {
      return { kind: 'segregation', detail: `You submitted this ${def.name}, so you may not review it` };
    }
    return { kind: 'allowed', step, role };
  }
  const knownEvent = Object.values(def.steps).some((events) => type in events);
  const couldEver = Object.values(def.steps).some((events) => {
    const s = events[type];
    return s !== undefined && s.roles.some((r) => (s.scope === 'global' ? hasRole(actor, r) : hasRole(actor, r, instance.org_id)));
  });
  if (knownEvent && !couldEver) return { kind: 'forbidden', detail: `You may not fire "${type}" on this ${def.name}` };
  return { kind: 'no-transition', detail: `State "${instance.state}" has no transition for "${type}"` };
}

/** Events the actor may fire now (guards that need the request, such as comments, aside). */
export function allowedEvents(actor: Actor, def: WorkflowDefinition, instance: InstanceAccess): string[] {
  const steps = def.steps[instance.state] ?? {};
  return Object.entries(steps)
    .filter(([, step]) => qualifyingRole(actor, step, instance) && !violatesSegregation(actor, step, instance))
    .map(([type]) => type);
}

/** Users of the owning OPD, global roles, past participants and whoever may act now read an instance. */
export function canRead(actor: Actor, def: WorkflowDefinition, instance: InstanceAccess): boolean {
  if (hasGlobalRole(actor)) return true;
  if (memberOrgs(actor).includes(instance.org_id)) return true;
  if (instance.participants.includes(actor.username)) return true;
  return Object.values(def.steps[instance.state] ?? {}).some((step) => qualifyingRole(actor, step, instance) !== undefined);
}
