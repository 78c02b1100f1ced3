import { describeBackends } from './support/db';
import { startTestApp, type Reply, type TestApp } from './support/app';
import { missingPdfTools, pdfsig, pdftotext } from './support/pdf-tools';
import { wib } from './support/sla-fixtures';
import { verifyPdf } from '../src/documents/verify';
import { fireDueDeadlines } from '../src/sla/scheduler';
import { complaintData, fileComplaint, fileComplaintWithReceipt } from './support/complaints';
import complaintPackage from '../workflows/complaint';
import { loadActor } from '../src/auth/tokens';

/**
 * The complaint workflow (workflows/complaint/), added as a package only, walked through the API on
 * both backends: the desk's desk_review (dismiss, ask the reporter, dispatch), the OPD liaison's
 * follow-up and signed answer letter, one objection, the SLA per category with escalation to the
 * head of the OPD the complaint names, and the timer that closes it when the reporter stays silent.
 * The workflow clock is set by the test and the scheduler is called explicitly.
 */
const DESK = 'pengaduan.setda';
const PUPR = 'penghubung.pupr';
const DINKES = 'penghubung.dinkes';

describeBackends('complaints through the API', (kind) => {
  let app: TestApp;
  let now: Date;
  let ca: string;
  const tick = () => fireDueDeadlines(app.db.kysely, now, { timers: app.engine.timers });
  const file = (data: Record<string, unknown>) => fileComplaint(app, data);
  const fire = (user: string, id: string, type: string, extra: Record<string, unknown> = {}): Promise<Reply> =>
    app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, ...extra });
  const ok = async (user: string, id: string, type: string, extra: Record<string, unknown> = {}): Promise<Reply> => {
    const res = await fire(user, id, type, extra);
    if (res.status !== 200) throw new Error(`${user} ${type}: ${res.status} ${res.text}`);
    return res;
  };
  /** The reporter's own act: the tracking number and PIN, no account. */
  const citizen = (filed: { registrationNumber: string; pin: string }, type: string, extra: Record<string, unknown> = {}): Promise<Reply> =>
    app.call(undefined, 'POST', '/api/v1/public/tracking/events', { registrationNumber: filed.registrationNumber, pin: filed.pin, type, ...extra });
  const citizenOk = async (filed: { registrationNumber: string; pin: string }, type: string, extra: Record<string, unknown> = {}): Promise<Reply> => {
    const res = await citizen(filed, type, extra);
    if (res.status !== 200) throw new Error(`reporter ${type}: ${res.status} ${res.text}`);
    return res;
  };
  const pothole = (reporter?: { name: string }, confidential = false) =>
    complaintData('infrastruktur', 'Jl. Fatmawati, Pedurungan', 'Lubang jalan besar membahayakan pengendara motor.', reporter, confidential);
  const litter = () => complaintData('kebersihan', 'Pasar Johar sisi timur', 'Sampah menumpuk di TPS sementara sejak seminggu.', { name: 'Siti Aminah' });
  const deadline = (id: string) => app.db.kysely.selectFrom('deadlines').select(['state', 'working_days', 'due_at']).where('instance_id', '=', id).where('kind', '=', 'state').executeTakeFirst();
  const documentsOf = async (id: string) => (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items as Array<{ id: string; title: string; event: string; signer: { username: string } }>;
  const download = async (docId: string) => {
    const res = await fetch(`${app.url}/api/v1/documents/${docId}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  const history = (id: string) => app.db.kysely.selectFrom('audit_events').select(['event', 'actor', 'to_state']).where('instance_id', '=', id).orderBy('seq').execute();

  beforeAll(async () => {
    now = wib('2026-12-01 09:00'); // a Tuesday
    app = await startTestApp(kind, { clock: () => now });
    ca = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
  });
  afterAll(async () => {
    await app.close();
  });

  test('the whole path: more information, dispatch, follow-up, a signed answer, one objection, a second refused, confirmed', async () => {
    now = wib('2026-12-01 09:00');
    const filed = await fileComplaintWithReceipt(app, pothole({ name: 'Andreas Wijaya' }));
    const id = filed.id;
    // Asking the reporter needs the question as a comment; no one but the desk may ask (an OPD's
    // liaison does not even see a complaint not dispatched to it).
    expect((await fire(DESK, id, 'request_info')).status).toBe(422);
    expect((await fire(PUPR, id, 'request_info', { comment: 'Nomor rumah terdekat?' })).status).toBe(404);
    await ok(DESK, id, 'request_info', { comment: 'Mohon sebutkan nomor rumah terdekat.' });
    // The reporter answers with the tracking number and PIN; nobody signed in may answer for them.
    expect((await fire(DESK, id, 'provide_info', { data: { text: 'Dari meja.' } })).status).toBe(403);
    expect((await citizen({ ...filed, pin: filed.pin === '000000' ? '111111' : '000000' }, 'provide_info', { data: { text: 'Tebakan.' } })).status).toBe(404);
    await citizenOk(filed, 'provide_info', { data: { text: 'Depan rumah nomor 27.' } });
    // Dispatch names an OPD; the liaison of another OPD does not see it, the desk may not answer for it.
    expect((await fire(DESK, id, 'dispatch', { data: {} })).status).toBe(422);
    const dispatched = await ok(DESK, id, 'dispatch', { data: { opd: 'pupr' } });
    expect(dispatched.body).toMatchObject({ state: 'follow_up', data: { opd: 'pupr', answerDays: 60, additionalInfo: ['Depan rumah nomor 27.'] } });
    expect((await fire(DINKES, id, 'report_follow_up', { data: { text: 'Bukan kami' } })).status).toBe(404);
    expect((await fire(DESK, id, 'report_follow_up', { data: { text: 'Desk' } })).status).toBe(403);
    await ok(PUPR, id, 'report_follow_up', { data: { text: 'UPTD jalan meninjau lokasi.' } });
    await ok(PUPR, id, 'send_answer', { data: { text: 'Lubang telah ditambal pada 3 Desember.' } });
    expect((await fire(DESK, id, 'raise_objection', { data: { reason: 'Dari meja.' } })).status).toBe(403);
    const objected = await citizenOk(filed, 'raise_objection', { data: { reason: 'Tambalan sudah rusak lagi.' } });
    expect(objected.body).toMatchObject({ state: { code: 'preparing_answer' } });
    expect((await app.call(DESK, 'GET', `/api/v1/instances/${id}`)).body).toMatchObject({ data: { objections: 1 } });
    await ok(PUPR, id, 'send_answer', { data: { text: 'Jalan dilapis ulang seluruhnya pada 10 Desember.' } });
    const second = await citizen(filed, 'raise_objection', { data: { reason: 'Masih belum rapi.' } });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'COMPLAINT_SECOND_OBJECTION' });
    expect((await citizenOk(filed, 'confirm')).body).toMatchObject({ state: { code: 'resolved' } });
    expect((await history(id)).map((h) => h.event)).toEqual(['create', 'request_info', 'provide_info', 'dispatch', 'report_follow_up', 'send_answer', 'raise_objection', 'send_answer', 'confirm']);

    // The desk's request and disposition, and two signed answer letters (the first and the one after the objection).
    const docs = await documentsOf(id);
    expect(docs.map((d) => [d.event, d.title, d.signer.username])).toEqual([
      ['request_info', 'Surat Permintaan Keterangan Tambahan', DESK],
      ['dispatch', 'Lembar Disposisi Pengaduan', DESK],
      ['send_answer', 'Surat Jawaban Pengaduan', PUPR],
      ['send_answer', 'Surat Jawaban Pengaduan', PUPR],
    ]);
    for (const d of docs) expect(verifyPdf(await download(d.id), [ca])).toMatchObject({ valid: true });
  });

  test('the final answer letter reads right and its signature is valid (pdftotext, pdfsig)', async () => {
    if (missingPdfTools().length) {
      if (process.env.CI === 'true') throw new Error(`${missingPdfTools().join(', ')} missing: CI needs poppler-utils`);
      console.warn('!! SKIPPED complaint letter check: poppler-utils not installed');
      return;
    }
    const id = await file(pothole({ name: 'Yohanes Pranata' }, true));
    await ok(DESK, id, 'dispatch', { data: { opd: 'pupr' } });
    await ok(PUPR, id, 'report_follow_up', { data: { text: 'Catatan tindak lanjut.' } });
    await ok(PUPR, id, 'send_answer', { data: { text: 'Perbaikan drainase selesai dikerjakan.' } });
    const letter = (await documentsOf(id)).find((d) => d.event === 'send_answer')!;
    const pdf = await download(letter.id);
    const text = pdftotext(pdf).replace(/\s+/g, ' ');
    expect(text).toContain('Surat Jawaban Pengaduan');
    expect(text).toContain('Perbaikan drainase selesai dikerjakan.');
    expect(text).toContain('Pelapor Dirahasiakan');
    // A confidential reporter's name is printed nowhere the OPD signs.
    expect(text).not.toContain('Yohanes');
    expect(pdfsig(pdf)).toContain('Signature is Valid.');
  });

  test('dismissing needs a reason and sends a letter; only the desk dismisses', async () => {
    const id = await file(litter());
    expect((await fire(DESK, id, 'dismiss')).status).toBe(422);
    expect((await fire(PUPR, id, 'dismiss', { comment: 'x' })).status).toBe(404);
    expect((await ok(DESK, id, 'dismiss', { comment: 'Permintaan informasi, bukan pengaduan.' })).body).toMatchObject({ state: 'dismissed' });
    expect((await documentsOf(id)).map((d) => d.title)).toEqual(['Surat Pemberitahuan Hasil Verifikasi Pengaduan']);
    expect((await fire(DESK, id, 'dispatch', { data: { opd: 'pupr' } })).status).toBe(409);
  });

  test('filing gives a tracking number and a PIN once; only the PIN\'s hash is stored', async () => {
    const res = await app.call(DESK, 'POST', '/api/v1/instances', { workflow: 'complaint', data: litter() });
    expect(res.status).toBe(201);
    expect(res.body.receipt).toMatchObject({ registrationNumber: expect.stringMatching(/^ADU\/\d{4}\/\d{6}$/), pin: expect.stringMatching(/^\d+$/) });
    const row = await app.db.kysely.selectFrom('tracking_registrations').select(['registration_number', 'pin_hash']).where('instance_id', '=', res.body.id).executeTakeFirstOrThrow();
    expect(row.registration_number).toBe(res.body.receipt.registrationNumber);
    expect(row.pin_hash).not.toContain(res.body.receipt.pin);
    expect((await app.call(DESK, 'GET', `/api/v1/instances/${res.body.id}`)).text).not.toContain(res.body.receipt.pin);
  });

  test('an anonymous complaint stores no identity; a reporter with an anonymous complaint is refused', async () => {
    expect((await app.call(DESK, 'POST', '/api/v1/instances', { workflow: 'complaint', data: { ...pothole(), reporter: { name: 'X' } } })).status).toBe(422);
    expect((await app.call(DESK, 'POST', '/api/v1/instances', { workflow: 'complaint', data: { ...litter(), anonymous: false, reporter: undefined } })).status).toBe(422);
    const id = await file(pothole());
    const row = await app.db.kysely.selectFrom('workflow_instances').select(['data', 'title']).where('id', '=', id).executeTakeFirstOrThrow();
    const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>;
    expect(data.anonymous).toBe(true);
    expect(Object.keys(data).sort()).toEqual(['anonymous', 'answerDays', 'attachments', 'category', 'confidential', 'location', 'text']);
    // The answer limit is the category's, never the filer's own choice.
    expect(data.answerDays).toBe(60);
    const chosen = await app.call(DESK, 'POST', '/api/v1/instances', { workflow: 'complaint', data: { ...pothole(), answerDays: 1 } });
    expect(chosen.status).toBe(422);
  });

  test('the SLA: verification 3 days, the answer limit per category, escalation to the head of the OPD, silence closes it', async () => {
    now = wib('2026-12-01 09:00'); // Tuesday
    const road = await file(pothole({ name: 'Rina' }));
    const bins = await file(litter());
    expect(await deadline(road)).toMatchObject({ state: 'desk_review', working_days: 3 });
    for (const id of [road, bins]) {
      await ok(DESK, id, 'dispatch', { data: { opd: 'pupr' } });
      expect(await deadline(id)).toMatchObject({ state: 'follow_up', working_days: 5 });
    }
    // The follow-up is missed for the road: the head of PUPR sees it, escalated, and may act.
    const headInbox = async () => ((await app.call('kadis.pupr', 'GET', '/api/v1/tasks?workflow=complaint')).body.items as Array<{ id: string }>).filter((t) => t.id === road || t.id === bins);
    expect(await headInbox()).toEqual([]);
    expect((await fire('kadis.pupr', road, 'report_follow_up', { data: { text: 'x' } })).status).toBe(404);
    await ok(PUPR, bins, 'report_follow_up', { data: { text: 'Petugas DLH mengangkut sampah.' } });
    now = wib('2026-12-09 09:00'); // the 5th working day after the 1st has ended
    await tick();
    expect(await headInbox()).toEqual([expect.objectContaining({ id: road, escalated: true, overdue: true })]);
    await ok('kadis.pupr', road, 'report_follow_up', { data: { text: 'Kepala dinas menugaskan UPTD.' } });
    // The final answer's limit is the category's: 60 working days for infrastructure, 14 for cleanliness.
    expect(await deadline(road)).toMatchObject({ state: 'preparing_answer', working_days: 60 });
    expect(await deadline(bins)).toMatchObject({ state: 'preparing_answer', working_days: 14 });
    // Silence: ten working days after the answer, the scheduler closes it as the system.
    await ok(PUPR, bins, 'send_answer', { data: { text: 'Sampah sudah diangkut.' } });
    expect(await deadline(bins)).toMatchObject({ state: 'awaiting_confirmation', working_days: 10 });
    now = wib('2026-12-31 09:00');
    await tick();
    const closed = (await app.call(DESK, 'GET', `/api/v1/instances/${bins}`)).body;
    expect(closed.state).toBe('closed_silent');
    expect((await history(bins)).at(-1)).toMatchObject({ event: 'close_silent', actor: 'system', to_state: 'closed_silent' });
    // No user may fire the timer's event.
    const other = await file(litter());
    expect((await fire(DESK, other, 'close_silent')).status).toBeGreaterThanOrEqual(403);
  });

  test('a dispatch to an org that cannot receive the complaint is refused naming /data/opd, and nothing is written', async () => {
    const id = await file(litter());
    const before = async () => ({
      instance: await app.db.kysely.selectFrom('workflow_instances').select(['state', 'version', 'data']).where('id', '=', id).executeTakeFirstOrThrow(),
      history: (await history(id)).length,
      documents: (await documentsOf(id)).length,
      deadlines: await deadline(id),
    });
    const untouched = await before();
    // Unknown, not an OPD (a supplier), an OPD without a complaint liaison: the package's rule refuses each.
    for (const [opd, message] of [['no-such-opd', 'is not a known OPD'], ['cv-maju', 'is not an OPD'], ['bappeda', 'has no complaint liaison to receive it']]) {
      const res = await fire(DESK, id, 'dispatch', { data: { opd } });
      expect({ opd, status: res.status, type: res.headers.get('content-type') }).toEqual({ opd, status: 422, type: expect.stringMatching(/^application\/problem\+json/) });
      expect(res.body.errors).toEqual([{ path: '/data/opd', message }]);
      expect(await before()).toEqual(untouched);
    }
    // A liaison who left (deactivated) receives nothing either; back in office, the dispatch goes through.
    await app.db.kysely.updateTable('users').set({ active: false }).where('username', '=', DINKES).execute();
    try {
      expect((await fire(DESK, id, 'dispatch', { data: { opd: 'dinkes' } })).body.errors).toEqual([{ path: '/data/opd', message: 'has no complaint liaison to receive it' }]);
    } finally {
      await app.db.kysely.updateTable('users').set({ active: true }).where('username', '=', DINKES).execute();
    }
    expect(await before()).toEqual(untouched);
    expect((await ok(DESK, id, 'dispatch', { data: { opd: 'dinkes' } })).body).toMatchObject({ state: 'follow_up', data: { opd: 'dinkes' } });
  });

  test('the desk may set another answer limit at dispatch', async () => {
    const id = await file(litter());
    await ok(DESK, id, 'dispatch', { data: { opd: 'dinkes', answerDays: 30 } });
    await ok(DINKES, id, 'report_follow_up', { data: { text: 'Ditinjau.' } });
    expect(await deadline(id)).toMatchObject({ state: 'preparing_answer', working_days: 30 });
  });

  test('the demo data leaves complaints in several states, each reached through the engine', async () => {
    const before = new Set((await app.db.kysely.selectFrom('workflow_instances').select('id').where('workflow', '=', 'complaint').execute()).map((r) => r.id));
    await complaintPackage.seed!({ db: app.db.kysely, engine: app.engine, actor: async (u) => (await loadActor(app.db.kysely, u, app.engine.time))! });
    const seeded = (await app.db.kysely.selectFrom('workflow_instances').select(['id', 'state']).where('workflow', '=', 'complaint').execute()).filter((r) => !before.has(r.id));
    expect(seeded.map((r) => r.state).sort()).toEqual(['awaiting_confirmation', 'awaiting_info', 'desk_review', 'dismissed', 'follow_up', 'resolved']);
  });

  test('the package brings its roles and labels in both languages for every state and event', () => {
    const def = complaintPackage.versions[0].definition;
    for (const lang of ['id', 'en'] as const) {
      const labels = complaintPackage.labels[lang];
      for (const state of Object.keys(def.steps).concat(['resolved', 'closed_silent', 'dismissed'])) expect([state, labels.states?.[state]]).toEqual([state, expect.any(String)]);
      for (const event of Object.values(def.steps).flatMap((s) => Object.keys(s))) expect([event, labels.events?.[event]]).toEqual([event, expect.any(String)]);
    }
  });
  test('a confidential reporter is hidden from the OPD it goes to, not from the desk or the auditor', async () => {
    const id = await file(pothole({ name: 'Maria Goretti' }, true));
    await ok(DESK, id, 'dispatch', { data: { opd: 'pupr' } });
    expect((await app.call(PUPR, 'GET', `/api/v1/instances/${id}`)).body.data.reporter).toBe('dirahasiakan');
    expect((await app.call(DESK, 'GET', `/api/v1/instances/${id}`)).body.data.reporter).toEqual({ name: 'Maria Goretti' });
    expect((await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}`)).body.data.reporter).toEqual({ name: 'Maria Goretti' });
  });

  test('search leaves out a confidential reporter for those who may not read it: the OPD finds nothing by the name, the desk and the auditor find it', async () => {
    const hidden = await file(pothole({ name: 'Yohanes Kristiawan', phone: '081234567890' } as { name: string }, true));
    const open = await file(pothole({ name: 'Yohanes Kristiawan' }));
    for (const id of [hidden, open]) await ok(DESK, id, 'dispatch', { data: { opd: 'pupr' } });
    const found = async (user: string, q: string) => {
      const list = await app.call(user, 'GET', `/api/v1/instances?q=${encodeURIComponent(q)}&workflow=complaint`);
      const search = await app.call(user, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}`);
      expect([list.status, search.status]).toEqual([200, 200]);
      const ids = (list.body.items as Array<{ id: string }>).map((i) => i.id).filter((i) => i === hidden || i === open).sort();
      // The list (the API's and the console's query) and the search box answer alike.
      expect((search.body.items as Array<{ id: string }>).map((i) => i.id).filter((i) => i === hidden || i === open).sort()).toEqual(ids);
      return ids;
    };
    expect(await found(PUPR, 'Yohanes Kristiawan')).toEqual([open]);
    expect(await found(PUPR, '081234567890')).toEqual([]);
    expect(await found(DESK, 'Yohanes Kristiawan')).toEqual([hidden, open].sort());
    expect(await found(DESK, '081234567890')).toEqual([hidden]);
    expect(await found('auditor.inspektorat', 'Yohanes Kristiawan')).toEqual([hidden, open].sort());
    // The SQL match and the view agree for each reader: found exactly where the view shows the name.
    for (const user of [PUPR, DESK, 'auditor.inspektorat', 'kadis.pupr']) {
      const shown: string[] = [];
      for (const id of [hidden, open]) {
        const view = await app.call(user, 'GET', `/api/v1/instances/${id}`);
        if (view.status === 200 && (view.body.data.reporter as { name?: string } | string)?.toString() !== 'dirahasiakan' && view.body.data.reporter.name === 'Yohanes Kristiawan') shown.push(id);
      }
      expect({ user, found: await found(user, 'Yohanes Kristiawan') }).toEqual({ user, found: shown.sort() });
    }
  });

  test('a citizen files without an account; an anonymous complaint stores no identity and the desk receives it', async () => {
    const data = { ...pothole(), reporter: { name: 'Dibuang' } };
    const res = await app.call(undefined, 'POST', '/api/v1/public/workflows/complaint/instances', { data: { ...data, anonymous: true } });
    expect(res.status).toBe(201);
    expect(res.body.registrationNumber).toMatch(/^ADU\/\d{4}\/\d{6}$/);
    expect(res.body.pin).toMatch(/^\d+$/);
    const row = await app.db.kysely.selectFrom('workflow_instances as w').innerJoin('tracking_registrations as t', 't.instance_id', 'w.id')
      .select(['w.id', 'w.data', 'w.org_id', 'w.created_by']).where('t.registration_number', '=', res.body.registrationNumber).executeTakeFirstOrThrow();
    expect(JSON.stringify(row.data)).not.toContain('Dibuang');
    expect(row).toMatchObject({ org_id: 'setda', created_by: '@public' });
    expect(((await app.call(DESK, 'GET', '/api/v1/tasks')).body.items as Array<{ id: string }>).map((t) => t.id)).toContain(row.id);
    const status = await app.call(undefined, 'POST', '/api/v1/public/tracking/status', { registrationNumber: res.body.registrationNumber, pin: res.body.pin });
    expect(status.status).toBe(200);
  });
});
