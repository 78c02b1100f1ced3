import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';

/**
 * Checks an OCDS publication the way a reviewer would: the official 1.1 schema (release and
 * release-package schemas in ../shared/ocds-1.1; a record is checked by validating its compiled
 * release and each of its releases) and, ported from the OCDS data-review tool (lib-cove-ocds,
 * Python) and the rules of issue 17:
 * - no empty fields: no empty or blank string, no empty object, no empty array;
 * - ids unique within each array of objects that have one;
 * - tags match sections: no tag without data for the stage it names, what changed from the
 *   previous release is named by a tag, `compiled` only on a compiled release;
 * - party roles match references: every referenced party exists under that id and name and has
 *   the role its reference implies, and has no such role without a reference.
 * Every function returns its findings (empty: clean), so a test can also show that a broken
 * release is caught.
 */
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

export const OCDS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'ocds-1.1');

export interface OcdsSchemas {
  release(r: unknown): unknown[];
  releasePackage(p: unknown): unknown[];
}

/** The official schemas, or undefined (with a loud notice; a failure in CI) when they are missing. */
export function ocdsSchemas(): OcdsSchemas | undefined {
  if (!fs.existsSync(OCDS_DIR)) {
    if (process.env.CI === 'true') throw new Error(`OCDS schema missing at ${OCDS_DIR}: CI needs it`);
    console.warn(`!! SKIPPED OCDS schema validation: ${OCDS_DIR} not found`);
    return undefined;
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const releaseSchema = JSON.parse(fs.readFileSync(path.join(OCDS_DIR, 'release-schema.json'), 'utf8')) as { id: string };
  ajv.addSchema(releaseSchema);
  const release = ajv.getSchema(releaseSchema.id)!;
  const releasePackage = ajv.compile(JSON.parse(fs.readFileSync(path.join(OCDS_DIR, 'release-package-schema.json'), 'utf8')));
  return {
    release: (r) => (release(r) ? [] : [...(release.errors ?? [])]),
    releasePackage: (p) => (releasePackage(p) ? [] : [...(releasePackage.errors ?? [])]),
  };
}

/** lib-cove-ocds EmptyFieldCheck: strings that are empty or only whitespace, `{}` and `[]`. */
export function emptyFields(value: unknown, at = ''): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [at] : [];
  if (Array.isArray(value)) return value.length === 0 ? [at] : value.flatMap((v, i) => emptyFields(v, `${at}/${i}`));
  if (isObject(value)) {
    const entries = Object.entries(value);
    return entries.length === 0 ? [at] : entries.flatMap(([k, v]) => emptyFields(v, `${at}/${k}`));
  }
  return [];
}

/** Arrays of objects with ids whose ids repeat (OCDS arrays are merged by id). */
export function duplicateIds(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) {
    const ids = value.filter((v) => isObject(v) && 'id' in v).map((v) => String((v as Json).id));
    const dup = ids.length !== new Set(ids).size ? [`${at}: ids ${ids.join(', ')}`] : [];
    return [...dup, ...value.flatMap((v, i) => duplicateIds(v, `${at}/${i}`))];
  }
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => duplicateIds(v, `${at}/${k}`));
  return [];
}

const STAGE_OF: Record<string, string> = {
  planning: 'planning', planningUpdate: 'planning',
  tender: 'tender', tenderAmendment: 'tender', tenderUpdate: 'tender', tenderCancellation: 'tender',
  award: 'award', awardUpdate: 'award', awardCancellation: 'award',
  contract: 'contract', contractUpdate: 'contract', contractAmendment: 'contract', contractTermination: 'contract',
  implementation: 'implementation', implementationUpdate: 'implementation',
};

const implementationOf = (c: Json): Json => (isObject(c.implementation) ? c.implementation : {});
const hasImplementation = (r: Json) => list(r.contracts).some((c) => Object.values(implementationOf(c)).some((v) => Array.isArray(v) && v.length > 0));

/** No tag without data for the stage it names; `compiled` only on compiled releases. */
export function tagProblems(r: Json, compiled = false): string[] {
  const tags = (r.tag ?? []) as string[];
  const awards = list(r.awards);
  const contracts = list(r.contracts);
  const holds: Record<string, boolean> = {
    planning: isObject(r.planning), planningUpdate: isObject(r.planning),
    tender: isObject(r.tender), tenderAmendment: isObject(r.tender), tenderUpdate: isObject(r.tender),
    tenderCancellation: isObject(r.tender) && r.tender.status === 'cancelled',
    award: awards.length > 0, awardUpdate: awards.length > 0, awardCancellation: awards.some((a) => a.status === 'cancelled'),
    contract: contracts.length > 0, contractUpdate: contracts.length > 0,
    contractAmendment: contracts.some((c) => list(c.amendments).some((a) => a.releaseID === r.id)),
    contractTermination: contracts.some((c) => c.status === 'terminated'),
    implementation: hasImplementation(r), implementationUpdate: hasImplementation(r),
    compiled,
  };
  const out = tags.filter((t) => !holds[t]).map((t) => `tag ${t} without the data it names`);
  if (compiled && (tags.length !== 1 || tags[0] !== 'compiled')) out.push(`a compiled release is tagged ${tags.join(', ')}`);
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const withoutParts = (contracts: Json[]) => contracts.map(({ implementation: _i, milestones: _m, ...rest }) => rest);

/** What changed from the previous release (or appears in the first) is named by a tag of its stage. */
export function changeTagProblems(prev: Json | undefined, r: Json): string[] {
  const stages = new Set(((r.tag ?? []) as string[]).map((t) => STAGE_OF[t]));
  const out: string[] = [];
  const need = (what: string, ...anyOf: string[]) => {
    if (!anyOf.some((s) => stages.has(s))) out.push(`${what} changed without a ${anyOf.join(' or ')} tag`);
  };
  if (!prev) {
    // A first release is tagged with its latest stage (earlier ones are its context).
    const latest = list(r.contracts).length ? 'contract' : list(r.awards).length ? 'award' : isObject(r.tender) ? 'tender' : 'planning';
    need(`the first release's ${latest} section`, latest);
    return out;
  }
  const contracts = list(r.contracts);
  const before = list(prev.contracts);
  if (!same(prev.awards, r.awards)) need('awards', 'award');
  if (!same(prev.tender, r.tender)) need('tender', 'tender');
  if (!same(withoutParts(before), withoutParts(contracts))) need('contracts', 'contract');
  const parts = (cs: Json[], key: string) => cs.filter((c) => c[key] !== undefined).map((c) => [c.id, c[key]]);
  if (!same(parts(before, 'implementation'), parts(contracts, 'implementation'))) need('implementation', 'implementation');
  if (!same(parts(before, 'milestones'), parts(contracts, 'milestones'))) need('milestones', 'contract', 'implementation');
  return out;
}

/** Every reference names a party with the role it implies, and no party has such a role unreferenced. */
export function partyRoleProblems(r: Json): string[] {
  const refs: Array<[role: string, ref: unknown, where: string]> = [];
  refs.push(['buyer', r.buyer, 'buyer']);
  if (isObject(r.tender)) {
    refs.push(['procuringEntity', r.tender.procuringEntity, 'tender/procuringEntity']);
    list(r.tender.tenderers).forEach((t, i) => refs.push(['tenderer', t, `tender/tenderers/${i}`]));
  }
  list(r.awards).forEach((a, i) => list(a.suppliers).forEach((s, j) => refs.push(['supplier', s, `awards/${i}/suppliers/${j}`])));
  list(r.contracts).forEach((c, i) => list(implementationOf(c).transactions).forEach((t, j) => {
    refs.push(['payer', t.payer, `contracts/${i}/implementation/transactions/${j}/payer`], ['payee', t.payee, `contracts/${i}/implementation/transactions/${j}/payee`]);
  }));
  const parties = list(r.parties);
  const out: string[] = [];
  const implied = new Map<string, Set<string>>();
  for (const [role, ref, where] of refs) {
    if (ref === undefined) continue;
    const party = isObject(ref) ? parties.find((p) => p.id === ref.id) : undefined;
    if (!isObject(ref) || !party) { out.push(`${where} names no party`); continue; }
    if (ref.name !== undefined && ref.name !== party.name) out.push(`${where} names ${String(ref.name)}, the party is ${String(party.name)}`);
    if (!((party.roles ?? []) as string[]).includes(role)) out.push(`party ${String(party.id)} is referenced as ${role} (${where}) without that role`);
    implied.set(String(party.id), (implied.get(String(party.id)) ?? new Set()).add(role));
  }
  const checked = new Set(['buyer', 'procuringEntity', 'tenderer', 'supplier', 'payer', 'payee']);
  for (const p of parties) {
    for (const role of (p.roles ?? []) as string[]) {
      if (checked.has(role) && !implied.get(String(p.id))?.has(role)) out.push(`party ${String(p.id)} has role ${role} that nothing references`);
    }
  }
  return out;
}

/** Every finding of the data-review checks on a list of releases, in order (and their compiled release, if given). */
export function reviewReleases(releases: Json[], compiled?: Json): string[] {
  const out: string[] = [];
  releases.forEach((r, i) => {
    const at = `release ${String(r.id)}`;
    out.push(
      ...emptyFields(r).map((p) => `${at}: empty ${p}`),
      ...duplicateIds(r).map((p) => `${at}: duplicate ${p}`),
      ...tagProblems(r).map((p) => `${at}: ${p}`),
      ...changeTagProblems(releases[i - 1], r).map((p) => `${at}: ${p}`),
      ...partyRoleProblems(r).map((p) => `${at}: ${p}`),
    );
  });
  if (compiled) {
    const at = 'compiled release';
    out.push(
      ...emptyFields(compiled).map((p) => `${at}: empty ${p}`),
      ...duplicateIds(compiled).map((p) => `${at}: duplicate ${p}`),
      ...tagProblems(compiled, true).map((p) => `${at}: ${p}`),
      ...partyRoleProblems(compiled).map((p) => `${at}: ${p}`),
    );
  }
  return out;
}
