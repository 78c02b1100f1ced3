import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { matrixWriteState } from './support/matrix-fixtures';
import { proposal, YEAR } from './support/proposals';
import { puprProposal } from '../workflows/budget-proposal/demo';
import { mintToken } from '../src/auth/tokens';
import { pdftotext, missingPdfTools } from './support/pdf-tools';
import { verifyPdf } from '../src/documents/verify';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { setPassword } from '../src/auth/passwords';

const day = (offset: number) => new Date(Date.now() + 7 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);

describeBackends('delegation (Plt/Plh)', (kind) => {
  let app: TestApp;
  let sekdin: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    expect((await app.call('admin', 'POST', '/api/v1/users', { username: 'sekdin.dinkes', fullName: 'Hadi Wibowo, S.KM., M.Kes.', position: 'Sekretaris Dinas Kesehatan', org: 'dinkes' })).status).toBe(201);
    sekdin = await mintToken(app.db.kysely, 'sekdin.dinkes');
  });
  afterAll(async () => {
    await app.close();
  });

  const submitted = async () => {
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    return id as string;
  };

  test('the delegate acts with their own certificate; the document says Plh. (the delegation\'s kind); the audit row says for whom', async () => {
    const id = await submitted();
    expect((await app.call(sekdin, 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(403);
    const made = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(5), reason: 'Dinas luar' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ kind: 'plh', delegator: 'kadis.dinkes', delegate: 'sekdin.dinkes' });
    expect((await app.call(sekdin, 'GET', '/api/v1/me')).body.roles).toContainEqual(expect.objectContaining({ role: 'opd_head', actingFor: expect.objectContaining({ username: 'kadis.dinkes', kind: 'plh' }) }));
    expect((await app.call(sekdin, 'GET', '/api/v1/tasks')).body.items.map((t: { id: string }) => t.id)).toContain(id);
    const approved = await app.call(sekdin, 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' });
    expect(approved.status).toBe(200);
    const history = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.at(-1)).toMatchObject({ event: 'approve', actor: 'sekdin.dinkes', actorRole: 'opd_head', actingFor: 'kadis.dinkes', actingKind: 'plh' });
    expect(history.filter((h: { actingFor: string | null }) => !h.actingFor).every((h: { actingKind: unknown }) => h.actingKind === null)).toBe(true);
    const doc = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items.at(-1);
    const pdf = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } })).arrayBuffer());
    const ca = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
    expect(verifyPdf(pdf, [ca]).signer!.name).toBe('Hadi Wibowo, S.KM., M.Kes.');
    if (!missingPdfTools().length) {
      const text = pdftotext(pdf).replace(/\s+/g, ' ');
      // The signature block, and the history table's row of the act.
      expect(text).toContain('Plh. Kepala Dinas Kesehatan');
      expect(text).not.toContain('Plt.');
    }
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
    // The console's history says Plh. too.
    await setPassword(app.db.kysely, 'admin', 'auditor.inspektorat', TEST_PASSWORD);
    const auditor = new ConsoleClient(app.url);
    await auditor.signIn('auditor.inspektorat', TEST_PASSWORD);
    const page = (await auditor.get(`/instances/${id}`)).text;
    expect(page).toMatch(/Hadi Wibowo, S\.KM\., M\.Kes\.[^<]* — Plh\. /);
    expect(page).not.toContain('— Plt.');

    // Ended: the delegate no longer acts.
    await app.call('kadis.dinkes', 'DELETE', `/api/v1/delegations/${made.body.id}`);
    const next = await submitted();
    expect((await app.call(sekdin, 'POST', `/api/v1/instances/${next}/events`, { type: 'approve' })).status).toBe(403);
  });

  test('a later document\'s history prints the position the principal held when the delegate acted, not the one held now', async () => {
    const id = await submitted();
    const made = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(5), reason: 'Cuti' });
    expect(made.status).toBe(201);
    expect((await app.call(sekdin, 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(200);
    await app.call('kadis.dinkes', 'DELETE', `/api/v1/delegations/${made.body.id}`);
    // The principal moves to another position afterwards.
    const { position } = await app.db.kysely.selectFrom('users').select('position').where('username', '=', 'kadis.dinkes').executeTakeFirstOrThrow();
    await app.db.kysely.updateTable('users').set({ position: 'Staf Ahli Wali Kota' }).where('username', '=', 'kadis.dinkes').execute();
    try {
      expect((await app.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' })).status).toBe(200);
      const doc = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items.at(-1);
      expect(doc.title).toBe('Berita Acara Verifikasi Bappeda');
      if (!missingPdfTools().length) {
        const pdf = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } })).arrayBuffer());
        const text = pdftotext(pdf).replace(/\s+/g, ' ');
        // Only the history row of the delegated approval says Plh. (the verifier acts in person).
        expect(text).toContain('Plh.');
        expect(text).toContain('Hadi Wibowo');
        expect(text).not.toContain('Ahli');
      }
    } finally {
      await app.db.kysely.updateTable('users').set({ position }).where('username', '=', 'kadis.dinkes').execute();
    }
  });

  test('the kind is required and is plt or plh: anything else is a 422 problem naming /kind, and nothing is recorded', async () => {
    const before = (await app.call('admin', 'GET', '/api/v1/delegations')).body.items.length;
    for (const kind of [undefined, '', 'PLT', 'pjs', 1, null]) {
      const res = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { ...(kind !== undefined && { kind }), delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(1) });
      expect({ kind, status: res.status, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ kind, status: 422, paths: ['/kind'] });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await app.call('admin', 'GET', '/api/v1/delegations')).body.items).toHaveLength(before);
    const plt = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { kind: 'plt', delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(1) });
    expect(plt.status).toBe(201);
    expect((await app.call('admin', 'GET', '/api/v1/delegations')).body.items.find((d: { id: string }) => d.id === plt.body.id)).toMatchObject({ kind: 'plt' });
    await app.call('kadis.dinkes', 'DELETE', `/api/v1/delegations/${plt.body.id}`);
  });

  test('an OPD role stays in the OPD; segregation of duties holds through delegation; others cannot delegate what they lack', async () => {
    const outsider = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'perencana.pupr', role: 'opd_head', org: 'dinkes', from: day(0), to: day(1) });
    expect(outsider.status).toBe(422);
    expect(outsider.body.errors[0].path).toBe('/delegate');
    expect((await app.call('perencana.dinkes', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(1) })).status).toBe(422);
    const bad = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(3), to: day(1) });
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/to']);

    // The planner who submitted, made acting head, still may not approve their own proposal.
    const id = await submitted();
    expect((await app.call('admin', 'POST', '/api/v1/delegations', { kind: 'plh', delegator: 'kadis.dinkes', delegate: 'perencana.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(2) })).status).toBe(201);
    const refused = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/segregation-of-duties$/);
  });
  // Segregation of duties through delegation (issue 11, item 6).

  /** An official of `org` made through the API, with `roles` held there, and a token. */
  const official = async (username: string, org: string, roles: string[]) => {
    expect((await app.call('admin', 'POST', '/api/v1/users', { username, fullName: `Pejabat ${username}`, position: 'Pejabat uji', org })).status).toBe(201);
    for (const role of roles) expect((await app.call('admin', 'PUT', `/api/v1/users/${username}/roles/${role}/${org}`)).status).toBeLessThan(300);
    app.tokens[username] = await mintToken(app.db.kysely, username);
  };
  const fire = (user: string, id: string, type: string, comment?: string) =>
    app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, ...(comment && { comment }) });
  const ok = async (user: string, id: string, type: string) => {
    const res = await fire(user, id, type);
    expect([user, type, res.status]).toEqual([user, type, 200]);
  };
  /** A refusal: the status and problem type, problem+json, and nothing written anywhere. */
  async function refused(send: () => Promise<{ status: number; body: any; headers: Headers }>, status: number, type: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
    const before = await matrixWriteState(app);
    const res = await send();
    expect({ status: res.status, type: res.body?.type }).toEqual({ status, type: expect.stringMatching(new RegExp(`/${type}$`)) });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.status).toBe(status);
    expect(await matrixWriteState(app)).toEqual(before);
    return res;
  }
  /** What the caller's inbox and the instance's allowedEvents say: the SQL filter and the JS decision. */
  const seen = async (user: string, id: string) => ({
    inbox: (await app.call(user, 'GET', '/api/v1/tasks?limit=200')).body.items.some((t: { id: string }) => t.id === id),
    allowed: (await app.call(user, 'GET', `/api/v1/instances/${id}`)).body.allowedEvents as string[],
  });
  /** A Dinkes proposal walked to `state` by the demo officials (or those given). */
  const walked = async (to: 'opd_review' | 'bappeda_verification' | 'tapd_review', who: { planner?: string; verifier?: string; data?: Record<string, unknown> } = {}) => {
    const planner = who.planner ?? 'perencana.dinkes';
    const created = await app.call(planner, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: who.data ?? proposal() });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await ok(planner, id, 'submit');
    if (to === 'opd_review') return id;
    await ok(created.body.org === 'pupr' ? 'kadis.pupr' : 'kadis.dinkes', id, 'approve');
    if (to === 'bappeda_verification') return id;
    await ok(who.verifier ?? 'verifikator.bappeda', id, 'verify');
    return id;
  };

  test('Setda is an organisation of the demo, and tapd.sekda belongs to it', async () => {
    expect((await app.call('tapd.sekda', 'GET', '/api/v1/me')).body).toMatchObject({ org: 'setda', orgName: 'Sekretariat Daerah', roles: [{ role: 'tapd', org: 'setda' }] });
    expect((await app.call('admin', 'GET', '/api/v1/orgs')).body.items).toContainEqual(expect.objectContaining({ id: 'setda', kind: 'opd' }));
  });

  test('(a) an official does not approve what his Plt submitted in his name; someone else does', async () => {
    // An official holding both planner and head of OPD (a small unit), whose Plt planner submits.
    await official('rangkap.dinkes', 'dinkes', ['planner', 'opd_head']);
    await official('plt.perencana.dinkes', 'dinkes', []);
    expect((await app.call('rangkap.dinkes', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'plt.perencana.dinkes', role: 'planner', org: 'dinkes', from: day(0), to: day(5) })).status).toBe(201);
    const id = await walked('opd_review', { planner: 'plt.perencana.dinkes' });
    const history = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.at(-1)).toMatchObject({ event: 'submit', actor: 'plt.perencana.dinkes', actingFor: 'rangkap.dinkes' });

    const res = await refused(() => fire('rangkap.dinkes', id, 'approve'), 403, 'segregation-of-duties');
    expect(res.body.detail).toMatch(/acted for whoever did/);
    await refused(() => fire('rangkap.dinkes', id, 'return', 'Perbaiki'), 403, 'segregation-of-duties');
    expect(await seen('rangkap.dinkes', id)).toEqual({ inbox: false, allowed: [] });
    // The Plt planner still withdraws what they submitted; the head of Dinkes approves.
    expect((await seen('plt.perencana.dinkes', id)).allowed).toEqual(['withdraw']);
    expect(await seen('kadis.dinkes', id)).toEqual({ inbox: true, allowed: ['approve', 'return'] });
    await ok('kadis.dinkes', id, 'approve');
  });

  test('(b) one person does not both verify at Bappeda and approve at TAPD, in person or through a Plt', async () => {
    // The head of Bappeda sits on TAPD and stands in for the verifier.
    await official('kepala.bappeda', 'bappeda', ['tapd']);
    expect((await app.call('verifikator.bappeda', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'kepala.bappeda', role: 'bappeda_verifier', org: 'bappeda', from: day(0), to: day(5) })).status).toBe(201);
    const id = await walked('tapd_review', { verifier: 'kepala.bappeda' });
    expect((await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history`)).body.items.at(-1)).toMatchObject({ event: 'verify', actor: 'kepala.bappeda', actingFor: 'verifikator.bappeda' });
    const res = await refused(() => fire('kepala.bappeda', id, 'approve'), 403, 'segregation-of-duties');
    expect(res.body.detail).toBe('You (or whom you act for) fired "verify" in "bappeda_verification" on this budget-proposal; "approve" needs someone else');
    // Sending it back for more scrutiny is not the approval the rule keeps apart: inbox and view agree.
    expect(await seen('kepala.bappeda', id)).toEqual({ inbox: true, allowed: ['return', 'reject'] });

    // The verifier whose Plt verified, later also on TAPD, is the same hand.
    expect((await app.call('admin', 'PUT', '/api/v1/users/verifikator.bappeda/roles/tapd/bappeda')).status).toBeLessThan(300);
    await refused(() => fire('verifikator.bappeda', id, 'approve'), 403, 'segregation-of-duties');
    expect((await seen('verifikator.bappeda', id)).allowed).toEqual(['return', 'reject']);
    expect((await app.call('admin', 'DELETE', '/api/v1/users/verifikator.bappeda/roles/tapd/bappeda')).status).toBeLessThan(300);

    // One official holding both roles in their own right.
    await official('rangkap.bappeda', 'bappeda', ['bappeda_verifier', 'tapd']);
    const own = await walked('tapd_review', { verifier: 'rangkap.bappeda' });
    await refused(() => fire('rangkap.bappeda', own, 'approve'), 403, 'segregation-of-duties');
    // Whoever did not verify approves, both proposals.
    expect(await seen('tapd.sekda', own)).toEqual({ inbox: true, allowed: ['approve', 'return', 'reject'] });
    await ok('tapd.sekda', own, 'approve');
    await ok('tapd.sekda', id, 'approve');
  });

  test('(c) TAPD is lent only inside the Setda; an official bound to an OPD does not act on its proposals or ceiling under TAPD', async () => {
    const before = await matrixWriteState(app);
    for (const [caller, body] of [
      ['tapd.sekda', { kind: 'plt', delegate: 'perencana.pupr', role: 'tapd', org: 'setda', from: day(0), to: day(5) }],
      ['admin', { kind: 'plt', delegator: 'tapd.sekda', delegate: 'perencana.pupr', role: 'tapd', org: 'setda', from: day(0), to: day(5) }],
      ['verifikator.bappeda', { kind: 'plt', delegate: 'perencana.pupr', role: 'bappeda_verifier', org: 'bappeda', from: day(0), to: day(5) }],
    ] as const) {
      const res = await app.call(caller, 'POST', '/api/v1/delegations', body);
      expect({ caller, status: res.status, paths: res.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ caller, status: 422, paths: ['/delegate'] });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await matrixWriteState(app)).toEqual(before);

    // A delegation made before this rule (written straight into the table) lends nothing.
    await app.db.kysely.insertInto('delegations').values({
      id: crypto.randomUUID(), delegator: 'tapd.sekda', delegate: 'perencana.pupr', role: 'tapd', org_id: 'setda', kind: 'plt', starts_on: day(-1), ends_on: day(5), created_by: 'admin',
    }).execute();
    expect((await app.call('perencana.pupr', 'GET', '/api/v1/me')).body.roles).toEqual([{ role: 'planner', org: 'pupr' }]);
    const pupr = await walked('tapd_review', { planner: 'perencana.pupr', data: puprProposal(YEAR, 'Rekonstruksi Jalan Ruas Mijen') });
    await refused(() => fire('perencana.pupr', pupr, 'approve'), 403, 'forbidden');
    await refused(() => app.call('perencana.pupr', 'PUT', `/api/v1/ceilings/${YEAR}/pupr`, { amount: 900_000_000_000 }), 403, 'forbidden');

    // The head of PUPR sitting on TAPD: other OPDs' proposals and ceilings yes, PUPR's no.
    expect((await app.call('admin', 'PUT', '/api/v1/users/kadis.pupr/roles/tapd/pupr')).status).toBeLessThan(300);
    const res = await refused(() => app.call('kadis.pupr', 'PUT', `/api/v1/ceilings/${YEAR}/pupr`, { amount: 900_000_000_000 }), 403, 'segregation-of-duties');
    expect(res.body.detail).toBe('You work at pupr, so you may not set its ceiling');
    await refused(() => fire('kadis.pupr', pupr, 'approve'), 403, 'segregation-of-duties');
    await refused(() => fire('kadis.pupr', pupr, 'reject', 'Tidak sesuai'), 403, 'segregation-of-duties');
    expect(await seen('kadis.pupr', pupr)).toEqual({ inbox: false, allowed: [] });
    const dinkes = await walked('tapd_review');
    expect(await seen('kadis.pupr', dinkes)).toEqual({ inbox: true, allowed: ['approve', 'return', 'reject'] });
    expect((await app.call('kadis.pupr', 'PUT', `/api/v1/ceilings/${YEAR}/dinkes`, { amount: 26_000_000_000 })).status).toBe(200);
    await ok('kadis.pupr', dinkes, 'approve');
    expect((await app.call('admin', 'DELETE', '/api/v1/users/kadis.pupr/roles/tapd/pupr')).status).toBeLessThan(300);

    // A Plt TAPD from the Setda sets PUPR's ceiling and approves its proposal, in the Sekda's name.
    await official('asisten.setda', 'setda', []);
    expect((await app.call('tapd.sekda', 'POST', '/api/v1/delegations', { kind: 'plh', delegate: 'asisten.setda', role: 'tapd', org: 'setda', from: day(0), to: day(5) })).status).toBe(201);
    expect((await app.call('asisten.setda', 'PUT', `/api/v1/ceilings/${YEAR}/pupr`, { amount: 160_000_000_000 })).status).toBe(200);
    expect(await seen('asisten.setda', pupr)).toEqual({ inbox: true, allowed: ['approve', 'return', 'reject'] });
    await ok('asisten.setda', pupr, 'approve');
    expect((await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${pupr}/history`)).body.items.at(-1)).toMatchObject({ event: 'approve', actor: 'asisten.setda', actingFor: 'tapd.sekda' });
  });
});
