import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, type PageReply } from './support/web';
import { complaintData, fileComplaintWithReceipt } from './support/complaints';

/**
 * The citizen's own steps on the console's public status page (/lapor/lacak): the number and PIN
 * go in a POST body, the page then offers only the steps open to the reporter now (the steps with
 * scope 'tracking-pin'), each a form from its payload schema, taken once however often it is sent.
 */
describeBackends('citizen steps on the public status page', (kind) => {
  let app: TestApp;
  const DESK = 'pengaduan.setda';
  const fire = async (user: string, id: string, type: string, extra: Record<string, unknown> = {}) => {
    const res = await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, ...extra });
    if (res.status !== 200) throw new Error(`${user} ${type}: ${res.status} ${res.text}`);
  };
  const history = async (id: string) => (await app.db.kysely.selectFrom('audit_events').select('event').where('instance_id', '=', id).orderBy('seq').execute()).map((r) => r.event);
  const stateOf = async (id: string) => (await app.db.kysely.selectFrom('workflow_instances').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  const tokenOf = (page: PageReply, event: string) => {
    const form = page.text.split('<form').find((f) => f.includes(`name="event" value="${event}"`));
    if (!form) throw new Error(`no form for ${event} on the page (status ${page.status})`);
    return /name="_form" value="([^"]+)"/.exec(form)![1]!;
  };
  const forms = (page: PageReply) => [...page.text.matchAll(/name="event" value="([^"]+)"/g)].map((m) => m[1]);

  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(() => app.close());

  /** A browser that looked the complaint up; returns its status page. */
  const lookUp = async (citizen: ConsoleClient, filed: { registrationNumber: string; pin: string }) => {
    const form = await citizen.get('/lapor/lacak');
    expect(form.status).toBe(200);
    const sent = await citizen.post('/lapor/lacak', { registrationNumber: filed.registrationNumber, pin: filed.pin }, form);
    expect([sent.status, sent.location]).toEqual([303, '/lapor/lacak/status']);
    return citizen.get('/lapor/lacak/status');
  };

  test('information, then an objection, then a confirmation: each through its form, each once', async () => {
    const filed = await fileComplaintWithReceipt(app, complaintData('infrastruktur', 'Jl. Pemuda', 'Trotoar ambles di depan sekolah.', { name: 'Rini Astuti' }));
    const citizen = new ConsoleClient(app.url);
    let page = await lookUp(citizen, filed);
    expect(page.status).toBe(200);
    expect(page.text).toContain(filed.registrationNumber);
    expect(page.text).toContain('Penelaahan pengaduan');
    expect(forms(page)).toEqual([]);
    expect(page.text).toContain('Saat ini tidak ada langkah yang menunggu Anda.');
    expect(page.text).not.toContain(filed.pin);

    await fire(DESK, filed.id, 'request_info', { comment: 'Mohon sebutkan nomor bangunan terdekat.' });
    page = await citizen.get('/lapor/lacak/status');
    expect(forms(page)).toEqual(['provide_info']);
    expect(page.text).toContain('Kirim keterangan');
    expect(page.text).toContain('name="/provide_info/text"');

    // An empty answer is refused in Indonesian, the form kept, nothing stored.
    const token = tokenOf(page, 'provide_info');
    const empty = await citizen.post('/lapor/lacak/status', { event: 'provide_info', _form: token, '/provide_info/text': '' }, page);
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('role="alert"');
    expect(empty.text).toContain(`value="${token}"`);
    expect(await history(filed.id)).toEqual(['create', 'request_info']);
    expect(await app.db.kysely.selectFrom('public_form_receipts').select('form_hash').where('page', '=', '/lapor/lacak/status').execute()).toHaveLength(0);

    const answer = { event: 'provide_info', _form: token, '/provide_info/text': 'Depan SD Negeri Pekunden, nomor 12.' };
    const sent = await citizen.post('/lapor/lacak/status', answer, page);
    expect([sent.status, sent.location]).toEqual([303, '/lapor/lacak/status?done=1']);
    expect((await citizen.get(sent.location!)).text).toContain('Langkah Anda sudah dicatat.');
    // The same form again (a reload of the POST, Back and send): nothing new, sent to the page.
    const again = await citizen.post('/lapor/lacak/status', answer, page);
    expect([again.status, again.location]).toEqual([303, '/lapor/lacak/status?done=1&again=1']);
    expect(await history(filed.id)).toEqual(['create', 'request_info', 'provide_info']);
    expect(await stateOf(filed.id)).toBe('desk_review');

    await fire(DESK, filed.id, 'dispatch', { data: { opd: 'pupr' } });
    await fire('penghubung.pupr', filed.id, 'report_follow_up', { data: { text: 'Tim UPTD meninjau lokasi.' } });
    await fire('penghubung.pupr', filed.id, 'send_answer', { data: { text: 'Trotoar telah diperbaiki.' } });
    page = await citizen.get('/lapor/lacak/status');
    expect(forms(page)).toEqual(['confirm', 'raise_objection']);
    expect(page.text).toContain('Konfirmasi selesai');
    expect(page.text).toContain('name="/raise_objection/reason"');

    const objection = { event: 'raise_objection', _form: tokenOf(page, 'raise_objection'), '/raise_objection/reason': 'Perbaikan baru separuh panjang trotoar.' };
    expect((await citizen.post('/lapor/lacak/status', objection, page)).location).toBe('/lapor/lacak/status?done=1');
    expect((await citizen.post('/lapor/lacak/status', objection, page)).location).toBe('/lapor/lacak/status?done=1&again=1');
    expect(await stateOf(filed.id)).toBe('preparing_answer');
    page = await citizen.get('/lapor/lacak/status');
    expect(forms(page)).toEqual([]);

    await fire('penghubung.pupr', filed.id, 'send_answer', { data: { text: 'Seluruh trotoar telah diperbaiki.' } });
    page = await citizen.get('/lapor/lacak/status');
    // A second objection is the package's refusal, said in its own words; nothing is stored.
    const second = await citizen.post('/lapor/lacak/status', { event: 'raise_objection', _form: tokenOf(page, 'raise_objection'), '/raise_objection/reason': 'Masih kurang.' }, page);
    expect(second.status).toBe(409);
    expect(second.text).toContain('Keberatan atas jawaban hanya dapat diajukan satu kali.');
    expect(await stateOf(filed.id)).toBe('awaiting_confirmation');
    // A step not offered now (the form of a past state, or a made-up one) is refused and changes nothing.
    const stale = await citizen.post('/lapor/lacak/status', { event: 'provide_info', _form: tokenOf(page, 'confirm').replace(/^./, 'Z'), '/provide_info/text': 'lagi' }, page);
    expect(stale.status).toBeGreaterThanOrEqual(400);
    expect(stale.text).toContain('role="alert"');
    const confirm = { event: 'confirm', _form: tokenOf(page, 'confirm') };
    expect((await citizen.post('/lapor/lacak/status', confirm, page)).location).toBe('/lapor/lacak/status?done=1');
    expect((await citizen.post('/lapor/lacak/status', confirm, page)).location).toBe('/lapor/lacak/status?done=1&again=1');
    expect(await history(filed.id)).toEqual(['create', 'request_info', 'provide_info', 'dispatch', 'report_follow_up', 'send_answer', 'raise_objection', 'send_answer', 'confirm']);
    expect(await app.db.kysely.selectFrom('audit_events').select('actor').where('instance_id', '=', filed.id).where('event', 'in', ['provide_info', 'raise_objection', 'confirm']).execute())
      .toEqual([{ actor: '@public' }, { actor: '@public' }, { actor: '@public' }]);
    page = await citizen.get('/lapor/lacak/status');
    expect(page.text).toContain('Selesai');
    expect(forms(page)).toEqual([]);

    // "Done" forgets the number on this device: the status page sends back to the lookup.
    const end = await citizen.post('/lapor/lacak/selesai', {}, page);
    expect([end.status, end.location]).toEqual([303, '/lapor/lacak']);
    expect((await citizen.get('/lapor/lacak/status')).location).toBe('/lapor/lacak');
  });

  test('a wrong PIN and an unknown number get the same refusal; no PIN reaches a URL; another browser gets nothing', async () => {
    const filed = await fileComplaintWithReceipt(app, complaintData('kebersihan', 'Taman Menteri Supeno', 'Lampu taman mati.', { name: 'Budi' }));
    await fire(DESK, filed.id, 'request_info', { comment: 'Lampu di sisi mana?' });
    const stranger = new ConsoleClient(app.url);
    const form = await stranger.get('/lapor/lacak');
    const wrongPin = String((Number(filed.pin) + 1) % 100_000_000).padStart(8, '0');
    const wrong = await stranger.post('/lapor/lacak', { registrationNumber: filed.registrationNumber, pin: wrongPin }, form);
    const unknown = await stranger.post('/lapor/lacak', { registrationNumber: 'ADU/1999/999999', pin: wrongPin }, form);
    expect([wrong.status, unknown.status]).toEqual([404, 404]);
    const said = (p: PageReply) => /role="alert">([^<]*)</.exec(p.text)![1];
    expect(said(wrong)).toBe('Nomor pelacakan atau PIN tidak cocok.');
    expect(said(unknown)).toBe(said(wrong));
    expect(wrong.text).not.toContain(wrongPin);
    // Nothing to act on without a proven number.
    expect((await stranger.get('/lapor/lacak/status')).location).toBe('/lapor/lacak');
    const tried = await stranger.post('/lapor/lacak/status', { event: 'provide_info', '/provide_info/text': 'x' }, form);
    expect(tried.status).toBe(400);
    expect(tried.text).toContain('Masukkan lagi nomor pelacakan dan PIN; langkah Anda belum tercatat.');
    expect(await history(filed.id)).toEqual(['create', 'request_info']);

    // The rightful reporter: the lookup redirects, and no address on the way holds the PIN.
    const reporter = new ConsoleClient(app.url);
    const lf = await reporter.get('/lapor/lacak');
    expect(lf.text).toMatch(/<form method="post" action="\/lapor\/lacak"/);
    const sent = await reporter.post('/lapor/lacak', { registrationNumber: filed.registrationNumber, pin: filed.pin }, lf);
    expect(sent.location).not.toContain(filed.pin);
    const page = await reporter.get(sent.location!);
    expect(page.text).not.toContain(filed.pin);
    expect(page.text).not.toMatch(/action="[^"]*pin=/);
    // English labels from the package and the core, when the citizen picks English.
    const en = await reporter.get('/lapor/lacak/status?lang=en');
    expect(en.text).toContain('Send information');
    expect(en.text).toContain('Report status');
    // A POST without the page's CSRF token never reaches the step.
    const forged = await reporter.post('/lapor/lacak/status', { _csrf: 'x'.repeat(43), event: 'provide_info', _form: tokenOf(page, 'provide_info'), '/provide_info/text': 'palsu' });
    expect(forged.status).toBe(403);
    expect(await history(filed.id)).toEqual(['create', 'request_info']);
  });
});
