import type { Step, WorkflowDefinition } from '../engine/definition';
import { allHold, type Duty, dutiesOf, grantsOf, type Grant, type InstanceAccess } from './access';
import { type Actor, CITIZEN_ROLE, hasGlobalRole, memberOrgs, type RoleGrant } from './roles';

/** Who may act is stated once, in src/auth/access.ts; this module reads it in JavaScript. */
export type { InstanceAccess } from './access';

/** The first grant (in the step's role order) whose condition the instance meets. */
function qualifyingGrant(actor: Actor, step: Step, instance: InstanceAccess): Grant | undefined {
  return grantsOf(actor, step).find((g) => allHold(g.when, instance));
}

/** The role under which `actor` may fire `step` on `instance`, ignoring segregation of duties. */
export function qualifyingRole(actor: Actor, step: Step, instance: InstanceAccess): string | undefined {
  return qualifyingGrant(actor, step, instance)?.role;
}

function conflictDetail(duty: Duty, def: WorkflowDefinition, type: string, instance: InstanceAccess): string {
  switch (duty.kind) {
    case 'review': return `You submitted or prepared this ${def.name}, or acted for whoever did, so you may not review it`;
    case 'separate': return `You (or whom you act for) fired "${duty.other.event}" in "${duty.other.state}" on this ${def.name}; "${type}" needs someone else`;
    case 'bound': return `You work at ${instance.org_id}, so you may not act on its ${def.name} as ${duty.role}`;
  }
}

/**
 * Why segregation of duties keeps `actor` from firing `state`/`type` (`step`) on `instance`, or
 * undefined when it does not (the duties are listed in src/auth/access.ts).
 */
export function dutyConflict(actor: Actor, def: WorkflowDefinition, state: string, type: string, step: Step, instance: InstanceAccess): string | undefined {
  const broken = dutiesOf(actor, def, state, type, step).find((d) => !allHold([d.must], instance));
  return broken && conflictDetail(broken, def, type, instance);
}

/**
 * The delegation a step would be fired under: undefined when the actor holds the role themself
 * (their own grant wins), the delegated grant when only a delegation qualifies them.
 */
export function delegatedGrant(actor: Actor, step: Step, instance: InstanceAccess, role: string): RoleGrant | undefined {
  const grant = grantsOf(actor, step).find((g) => g.role === role);
  const org = grant && orgOf(grant, instance);
  const grants = actor.roles.filter((g) => g.role === role && (org === undefined || g.org === org));
  return grants.some((g) => !g.actingFor) ? undefined : grants.find((g) => g.actingFor);
}

/** The org at which a grant's role is held for `instance` (undefined for a global step). */
function orgOf(grant: Grant, instance: InstanceAccess): string | undefined {
  for (const atom of grant.when) {
    if (atom.kind === 'org') return instance.org_id;
    if (atom.kind === 'dataOrg') {
      const org = instance.data?.[atom.field];
      return typeof org === 'string' ? org : undefined;
    }
  }
  return undefined;
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
  // Whether some step with this event is the actor's at this instance's orgs, whoever submitted it.
  const couldEver = Object.values(def.steps).some((events) => {
    const s = events[type];
    return s !== undefined && grantsOf(actor, s).some((g) => allHold(g.when.filter((a) => a.kind !== 'submittedBy'), instance));
  });
  if (knownEvent && !couldEver) return { kind: 'forbidden', detail: `You may not fire "${type}" on this ${def.name}` };
  return { kind: 'no-transition', detail: `State "${instance.state}" has no transition for "${type}"` };
}

/**
 * The decision for whoever proved an instance's tracking number and PIN (the public pseudo-actor):
 * only a 'tracking-pin' step of the current state; segregation of duties does not apply (a citizen
 * holds no office). 403 for a step that is someone's role, 409 for an event the state does not have.
 */
export function citizenDecision(def: WorkflowDefinition, instance: InstanceAccess, type: string): EventDecision {
  const step = def.steps[instance.state]?.[type];
  if (step?.scope === 'tracking-pin') return { kind: 'allowed', step, role: CITIZEN_ROLE };
  if (step) return { kind: 'forbidden', detail: `"${type}" is not the applicant's to fire` };
  return { kind: 'no-transition', detail: `State "${instance.state}" has no transition for "${type}" by the applicant` };
}

/** Events whoever holds the tracking number and PIN may fire now. */
export function citizenEvents(def: WorkflowDefinition, instance: Pick<InstanceAccess, 'state'>): string[] {
  return Object.entries(def.steps[instance.state] ?? {}).filter(([, step]) => step.scope === 'tracking-pin').map(([type]) => type);
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
  const firing = new Set<string>(defs.flatMap((d) => Object.values(d.steps).flatMap((events) => Object.values(events).flatMap((st) => [...st.roles, ...(st.escalateTo?.roles ?? [])]))));
  return actor.roles.some((g) => firing.has(g.role));
}

/** Whether any of the actor's roles creates instances of one of these workflows. */
export function createsAnyInstance(actor: Actor, defs: readonly WorkflowDefinition[]): boolean {
  const creating = new Set<string>(defs.flatMap((d) => d.creatorRoles));
  return actor.roles.some((g) => creating.has(g.role));
}
