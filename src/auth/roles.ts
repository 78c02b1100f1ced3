import type { Labelled, WorkflowPackage } from '../engine/package';

/** The core's own roles: they read or administer every workflow. */
export const CORE_ROLES: Readonly<Record<string, { label: Labelled; global: boolean }>> = {
  auditor: { label: { id: 'auditor', en: 'auditor' }, global: true },
  admin: { label: { id: 'administrator', en: 'administrator' }, global: true },
};

const roleTable = new Map<string, { label: Labelled; global: boolean; from: string }>(
  Object.entries(CORE_ROLES).map(([name, spec]) => [name, { ...spec, from: 'core' }]),
);

/**
 * Adds a package's roles to the process's role table. A role two packages declare (the head of an
 * OPD acts in several workflows) must be declared alike: global or not is one office's nature.
 */
export function installRoles(pkg: Pick<WorkflowPackage, 'name' | 'roles'>): void {
  for (const [name, spec] of Object.entries(pkg.roles)) {
    const known = roleTable.get(name);
    const global = spec.global === true;
    if (known && known.global !== global) {
      throw new Error(`workflow ${pkg.name}: role ${name} is ${global ? '' : 'not '}global here but ${known.global ? '' : 'not '}global in ${known.from}`);
    }
    if (!known) roleTable.set(name, { label: spec.label, global, from: `workflow ${pkg.name}` });
  }
}

/** Every role: the core's and those of the loaded packages. */
export function allRoles(): string[] {
  return [...roleTable.keys()];
}

/** Roles that act across all OPDs; every other role acts only at the OPD where it is held. */
export function isGlobalRole(role: string): boolean {
  return roleTable.get(role)?.global === true;
}

export function globalRoles(): string[] {
  return [...roleTable].filter(([, r]) => r.global).map(([name]) => name);
}

/** A role's label in a console language, or undefined for a role nobody declared. */
export function roleLabel(role: string, lang: 'id' | 'en'): string | undefined {
  return roleTable.get(role)?.label[lang];
}

/** Whom a delegate acts for, and as what: Plt (position vacant, holder long absent) or Plh (holder briefly away). */
export interface ActingFor {
  username: string;
  fullName: string;
  position: string;
  kind: 'plt' | 'plh';
}

export interface RoleGrant {
  role: string;
  org: string;
  /** Set when the role is held by delegation (Plt/Plh): whom the actor acts for. */
  actingFor?: ActingFor;
}

/** The authenticated user a request acts as. */
export interface Actor {
  username: string;
  fullName: string;
  position: string;
  org: string;
  orgName: string;
  roles: RoleGrant[];
}

export function hasRole(actor: Actor, role: string, org?: string): boolean {
  return actor.roles.some((g) => g.role === role && (org === undefined || g.org === org));
}

export function hasGlobalRole(actor: Actor): boolean {
  return actor.roles.some((g) => isGlobalRole(g.role));
}

/** OPDs whose instances the actor reads as a member: its own org and every org it holds a role at. */
export function memberOrgs(actor: Actor): string[] {
  return [...new Set([actor.org, ...actor.roles.map((g) => g.org)])];
}

/**
 * A user holding any role that acts at one OPD (in their own right or as Plt/Plh) is bound to
 * their OPDs: their own org and every org where they hold such a role. Under a global role they
 * may not act on those OPDs' instances or ceilings. Empty for users holding only global roles.
 */
export function boundOpds(actor: Actor): string[] {
  const opdGrants = actor.roles.filter((g) => !isGlobalRole(g.role));
  return opdGrants.length ? [...new Set([actor.org, ...opdGrants.map((g) => g.org)])] : [];
}

/**
 * The hand the actor acts with: themself and every official they act for now (Plt/Plh). Every
 * duty check counts them as one person.
 */
export function handOf(actor: Actor): string[] {
  return [...new Set([actor.username, ...actor.roles.flatMap((g) => (g.actingFor ? [g.actingFor.username] : []))])];
}

/**
 * The role recorded in history for a step fired by tracking number and PIN. No user can hold it:
 * it is not in the role table, so no grant of it can be made.
 */
export const CITIZEN_ROLE = 'citizen';

/**
 * The public pseudo-actor: whoever creates an instance without an account (a package's
 * `publicIntake`) or proves a tracking number and PIN. Its username cannot be a user's (user names
 * start with a letter or digit); it belongs to no OPD and holds no role, so it reads nothing.
 */
export const PUBLIC_ACTOR: Readonly<Actor> = Object.freeze({ username: '@public', fullName: 'Masyarakat (publik)', position: '', org: '', orgName: '', roles: [] });
