import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { invalidData, notFound, orgExists, type FieldProblem } from '../errors';
import { canonicalJson } from '../audit/hash';
import { appendToSideChain, verifySideChain, type SideChainResult } from '../audit/side-chain';
import { invalidTextProblems } from '../engine/validate';
import { refuseUnprintable } from '../documents/printable';
import { inTransaction } from '../db/transaction';
import { escapePointer } from '../reserved-keys';
import { checkLogo, MAX_LOGO_BYTES, type LogoInfo } from '../documents/logo';
import { UNIT_CODE } from '../documents/numbers';

/**
 * Organisations (OPDs and suppliers) administered by admins. The id and kind never change:
 * instances, roles, ceilings and document numbers refer to them. Every change is appended to the
 * hash-chained org_events table in the same transaction as the change.
 */
export type OrgKind = 'opd' | 'supplier';

/** The letterhead's logo as the API shows it: never its bytes. */
export interface OrgLogo {
  contentType: string;
  sha256: string;
  bytes: number;
}

export interface Org {
  id: string;
  name: string;
  kind: OrgKind;
  code: string | null;
  /** The unit code printed in the office's document numbers (kode unit pengolah), e.g. BPKAD. */
  unitCode: string | null;
  npwp: string | null;
  /** The letterhead's contact lines (kop surat). */
  address: string | null;
  phone: string | null;
  email: string | null;
  website: string | null;
  logo: OrgLogo | null;
}

/** A logo as sent: its bytes in base64 (at most MAX_LOGO_BYTES once decoded). */
export interface LogoUpload {
  contentType: string;
  data: string;
}

const CONTACTS = ['address', 'phone', 'email', 'website'] as const;
type Contacts = { [K in (typeof CONTACTS)[number]]?: string | null };

export interface NewOrg extends Contacts {
  id: string;
  name: string;
  kind: OrgKind;
  code?: string | null;
  unitCode?: string | null;
  npwp?: string | null;
  logo?: LogoUpload | null;
}

/** A merge patch: absent leaves a value, null clears code, npwp, a contact or the logo. */
export interface OrgPatch extends Contacts {
  name?: string;
  code?: string | null;
  unitCode?: string | null;
  npwp?: string | null;
  logo?: LogoUpload | null;
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
  if (o.unitCode !== undefined && o.unitCode !== null && (typeof o.unitCode !== 'string' || !UNIT_CODE.test(o.unitCode.trim()))) problems.push({ path: '/unitCode', message: 'must be a unit code for document numbers of at most 40 letters, digits, "." or "-" (e.g. BPKAD), or null' });
  if (o.npwp !== undefined && o.npwp !== null && (typeof o.npwp !== 'string' || !NPWP.test(o.npwp))) problems.push({ path: '/npwp', message: 'must be an NPWP: 01.234.567.8-517.000 or 16 digits' });
  for (const [field, rule] of Object.entries(CONTACT_RULES)) {
    const v = o[field];
    if (v !== undefined && v !== null && (typeof v !== 'string' || v.trim() === '' || v.length > rule.max || !rule.test(v.trim()))) problems.push({ path: `/${field}`, message: `${rule.message}, or null` });
  }
  return problems;
}

/** Each contact is one printed line of the letterhead: no line breaks. */
const CONTACT_RULES: Record<(typeof CONTACTS)[number], { max: number; test: (v: string) => boolean; message: string }> = {
  address: { max: 300, test: (v) => !/[\r\n]/.test(v), message: 'must be an address on one line of at most 300 characters' },
  phone: { max: 50, test: (v) => /^[0-9+() ./,-]*[0-9][0-9+() ./,-]*$/.test(v), message: 'must be a phone number of at most 50 characters: digits, spaces and + ( ) . / , -' },
  email: { max: 254, test: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), message: 'must be an e-mail address' },
  website: { max: 200, test: (v) => /^(https?:\/\/)?[a-z0-9-]+(\.[a-z0-9-]+)+(\/\S*)?$/i.test(v), message: 'must be a website address, e.g. dinkes.semarangkota.go.id' },
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A logo upload decoded and checked, or the problem with it at `/logo/...`. */
function decodeLogo(v: unknown): { bytes: Buffer; info: LogoInfo } | FieldProblem {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { path: '/logo', message: 'must be { contentType, data } or null' };
  const { contentType, data, ...rest } = v as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) return { path: `/logo/${escapePointer(extra)}`, message: 'is not a known field' };
  if (typeof contentType !== 'string') return { path: '/logo/contentType', message: 'must be image/png or image/jpeg' };
  // Refused before decoding: base64 of more than MAX_LOGO_BYTES is longer than this.
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) return { path: '/logo/data', message: 'must be the image in base64' };
  if (data.length > Math.ceil(MAX_LOGO_BYTES / 3) * 4) return { path: '/logo/data', message: `is more than ${MAX_LOGO_BYTES} bytes (256 KB); a logo is at most that` };
  const bytes = Buffer.from(data, 'base64');
  const info = checkLogo(contentType, bytes);
  if (typeof info === 'string') return { path: contentType === 'image/png' || contentType === 'image/jpeg' ? '/logo/data' : '/logo/contentType', message: info };
  return { bytes, info };
}

/** The logo part of a body: undefined when absent, null when cleared, problems pushed when bad. */
function logoOf(o: Record<string, unknown>, problems: FieldProblem[]): { bytes: Buffer; info: LogoInfo } | null | undefined {
  if (o.logo === undefined || o.logo === null) return o.logo as undefined | null;
  const logo = decodeLogo(o.logo);
  if ('path' in logo) {
    problems.push(logo);
    return undefined;
  }
  return logo;
}

/** What the organisation chain records of a logo: its hash and facts, not its bytes. */
const logoDetails = (l: { info: LogoInfo } | null) => l && { sha256: l.info.sha256, contentType: l.info.contentType, bytes: l.info.bytes, width: l.info.width, height: l.info.height };
const trimmed = (v: string | null | undefined) => (v === undefined || v === null ? null : v.trim());

async function record(trx: Transaction<Database>, action: 'create_org' | 'update_org', org: string, details: Record<string, unknown>, actor: string) {
  await appendToSideChain(trx, 'org_events', { action, org_id: org, details: canonicalJson(details), actor });
}

/** Creates an organisation; a taken id is ORG_EXISTS (409). */
export async function createOrg(db: Kysely<Database>, by: string, input: NewOrg): Promise<Org> {
  const o = input as unknown as Record<string, unknown>;
  const problems = fieldProblems(o, ['id', 'name', 'kind', 'code', 'unitCode', 'npwp', ...CONTACTS, 'logo']);
  const logo = logoOf(o, problems);
  if (typeof o.id !== 'string' || !ORG_ID.test(o.id)) problems.push({ path: '/id', message: 'must be 2-40 lower-case letters, digits or -, starting with a letter or digit' });
  if (!('name' in o)) problems.push({ path: '/name', message: 'must be a name of at most 200 characters' });
  if (typeof o.kind !== 'string' || !KINDS.includes(o.kind)) problems.push({ path: '/kind', message: 'must be opd or supplier' });
  if (o.kind === 'supplier' && (o.npwp === undefined || o.npwp === null)) problems.push({ path: '/npwp', message: 'is required for a supplier' });
  if (problems.length) throw invalidData('The organisation is invalid', problems);
  refuseUnprintable({ name: o.name, code: o.code, address: o.address, phone: o.phone, email: o.email, website: o.website });
  const row = {
    id: input.id, name: input.name.trim(), kind: input.kind, code: input.code?.trim() ?? null, unit_code: input.unitCode?.trim() ?? null, npwp: input.npwp ?? null,
    address: trimmed(input.address), phone: trimmed(input.phone), email: trimmed(input.email), website: trimmed(input.website),
  };
  await inTransaction(db, async (trx) => {
    const added = await trx.insertInto('orgs').values({ ...row, ...logoColumns(logo ?? null) }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
    if (!added) throw orgExists(row.id);
    const { id: _id, unit_code, ...details } = row;
    await record(trx, 'create_org', row.id, { ...details, ...(unit_code !== null && { unitCode: unit_code }), logo: logoDetails(logo ?? null) }, by);
  });
  const { unit_code, ...shown } = row;
  return { ...shown, unitCode: unit_code, logo: logo ? { contentType: logo.info.contentType, sha256: logo.info.sha256, bytes: logo.info.bytes } : null };
}

const logoColumns = (l: { bytes: Buffer; info: LogoInfo } | null) => ({ logo: l?.bytes ?? null, logo_type: l?.info.contentType ?? null, logo_sha256: l?.info.sha256 ?? null });

/** The columns an Org is read from; the logo by its facts, never its bytes. */
const orgColumns = (db: Kysely<Database> | Transaction<Database>) => db.selectFrom('orgs').select([
  'id', 'name', 'kind', 'code', 'unit_code', 'npwp', 'address', 'phone', 'email', 'website', 'logo_type', 'logo_sha256', sql<number | null>`octet_length(logo)`.as('logo_bytes'),
]);
type OrgRow = { id: string; name: string; kind: string; code: string | null; unit_code: string | null; npwp: string | null; address: string | null; phone: string | null; email: string | null; website: string | null; logo_type: string | null; logo_sha256: string | null; logo_bytes: number | null };
const toOrg = ({ logo_type, logo_sha256, logo_bytes, unit_code, ...r }: OrgRow): Org => ({
  ...r, unitCode: unit_code, kind: r.kind as OrgKind, logo: logo_type && logo_sha256 ? { contentType: logo_type, sha256: logo_sha256, bytes: Number(logo_bytes) } : null,
});

/** Applies a merge patch; an unchanged value records nothing. */
export async function updateOrg(db: Kysely<Database>, by: string, id: string, patch: OrgPatch): Promise<Org> {
  const p = patch as unknown as Record<string, unknown>;
  const problems = fieldProblems(p, ['name', 'code', 'unitCode', 'npwp', ...CONTACTS, 'logo']);
  const logo = logoOf(p, problems);
  if (problems.length) throw invalidData('The organisation change is invalid', problems);
  // An organisation's name and contacts head its documents' letterhead.
  refuseUnprintable({ name: p.name, code: p.code, address: p.address, phone: p.phone, email: p.email, website: p.website });
  return inTransaction(db, async (trx) => {
    const current = await orgColumns(trx).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound(`No organisation "${id}"`);
    if (current.kind === 'supplier' && p.npwp === null) throw invalidData('The organisation change is invalid', [{ path: '/npwp', message: 'is required for a supplier' }]);
    const next = {
      name: patch.name === undefined ? current.name : patch.name.trim(),
      code: patch.code === undefined ? current.code : trimmed(patch.code),
      unit_code: patch.unitCode === undefined ? current.unit_code : trimmed(patch.unitCode),
      npwp: patch.npwp === undefined ? current.npwp : patch.npwp,
      ...Object.fromEntries(CONTACTS.map((k) => [k, patch[k] === undefined ? current[k] : trimmed(patch[k])])) as Record<(typeof CONTACTS)[number], string | null>,
    };
    const differs = Object.entries(next).filter(([k, v]) => current[k as keyof typeof next] !== v);
    const set: Record<string, unknown> = Object.fromEntries(differs);
    // The chain records fields by their API names.
    const changed: Record<string, unknown> = Object.fromEntries(differs.map(([k, v]) => [k === 'unit_code' ? 'unitCode' : k, v]));
    // A logo is changed when its hash differs (the same image sent again records nothing).
    if (logo !== undefined && (logo?.info.sha256 ?? null) !== current.logo_sha256) {
      changed.logo = logoDetails(logo);
      Object.assign(set, logoColumns(logo));
    }
    if (Object.keys(changed).length > 0) {
      await trx.updateTable('orgs').set(set).where('id', '=', id).execute();
      await record(trx, 'update_org', id, changed, by);
    }
    return (await orgColumns(trx).where('id', '=', id).executeTakeFirstOrThrow().then(toOrg));
  });
}

/** Every organisation (or the one with the given id), by name: what forms offer and what the API lists. */
export async function listOrgs(db: Kysely<Database>, id?: string): Promise<Org[]> {
  const rows = await (id === undefined ? orgColumns(db) : orgColumns(db).where('id', '=', id)).orderBy('name').orderBy('id').execute();
  return rows.map(toOrg);
}

/** Recomputes the org_events chain. */
export function verifyOrgChain(db: Kysely<Database>): Promise<SideChainResult> {
  return verifySideChain(db, 'org_events', ['action', 'org_id', 'details', 'actor']);
}
