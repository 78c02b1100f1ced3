import { type RoleName, separatedSteps, type Step, stepKey, type WorkflowDefinition } from '../engine/definition';
import { type Actor, boundOpds, GLOBAL_ROLES, handOf, hasGlobalRole, hasRole, memberOrgs, type RoleGrant } from './roles';

/** What the engine needs of an instance to decide who may do what. */
export interface InstanceAccess {
  state: string;
  org_id: string;
  /** Hands that ever submitted it: each submitter and whom they acted for. */
  submitters: string[];
  participants: string[];
  /** Who had a hand in which step: stepKey(state, event, username), for the actor and whom they acted for. */
  step_hands: string[];
  snapshot: unknown;
  data: Record<string, unknown>;
}

function submittedBy(instance: InstanceAccess): string | undefined {
  const ctx = (instance.snapshot as { context?: { submittedBy?: unknown } } | null)?.context;
  return typeof ctx?.submittedBy === 'string' ? ctx.submittedBy : undefined;
}

/** The org at which a step's role must be held; undefined for global steps (or a missing data org). */
export function stepOrg(step: Step, instance: InstanceAccess): string | undefined {
  if (step.scope === 'global') return undefined;
  if (step.scope === 'data-org') {
    const org = step.orgField ? instance.data?.[step.orgField] : undefined;
    return typeof org === 'string' ? org : undefined;
  }
  return instance.org_id;
}

/** The org at which `role` must be held for `step`: a per-role data org, else the step's. */
function roleOrg(step: Step, role: string, instance: InstanceAccess): string | undefined {
  const field = step.roleOrgFields?.[role as keyof typeof step.roleOrgFields];
  if (field === undefined) return stepOrg(step, instance);
  const org = instance.data?.[field];
  return typeof org === 'string' ? org : undefined;
}

/** The role under which `actor` may fire `step` on `instance`, ignoring segregation of duties. */
export function qualifyingRole(actor: Actor, step: Step, instance: InstanceAccess): string | undefined {
  for (const role of step.roles) {
    if (step.scope === 'global') {
      if (hasRole(actor, role)) return role;
      continue;
    }
    const org = roleOrg(step, role, instance);
    if (org === undefined || !hasRole(actor, role, org)) continue;
    if (step.scope === 'submitter' && submittedBy(instance) !== actor.username) continue;
    return role;
  }
  return undefined;
}

/**
 * Why segregation of duties keeps `actor` from firing `state`/`type` (`step`) on `instance`, or
 * undefined when it does not. Hands, not users, are compared (see handOf): a delegate and the
 * official they act for are one person here. src/engine/read.ts states the same rules in SQL.
 * - a review step: no hand that ever submitted the instance;
 * - a step the workflow keeps apart from others (Step.separateFrom): no hand that fired one of them;
 * - a global step under a global role: not by a user bound to the instance's OPD (boundOpds).
 */
export function dutyConflict(actor: Actor, def: WorkflowDefinition, state: string, type: string, step: Step, instance: InstanceAccess): string | undefined {
  const hand = handOf(actor);
  if (step.review && hand.some((u) => instance.submitters.includes(u))) {
    return `You submitted or prepared this ${def.name}, or acted for whoever did, so you may not review it`;
  }
  for (const other of separatedSteps(def, state, type)) {
    if (hand.some((u) => instance.step_hands.includes(stepKey(other.state, other.event, u)))) {
      return `You (or whom you act for) fired "${other.event}" in "${other.state}" on this ${def.name}; "${type}" needs someone else`;
    }
  }
  if (step.scope === 'global' && boundOpds(actor).includes(instance.org_id)) {
    const role = qualifyingRole(actor, step, instance);
    if (role !== undefined && GLOBAL_ROLES.has(role as RoleName)) {
      return `You work at ${instance.org_id}, so you may not act on its ${def.name} as ${role}`;
    }
  }
  return undefined;
}

/**
 * The delegation a step would be fired under: undefined when the actor holds the role themself
 * (their own grant wins), the delegated grant when only a delegation qualifies them.
 */
export function delegatedGrant(actor: Actor, step: Step, instance: InstanceAccess, role: string): RoleGrant | undefined {
  const org = step.scope === 'global' ? undefined : roleOrg(step, role, instance);
  const grants = actor.roles.filter((g) => g.role === role && (org === undefined || g.org === org));
  return grants.some((g) => !g.actingFor) ? undefined : grants.find((g) => g.actingFor);
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
    const conflict = dutyConflict(actor, def, instance.state, type, step, instance);
    if (conflict !== undefined) return { kind: 'segregation', detail: conflict };
    return { kind: 'allowed', step, role };
  }
  const knownEvent = Object.values(def.steps).some((events) => type in events);
  const couldEver = Object.values(def.steps).some((events) => {
    const s = events[type];
    if (s === undefined) return false;
    return s.roles.some((r) => {
      if (s.scope === 'global') return hasRole(actor, r);
      const org = roleOrg(s, r, instance);
      return org !== undefined && hasRole(actor, r, org);
    });
  });
  if (knownEvent && !couldEver) return { kind: 'forbidden', detail: `You may not fire "${type}" on this ${def.name}` };
  return { kind: 'no-transition', detail: `State "${instance.state}" has no transition for "${type}"` };
}

/** Events the actor may fire now (guards that need the request, such as comments, aside). */
export function allowedEvents(actor: Actor, def: WorkflowDefinition, instance: InstanceAccess): string[] {
  const steps = def.steps[instance.state] ?? {};
  return Object.entries(steps)
    .filter(([type, step]) => qualifyingRole(actor, step, instance) && dutyConflict(actor, def, instance.state, type, step, instance) === undefined)
    .map(([type]) => type);
}

/**
 * Users of the owning OPD, global roles, past participants, and whoever the definition lets act on
 * the instance at some stage (e.g. the technical team of the agency a permit names) read it.
 */
export function canRead(actor: Actor, def: WorkflowDefinition, instance: InstanceAccess): boolean {
  if (hasGlobalRole(actor)) return true;
  if (memberOrgs(actor).includes(instance.org_id)) return true;
  if (instance.participants.includes(actor.username)) return true;
  return Object.values(def.steps).some((events) => Object.values(events).some((step) => qualifyingRole(actor, step, instance) !== undefined));
}

/**
 * Whether any of the actor's roles fires some event of these workflows. Auditors and admins fire
 * none, so their event requests are refused as such, before the request is looked at.
 */
export function firesAnyEvent(actor: Actor, defs: readonly WorkflowDefinition[]): boolean {
  const firing = new Set<string>(defs.flatMap((d) => Object.values(d.steps).flatMap((events) => Object.values(events).flatMap((st) => st.roles))));
  return actor.roles.some((g) => firing.has(g.role));
}

/** Whether any of the actor's roles creates instances of one of these workflows. */
export function createsAnyInstance(actor: Actor, defs: readonly WorkflowDefinition[]): boolean {
  const creating = new Set<string>(defs.flatMap((d) => d.creatorRoles));
  return actor.roles.some((g) => creating.has(g.role));
}
