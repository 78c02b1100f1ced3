/**
 * Who may act, decided in one place. For an actor and one step of a workflow (an event in a state),
 * stepAccess states as data what an instance must satisfy for the actor to fire it:
 * - grants: the roles the actor may fire it under, in the step's order, each with the condition of
 *   its scope (the OPD or data org where the role is held, the submitter), then those of the step's
 *   escalation scope (escalateTo), which hold only while the state's deadline is escalated;
 * - duties: segregation of duties, checked once a grant holds (no hand that submitted a review
 *   step's instance, no hand that fired a step kept apart, no user bound to the instance's OPD
 *   under a global role). Hands, not users, are compared (see handOf).
 * Each condition is a conjunction of atoms, and each atom has exactly two readings, side by side
 * below: `holds` (JavaScript, on a loaded instance: src/auth/permissions.ts) and `atomSql` (a SQL
 * condition on workflow_instances: the inbox and lists in src/engine/read.ts). A rule added here is
 * added to both, or neither compiles.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import { type RoleName, separatedSteps, type Step, stepKey, type StepRef, type WorkflowDefinition } from '../engine/definition';
import { type Actor, boundOpds, isGlobalRole, handOf, hasRole } from './roles';

/** What the decision needs of an instance. */
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
  /**
   * The deadline of the state the instance is in was escalated (deadlines.overdue): read with the
   * instance where an escalation scope matters (ESCALATED_SQL); absent reads as false.
   */
  escalated?: boolean;
}

/** SQL for InstanceAccess.escalated on the (unaliased) workflow_instances table. */
export const ESCALATED_SQL = sql<boolean>`exists (select 1 from deadlines d where d.instance_id = workflow_instances.id and d.kind = 'state' and d.state = workflow_instances.state and d.overdue)`;

/** One condition on an instance. */
export type Atom =
  /** The instance's OPD is one of `in`. */
  | { kind: 'org'; in: readonly string[] }
  /** The instance's OPD is none of `in`. */
  | { kind: 'notOrg'; in: readonly string[] }
  /** The data property `field` is a string naming one of `in`. */
  | { kind: 'dataOrg'; field: string; in: readonly string[] }
  /** The machine recorded `username` as the submitter (snapshot context submittedBy). */
  | { kind: 'submittedBy'; username: string }
  /** None of `hands` ever submitted the instance. */
  | { kind: 'noSubmitter'; hands: readonly string[] }
  /** None of the step_hands `keys` is recorded on the instance. */
  | { kind: 'noStepHand'; keys: readonly string[] }
  /** The scheduler escalated the deadline of the state the instance is in. */
  | { kind: 'escalated' };

/** A role the actor may fire the step under, when the instance meets every atom of `when`. */
export interface Grant {
  role: string;
  when: readonly Atom[];
}

/** A segregation-of-duties rule: the instance must meet `must`, else the actor may not fire the step. */
export type Duty =
  | { kind: 'review'; must: Atom }
  | { kind: 'separate'; other: StepRef; must: Atom }
  | { kind: 'bound'; role: string; must: Atom };

export interface StepAccess {
  grants: Grant[];
  duties: Duty[];
}

function submittedBy(instance: InstanceAccess): string | undefined {
  const ctx = (instance.snapshot as { context?: { submittedBy?: unknown } } | null)?.context;
  return typeof ctx?.submittedBy === 'string' ? ctx.submittedBy : undefined;
}

/** The atom's JavaScript reading. */
export function holds(atom: Atom, instance: InstanceAccess): boolean {
  switch (atom.kind) {
    case 'org': return atom.in.includes(instance.org_id);
    case 'notOrg': return !atom.in.includes(instance.org_id);
    case 'dataOrg': {
      const org = instance.data?.[atom.field];
      return typeof org === 'string' && atom.in.includes(org);
    }
    case 'submittedBy': return submittedBy(instance) === atom.username;
    case 'noSubmitter': return !atom.hands.some((u) => instance.submitters.includes(u));
    case 'noStepHand': return !atom.keys.some((k) => instance.step_hands.includes(k));
    case 'escalated': return instance.escalated === true;
  }
}

/** The atom's SQL reading, on the (unaliased) workflow_instances table. */
export function atomSql(atom: Atom): Expression<SqlBool> {
  switch (atom.kind) {
    case 'org': return sql<SqlBool>`workflow_instances.org_id in (${sql.join(atom.in)})`;
    case 'notOrg': return sql<SqlBool>`workflow_instances.org_id not in (${sql.join(atom.in)})`;
    case 'dataOrg': return sql<SqlBool>`workflow_instances.data->>${atom.field} in (${sql.join(atom.in)})`;
    case 'submittedBy': return sql<SqlBool>`workflow_instances.snapshot->'context'->>'submittedBy' = ${atom.username}`;
    case 'noSubmitter': return sql<SqlBool>`not workflow_instances.submitters && ARRAY[${sql.join(atom.hands)}]::text[]`;
    case 'noStepHand': return sql<SqlBool>`not workflow_instances.step_hands && ARRAY[${sql.join(atom.keys)}]::text[]`;
    case 'escalated': return sql<SqlBool>`${ESCALATED_SQL}`;
  }
}

export const allHold = (atoms: readonly Atom[], instance: InstanceAccess): boolean => atoms.every((a) => holds(a, instance));

/**
 * The roles `actor` may fire `step` under and the condition of each. A global step's role counts
 * wherever it is held; any other role at one org: the instance's OPD, or the org a data property
 * names (the step's orgField under 'data-org', or a role's own roleOrgFields entry), and under
 * 'submitter' only for whom the machine recorded as submitter. A 'timer' or 'tracking-pin' step is no user's. The
 * escalation scope's roles follow, each with the escalated atom besides its own condition.
 */
export function grantsOf(actor: Actor, step: Step): Grant[] {
  // A step proven by tracking number and PIN is no signed-in user's either, whatever roles they
  // hold (and so never in an inbox): the citizen's route decides it (citizenDecision in ./permissions.ts).
  if (step.scope === 'timer' || step.scope === 'tracking-pin') return [];
  const grants = scopeGrants(actor, step);
  const up = step.escalateTo;
  if (up) for (const g of scopeGrants(actor, { roles: up.roles, scope: up.scope, orgField: up.orgField })) grants.push({ role: g.role, when: [...g.when, { kind: 'escalated' }] });
  return grants;
}

function scopeGrants(actor: Actor, step: Pick<Step, 'roles' | 'scope' | 'orgField' | 'roleOrgFields'>): Grant[] {
  const grants: Grant[] = [];
  for (const role of step.roles) {
    if (step.scope === 'global') {
      if (hasRole(actor, role)) grants.push({ role, when: [] });
      continue;
    }
    const orgs = [...new Set(actor.roles.filter((g) => g.role === role).map((g) => g.org))].sort();
    if (orgs.length === 0) continue;
    const field = step.roleOrgFields?.[role] ?? (step.scope === 'data-org' ? step.orgField : undefined);
    if (field === undefined && step.scope === 'data-org') continue;
    const where: Atom = field === undefined ? { kind: 'org', in: orgs } : { kind: 'dataOrg', field, in: orgs };
    grants.push({ role, when: step.scope === 'submitter' ? [where, { kind: 'submittedBy', username: actor.username }] : [where] });
  }
  return grants;
}

/** Segregation of duties for `actor` firing `event` in `state` (`step`), in the order they are reported. */
export function dutiesOf(actor: Actor, def: WorkflowDefinition, state: string, event: string, step: Step): Duty[] {
  const hand = handOf(actor);
  const duties: Duty[] = [];
  if (step.review) duties.push({ kind: 'review', must: { kind: 'noSubmitter', hands: hand } });
  for (const other of separatedSteps(def, state, event)) {
    duties.push({ kind: 'separate', other, must: { kind: 'noStepHand', keys: hand.map((u) => stepKey(other.state, other.event, u)) } });
  }
  // A global step is fired under the first of its roles the actor holds (grantsOf keeps that order).
  const role = step.scope === 'global' ? step.roles.find((r) => hasRole(actor, r)) : undefined;
  const bound = boundOpds(actor);
  if (role !== undefined && isGlobalRole(role) && bound.length > 0) {
    duties.push({ kind: 'bound', role, must: { kind: 'notOrg', in: [...bound].sort() } });
  }
  return duties;
}

/** The whole rule for `actor` and one step; undefined when the workflow has no such step. */
export function stepAccess(actor: Actor, def: WorkflowDefinition, state: string, event: string): StepAccess | undefined {
  const step = def.steps[state]?.[event];
  return step && { grants: grantsOf(actor, step), duties: dutiesOf(actor, def, state, event, step) };
}
