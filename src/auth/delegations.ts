import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { RoleName } from '../engine/definition';
import { forbidden, invalidData, notFound, type FieldProblem } from '../errors';
import { invalidTextProblems } from '../engine/validate';
import { refuseUnprintable } from '../documents/printable';
import { recordPeopleEvent } from './people';
import { isGlobalRole, hasRole, type Actor } from './roles';
import { inTransaction } from '../db/transaction';
import { DELEGATION_KINDS, type DelegationKind } from './delegation-kind';

export { kindPrefix, type DelegationKind } from './delegation-kind';
const isKind = (v: unknown): v is DelegationKind => DELEGATION_KINDS.includes(v as DelegationKind);

/**
 * Plt/Plh: a role holder (or an admin for them) delegates a role for a date range. The API and
 * the console both change delegations through these functions, so each change is recorded in the
 * people_events chain the same way.
 */
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const validDay = (v: unknown): v is string => typeof v === 'string' && DAY.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

export interface DelegationView {
  id: string;
  kind: DelegationKind;
  delegator: string;
  delegate: string;
  role: string;
  org: string;
  from: string;
  to: string;
  reason: string | null;
  endedAt: string | null;
}

/** Validates and records a delegation; `body` is the request's object (delegator defaults to the actor). */
export async function createDelegation(db: Kysely<Database>, actor: Actor, body: Record<string, unknown>): Promise<DelegationView> {
  const isAdmin = hasRole(actor, 'admin');
  if (hasRole(actor, 'auditor') && !isAdmin) throw forbidden('Auditors do not delegate');
  const delegator = body.delegator === undefined ? actor.username : body.delegator;
  if (delegator !== actor.username && !isAdmin) throw forbidden('Only an admin delegates on behalf of someone else');
  const problems: FieldProblem[] = invalidTextProblems(body, '');
  for (const f of ['delegate', 'role', 'org'] as const) if (typeof body[f] !== 'string' || body[f] === '') problems.push({ path: `/${f}`, message: 'is required' });
  // Required, not defaulted: Plt and Plh mean different things on a signed letter.
  if (!isKind(body.kind)) problems.push({ path: '/kind', message: 'must be plt or plh' });
  if (!validDay(body.from)) problems.push({ path: '/from', message: 'must be a date YYYY-MM-DD' });
  if (!validDay(body.to)) problems.push({ path: '/to', message: 'must be a date YYYY-MM-DD' });
  if (validDay(body.from) && validDay(body.to) && body.to < body.from) problems.push({ path: '/to', message: 'must not be before from' });
  if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 500)) problems.push({ path: '/reason', message: 'must be at most 500 characters' });
  if (problems.length) throw invalidData('The delegation is invalid', problems);
  // An acting official's signature block may name why they act.
  refuseUnprintable({ reason: body.reason });
  const { delegate, role, org, from, to, kind } = body as { delegate: string; role: string; org: string; from: string; to: string; kind: DelegationKind };
  const id = crypto.randomUUID();
  await inTransaction(db, async (trx) => {
    const holds = await trx.selectFrom('user_roles').innerJoin('users', 'users.username', 'user_roles.username').select(['users.org_id', 'users.position'])
      .where('user_roles.username', '=', String(delegator)).where('user_roles.role', '=', role).where('user_roles.org_id', '=', org).executeTakeFirst();
    if (!holds) throw invalidData(`${String(delegator)} does not hold ${role} at ${org}`, [{ path: '/role', message: 'the delegator must hold this role at this organisation' }]);
    const target = await trx.selectFrom('users').select(['username', 'org_id', 'active']).where('username', '=', delegate).executeTakeFirst();
    if (!target || !target.active) throw invalidData(`No active user "${delegate}"`, [{ path: '/delegate', message: 'must be an active user' }]);
    if (target.username === delegator) throw invalidData('One cannot delegate to oneself', [{ path: '/delegate', message: 'must be someone else' }]);
    // A role stays inside the OPD that holds it: an OPD's own role inside that OPD, a global role
    // (TAPD, Bappeda …) inside the delegator's own OPD, so no OPD's official acts on their OPD's
    // budget under a role lent from outside (src/auth/tokens.ts applies the same rule when loading).
    const home = isGlobalRole(role) ? holds.org_id : org;
    if (target.org_id !== home) {
      throw invalidData(`${role} held at ${org} by ${String(delegator)} may only be delegated to an official of ${home}`, [{ path: '/delegate', message: `must belong to ${home}` }]);
    }
    await trx.insertInto('delegations').values({
      // The position the delegate acts in, as the principal holds it now: history rows print it later.
      id, delegator: String(delegator), delegate, role, org_id: org, kind, principal_position: holds.position, starts_on: from, ends_on: to,
      reason: (body.reason as string | undefined) ?? null, created_by: actor.username,
    }).execute();
    await recordPeopleEvent(trx, { action: 'delegate', username: delegate, role, org, details: `acting for ${String(delegator)} ${from}..${to} (${kind})`, actor: actor.username });
  });
  // The same view the list gives, so one schema describes both answers.
  return { id, kind, delegator: String(delegator), delegate, role, org, from, to, reason: (body.reason as string | undefined) ?? null, endedAt: null };
}

/** Delegations the actor may see: all for admins and auditors, else those given or received. */
export async function listDelegations(db: Kysely<Database>, actor: Actor, limit = 500): Promise<DelegationView[]> {
  // Drivers parse a date into a Date at local midnight; as text it stays the day that was given.
  let q = db.selectFrom('delegations').selectAll()
    .select([sql<string>`starts_on::text`.as('from_day'), sql<string>`ends_on::text`.as('to_day')])
    .orderBy('created_at', 'desc');
  if (!hasRole(actor, 'admin') && !hasRole(actor, 'auditor')) {
    q = q.where((eb) => eb.or([eb('delegator', '=', actor.username), eb('delegate', '=', actor.username)]));
  }
  const rows = await q.limit(limit).execute();
  return rows.map((d) => ({ id: d.id, kind: d.kind, delegator: d.delegator, delegate: d.delegate, role: d.role, org: d.org_id, from: d.from_day, to: d.to_day, reason: d.reason, endedAt: d.ended_at?.toISOString() ?? null }));
}

/** Ends a delegation now (the delegator or an admin); ending an ended one changes nothing. */
export async function endDelegation(db: Kysely<Database>, actor: Actor, id: string): Promise<void> {
  if (hasRole(actor, 'auditor') && !hasRole(actor, 'admin')) throw forbidden('Auditors do not change delegations');
  await inTransaction(db, async (trx) => {
    const d = /^[0-9a-f-]{36}$/i.test(id) ? await trx.selectFrom('delegations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
    if (!d || (d.delegator !== actor.username && d.delegate !== actor.username && !hasRole(actor, 'admin'))) throw notFound(`No delegation ${id}`);
    if (d.delegator !== actor.username && !hasRole(actor, 'admin')) throw forbidden('Only the delegator or an admin ends a delegation');
    if (d.ended_at) return;
    await trx.updateTable('delegations').set({ ended_at: new Date() }).where('id', '=', id).execute();
    await recordPeopleEvent(trx, { action: 'end_delegation', username: d.delegate, role: d.role, org: d.org_id, actor: actor.username });
  });
}
