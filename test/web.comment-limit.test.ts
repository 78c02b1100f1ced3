import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { proposal, YEAR } from './support/proposals';
import { setPassword } from '../src/auth/passwords';
import { MAX_COMMENT_LENGTH } from '../src/engine/comment-rules';

/** The console refuses what the API refuses: one comment limit, counted as the browser counts. */
describeBackends('console comments: the same limit as the API', (kind) => {
  let app: TestApp;
  let planner: ConsoleClient;
  let head: ConsoleClient;
  beforeAll(async () => {
    app = await startTestApp(kind);
    for (const u of ['perencana.dinkes', 'kadis.dinkes']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    planner = new ConsoleClient(app.url);
    await planner.signIn('perencana.dinkes', TEST_PASSWORD);
    head = new ConsoleClient(app.url);
    await head.signIn('kadis.dinkes', TEST_PASSWORD);
  });
  afterAll(() => app.close());

  const submitted = async () => {
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    return id;
  };

  test(`an event comment over ${MAX_COMMENT_LENGTH} characters is refused beside the comment box, nothing written`, async () => {
    const id = await submitted();
    const page = await head.get(`/instances/${id}`);
    expect(page.text).toMatch(new RegExp(`<textarea id="comment" name="comment" rows="3" maxlength="${MAX_COMMENT_LENGTH}"`));
    const before = await writeCounts(app.db);
    // A hostile client ignores maxlength.
    const refused = await head.post(`/instances/${id}/events`, { event: 'return', comment: 'x'.repeat(MAX_COMMENT_LENGTH + 1), version: '2' }, page);
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/<textarea id="comment"[^>]*aria-invalid="true"/);
    expect(refused.text).toContain(`Catatan paling banyak ${MAX_COMMENT_LENGTH} karakter.`);
    expect(await writeCounts(app.db)).toEqual(before);
  });

  test('a full comment box with line breaks (sent as CR LF) is accepted, stored with the breaks the user typed', async () => {
    const id = await submitted();
    const page = await head.get(`/instances/${id}`);
    // What a browser sends for a textarea holding exactly the limit: 10 line breaks as CR LF.
    const typed = `${'Rincian belum sesuai. '.repeat(200).slice(0, MAX_COMMENT_LENGTH - 10)}${'\n'.repeat(10)}`;
    expect(typed.length).toBe(MAX_COMMENT_LENGTH);
    const sent = typed.replace(/\n/g, '\r\n');
    const ok = await head.post(`/instances/${id}/events`, { event: 'return', comment: sent, version: '2' }, page);
    expect(ok.status).toBe(303);
    const history = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.at(-1)).toMatchObject({ event: 'return', comment: typed });
  });

  test('the event form (with data) refuses an over-long comment the same way', async () => {
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    const form = await planner.get(`/instances/${id}/events/update`);
    expect(form.status).toBe(200);
    expect(form.text).toMatch(new RegExp(`name="_comment" rows="3" maxlength="${MAX_COMMENT_LENGTH}"`));
    const version = /name="_version" value="(\d+)"/.exec(form.text)![1]!;
    const fields = {
      '/fiscalYear': String(YEAR), '/subKegiatan/code': '1.02.02.2.02.0001', '/subKegiatan/name': 'Pelayanan kesehatan', '/title': 'Posyandu Pedurungan',
      '/output/indicator': 'Posyandu aktif', '/output/target': '12', '/output/unit': 'posyandu', '/fundingSource': 'PAD', '/location': 'Kecamatan Tembalang',
      '/lines/0/account': '5.1.02.01.01.0024', '/lines/0/description': 'ATK', '/lines/0/volume': '2', '/lines/0/unit': 'paket', '/lines/0/unitPrice': '1.250.000',
      _version: version, _action: 'save',
    };
    const before = await writeCounts(app.db);
    const refused = await planner.post(`/instances/${id}/events/update`, { ...fields, _comment: 'y'.repeat(MAX_COMMENT_LENGTH + 1) }, form);
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/<textarea id="f-comment"[^>]*aria-invalid="true"/);
    expect(refused.text).toContain(`Catatan paling banyak ${MAX_COMMENT_LENGTH} karakter.`);
    expect(await writeCounts(app.db)).toEqual(before);
    const saved = await planner.post(`/instances/${id}/events/update`, { ...fields, _comment: 'y'.repeat(MAX_COMMENT_LENGTH) }, form);
    expect(saved.status).toBe(303);
  });
});
