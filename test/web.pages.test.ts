import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD } from './support/web';
import { proposal, YEAR } from './support/proposals';
import { setPassword } from '../src/auth/passwords';
import { firePermitSteps, TO_ISSUED } from './support/permits';

/** Console pages over real HTTP (no browser): forms, errors beside fields, events, escaping, verify. */
describeBackends('web console pages', (kind) => {
  let app: TestApp;
  let planner: ConsoleClient;
  let head: ConsoleClient;
  beforeAll(async () => {
    app = await startTestApp(kind);
    for (const u of ['perencana.dinkes', 'kadis.dinkes', 'fo.dpmptsp', 'kadis.pupr', 'ppk.pupr']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    planner = new ConsoleClient(app.url);
    await planner.signIn('perencana.dinkes', TEST_PASSWORD);
    head = new ConsoleClient(app.url);
    await head.signIn('kadis.dinkes', TEST_PASSWORD);
  });
  afterAll(() => app.close());

  const fields = (over: Record<string, string> = {}) => ({
    '/fiscalYear': String(YEAR), '/subKegiatan/code': '1.02.02.2.02.0001', '/subKegiatan/name': 'Pelayanan kesehatan', '/title': 'Posyandu Pedurungan',
    '/output/indicator': 'Posyandu aktif', '/output/target': '12,5', '/output/unit': 'posyandu', '/fundingSource': 'PAD', '/location': 'Kecamatan Tembalang',
    '/lines/0/account': '5.1.02.01.01.0024', '/lines/0/description': 'ATK', '/lines/0/volume': '2,5', '/lines/0/unit': 'paket', '/lines/0/unitPrice': '1.250.000',
    '/lines/3/account': '5.1.02.01.01.0026', '/lines/3/description': 'Konsumsi', '/lines/3/volume': '10', '/lines/3/unit': 'kotak', '/lines/3/unitPrice': 'Rp 35.000',
    _action: 'save', ...over,
  });

  test('the form is built from the schema: fieldsets, a select for the enum, rupiah inputs, required marks', async () => {
    const page = await planner.get('/new/budget-proposal');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<legend>Sub kegiatan');
    expect(page.text).toMatch(/<select id="f-fundingSource" name="\/fundingSource"[^>]*><option value="">— pilih —<\/option><option value="PAD">/);
    // v2's location, labelled in the page's language.
    expect(page.text).toMatch(/<label for="f-location">Lokasi<\/label>\s*<input id="f-location" name="\/location"/);
    expect((await planner.get('/new/budget-proposal?lang=en')).text).toMatch(/<label for="f-location">Location<\/label>/);
    // The choice of language stays with the session: back to Indonesian for the tests that follow.
    expect((await planner.get('/new/budget-proposal?lang=id')).text).toMatch(/<label for="f-location">Lokasi<\/label>/);
    expect(page.text).toMatch(/<input id="f-lines-0-unitPrice" name="\/lines\/0\/unitPrice" aria-required="true"[^>]* data-rupiah/);
    expect(page.text).toContain('<template>');
    // Enter in a field submits with the form's first submit button: that must be "save".
    expect(/<button type="submit"[^>]*>/.exec(page.text.slice(page.text.indexOf('<form method="post" action="/new/')))![0]).toContain('value="save"');
    // Required fields carry no mark (the form's note says so); the few optional ones say "opsional".
    expect(page.text).toContain('<label for="f-title">Judul</label>');
    expect(page.text).toContain('Semua isian wajib diisi, kecuali yang bertanda (opsional).');
    expect(page.text).not.toContain('(wajib diisi)');
    // Every input, select and textarea outside the row template has a label pointing at it.
    const visible = page.text.replace(/<template>[\s\S]*?<\/template>/g, '');
    const ids = [...visible.matchAll(/<(?:input|select|textarea) id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(visible).toContain(`for="${id}"`);
  });

  test('submitted fields become typed data: rupiah without dots, decimal commas, rows renumbered; the server computes the total', async () => {
    const form = await planner.get('/new/budget-proposal');
    const res = await planner.post('/new/budget-proposal', fields(), form);
    expect(res.status).toBe(303);
    const id = /\/instances\/([0-9a-f-]{36})/.exec(res.location!)![1]!;
    const row = await app.db.kysely.selectFrom('workflow_instances').select(['data', 'total']).where('id', '=', id).executeTakeFirstOrThrow();
    const lines = row.data.lines as Array<Record<string, unknown>>;
    expect(lines.map((l) => [l.volume, l.unitPrice, l.amount])).toEqual([[2.5, 1_250_000, 3_125_000], [10, 35_000, 350_000]]);
    expect((row.data.output as Record<string, unknown>).target).toBe(12.5);
    expect(row.total).toBe(3_475_000);
    const page = await planner.get(`/instances/${id}`);
    expect(page.text).toContain('Rp 3.475.000');
    // The data, read-only, laid out by the schema: the lines as a table.
    expect(page.text).toContain('<td data-label="Harga satuan" class="num">Rp 1.250.000</td>');
    expect(page.text).toContain('<td data-label="Volume" class="num">2,5</td>');
    expect(page.text).toContain('<td data-label="Jumlah" class="num">Rp 3.125.000</td>');
    expect(page.text).toMatch(/<dt>Sumber dana<\/dt><dd>PAD<\/dd>/);
  });

  test('problem+json errors land beside their inputs, entered values kept, nothing written', async () => {
    const form = await planner.get('/new/budget-proposal');
    const before = await writeCounts(app.db);
    const res = await planner.post('/new/budget-proposal', fields({ '/lines/3/account': '5.1', '/title': '' }), form);
    expect(res.status).toBe(422);
    expect(await writeCounts(app.db)).toEqual(before);
    // Row 3 became row 1 (rows are numbered in order), so its error is at /lines/1/account.
    expect(res.text).toMatch(/<input id="f-lines-1-account" name="\/lines\/1\/account"[^>]*aria-describedby="f-lines-1-account-hint f-lines-1-account-error" aria-invalid="true"[^>]*value="5.1">/);
    expect(res.text).toContain('<p class="field-error" id="f-lines-1-account-error">format tidak sesuai</p>');
    expect(res.text).toContain('<p class="field-error" id="f-title-error">wajib diisi</p>');
    expect(res.text).toMatch(/id="f-lines-1-description"[^>]*>Konsumsi<\/textarea>/);
    expect(res.text).toContain('id="error-summary"');
  });

  test('rows can be added and removed without the client script', async () => {
    const form = await planner.get('/new/budget-proposal');
    const added = await planner.post('/new/budget-proposal', fields({ _action: 'add:/lines' }), form);
    expect(added.status).toBe(200);
    expect(added.text).toContain('id="f-lines-2-account"');
    const removed = await planner.post('/new/budget-proposal', fields({ _action: 'remove:/lines/0' }), form);
    expect(removed.text).not.toContain('id="f-lines-1-account"');
    expect(removed.text).toMatch(/id="f-lines-0-description"[^>]*>Konsumsi<\/textarea>/);
  });

  test('user input is escaped everywhere it is shown', async () => {
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: '<script>alert("x")</script> & "Posyandu"' }) });
    expect(created.status).toBe(201);
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${created.body.id}/events`, { type: 'submit' });
    for (const page of [await head.get('/inbox'), await head.get(`/instances/${created.body.id}`)]) {
      expect(page.text).not.toContain('<script>alert');
      expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Posyandu&quot;');
    }
  });

  test('events: one button per allowed event; a return without a comment is refused beside the comment box', async () => {
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Untuk dikembalikan' }) });
    const id = created.body.id as string;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    const page = await head.get(`/instances/${id}`);
    const buttons = [...page.text.matchAll(/<button type="submit" name="event" value="([a-z_]+)"/g)].map((m) => m[1]);
    expect(buttons.sort()).toEqual(['approve', 'return']);
    expect((await planner.get(`/instances/${id}`)).text).toMatch(/name="event" value="withdraw"/);
    const before = await writeCounts(app.db);
    const refused = await head.post(`/instances/${id}/events`, { event: 'return', comment: '  ', version: '2' }, page);
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/<textarea id="comment"[^>]*aria-invalid="true"/);
    expect(refused.text).toContain('id="comment-error"');
    expect(await writeCounts(app.db)).toEqual(before);
    const stale = await head.post(`/instances/${id}/events`, { event: 'approve', version: '1' }, page);
    expect(stale.status).toBe(412);
    expect(stale.text).toContain('Data ini telah diubah orang lain sejak halaman dibuka.');
    const ok = await head.post(`/instances/${id}/events`, { event: 'return', comment: 'Lengkapi <b>rincian</b>', version: '2' }, page);
    expect(ok.status).toBe(303);
    const after = await head.get(ok.location!);
    expect(after.text).toContain('<blockquote>Lengkapi &lt;b&gt;rincian&lt;/b&gt;</blockquote>');
    // The planner's update form opens prefilled with the stored data.
    const edit = await planner.get(`/instances/${id}/events/update`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('value="Untuk dikembalikan"');
    expect(csrfOf(edit)).toBe(csrfOf(await planner.get('/inbox')));
  });

  test('the inbox lists tasks with counts per workflow and a workflow filter', async () => {
    const page = await head.get('/inbox');
    expect(page.text).toMatch(/<a href="\/inbox\?workflow=budget-proposal"[^>]*>Usulan RKA <span class="count">\d+<\/span>/);
    expect(page.text).toContain('Dinas Kesehatan');
    // Who submitted each task and when: the planner, at the time of the latest submission.
    expect(page.text).toContain('<th scope="col">Diajukan oleh</th>');
    expect(page.text).toMatch(/<td data-label="Diajukan oleh">Sri Wahyuni, S\.K\.M\.<br><small>\d{1,2} [A-Z][a-z]+ \d{4} \d{2}\.\d{2} WIB<\/small><\/td>/);
    const filtered = await head.get('/inbox?workflow=permit');
    expect(filtered.text).toContain('Tidak ada tugas yang menunggu Anda.');
    expect(filtered.text).toMatch(/href="\/inbox\?workflow=budget-proposal"/);
  });

  test('verify: the QR link is a console page for browsers and JSON for programs; uploads carry the CSRF token', async () => {
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Untuk diverifikasi' }) });
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${created.body.id}/events`, { type: 'submit' });
    const doc = await app.db.kysely.selectFrom('documents').select(['id', 'number', 'bytes']).where('instance_id', '=', created.body.id).executeTakeFirstOrThrow();
    const anon = new ConsoleClient(app.url);
    const page = await anon.get(`/verify/${doc.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<link rel="stylesheet" href="/assets/console.css">');
    // Every page names the favicon (an SVG from grms itself).
    expect(page.text).toContain('<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">');
    const icon = await fetch(`${app.url}/assets/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(page.text).toContain(doc.number);
    const json = await app.call(undefined, 'GET', `/verify/${doc.id}`, undefined, { accept: 'application/json' });
    expect(json.body.number).toBe(doc.number);
    const form = new FormData();
    form.set('pdf', new Blob([Buffer.from(doc.bytes)], { type: 'application/pdf' }), 'dok.pdf');
    expect((await anon.request('POST', '/verify', form)).status).toBe(403);
    // Only the form body carries the token (a field before the file), never the query string.
    expect((await anon.request('POST', `/verify?_csrf=${encodeURIComponent(csrfOf(page))}`, form)).status).toBe(403);
    const signed = new FormData();
    signed.set('_csrf', csrfOf(page));
    signed.set('pdf', new Blob([Buffer.from(doc.bytes)], { type: 'application/pdf' }), 'dok.pdf');
    const checked = await anon.request('POST', '/verify', signed);
    expect(checked.status).toBe(200);
    expect(checked.text).toContain('Tanda tangan SAH');
    expect(checked.text).not.toMatch(/href="[^"]*_csrf/); // the language link drops the token
    const notPdf = new FormData();
    notPdf.set('_csrf', csrfOf(page));
    notPdf.set('pdf', new Blob(['hello'], { type: 'text/plain' }), 'x.txt');
    const refused = await anon.request('POST', '/verify', notPdf);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('Berkas bukan PDF.');
    expect((await anon.get('/verify/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  test('permits: the front desk registers through the schema form and sees the receipt once; the fee is a payload form', async () => {
    const fo = new ConsoleClient(app.url);
    await fo.signIn('fo.dpmptsp', TEST_PASSWORD);
    const form = await fo.get('/new');
    expect(form.location).toBe('/new/permit'); // the only workflow the front desk may start
    const page = await fo.get('/new/permit');
    const res = await fo.post('/new/permit', {
      '/permitType': 'PBG', '/applicant/name': 'Rina Kusumawati', '/applicant/nik': '3374015708920001', '/applicant/address': 'Jl. Pemuda 1, Semarang',
      '/object/location': 'Jl. Pandanaran 10', '/object/description': 'Rumah tinggal 2 lantai', '/object/floorArea': '180,5', '/technicalAgency': 'pupr',
      // Hashes typed by a program (no file): still taken; the PBG checklist is complete.
      ...Object.fromEntries(['identity', 'land_title', 'architecture_drawing', 'structure_drawing'].flatMap((d, i) => [
        [`/attachments/${i}/document`, d], [`/attachments/${i}/name`, `${d}.pdf`], [`/attachments/${i}/sha256`, String(i).repeat(64)]])),
      _action: 'save',
    }, page);
    // Redirect after POST: the receipt page shows the PIN once (a one-time server-side notice, never in the URL).
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/instances\/[0-9a-f-]{36}\?done=create$/);
    const shown = await fo.get(res.location!);
    const registration = /REG\/[^\s<]+/.exec(shown.text)?.[0];
    expect(registration).toBeDefined();
    expect(shown.text).toMatch(/PIN \(simpan, tidak ditampilkan lagi\)<\/dt><dd><code class="secret" id="receipt-pin">\d{8}<\/code>/);
    expect(shown.text).toContain('Cetak tanda terima');
    const again = await fo.get(res.location!);
    expect(again.text).toContain(registration!);
    expect(again.text).not.toContain('id="receipt-pin"');
    const row = await app.db.kysely.selectFrom('tracking_registrations').innerJoin('workflow_instances as w', 'w.id', 'tracking_registrations.instance_id')
      .select(['w.id', 'w.data']).where('registration_number', '=', registration!).executeTakeFirstOrThrow();
    expect((row.data.object as Record<string, unknown>).floorArea).toBe(180.5);
    await firePermitSteps(app, row.id, TO_ISSUED.slice(0, 2));
    const head = new ConsoleClient(app.url);
    await head.signIn('kadis.pupr', TEST_PASSWORD);
    const instance = await head.get(`/instances/${row.id}`);
    expect(instance.text).toContain(`href="/instances/${row.id}/events/assess_fee"`);
    const fee = await head.get(`/instances/${row.id}/events/assess_fee`);
    expect(fee.text).toMatch(/<input id="f-fee" name="\/fee"[^>]*data-rupiah/);
    const done = await head.post(`/instances/${row.id}/events/assess_fee`, { '/fee': '3.250.000', _comment: '', _version: fee.text.match(/name="_version" value="(\d+)"/)![1]!, _action: 'save' }, fee);
    expect(done.status).toBe(303);
    const after = await app.db.kysely.selectFrom('workflow_instances').select(['state', 'data']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.state).toBe('awaiting_payment');
    expect(after.data.fee).toBe(3_250_000);
  });

  test('every workflow\'s creation form renders from its schema, each field labelled', async () => {
    const ppk = new ConsoleClient(app.url);
    await ppk.signIn('ppk.pupr', TEST_PASSWORD);
    const page = await ppk.get('/new/procurement-delivery');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/<input id="f-value" name="\/value"[^>]*data-rupiah/);
    expect(page.text).toMatch(/<input id="f-startDate" name="\/startDate"[^>]*type="date"/);
    expect(page.text).toContain('value="180"'); // maintenanceDays' schema default
    expect(page.text).toContain('id="f-termins-0-percent"');
    const visible = page.text.replace(/<template>[\s\S]*?<\/template>/g, '');
    for (const [, id] of visible.matchAll(/<(?:input|select|textarea) id="([^"]+)"/g)) expect(visible).toContain(`for="${id}"`);
    // A planner may not open it: refused, as POST /api/v1/instances refuses them; an unknown workflow is not found.
    expect((await planner.get('/new/procurement-delivery')).status).toBe(403);
    expect((await planner.get('/new/no-such-workflow')).status).toBe(404);
  });

  test('a malformed or oversized form gets an HTML error page, not a crash', async () => {
    const page = await planner.get('/new/budget-proposal');
    const many = Object.fromEntries(Array.from({ length: 10_050 }, (_, i) => [`/x${i}`, '1']));
    const res = await planner.post('/new/budget-proposal', many, page);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toContain('Permintaan tidak dapat diproses');
  });
});
