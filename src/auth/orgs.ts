import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types';
import { invalidData, notFound, orgExists, type FieldProblem } from '../errors';
import { canonicalJson } from '../audit/hash';
import { appendToSideChain, verifySideChain, type SideChainResult } from '../audit/side-chain';
import { invalidTextProblems } from '../engine/validate';
import { refuseUnprintable } from '../documents/printable';
import { inTransaction } from '../db/transaction';

/**
 * Organisations (OPDs and suppliers) administered by admins. The id and kind never change:
 * instances, roles, ceilings and document numbers refer to them. Every change is appended to the
 * hash-chained org_events table in the same transaction as the change.
 */
export type OrgKind = 'opd' | 'supplier';

export interface Org {
  id: string;
  name: string;
  kind: OrgKind;
  code: string | null;
  npwp: string | null;
}

export interface NewOrg {
  id: string;
  name: string;
  kind: OrgKind;
  code?: string | null;
  npwp?: string | null;
}

/** A merge patch: absent leaves a value, null clears code or npwp. */
export interface OrgPatch {
  name?: string;
  code?: string | null;
  npwp?: string | null;
}

export const ORG_ID = /^[a-z0-9][a-z0-9-]{1,39}$/;
/** NPWP as printed (15 digits, 01.234.567.8-517.000) or the 16-digit form in use since 2024. */
export const NPWP = /^(\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}|\d{16})$/;
const KINDS: readonly string[] = ['opd', 'supplier'];

function fieldProblems(o: Record<string, unknown>, allowed: readonly string[]): FieldProblem[] {
  const problems: FieldProblem[] = [...invalidTextProblems(o, '')];
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) problems.push({ path: `/${k}`, message: k === 'id' || k === 'kind' ? 'cannot be changed' : 'is not a known field' });
  }
  if ('name' in o && (typeof o.name !== 'string' || o.name.trim() === '' || o.name.length > 200)) problems.push({ path: '/name', message: 'must be a name of at most 200 characters' });
  if (o.code !== undefined && o.code !== null && (typeof o.code !== 'string' || o.code.trim() === '' || o.code.length > 50)) problems.push({ path: '/code', message: 'must be a code of at most 50 characters, or null' });
  if (o.npwp !== undefined && o.npwp !== null && (typeof o.npwp !== 'string' || !NPWP.test(o.npwp))) problems.push({ path: '/npwp', message: 'must be an NPWP: 01.234.567.8-517.000 or 16 digits' });
  return problems;
}

async function record(trx: Transaction<Database>, action: 'create_org' | 'update_org', org: string, details: Record<string, unknown>, actor: string) {
  await appendToSideChain(trx, 'org_events', { action, org_id: org, details: canonicalJson(details), actor });
}

/** Creates an organisation; a taken id is ORG_EXISTS (409). */
export async function createOrg(db: Kysely<Database>, by: string, input: NewOrg): Promise<Org> {
  const o = input as unknown as Record<string, unknown>;
  const problems = fieldProblems(o, ['id', 'name', 'kind', 'code', 'npwp']);
  if (typeof o.id !== 'string' || !ORG_ID.test(o.id)) problems.push({ path: '/id', message: 'must be 2-40 lower-case letters, digits or -, starting with a letter or digit' });
  if (!('name' in o)) problems.push({ path: '/name', message: 'must be a name of at most 200 characters' });
  if (typeof o.kind !== 'string' || !KINDS.includes(o.kind)) problems.push({ path: '/kind', message: 'must be opd or supplier' });
  if (o.kind === 'supplier' && (o.npwp === undefined || o.npwp === null)) problems.push({ path: '/npwp', message: 'is required for a supplier' });
  if (problems.length) throw invalidData('The organisation is invalid', problems);
  refuseUnprintable({ name: o.name, code: o.code });
  const org: Org = { id: input.id, name: input.name.trim(), kind: input.kind, code: input.code?.trim() ?? null, npwp: input.npwp ?? null };
  await inTransaction(db, async (trx) => {
    const added = await trx.insertInto('orgs').values(org).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
    if (!added) throw orgExists(org.id);
    await record(trx, 'create_org', org.id, { name: org.name, kind: org.kind, code: org.code, npwp: org.npwp }, by);
  });
  return org;
}

/** Applies a merge patch; an unchanged value records nothing. */
export async function updateOrg(db: Kysely<Database>, by: string, id: string, patch: OrgPatch): Promise<Org> {
  const p = patch as unknown as Record<string, unknown>;
  const problems = fieldProblems(p, ['name', 'code', 'npwp']);
  if (problems.length) throw invalidData('The organisation change is invalid', problems);
  // An organisation's name heads its documents' letterhead.
  refuseUnprintable({ name: p.name, code: p.code });
  return inTransaction(db, async (trx) => {
    const current = await trx.selectFrom('orgs').select(['id', 'name', 'kind', 'code', 'npwp']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound(`No organisation "${id}"`);
    if (current.kind === 'supplier' && p.npwp === null) throw invalidData('The organisation change is invalid', [{ path: '/npwp', message: 'is required for a supplier' }]);
    const next = {
      name: patch.name === undefined ? current.name : patch.name.trim(),
      code: patch.code === undefined ? current.code : patch.code === null ? null : patch.code.trim(),
      npwp: patch.npwp === undefined ? current.npwp : patch.npwp,
    };
    const changed = Object.fromEntries(Object.entries(next).filter(([k, v]) => current[k as keyof typeof next] !== v));
    if (Object.keys(changed).length > 0) {
      await trx.updateTable('orgs').set(changed).where('id', '=', id).execute();
      await record(trx, 'update_org', id, changed, by);
    }
    return { id, kind: current.kind as OrgKind, ...next };
  });
}

/** Every organisation, by name: what forms offer and what the API lists. */
export async function listOrgs(db: Kysely<Database>): Promise<Org[]> {
  const rows = await db.selectFrom('orgs').select(['id', 'name', 'kind', 'code', 'npwp']).orderBy('name').orderBy('id').execute();
  return rows.map((r) => ({ ...r, kind: r.kind as OrgKind }));
}

/** Recomputes the org_events chain. */
export function verifyOrgChain(db: Kysely<Database>): Promise<SideChainResult> {
  return verifySideChain(db, 'org_events', ['action', 'org_id', 'details', 'actor']);
}
