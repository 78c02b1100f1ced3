import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { RoleName } from '../../src/engine/definition';
import { globalRoles } from '../../src/auth/roles';
import { defaultRegistry } from '../../src/engine/registry';
import { demoUsers } from '../../src/seed/demo';
import { loadActor, mintToken } from '../../src/auth/tokens';
import { addComment } from '../../src/engine/comments';
import { writeCounts, type TestApp } from './app';
import { proposal, YEAR } from './proposals';
import { puprProposal } from '../../workflows/budget-proposal/demo';
import { registerApplication } from './permits';
import { award, contractData, isoDay, ratifiedPuprProposal } from './procurement';
import { integrateAll } from './log-fixtures';
import { complaintData, fileComplaint, fileComplaintWithReceipt, reporterFires } from './complaints';
import { DEFAULT_OCID_PREFIX } from '../../src/config';

/**
 * The instances the matrix acts on: one of each workflow, each with a signed document and an
 * attachment; complaints twice, one with the desk (verification) and one dispatched to an OPD.
 */
export type Target = 'proposal' | 'permit' | 'contract' | 'complaint' | 'dispatched';

/**
 * Per role: the workflow whose instance {id} points at, and the event it fires there. The fixture
 * states are chosen so that each event is one the role fires at some stage (opd_head's approve is
 * the current step); a stale If-Match then stops every authorised call with 412.
 */
export const ROLE_PROFILES: Record<RoleName, { target: Target; event: string }> = {
  planner: { target: 'proposal', event: 'submit' },
  opd_head: { target: 'proposal', event: 'approve' },
  bappeda_verifier: { target: 'proposal', event: 'verify' },
  tapd: { target: 'proposal', event: 'reject' },
  ppkd: { target: 'proposal', event: 'ratify' },
  auditor: { target: 'proposal', event: 'approve' },
  admin: { target: 'proposal', event: 'approve' },
  frontdesk: { target: 'permit', event: 'mark_complete' },
  technical_team: { target: 'permit', event: 'recommend' },
  cashier: { target: 'permit', event: 'confirm_payment' },
  permit_head: { target: 'permit', event: 'sign' },
  ppk: { target: 'contract', event: 'issue_spmk' },
  provider: { target: 'contract', event: 'report_progress' },
  bendahara: { target: 'contract', event: 'submit_spp' },
  bud: { target: 'contract', event: 'issue_sp2d' },
  complaint_desk: { target: 'complaint', event: 'dispatch' },
  complaint_liaison: { target: 'dispatched', event: 'report_follow_up' },
};

/** BUD is held at BPKAD but pays every OPD's contracts (a global step): no own/other for it either. */
export const ORG_FREE: ReadonlySet<RoleName> = new Set([...(defaultRegistry(), globalRoles()), 'bud']);

export interface TargetInstance {
  id: string;
  documentId: string;
  /** The number printed on that document (search finds the instance by it). */
  documentNumber: string;
  attachmentId: string;
  /** The OPD that owns it. */
  org: string;
  /** Roles that act on it at an org its data names instead (the permit's technical agency, the contract's supplier). */
  roleOrgs: Partial<Record<RoleName, string>>;
}

export interface MatrixFixtures {
  targets: Record<Target, TargetInstance>;
  /** A delegation between two officials no matrix caller is party to. */
  delegationId: string;
  /** A holiday only an admin may remove. */
  holiday: string;
  /** A user whose roles and account the people routes are pointed at (never a caller). */
  subject: string;
  /** The ocid of a contract signed by both parties (published as OCDS). */
  publishedOcid: string;
  /** The username holding `role` at `org`: the demo user, else a user made for the matrix. */
  userFor(role: RoleName, org: string): Promise<string>;
}

const SUPPLIERS = new Set(['cv-maju', 'cv-lain']);

/** An org other than `org` of the same kind (a supplier for a supplier, an OPD for an OPD). */
export function otherOrg(org: string): string {
  if (SUPPLIERS.has(org)) return org === 'cv-maju' ? 'cv-lain' : 'cv-maju';
  return org === 'dinkes' ? 'pupr' : 'dinkes';
}

async function insertUser(app: TestApp, username: string, org: string, roles: Array<{ role: string; org: string }>): Promise<void> {
  await app.db.kysely.insertInto('users').values({ username, full_name: `Pengguna ${username}`, position: 'Uji matriks', org_id: org }).execute();
  if (roles.length) await app.db.kysely.insertInto('user_roles').values(roles.map((g) => ({ username, role: g.role, org_id: g.org }))).execute();
}

/** Builds the fixtures on a seeded test app (demo people); every step goes through the API or the engine. */
export async function buildMatrixFixtures(app: TestApp): Promise<MatrixFixtures> {
  const db = app.db.kysely;
  await db.insertInto('orgs').values({ id: 'cv-lain', name: 'CV Lain Karya', kind: 'supplier', npwp: '02.345.678.9-517.000', unit_code: 'CV-LAIN' }).execute();
  const ok = async (user: string, method: string, path: string, body?: unknown) => {
    const res = await app.call(user, method, path, body);
    if (res.status >= 300) throw new Error(`${user} ${method} ${path}: ${res.status} ${res.text}`);
    return res;
  };

  // A submitted Dinkes proposal (opd_review), with its covering letter.
  const proposalId = (await ok('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
  await ok('perencana.dinkes', 'POST', `/api/v1/instances/${proposalId}/events`, { type: 'submit' });
  // A DPMPTSP permit naming Dinas PUPR as technical agency, with the technical team.
  const permitId = (await registerApplication(app)).body.id as string;
  await ok('fo.dpmptsp', 'POST', `/api/v1/instances/${permitId}/events`, { type: 'mark_complete' });
  // A PUPR contract of CV Maju, signed by the provider so far (still awarded).
  const dpa = await ratifiedPuprProposal(db, app.engine);
  const contractId = await award(app, contractData(dpa));
  await ok('penyedia.cvmaju', 'POST', `/api/v1/instances/${contractId}/events`, { type: 'sign_contract' });
  // Another, signed by both: published as OCDS, what the public OCDS routes are pointed at.
  const publishedId = await award(app, contractData(dpa));
  for (const signer of ['penyedia.cvmaju', 'ppk.pupr']) await ok(signer, 'POST', `/api/v1/instances/${publishedId}/events`, { type: 'sign_contract' });

  // Two complaints filed at the desk (Setda): one back with the desk after the reporter answered its
  // question (the request letter is its document), one dispatched to Dinas PUPR (the disposition sheet).
  const filed = await fileComplaintWithReceipt(app, complaintData('kebersihan', 'Pasar Johar', 'Sampah menumpuk sejak seminggu.', { name: 'Siti Aminah' }));
  const complaintId = filed.id;
  await ok('pengaduan.setda', 'POST', `/api/v1/instances/${complaintId}/events`, { type: 'request_info', comment: 'Di sisi mana pasar?' });
  await reporterFires(app, filed, 'provide_info', { data: { text: 'Sisi timur.' } });
  const dispatchedId = await fileComplaint(app, complaintData('infrastruktur', 'Jl. Fatmawati', 'Lubang jalan membahayakan pengendara.', { name: 'Rina' }));
  await ok('pengaduan.setda', 'POST', `/api/v1/instances/${dispatchedId}/events`, { type: 'dispatch', data: { opd: 'pupr' } });

  const finish = async (id: string, creator: string, org: string, roleOrgs: TargetInstance['roleOrgs']): Promise<TargetInstance> => {
    const document = (await ok(creator, 'GET', `/api/v1/instances/${id}/documents`)).body.items[0] as { id: string; number: string };
    const file = { filename: 'lampiran.txt', contentType: 'text/plain', bytes: Buffer.from('lampiran uji matriks') };
    const attachmentId = (await addComment(db, app.engine, (await loadActor(db, creator, app.engine.time))!, id, 'Lampiran', [file])).attachments[0]!.id;
    return { id, documentId: document.id, documentNumber: document.number, attachmentId, org, roleOrgs };
  };
  const targets: Record<Target, TargetInstance> = {
    proposal: await finish(proposalId, 'perencana.dinkes', 'dinkes', {}),
    permit: await finish(permitId, 'fo.dpmptsp', 'dpmptsp', { technical_team: 'pupr', opd_head: 'pupr' }),
    contract: await finish(contractId, 'ppk.pupr', 'pupr', { provider: 'cv-maju' }),
    complaint: await finish(complaintId, 'pengaduan.setda', 'setda', {}),
    dispatched: await finish(dispatchedId, 'pengaduan.setda', 'setda', { complaint_liaison: 'pupr' }),
  };

  const subject = 'm.subject';
  await insertUser(app, subject, 'dinkes', [{ role: 'planner', org: 'dinkes' }]);
  await insertUser(app, 'm.delegator', 'dinkes', [{ role: 'opd_head', org: 'dinkes' }]);
  await insertUser(app, 'm.delegate', 'dinkes', []);
  const delegationId = (await ok('admin', 'POST', '/api/v1/delegations', {
    kind: 'plt', delegator: 'm.delegator', delegate: 'm.delegate', role: 'opd_head', org: 'dinkes', from: isoDay(0), to: isoDay(30),
  })).body.id as string;
  const holiday = `${YEAR}-12-30`;
  await ok('admin', 'PUT', `/api/v1/holidays/${holiday}`, { name: 'Cuti bersama (uji matriks)' });
  // A checkpoint of the transparency log, so its public routes have a tree to answer from.
  await integrateAll(db);
  await ok('admin', 'POST', '/api/v1/log/checkpoint');

  const made = new Map<string, string>();
  const userFor = async (role: RoleName, org: string): Promise<string> => {
    const demo = demoUsers().find((u) => u.org === org && (u.roles as readonly string[]).includes(role));
    if (demo) return demo.username;
    const username = `m.${role.replace(/_/g, '-')}.${org}`;
    if (!made.has(username)) {
      await insertUser(app, username, org, [{ role, org }]);
      app.tokens[username] = await mintToken(db, username);
      made.set(username, username);
    }
    return username;
  };
  return { targets, delegationId, holiday, subject, publishedOcid: `${DEFAULT_OCID_PREFIX}-${publishedId}`, userFor };
}

/**
 * The officials and instances of the delegation cases (issue 11, item 6): who stands in for whom,
 * and proposals a Plt submitted or verified. Callers have tokens in app.tokens.
 */
export interface DelegationFixtures {
  /** Dinkes, opd_review: submitted by m.plt-perencana.dinkes as Plt of m.rangkap.dinkes (planner and head of OPD). */
  pltSubmitted: string;
  /** Dinkes, tapd_review: verified by m.kepala.bappeda (a TAPD member) as Plt of verifikator.bappeda. */
  pltVerified: string;
  /** PUPR, tapd_review, walked by the demo officials. */
  puprAtTapd: string;
}

/** Builds the delegation cases' people and proposals on a seeded test app, through the API where it can. */
export async function buildDelegationFixtures(app: TestApp): Promise<DelegationFixtures> {
  const db = app.db.kysely;
  const ok = async (user: string, method: string, path: string, body?: unknown) => {
    const res = await app.call(user, method, path, body);
    if (res.status >= 300) throw new Error(`${user} ${method} ${path}: ${res.status} ${res.text}`);
    return res;
  };
  const person = async (username: string, org: string, roles: Array<{ role: string; org: string }>) => {
    await insertUser(app, username, org, roles);
    app.tokens[username] = await mintToken(db, username);
  };
  await person('m.rangkap.dinkes', 'dinkes', [{ role: 'planner', org: 'dinkes' }, { role: 'opd_head', org: 'dinkes' }]);
  await person('m.plt-perencana.dinkes', 'dinkes', []);
  await person('m.kepala.bappeda', 'bappeda', [{ role: 'tapd', org: 'bappeda' }]);
  await person('m.tapd.pupr', 'pupr', [{ role: 'planner', org: 'pupr' }, { role: 'tapd', org: 'pupr' }]);
  await person('m.perencana.pupr', 'pupr', [{ role: 'planner', org: 'pupr' }]);
  await person('m.plt-tapd.setda', 'setda', []);
  const lend = (body: Record<string, unknown>) => ok('admin', 'POST', '/api/v1/delegations', { kind: 'plt', from: isoDay(0), to: isoDay(30), ...body });
  await lend({ delegator: 'm.rangkap.dinkes', delegate: 'm.plt-perencana.dinkes', role: 'planner', org: 'dinkes' });
  await lend({ delegator: 'verifikator.bappeda', delegate: 'm.kepala.bappeda', role: 'bappeda_verifier', org: 'bappeda' });
  await lend({ delegator: 'tapd.sekda', delegate: 'm.plt-tapd.setda', role: 'tapd', org: 'setda' });
  // TAPD lent to a PUPR planner before such delegations were refused: written straight into the table.
  await db.insertInto('delegations').values({
    id: crypto.randomUUID(), delegator: 'tapd.sekda', delegate: 'm.perencana.pupr', role: 'tapd', org_id: 'setda', kind: 'plt', starts_on: isoDay(-1), ends_on: isoDay(30), created_by: 'admin',
  }).execute();

  const walk = async (creator: string, data: Record<string, unknown>, steps: Array<[string, string]>) => {
    const id = (await ok(creator, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data })).body.id as string;
    for (const [who, type] of steps) await ok(who, 'POST', `/api/v1/instances/${id}/events`, { type });
    return id;
  };
  return {
    pltSubmitted: await walk('m.plt-perencana.dinkes', proposal(), [['m.plt-perencana.dinkes', 'submit']]),
    pltVerified: await walk('perencana.dinkes', proposal(), [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['m.kepala.bappeda', 'verify']]),
    puprAtTapd: await walk('perencana.pupr', puprProposal(YEAR, 'Rekonstruksi Jalan (uji matriks)'), [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify']]),
  };
}

/**
 * writeCounts plus what the people, organisation, calendar, checkpoint and document routes change: a refused
 * request must leave all of it as it was (row counts, and digests where a row could be edited).
 */
export async function matrixWriteState(app: TestApp): Promise<Record<string, unknown>> {
  const digest = (rows: string) => sql<string>`md5(coalesce(${sql.raw(rows)}, ''))`;
  const r = await sql<Record<string, unknown>>`
    SELECT
      (SELECT count(*)::int FROM people_events) AS people_events,
      (SELECT count(*)::int FROM org_events) AS org_events,
      (SELECT count(*)::int FROM audit_checkpoints) AS audit_checkpoints,
      (SELECT count(*)::int FROM attachments) AS attachments,
      (SELECT count(*)::int FROM documents) AS documents,
      (SELECT count(*)::int FROM tracking_registrations) AS tracking_registrations,
      (SELECT count(*)::int FROM api_tokens WHERE revoked_at IS NULL) AS live_tokens,
      (SELECT ${digest(`string_agg(fiscal_year || ' ' || org_id || ' ' || amount, ',' ORDER BY fiscal_year, org_id)`)} FROM ceilings) AS ceiling_amounts,
      (SELECT ${digest(`string_agg("date" || ' ' || name, ',' ORDER BY "date")`)} FROM holidays) AS holidays,
      (SELECT ${digest(`string_agg(username || ' ' || role || ' ' || org_id, ',' ORDER BY username, role, org_id)`)} FROM user_roles) AS user_roles,
      (SELECT ${digest(`string_agg(username || ' ' || active || ' ' || coalesce(password_hash, '-') || ' ' || password_must_change, ',' ORDER BY username)`)} FROM users) AS users,
      (SELECT ${digest(`string_agg(id || ' ' || coalesce(ended_at::text, '-'), ',' ORDER BY id)`)} FROM delegations) AS delegations,
      (SELECT ${digest(`string_agg(id || ' ' || name || ' ' || coalesce(code, '-') || ' ' || coalesce(npwp, '-'), ',' ORDER BY id)`)} FROM orgs) AS orgs`.execute(app.db.kysely);
  return { ...(await writeCounts(app.db)), ...r.rows[0] };
}
