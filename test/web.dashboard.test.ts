import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { proposal, YEAR } from './support/proposals';
import { pbgApplication } from '../workflows/permit/demo';
import { puprProposal } from '../workflows/budget-proposal/demo';
import { setPassword } from '../src/auth/passwords';
import { RUPIAH_FORMAT } from '../src/web/xlsx';
import { localYear } from '../src/sla/calendar';
import path from 'node:path';
import { mintToken } from '../src/auth/tokens';
import { defaultRegistry, WorkflowRegistry } from '../src/engine/registry';
import { externalPackages } from '../src/engine/packages';
import { complaintData, fileComplaint } from './support/complaints';

const LEAVE_PACKAGE = path.resolve(__dirname, 'fixtures', 'leave-package');

/** The dashboard over HTTP: the figures equal SQL sums, the .xlsx files hold them, OPD users see only their OPD. */
describeBackends('web console dashboard', (kind) => {
  let app: TestApp;
  let overdueId: string;
  let permit: { id: string; registrationNumber: string };
  // The workflow clock: the real one, unless a test moves it (and puts it back).
  let movedTo: Date | undefined;

  const walk = async (data: Record<string, unknown>, steps: Array<[string, string]>, creator: string) => {
    const id = (await app.call(creator, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data })).body.id as string;
    for (const [who, type] of steps) expect((await app.call(who, 'POST', `/api/v1/instances/${id}/events`, { type })).status).toBe(200);
    return id;
  };
  const signedIn = async (username: string) => {
    const c = new ConsoleClient(app.url);
    expect((await c.signIn(username, TEST_PASSWORD)).status).toBe(303);
    return c;
  };
  const workbook = async (c: ConsoleClient, path: string) => {
    const res = await fetch(app.url + path, { headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="grms-[a-z]+(-\d{4})?(-[a-z-]+)?\.xlsx"$/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    const rows: unknown[][] = [];
    sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    return { sheet, rows };
  };
  /** Ceiling, approved (with ratified) and ratified per OPD, straight from the tables. */
  const expectedBudget = async (orgs?: string[]) => (await sql<{ name: string; ceiling: string | null; approved: string; ratified: string }>`
    SELECT o.name,
      (SELECT amount FROM ceilings c WHERE c.org_id = o.id AND c.fiscal_year = ${YEAR}) AS ceiling,
      (SELECT coalesce(sum(total), 0) FROM workflow_instances w WHERE w.org_id = o.id AND w.fiscal_year = ${YEAR} AND w.workflow = 'budget-proposal' AND w.state IN ('approved', 'ratified')) AS approved,
      (SELECT coalesce(sum(total), 0) FROM workflow_instances w WHERE w.org_id = o.id AND w.fiscal_year = ${YEAR} AND w.workflow = 'budget-proposal' AND w.state = 'ratified') AS ratified
    FROM orgs o WHERE o.id IN (${sql.join(orgs ?? ['dinkes', 'pupr'])}) ORDER BY o.name`.execute(app.db.kysely)).rows
    .map((r) => [r.name, r.ceiling === null ? null : Number(r.ceiling), Number(r.approved), Number(r.ratified)]);

  beforeAll(async () => {
    // The built-in packages and a regency's own (the leave request kept outside the checkout).
    const registry = new WorkflowRegistry([...defaultRegistry().packages, ...(await externalPackages([LEAVE_PACKAGE]))]);
    app = await startTestApp(kind, { registry, clock: () => movedTo ?? new Date() });
    for (const u of ['tapd.sekda', 'perencana.dinkes', 'perencana.pupr', 'auditor.inspektorat', 'fo.dpmptsp']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    await app.db.kysely.insertInto('users').values({ username: 'pegawai.cuti', full_name: 'Sri Wahyuni', position: 'Pranata Komputer', org_id: 'dinkes' }).execute();
    await app.db.kysely.insertInto('user_roles').values({ username: 'pegawai.cuti', role: 'cuti_pegawai', org_id: 'dinkes' }).execute();
    app.tokens['pegawai.cuti'] = await mintToken(app.db.kysely, 'pegawai.cuti');
    const toTapd: Array<[string, string]> = [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve']];
    await walk(proposal({ title: 'Disahkan' }), [...toTapd, ['ppkd.bpkad', 'ratify']], 'perencana.dinkes');
    await walk(proposal({ title: 'Disetujui' }), toTapd, 'perencana.dinkes');
    await walk(puprProposal(YEAR, 'Jalan disetujui'), [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve']], 'perencana.pupr');
    overdueId = await walk(proposal({ title: 'Terlambat' }), [['perencana.dinkes', 'submit']], 'perencana.dinkes');
    await walk(proposal({ title: 'Masih draf' }), [], 'perencana.dinkes');
    // A permit has no fiscal year: it counts in the year it was registered.
    const created = await app.call('fo.dpmptsp', 'POST', '/api/v1/instances', { workflow: 'permit', data: pbgApplication('Hadi Purnomo', '3374011203780004') });
    expect(created.status).toBe(201);
    permit = { id: created.body.id, registrationNumber: created.body.receipt.registrationNumber };
    // Time has passed for one step: its deadline is behind us (the scheduler has not fired yet).
    await sql`UPDATE deadlines SET due_at = now() - interval '1 day' WHERE instance_id = ${overdueId} AND kind = 'state'`.execute(app.db.kysely);
  });
  afterAll(() => app.close());

  test('a global role sees every OPD: a chart with a title and description, and the same numbers in a table', async () => {
    const c = await signedIn('tapd.sekda');
    const res = await c.get(`/dashboard?year=${YEAR}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<svg class="bar-chart"[^>]*role="img" aria-labelledby="budget-chart-title budget-chart-desc"/);
    expect(res.text).toContain(`<title id="budget-chart-title">Pagu, disetujui dan disahkan per OPD, ${YEAR}</title>`);
    const expected = await expectedBudget();
    expect(expected.map((r) => r[0])).toEqual(['Dinas Kesehatan', 'Dinas Pekerjaan Umum dan Penataan Ruang']);
    expect(expected[0]![3]).toBeGreaterThan(0);
    for (const [name, ceiling, approved, ratified] of expected) {
      const fmt = (n: number) => `Rp ${n.toLocaleString('de-DE')}`;
      expect(res.text).toContain(`<th scope="row" data-label="OPD">${name}</th><td data-label="Pagu" class="num">${fmt(ceiling as number)}</td><td data-label="Disetujui" class="num">${fmt(approved as number)}</td><td data-label="Disahkan" class="num">${fmt(ratified as number)}</td>`);
    }
  });

  test('the budget .xlsx opens with exceljs and holds the SQL sums as integers with a rupiah format and a bold header', async () => {
    const c = await signedIn('tapd.sekda');
    const { sheet, rows } = await workbook(c, `/dashboard/budget.xlsx?year=${YEAR}`);
    expect(rows[0]).toEqual(['OPD', 'Pagu', 'Disetujui', 'Disahkan']);
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(rows.slice(1)).toEqual(await expectedBudget());
    for (const col of [2, 3, 4]) {
      expect(sheet.getCell(2, col).numFmt).toBe(RUPIAH_FORMAT);
      expect(Number.isSafeInteger(sheet.getCell(2, col).value)).toBe(true);
    }
  });

  test('instances per state and overdue tasks per office, on the page and as .xlsx, equal SQL counts', async () => {
    const c = await signedIn('tapd.sekda');
    const { rows } = await workbook(c, `/dashboard/states.xlsx?year=${YEAR}`);
    const counts = (await sql<{ name: string; state: string; n: string }>`
      SELECT o.name, w.state, count(*) AS n FROM workflow_instances w JOIN orgs o ON o.id = w.org_id
      WHERE coalesce(w.year_group, w.fiscal_year, extract(year FROM w.created_at AT TIME ZONE 'Asia/Jakarta')::int) = ${YEAR}
      GROUP BY o.name, w.state ORDER BY o.name, w.state`.execute(app.db.kysely)).rows;
    expect(rows[0]).toEqual(['OPD', 'Alur kerja', 'Tahun', 'Status', 'Jumlah']);
    expect(rows.slice(1).reduce((s, r) => s + (r[4] as number), 0)).toBe(counts.reduce((s, r) => s + Number(r.n), 0));
    expect(rows).toContainEqual(['Dinas Kesehatan', 'Usulan RKA', String(YEAR), 'Disahkan (DPA)', 1]);
    expect(rows).toContainEqual(['Dinas Kesehatan', 'Usulan RKA', String(YEAR), 'Draf', 1]);
    expect(rows.filter((r) => r[1] === 'Permohonan izin')).toHaveLength(1);
    const nextYear = await workbook(c, `/dashboard/states.xlsx?year=${YEAR + 1}`);
    expect(nextYear.rows.filter((r) => r[1] === 'Permohonan izin')).toHaveLength(0);
    const overdue = await workbook(c, `/dashboard/overdue.xlsx?year=${YEAR}`);
    expect(overdue.rows).toEqual([['OPD', 'Alur kerja', 'Tahap', 'Jumlah'], ['Dinas Kesehatan', 'Usulan RKA', 'Telaah Kepala OPD', 1]]);
    const page = await c.get(`/dashboard?year=${YEAR}`);
    // Each count opens the list of what it counts (an overdue count: the overdue ones, any year).
    expect(page.text).toContain('<th scope="row" data-label="OPD">Dinas Kesehatan</th><td data-label="Alur kerja">Usulan RKA</td><td data-label="Tahap">Telaah Kepala OPD</td><td data-label="Jumlah" class="num"><a href="/list/budget-proposal?state=opd_review&amp;org=dinkes&amp;overdue=true" title="buka daftar">1</a></td>');
    expect(page.text).toContain(`<a href="/list/budget-proposal?state=ratified&amp;org=dinkes&amp;year=${YEAR}" title="buka daftar">1</a>`);
    // English headers when the page is in English.
    await c.get('/dashboard?lang=en');
    expect((await workbook(c, `/dashboard/overdue.xlsx?year=${YEAR}`)).rows[0]).toEqual(['OPD', 'Workflow', 'Step', 'Count']);
    await c.get('/dashboard?lang=id');
  });

  test('an OPD user sees only their OPD: other OPDs are absent from the page and the files, and asking for one is refused', async () => {
    const c = await signedIn('perencana.dinkes');
    const res = await c.get(`/dashboard?year=${YEAR}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Dinas Kesehatan');
    expect(res.text).not.toContain('Pekerjaan Umum');
    const { rows } = await workbook(c, `/dashboard/budget.xlsx?year=${YEAR}`);
    expect(rows.slice(1)).toEqual(await expectedBudget(['dinkes']));
    const states = await workbook(c, `/dashboard/states.xlsx?year=${YEAR}`);
    expect(states.rows.slice(1).every((r) => r[0] === 'Dinas Kesehatan')).toBe(true);
    for (const path of [`/dashboard?year=${YEAR}&org=pupr`, `/dashboard/budget.xlsx?year=${YEAR}&org=pupr`]) {
      const refused = await c.get(path);
      expect(refused.status).toBe(403);
      expect(refused.text).not.toMatch(/Rp\s?\d/); // no amount (a random CSRF token may hold the letters)
    }
  });

  test('a bad year is an error beside the field; visitors are sent to sign in', async () => {
    const c = await signedIn('auditor.inspektorat');
    // Without ?year= each workflow shows in its opening year: the budget figures in the budget year
    // being prepared (next year on the workflow clock), the field empty.
    const prepared = localYear(app.engine.time.clock(), app.engine.time.timeZone) + 1;
    const opening = await c.get('/dashboard');
    expect(opening.text).toMatch(/id="dash-year"[^>]*value=""/);
    expect(opening.text).toContain(`<title id="budget-chart-title">Pagu, disetujui dan disahkan per OPD, ${prepared}</title>`);
    expect((await c.get(`/dashboard?year=${prepared - 1}`)).text).toMatch(new RegExp(`id="dash-year"[^>]*value="${prepared - 1}"`));
    const bad = await c.get('/dashboard?year=20x6');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="dash-year"[^>]*value="20x6"[^>]*aria-describedby="dash-year-hint dash-year-error" aria-invalid="true"/);
    expect((await c.get('/dashboard/budget.xlsx?year=1')).status).toBe(400);
    const anon = await new ConsoleClient(app.url).get('/dashboard/budget.xlsx');
    expect(anon.status).toBe(303);
  });
  test('every workflow is counted in its own year, complaints and a package kept outside the checkout too, and each count opens a list with as many', async () => {
    // Created with the workflow clock years away from the real one: they count in the clock's year.
    movedTo = new Date('2031-03-03T03:00:00Z');
    let complaintId: string;
    try {
      complaintId = await fileComplaint(app, complaintData('infrastruktur', 'Jl. Pemuda 12', 'Jalan berlubang di depan sekolah.', { name: 'Rina' }));
      const leave = await app.call('pegawai.cuti', 'POST', '/api/v1/instances', { workflow: 'cuti', data: { kind: 'tahunan', from: '2031-03-10', to: '2031-03-12', reason: 'Urusan keluarga' } });
      expect(leave.status).toBe(201);
    } finally {
      movedTo = undefined;
    }
    const c = await signedIn('tapd.sekda');
    const { rows } = await workbook(c, '/dashboard/states.xlsx?year=2031');
    expect(rows.slice(1)).toEqual([
      ['Dinas Kesehatan', 'Permohonan cuti', '2031', 'Konsep', 1],
      ['Sekretariat Daerah', 'Pengaduan masyarakat', '2031', expect.any(String), 1],
    ]);
    // This year's counts (the real year) hold neither.
    const thisYear = await workbook(c, `/dashboard/states.xlsx?year=${YEAR}`);
    expect(thisYear.rows.filter((r) => r[1] === 'Pengaduan masyarakat' || r[1] === 'Permohonan cuti')).toEqual([]);
    // Each count links to its list, whose year filter finds the same instances.
    const page = await c.get('/dashboard?year=2031');
    const links = [...page.text.matchAll(/<a href="(\/list\/(?:complaint|cuti)\?[^"]+)" title="buka daftar">(\d+)<\/a>/g)];
    expect(links.map((m) => m[1]!.replace(/&amp;/g, '&'))).toEqual(['/list/cuti?state=draft&org=dinkes&year=2031', expect.stringMatching(/^\/list\/complaint\?state=[a-z_]+&org=setda&year=2031$/)]);
    for (const [, href, n] of links) expect(titlesOn((await c.get(href!.replace(/&amp;/g, '&'))).text)).toHaveLength(Number(n));
    const api = await app.call('tapd.sekda', 'GET', '/api/v1/instances?workflow=complaint&year=2031');
    expect(api.body.items.map((i: { id: string }) => i.id)).toEqual([complaintId!]);
    // Without ?year=, on the clock's year 2031, both show in their opening year, and the budget figures in 2032.
    movedTo = new Date('2031-06-01T03:00:00Z');
    try {
      const opening = await c.get('/dashboard');
      expect(opening.text).toContain('<td data-label="Alur kerja">Pengaduan masyarakat</td><td data-label="Tahun">2031</td>');
      expect(opening.text).toContain('<td data-label="Alur kerja">Permohonan cuti</td><td data-label="Tahun">2031</td>');
      expect(opening.text).toContain('<p>Per OPD untuk tahun anggaran 2032:');
      const sheet = await workbook(c, '/dashboard/states.xlsx');
      expect(sheet.rows.filter((r) => r[1] === 'Pengaduan masyarakat' || r[1] === 'Permohonan cuti').map((r) => r[2])).toEqual(['2031', '2031']);
    } finally {
      movedTo = undefined;
    }
  });

  /** The titles a list page shows, in order (the links of its results table). */
  const titlesOn = (text: string) => [...text.matchAll(/<td data-label="(?:Judul|Title)"><a href="\/instances\/[0-9a-f-]{36}">([^<]*)<\/a>/g)].map((m) => m[1]);

  test('the lists find instances by state, OPD, year, overdue and search, page by page, as GET /api/v1/instances does', async () => {
    const c = await signedIn('tapd.sekda');
    const list = async (query: string) => {
      const res = await c.get(`/list/budget-proposal?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      return titlesOn(res.text);
    };
    const all = await c.get(`/list/budget-proposal?year=${YEAR}`);
    expect(all.text).toContain('<h1>Daftar usulan</h1>');
    expect(titlesOn(all.text)).toEqual(['Masih draf', 'Terlambat', 'Jalan disetujui', 'Disetujui', 'Disahkan']);
    expect(await list('state=approved')).toEqual(['Jalan disetujui', 'Disetujui']);
    expect(await list(`state=approved&org=pupr&year=${YEAR}`)).toEqual(['Jalan disetujui']);
    expect(await list('overdue=true')).toEqual(['Terlambat']);
    expect(await list(`year=${YEAR + 1}`)).toEqual([]);
    expect((await c.get(`/list/budget-proposal?year=${YEAR + 1}`)).text).toContain('Tidak ada yang cocok dengan saringan ini.');
    expect(await list('q=TERLAMBAT')).toEqual(['Terlambat']);
    // The API answers the same filters with the same instances.
    const api = await app.call('tapd.sekda', 'GET', `/api/v1/instances?workflow=budget-proposal&state=approved&year=${YEAR}`);
    expect(api.body.items.map((i: { title: string }) => i.title)).toEqual(['Jalan disetujui', 'Disetujui']);
    // Two per page: the next page carries the filters and the cursor, and the last page has no "next".
    const first = await c.get(`/list/budget-proposal?year=${YEAR}&limit=2`);
    expect(titlesOn(first.text)).toEqual(['Masih draf', 'Terlambat']);
    const seen = [...titlesOn(first.text)];
    let next = /<a href="([^"]+)" rel="next">Halaman berikutnya<\/a>/.exec(first.text)?.[1];
    while (next) {
      const url = next.replace(/&amp;/g, '&');
      expect(url).toMatch(new RegExp(`^/list/budget-proposal\\?year=${YEAR}&limit=2&cursor=`));
      const res = await c.get(url);
      seen.push(...titlesOn(res.text));
      next = /<a href="([^"]+)" rel="next">/.exec(res.text)?.[1];
    }
    expect(seen).toEqual(titlesOn(all.text));
    // The list of everything shows the workflow beside each; the permit is there too.
    const everything = await c.get(`/list?year=${YEAR}`);
    expect(titlesOn(everything.text)).toHaveLength(6);
    expect(everything.text).toContain('<td data-label="Alur kerja">Permohonan izin</td>');
  });

  test('a permit is found by NIK and registration number; an OPD user finds only what they may read; refusals are beside their fields', async () => {
    const fo = await signedIn('fo.dpmptsp');
    for (const q of ['3374011203780004', permit.registrationNumber]) {
      const res = await fo.get(`/list/permit?q=${encodeURIComponent(q)}`);
      expect(res.text).toContain('<h1>Daftar permohonan</h1>');
      expect(res.text).toContain(`<a href="/instances/${permit.id}">`);
    }
    expect(titlesOn((await fo.get('/list/permit?q=3374011203780005')).text)).toEqual([]);
    // In English: the list's title and labels, the same results.
    const en = await fo.get(`/list/permit?q=${encodeURIComponent(permit.registrationNumber)}&lang=en`);
    expect(en.text).toContain('<h1>Permit applications</h1>');
    expect(en.text).toContain('<label for="list-overdue">Overdue only</label>');
    expect(en.text).toContain(`<a href="/instances/${permit.id}">`);
    await fo.get('/list?lang=id');
    const pupr = await signedIn('perencana.pupr');
    expect(titlesOn((await pupr.get('/list/budget-proposal?q=disetujui')).text)).toEqual(['Jalan disetujui']);
    const bad = await pupr.get('/list/budget-proposal?q=x&year=20x6');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="list-q"[^>]*value="x"[^>]*aria-describedby="list-q-hint list-q-error" aria-invalid="true"/);
    expect(bad.text).toContain('<p class="field-error" id="list-q-error">tulis 2 sampai 100 karakter</p>');
    expect(bad.text).toContain('<p class="field-error" id="list-year-error">harus tahun 2000–2100</p>');
    expect((await pupr.get('/list/no-such-workflow')).status).toBe(404);
    // Nested states are offered by their path, as instances store them.
    expect((await pupr.get('/list/procurement-delivery')).text).toContain('<option value="payment.spp">Pembayaran — SPP</option>');
    const api = await app.call('perencana.pupr', 'GET', '/api/v1/instances?year=20x6');
    expect(api.status).toBe(400);
    expect(api.body.errors[0].path).toBe('/year');
  });

  test('the auditor picks an instance in a list: each row links to its audit report and audit trail', async () => {
    const c = await signedIn('auditor.inspektorat');
    const res = await c.get('/list/budget-proposal?q=terlambat');
    expect(res.text).toContain(`<a href="/audit/report?instance=${overdueId}">Laporan audit (PDF)</a>`);
    const report = await fetch(`${app.url}/audit/report?instance=${overdueId}`, { headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    expect(report.headers.get('content-type')).toBe('application/pdf');
    expect((await c.get('/audit')).text).toContain('href="/list"');
  });
});
