import { type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { GrmsError, invalidData, notFound, type FieldProblem } from '../errors';
import { appendToSideChain, verifySideChain, type SideChainResult } from '../audit/side-chain';
import { invalidTextProblems } from '../engine/validate';
import { refuseUnprintable } from '../documents/printable';
import { revokeCertificate } from '../documents/identities';
import { allRoles } from './roles';
import { revokeUserTokens } from './tokens';
import { inTransaction } from '../db/transaction';

/**
 * People administration (officials move between posts: mutasi). Every change is appended to the
 * hash-chained people_events table in the same transaction as the change.
 */
export interface NewUser {
  username: string;
  fullName: string;
  position?: string;
  /** NIP, 18 digits; spaces as printed ("19780312 200501 1 002") are allowed and dropped. */
  nip?: string;
  org: string;
  roles?: Array<{ role: string; org: string }>;
}

/** The NIP's digits, or undefined when `nip` is not one (18 digits, spaces allowed between them). */
export function nipDigits(nip: unknown): string | undefined {
  if (typeof nip !== 'string' || nip.length > 40) return undefined;
  const digits = nip.replace(/ /g, '');
  return /^[0-9]{18}$/.test(digits) ? digits : undefined;
}

export type PeopleAction = 'create_user' | 'grant_role' | 'remove_role' | 'deactivate' | 'delegate' | 'end_delegation' | 'set_password' | 'reset_password';

const userExists = (username: string) =>
  new GrmsError('USER_EXISTS', 409, 'user-exists', 'User exists', `A user "${username}" already exists`);

/** Appends one change to the people_events chain, inside the caller's transaction. */
export async function recordPeopleEvent(trx: Transaction<Database>, e: { action: PeopleAction; username: string; role?: string; org?: string; details?: string; actor: string }) {
  await appendToSideChain(trx, 'people_events', {
    action: e.action, username: e.username, role: e.role ?? null, org_id: e.org ?? null, details: e.details ?? null, actor: e.actor,
  });
}

async function checkGrant(trx: Transaction<Database>, role: string, org: string, base: string): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  if (!allRoles().includes(role)) problems.push({ path: `${base}/role`, message: `must be one of ${allRoles().join(', ')}` });
  if (!(await trx.selectFrom('orgs').select('id').where('id', '=', org).executeTakeFirst())) problems.push({ path: `${base}/org`, message: 'is not a known organisation' });
  return problems;
}

export async function createUser(db: Kysely<Database>, by: string, u: NewUser): Promise<void> {
  const problems: FieldProblem[] = [...invalidTextProblems(u, '')];
  if (typeof u.username !== 'string' || !/^[a-z0-9][a-z0-9._-]{1,62}$/.test(u.username)) problems.push({ path: '/username', message: 'must be 2-63 lower-case letters, digits, . _ -' });
  if (typeof u.fullName !== 'string' || u.fullName.trim() === '' || u.fullName.length > 200) problems.push({ path: '/fullName', message: 'must be a name of at most 200 characters' });
  if (u.position !== undefined && (typeof u.position !== 'string' || u.position.length > 200)) problems.push({ path: '/position', message: 'must be at most 200 characters' });
  if (u.nip !== undefined && u.nip !== '' && !nipDigits(u.nip)) problems.push({ path: '/nip', message: 'must be the 18 digits of a NIP (spaces allowed)' });
  if (typeof u.org !== 'string') problems.push({ path: '/org', message: 'must be an organisation id' });
  if (u.roles !== undefined && !Array.isArray(u.roles)) problems.push({ path: '/roles', message: 'must be a list of { role, org }' });
  if (problems.length) throw invalidData('The user is invalid', problems);
  // Printed in every document the user signs and in histories.
  refuseUnprintable({ fullName: u.fullName, position: u.position });
  await inTransaction(db, async (trx) => {
    const grants = u.roles ?? [];
    const more: FieldProblem[] = [];
    if (!(await trx.selectFrom('orgs').select('id').where('id', '=', u.org).executeTakeFirst())) more.push({ path: '/org', message: 'is not a known organisation' });
    for (const [i, g] of grants.entries()) more.push(...(await checkGrant(trx, String(g?.role), String(g?.org), `/roles/${i}`)));
    if (more.length) throw invalidData('The user is invalid', more);
    if (await trx.selectFrom('users').select('username').where('username', '=', u.username).executeTakeFirst()) throw userExists(u.username);
    await trx.insertInto('users').values({ username: u.username, full_name: u.fullName, position: u.position ?? '', nip: nipDigits(u.nip) ?? null, org_id: u.org }).execute();
    await recordPeopleEvent(trx, { action: 'create_user', username: u.username, org: u.org, details: u.fullName, actor: by });
    for (const g of grants) {
      await trx.insertInto('user_roles').values({ username: u.username, role: g.role, org_id: g.org }).execute();
      await recordPeopleEvent(trx, { action: 'grant_role', username: u.username, role: g.role, org: g.org, actor: by });
    }
  });
}

async function lockUser(trx: Transaction<Database>, username: string) {
  const user = await trx.selectFrom('users').select(['username', 'active']).where('username', '=', username).forUpdate().executeTakeFirst();
  if (!user) throw notFound(`No user "${username}"`);
  return user;
}

export async function grantRole(db: Kysely<Database>, by: string, username: string, role: string, org: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    await lockUser(trx, username);
    const problems = await checkGrant(trx, role, org, '');
    if (problems.length) throw invalidData('The role grant is invalid', problems);
    const added = await trx.insertInto('user_roles').values({ username, role, org_id: org }).onConflict((oc) => oc.doNothing()).returning('role').executeTakeFirst();
    if (!added) return false;
    await recordPeopleEvent(trx, { action: 'grant_role', username, role, org, actor: by });
    return true;
  });
}

export async function removeRole(db: Kysely<Database>, by: string, username: string, role: string, org: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    await lockUser(trx, username);
    const removed = await trx.deleteFrom('user_roles').where('username', '=', username).where('role', '=', role).where('org_id', '=', org).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw notFound(`${username} does not hold ${role} at ${org}`);
    await recordPeopleEvent(trx, { action: 'remove_role', username, role, org, actor: by });
  });
}

/** Deactivates a user: tokens stop at once, the signing certificate is revoked (earlier signatures stay valid). */
export async function deactivateUser(db: Kysely<Database>, by: string, username: string, reason: string | undefined): Promise<{ revokedTokens: number; revokedCertificates: string[] }> {
  return inTransaction(db, async (trx) => {
    const user = await lockUser(trx, username);
    if (!user.active) return { revokedTokens: 0, revokedCertificates: [] };
    await trx.updateTable('users').set({ active: false }).where('username', '=', username).execute();
    const revokedTokens = await revokeUserTokens(trx, username);
    const revokedCertificates = await revokeCertificate(trx, username);
    // Their open delegations, given or received, end with them.
    await trx.updateTable('delegations').set({ ended_at: new Date() }).where('ended_at', 'is', null)
      .where((eb) => eb.or([eb('delegator', '=', username), eb('delegate', '=', username)])).execute();
    await recordPeopleEvent(trx, { action: 'deactivate', username, details: reason, actor: by });
    return { revokedTokens, revokedCertificates };
  });
}

export type PeopleChainResult = SideChainResult;

/** Recomputes the people_events chain. */
export function verifyPeopleChain(db: Kysely<Database>): Promise<PeopleChainResult> {
  return verifySideChain(db, 'people_events', ['action', 'username', 'role', 'org_id', 'details', 'actor']);
}
