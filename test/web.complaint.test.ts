import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { setPassword } from '../src/auth/passwords';
import { COMPLAINT_USERS } from './support/complaints';

/**
 * The console shows the complaint workflow from its package alone (no complaint code in src/): the
 * creation form built from its schema, the state diagram and step forms with its labels, the OPD
 * liaison's inbox, the list page and the signed answer letter among the documents.
 */
describeBackends('complaints in the console', (kind) => {
  let app: TestApp;
  let desk: ConsoleClient;
  let liaison: ConsoleClient;
  const versionOf = (text: string) => /name="_version" value="(\d+)"/.exec(text)![1]!;

  beforeAll(async () => {
    app = await startTestApp(kind);
    for (const u of COMPLAINT_USERS) await setPassword(app.db.kysely, 'admin', u.username, TEST_PASSWORD);
    desk = new ConsoleClient(app.url);
    await desk.signIn('pengaduan.setda', TEST_PASSWORD);
    liaison = new ConsoleClient(app.url);
    await liaison.signIn('penghubung.pupr', TEST_PASSWORD);
  });
  afterAll(() => app.close());

  test('file, dispatch, follow up and answer through the console; inbox, list, diagram and letter show the package\'s words', async () => {
    const form = await desk.get('/new/complaint');
    expect(form.status).toBe(200);
    expect(form.text).toMatch(/<select id="f-category" name="\/category"/);
    for (const label of ['Kategori', 'Lokasi', 'Isi pengaduan']) expect(form.text).toContain(`>${label}`);
    // The answer limit is the category's (then the desk's at dispatch), not the filer's.
    expect(form.text).not.toContain('>Batas jawaban');
    const filed = await desk.post('/new/complaint', {
      '/category': 'infrastruktur', '/location': 'Jl. Majapahit, Gayamsari', '/text': 'Drainase tersumbat, jalan tergenang setiap hujan.',
      '/anonymous': 'false', '/confidential': 'false', '/reporter/name': 'Lestari Handayani', _action: 'save',
    }, form);
    expect([filed.status, filed.text.slice(0, 2000)]).toEqual([303, expect.anything()]);
    const id = /\/instances\/([0-9a-f-]{36})/.exec(filed.location!)![1]!;

    // The instance page: its states and events in the package's words, the dispatch form from the payload schema.
    const page = await desk.get(`/instances/${id}`);
    expect(page.text).toContain('Penelaahan pengaduan');
    expect(page.text).toContain('Tindak lanjut OPD');
    expect(page.text).toContain(`href="/instances/${id}/events/dispatch"`);
    const dispatchForm = await desk.get(`/instances/${id}/events/dispatch`);
    expect(dispatchForm.status).toBe(200);
    expect(dispatchForm.text).toContain('name="/opd"');
    const dispatched = await desk.post(`/instances/${id}/events/dispatch`, { '/opd': 'pupr', _comment: '', _version: versionOf(dispatchForm.text), _action: 'save' }, dispatchForm);
    expect(dispatched.status).toBe(303);

    // The liaison's inbox and the list page.
    const inbox = await liaison.get('/inbox');
    expect(inbox.text).toContain(`/instances/${id}`);
    expect(inbox.text).toContain('Tindak lanjut OPD');
    const list = await liaison.get('/list/complaint');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/instances/${id}`);

    const followForm = await liaison.get(`/instances/${id}/events/report_follow_up`);
    expect(followForm.status).toBe(200);
    expect((await liaison.post(`/instances/${id}/events/report_follow_up`, { '/text': 'Saluran dibersihkan UPTD.', _comment: '', _version: versionOf(followForm.text), _action: 'save' }, followForm)).status).toBe(303);
    const answerForm = await liaison.get(`/instances/${id}/events/send_answer`);
    expect((await liaison.post(`/instances/${id}/events/send_answer`, { '/text': 'Drainase telah dinormalisasi.', _comment: '', _version: versionOf(answerForm.text), _action: 'save' }, answerForm)).status).toBe(303);

    const done = await liaison.get(`/instances/${id}`);
    expect(done.text).toContain('Menunggu konfirmasi pelapor');
    expect(done.text).toContain('Surat Jawaban Pengaduan');
    expect(done.text).toContain('Lembar Disposisi Pengaduan');
  });
  test('a citizen files on /lapor/complaint without an account and reads the tracking number and PIN once', async () => {
    const citizen = new ConsoleClient(app.url);
    const form = await citizen.get('/lapor/complaint');
    expect(form.status).toBe(200);
    const sent = await citizen.post('/lapor/complaint', {
      '/category': 'kebersihan', '/location': 'Taman Indonesia Kaya', '/text': 'Tempat sampah penuh dan tidak diangkut tiga hari.',
      '/anonymous': 'true', '/confidential': 'false', _action: 'save',
    }, form);
    expect([sent.status, sent.location]).toEqual([303, '/lapor/complaint/tanda-terima']);
    const receipt = await citizen.get('/lapor/complaint/tanda-terima');
    const number = /ADU\/\d{4}\/\d{6}/.exec(receipt.text)?.[0];
    expect(number).toBeDefined();
    // One tracking number for the complaint, kept by the core's tracking service.
    const rows = await app.db.kysely.selectFrom('tracking_registrations').select('instance_id').where('registration_number', '=', number!).execute();
    expect(rows).toHaveLength(1);
    expect((await citizen.get('/lapor/complaint/tanda-terima')).text).not.toContain(number!);
  });
});
