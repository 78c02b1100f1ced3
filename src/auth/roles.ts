import type { RoleName } from '../engine/definition';

/** Roles that act across all OPDs; every other role acts only at the OPD where it is held. */
export const GLOBAL_ROLES: ReadonlySet<RoleName> = new Set(['bappeda_verifier', 'tapd', 'ppkd', 'auditor', 'admin']);

export const ALL_ROLES: readonly RoleName[] = [
  'planner', 'opd_head', 'bappeda_verifier', 'tapd', 'ppkd', 'auditor', 'admin', 'frontdesk', 'technical_team', 'cashier', 'permit_head',
  'ppk', 'provider', 'bendahara', 'bud',
];

export interface RoleGrant {
  role: string;
  org: string;
  /** Set when the role is held by delegation (Plt/Plh): whom the actor acts for. */
  actingFor?: { username: string; fullName: string; position: string };
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
  return actor.roles.some((g) => GLOBAL_ROLES.has(g.role as RoleName));
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
  const opdGrants = actor.roles.filter((g) => !GLOBAL_ROLES.has(g.role as RoleName));
  return opdGrants.length ? [...new Set([actor.org, ...opdGrants.map((g) => g.org)])] : [];
}

/**
 * The hand the actor acts with: themself and every official they act for now (Plt/Plh). Every
 * duty check counts them as one person.
 */
export function handOf(actor: Actor): string[] {
  return [...new Set([actor.username, ...actor.roles.flatMap((g) => (g.actingFor ? [g.actingFor.username] : []))])];
}
