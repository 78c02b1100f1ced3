import { describeBackends } from './support/db';
import { startTestApp, type Reply, type TestApp } from './support/app';
import { firePermitSteps, permitData, permitWriteCounts, registerApplication, TO_ISSUED } from './support/permits';
import { mintToken } from '../src/auth/tokens';

describeBackends('permit workflow through the API', (kind) => {
  let app: TestApp;
  const post = (user: string, id: string, body: unknown, headers?: Record<string, string>) =>
    app.call(user, 'POST', `/api/v1/instances/${id}/events`, body, headers);
  const ids = (r: Reply) => r.body.items.map((i: { id: string }) => i.id);

  async function addUser(username: string, org: string, roles: Array<[role: string, org: string]>) {
    await app.db.kysely.insertInto('users').values({ username, full_name: username, org_id: org }).execute();
    await app.db.kysely.insertInto('user_roles').values(roles.map(([role, at]) => ({ username, role, org_id: at }))).execute();
    app.tokens[username] = await mintToken(app.db.kysely, username);
  }

  beforeAll(async () => {
    app = await startTestApp(kind);
    await addUser('timteknis.dinkes', 'dinkes', [['technical_team', 'dinkes']]);
    // One official in the technical team and head of PUPR: may recommend, then not assess the fee.
    await addUser('ganda.pupr', 'pupr', [['technical_team', 'pupr'], ['opd_head', 'pupr']]);
  });
  afterAll(async () => {
    await app.close();
  });

  /** Sends a refused request: status, problem type, field paths, and nothing written. */
  async function refused(status: number, send: () => Promise<Reply>, type?: string, paths?: string[]) {
    const before = await permitWriteCounts(app.db);
    const res = await send();
    expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    if (type) expect(res.body.type).toMatch(new RegExp(`/${type}$`));
    if (paths) expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([...paths].sort());
    expect(await permitWriteCounts(app.db)).toEqual(before);
    return res;
  }

  test('registered to issued: receipt, inboxes of each actor, fee, payment and permit number', async () => {
    const created = await registerApplication(app);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ workflow: 'permit', state: 'completeness_check', org: 'dpmptsp', total: null, allowedEvents: ['mark_complete', 'mark_incomplete'] });
    expect(created.body.title).toBe('Persetujuan Bangunan Gedung (PBG) — Rina Kusumawati');
    const { registrationNumber, pin } = created.body.receipt;
    expect(registrationNumber).toMatch(/^REG\/DPMPTSP\/\d{4}\/\d{6}$/);
    expect(pin).toMatch(/^\d{8}$/);
    // Only a hash of the PIN is stored, and a GET never shows the receipt again.
    const stored = await app.db.kysely.selectFrom('tracking_registrations').selectAll().where('instance_id', '=', id).executeTakeFirstOrThrow();
    expect(stored.registration_number).toBe(registrationNumber);
    expect(stored.pin_hash).toMatch(/^scrypt\$/);
    expect(stored.pin_hash).not.toContain(pin);
    expect((await app.call('fo.dpmptsp', 'GET', `/api/v1/instances/${id}`)).body.receipt).toBeUndefined();

    const expected: Array<[string, string]> = [
      ['technical_review', 'fo.dpmptsp'], ['fee_assessment', 'timteknis.pupr'], ['awaiting_payment', 'kadis.pupr'],
      ['pending_signature', 'kasir.dpmptsp'], ['issued', 'kepala.dpmptsp'],
    ];
    for (const [i, [user, type, extra]] of TO_ISSUED.entries()) {
      expect(ids(await app.call(user, 'GET', '/api/v1/tasks?workflow=permit'))).toContain(id);
      expect((await app.call(user, 'GET', `/api/v1/instances/${id}`)).body.allowedEvents).toContain(type);
      const res = await post(user, id, { type, ...extra });
      expect(res.status).toBe(200);
      expect([res.body.state, user]).toEqual(expected[i]);
      expect(ids(await app.call(user, 'GET', '/api/v1/tasks?workflow=permit'))).not.toContain(id);
    }
    const issued = (await app.call('kepala.dpmptsp', 'GET', `/api/v1/instances/${id}`)).body;
    expect(issued).toMatchObject({ state: 'issued', total: 3_250_000, allowedEvents: [] });
    expect(issued.data).toMatchObject({ fee: 3_250_000, paymentReference: 'BJTG-2026-000777' });
    expect(issued.data.permitNumber).toMatch(/^503\/\d{4}\/DPMPTSP\/\d{4}$/);
    const history = await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history`);
    expect(history.body.items.map((h: { event: string }) => h.event)).toEqual(['create', 'mark_complete', 'recommend', 'assess_fee', 'confirm_payment', 'sign']);
    expect(history.body.items[2]).toMatchObject({ actor: 'timteknis.pupr', actorRole: 'technical_team', from: 'technical_review', to: 'fee_assessment' });
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true });
  });

  test('returned for missing documents, resubmitted with new data, then complete', async () => {
    const id = (await registerApplication(app)).body.id as string;
    const returned = await post('fo.dpmptsp', id, { type: 'mark_incomplete', comment: 'Gambar struktur belum dilampirkan' });
    expect(returned.body).toMatchObject({ state: 'returned', allowedEvents: ['resubmit'] });
    const attachments = [...(permitData().attachments as object[]), { name: 'Gambar struktur.pdf', sha256: 'c'.repeat(64) }];
    const resubmitted = await post('fo.dpmptsp', id, { type: 'resubmit', data: permitData({ attachments }) });
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.body.state).toBe('completeness_check');
    expect(resubmitted.body.data.attachments).toHaveLength(attachments.length);
    expect((await post('fo.dpmptsp', id, { type: 'mark_complete' })).body.state).toBe('technical_review');
    const history = await app.call('fo.dpmptsp', 'GET', `/api/v1/instances/${id}/history`);
    expect(history.body.items.map((h: { event: string }) => h.event)).toEqual(['create', 'mark_incomplete', 'resubmit', 'mark_complete']);
    expect(history.body.items[2].payloadDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  test('rejected by the technical team, with its reason: final', async () => {
    const id = (await registerApplication(app)).body.id as string;
    await firePermitSteps(app, id, [['fo.dpmptsp', 'mark_complete']]);
    const rejected = await post('timteknis.pupr', id, { type: 'reject', comment: 'Lokasi di sempadan sungai' });
    expect(rejected.body).toMatchObject({ state: 'rejected', allowedEvents: [] });
    await refused(409, () => post('timteknis.pupr', id, { type: 'recommend' }), 'transition-not-allowed');
  });

  test('the agency named in a permit reads it at every stage; another agency does not even see it', async () => {
    const id = (await registerApplication(app)).body.id as string;
    for (const user of ['timteknis.pupr', 'kadis.pupr', 'fo.dpmptsp', 'kasir.dpmptsp', 'auditor.inspektorat']) {
      expect([user, (await app.call(user, 'GET', `/api/v1/instances/${id}`)).status]).toEqual([user, 200]);
    }
    expect(ids(await app.call('timteknis.pupr', 'GET', '/api/v1/instances?workflow=permit'))).toContain(id);
    // Not yet theirs to act on: readable, but not in the inbox.
    expect(ids(await app.call('timteknis.pupr', 'GET', '/api/v1/tasks'))).not.toContain(id);
    expect((await app.call('timteknis.pupr', 'GET', `/api/v1/instances/${id}`)).body.allowedEvents).toEqual([]);
    await firePermitSteps(app, id, [['fo.dpmptsp', 'mark_complete']]);
    for (const user of ['timteknis.dinkes', 'perencana.dinkes', 'kadis.dinkes']) {
      await refused(404, () => app.call(user, 'GET', `/api/v1/instances/${id}`), 'not-found');
      await refused(404, () => post(user, id, { type: 'recommend' }), 'not-found');
    }
    expect(ids(await app.call('timteknis.dinkes', 'GET', '/api/v1/instances?workflow=permit'))).not.toContain(id);
    expect(ids(await app.call('timteknis.dinkes', 'GET', '/api/v1/tasks'))).not.toContain(id);
    expect(ids(await app.call('timteknis.pupr', 'GET', '/api/v1/tasks'))).toContain(id);
  });

  test('403 for the wrong role, and segregation of duties between recommendation and fee', async () => {
    const id = (await registerApplication(app)).body.id as string;
    await refused(403, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'permit', data: permitData() }), 'forbidden');
    await refused(403, () => post('kasir.dpmptsp', id, { type: 'mark_complete' }), 'forbidden');
    await refused(403, () => post('kepala.dpmptsp', id, { type: 'mark_complete' }), 'forbidden');
    await firePermitSteps(app, id, [['fo.dpmptsp', 'mark_complete']]);
    await refused(403, () => post('fo.dpmptsp', id, { type: 'recommend' }), 'forbidden');
    await refused(403, () => post('kadis.pupr', id, { type: 'recommend' }), 'forbidden');
    await firePermitSteps(app, id, [['ganda.pupr', 'recommend']]);
    await refused(403, () => post('timteknis.pupr', id, { type: 'assess_fee', data: { fee: 1 } }), 'forbidden');
    await refused(403, () => post('ganda.pupr', id, { type: 'assess_fee', data: { fee: 1 } }), 'segregation-of-duties');
    expect((await app.call('ganda.pupr', 'GET', `/api/v1/instances/${id}`)).body.allowedEvents).toEqual([]);
    expect(ids(await app.call('ganda.pupr', 'GET', '/api/v1/tasks'))).not.toContain(id);
    expect((await post('kadis.pupr', id, { type: 'assess_fee', data: { fee: 0 } })).body).toMatchObject({ state: 'awaiting_payment', total: 0 });
    await refused(403, () => post('kadis.pupr', id, { type: 'confirm_payment', data: { paymentReference: 'X-123' } }), 'forbidden');
    await refused(409, () => post('kepala.dpmptsp', id, { type: 'sign' }), 'transition-not-allowed');
  });

  test('422 with field paths: comments, fee, payment reference, NIK, agency, data where none is taken', async () => {
    const id = (await registerApplication(app)).body.id as string;
    const create = (data: unknown) => () => app.call('fo.dpmptsp', 'POST', '/api/v1/instances', { workflow: 'permit', data });
    const applicant = permitData().applicant as Record<string, unknown>;
    await refused(422, create(permitData({ applicant: { ...applicant, nik: '33740157O8920001' } })), 'invalid-data', ['/data/applicant/nik']);
    await refused(422, create(permitData({ applicant: { ...applicant, nik: undefined, nib: '12345' } })), 'invalid-data', ['/data/applicant/nib']);
    await refused(422, create(permitData({ applicant: { name: 'X', address: 'Y' } })), 'invalid-data', ['/data/applicant', '/data/applicant/nik', '/data/applicant/nib']);
    await refused(422, create(permitData({ technicalAgency: 'dinas-tidak-ada' })), 'invalid-data', ['/data/technicalAgency']);
    await refused(422, create(permitData({ fee: 0 })), 'invalid-data', ['/data/fee']);
    await refused(422, create(permitData({ attachments: [{ name: 'a.pdf', sha256: 'xyz' }] })), 'invalid-data', ['/data/attachments/0/sha256']);
    await refused(422, () => post('fo.dpmptsp', id, { type: 'mark_complete', data: { fee: 1 } }), 'invalid-data', ['/data']);
    await refused(422, () => post('fo.dpmptsp', id, { type: 'mark_incomplete' }), 'comment-required', ['/comment']);
    await refused(422, () => post('fo.dpmptsp', id, { type: 'mark_incomplete', comment: '  ' }), 'comment-required');
    await firePermitSteps(app, id, [['fo.dpmptsp', 'mark_incomplete', { comment: 'KTP tidak terbaca' }]]);
    await refused(422, () => post('fo.dpmptsp', id, { type: 'resubmit' }), 'invalid-data', ['/data']);
    await refused(422, () => post('fo.dpmptsp', id, { type: 'resubmit', data: permitData({ applicant: { ...applicant, nik: 'abc' } }) }), 'invalid-data', ['/data/applicant/nik']);
    await firePermitSteps(app, id, [['fo.dpmptsp', 'resubmit', { data: permitData() }], ['fo.dpmptsp', 'mark_complete']]);
    await refused(422, () => post('timteknis.pupr', id, { type: 'reject' }), 'comment-required', ['/comment']);
    await firePermitSteps(app, id, [['timteknis.pupr', 'recommend']]);
    const fee = (data: unknown) => () => post('kadis.pupr', id, { type: 'assess_fee', data });
    await refused(422, fee({ fee: -1 }), 'invalid-data', ['/data/fee']);
    await refused(422, fee({ fee: 1.5 }), 'invalid-data', ['/data/fee']);
    await refused(422, fee({ fee: '1000' }), 'invalid-data', ['/data/fee']);
    await refused(422, fee({ fee: 1000, permitNumber: '503/0001/DPMPTSP/2026' }), 'invalid-data', ['/data/permitNumber']);
    await refused(422, fee(undefined), 'invalid-data', ['/data']);
    await firePermitSteps(app, id, [['kadis.pupr', 'assess_fee', { data: { fee: 1_500_000 } }]]);
    await refused(422, () => post('kasir.dpmptsp', id, { type: 'confirm_payment' }), 'invalid-data', ['/data']);
    await refused(422, () => post('kasir.dpmptsp', id, { type: 'confirm_payment', data: { paymentReference: '' } }), 'invalid-data', ['/data/paymentReference']);
    expect((await app.call('kasir.dpmptsp', 'GET', `/api/v1/instances/${id}`)).body).toMatchObject({ state: 'awaiting_payment', version: 6 });
  });

  test('a retried registration (same Idempotency-Key) returns the instance without the PIN, and stores no PIN', async () => {
    const body = { workflow: 'permit', data: permitData({ permitType: 'SLF' }) };
    const first = await app.call('fo.dpmptsp', 'POST', '/api/v1/instances', body, { 'idempotency-key': 'reg-slf-1' });
    expect(first.body.receipt.pin).toMatch(/^\d{8}$/);
    const again = await app.call('fo.dpmptsp', 'POST', '/api/v1/instances', body, { 'idempotency-key': 'reg-slf-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.receipt).toBeUndefined();
    const stored = await app.db.kysely.selectFrom('idempotency_keys').select('response').where('key', '=', 'reg-slf-1').executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.response)).not.toContain(first.body.receipt.pin);
  });
});
