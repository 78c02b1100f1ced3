import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describeBackends, createPostgresDatabase, dropPostgresDatabase, describePostgres } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { describeWithTools, missingPdfTools, pdftotext, pdftotextPages } from './support/pdf-tools';
import { renderDocumentPdf } from '../src/documents/render';
import type { DocumentContent } from '../src/documents/content';
import { proposal, YEAR } from './support/proposals';
import { grms } from './support/cli';
import { openPostgres } from '../src/db/connect';
import { seedDemoPeople } from '../src/seed/demo';
import { parseCsv } from '../src/nomenclature';
import { registryOf } from '../src/engine/registry';
import { budgetProposalV1 } from '../workflows/budget-proposal/v1';

/**
 * The DPA-SKPD the PPKD's ratification issues: the fiscal year, urusan … sub kegiatan with codes and
 * names from the nomenclature of that year (a code it does not name printed bare), the OPD, funding
 * source, location, indicators and targets, the lines grouped by account with subtotals and the
 * total, and the PPKD's signature on the page where the table ends; the table's header on every
 * page it runs onto. And the nomenclature's CSV import: all rows or none, each refused row named.
 */
const ARTIFACTS = path.resolve(__dirname, 'artifacts');
const WALK: Array<[string, string]> = [
  ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify'],
];
const flat = (text: string) => text.replace(/\s+/g, ' ');

describeBackends('the DPA-SKPD', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  async function ratified(data: Record<string, unknown>): Promise<{ id: string; pdf: Buffer }> {
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    for (const [user, type] of WALK) expect((await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type })).status).toBe(200);
    const docs = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items as Array<{ id: string; title: string }>;
    const dpa = docs.find((d) => d.title === 'DPA-SKPD')!;
    const res = await fetch(`${app.url}/api/v1/documents/${dpa.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
    return { id, pdf: Buffer.from(await res.arrayBuffer()) };
  }

  test('new proposals take v2, which needs the location', async () => {
    const { location: _dropped, ...without } = proposal();
    const refused = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: without });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/data/location' })]));
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
    expect(created.body).toMatchObject({ workflowVersion: 2, data: { location: 'Kecamatan Tembalang, Banyumanik dan Gunungpati' } });
  });

  test('reads as a DPA-SKPD: codes and names, OPD, funding, location, indicators, lines by account with subtotals, the PPKD\'s signature', async () => {
    const missing = missingPdfTools();
    if (missing.length) {
      if (process.env.CI === 'true') throw new Error(`missing ${missing.join(', ')}`);
      console.warn(`!! SKIPPED DPA text checks: ${missing.join(', ')} not installed`);
      return;
    }
    // Two lines on one account: a group of two with its subtotal.
    const data = proposal();
    (data.lines as unknown[]).push({ account: '5.1.02.01.01.0024', description: 'Buku saku ibu hamil', volume: 100, unit: 'buah', unitPrice: 12_500 });
    const { pdf } = await ratified(data);
    const raw = pdftotext(pdf);
    const text = flat(raw);
    expect(text).toContain('DPA-SKPD');
    expect(text).toContain('DOKUMEN PELAKSANAAN ANGGARAN SATUAN KERJA PERANGKAT DAERAH Tahun Anggaran');
    expect(text).toMatch(new RegExp(`Tahun Anggaran : ${YEAR}`));
    expect(text).toContain('Urusan Pemerintahan : 1 URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR');
    expect(text).toContain('Bidang Urusan : 1.02 URUSAN PEMERINTAHAN BIDANG KESEHATAN');
    expect(text).toContain('Program : 1.02.02 PROGRAM PEMENUHAN UPAYA KESEHATAN PERORANGAN DAN UPAYA KESEHATAN MASYARAKAT');
    expect(text).toContain('Kegiatan : 1.02.02.2.02 Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan Tingkat Daerah Kabupaten/Kota');
    expect(text).toContain('Sub Kegiatan : 1.02.02.2.02.0001 Pengelolaan Pelayanan Kesehatan Ibu Hamil');
    expect(text).toContain('Organisasi (OPD) : Dinas Kesehatan');
    expect(text).toContain('Sumber Pendanaan : DAU (Dana Alokasi Umum)');
    expect(text).toContain('Lokasi : Kecamatan Tembalang, Banyumanik dan Gunungpati');
    expect(text).toContain(`Waktu Pelaksanaan : Januari s.d. Desember ${YEAR}`);
    // Indicators and targets: the money going in, the output coming out.
    expect(text).toContain('Indikator dan Tolok Ukur Kinerja');
    expect(text).toMatch(/Masukan Dana yang dibutuhkan Rp 145\.622\.875/);
    // (the indicator wraps in its cell: pdftotext -layout prints the target beside its first line)
    expect(text).toMatch(/Keluaran Jumlah ibu hamil yang mendapatkan pelayanan kesehatan (sesuai standar )?12\.500 orang/);
    // Lines by account (sorted by code), each account named, with its subtotal; then the total.
    expect(text).toContain('5.1.02.01.01.0024 Belanja Alat/Bahan untuk Kegiatan Kantor-Alat Tulis Kantor');
    expect(text).toMatch(/Jumlah 5\.1\.02\.01\.01\.0024 Rp 47\.500\.000/);
    expect(text).toMatch(/Jumlah 5\.1\.02\.01\.01\.0052 Rp 54\.922\.875/);
    expect(text).toMatch(/Jumlah 5\.1\.02\.02\.01\.0003 Rp 43\.200\.000/);
    expect(text).toMatch(/JUMLAH TOTAL Rp 145\.622\.875/);
    expect(text.indexOf('5.1.02.01.01.0024 Belanja Alat')).toBeLessThan(text.indexOf('5.1.02.01.01.0052 Belanja Makanan'));
    // The PPKD signs; no process history in a DPA.
    expect(text).toContain('Kepala BPKAD selaku PPKD');
    expect(text).toContain('Rina Marlina, S.E., Ak.');
    expect(text).toContain('NIP. 19740926 200003 2 003');
    expect(text).not.toContain('Riwayat Proses');
    const last = pdftotextPages(pdf).at(-1)!;
    expect(last).toContain('JUMLAH TOTAL');
    expect(last).toContain('Rina Marlina');

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `dpa-${kind}.pdf`);
    fs.writeFileSync(file, pdf);
    const png = spawnSync('pdftoppm', ['-png', '-r', '80', file, path.join(ARTIFACTS, `dpa-${kind}`)]);
    expect(png.status).toBe(0);
  });

  test('a long DPA repeats the table header on every page; the signature stays with the table\'s end; a code without a name prints bare', async () => {
    if (missingPdfTools().length) return; // reported by the test above
    // An account the nomenclature does not name, and a kegiatan whose name is removed for the year.
    await app.db.kysely.deleteFrom('nomenclature').where('fiscal_year', '=', YEAR).where('kind', '=', 'kegiatan').where('code', '=', '1.02.02.2.02').execute();
    const lines = Array.from({ length: 70 }, (_, i) => ({
      account: ['5.1.02.01.01.0024', '5.1.02.01.01.0052', '5.1.02.01.01.0099'][i % 3], description: `Paket kelas ibu hamil kelurahan ${i + 1}`, volume: 2, unit: 'paket', unitPrice: 100_000,
    }));
    const { pdf } = await ratified(proposal({ lines }));
    const pages = pdftotextPages(pdf);
    expect(pages.length).toBeGreaterThan(2);
    const tablePages = pages.filter((p) => /Paket kelas ibu hamil/.test(p));
    expect(tablePages.length).toBeGreaterThan(1);
    for (const page of tablePages) expect(flat(page)).toMatch(/Kode Rekening Uraian Volume Satuan Harga Satuan Jumlah/);
    const last = pages.at(-1)!;
    expect(last).toContain('JUMLAH TOTAL');
    expect(last).toContain('Paket kelas ibu hamil');
    expect(last).toContain('Rina Marlina');
    const text = flat(pages.join(' '));
    // Bare codes: the kegiatan, and the unnamed account's group heading (followed by its first line, not a name).
    expect(text).toMatch(/Kegiatan : 1\.02\.02\.2\.02 Sub Kegiatan :/);
    expect(text).toMatch(/5\.1\.02\.01\.01\.0099 5\.1\.02\.01\.01\.0099 Paket kelas ibu hamil kelurahan 3 /);
    expect(text).toMatch(/Jumlah 5\.1\.02\.01\.01\.0099 Rp 4\.600\.000/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `dpa-long-${kind}.pdf`);
    fs.writeFileSync(file, pdf);
    expect(spawnSync('pdftoppm', ['-png', '-r', '60', file, path.join(ARTIFACTS, `dpa-long-${kind}`)]).status).toBe(0);
  });

  test('a proposal created under v1 finishes under v1; its DPA prints no location', async () => {
    const v1app = await startTestApp(kind, { db: app.db, masterKey: app.masterKey, seed: false, registry: registryOf([budgetProposalV1]) });
    let id: string;
    try {
      const { location: _v2only, ...data } = proposal({ title: 'Kelas Ibu Hamil versi 1' });
      const created = await v1app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data });
      expect(created.body).toMatchObject({ workflowVersion: 1 });
      id = created.body.id;
    } finally {
      await v1app.close();
    }
    for (const [user, type] of WALK) expect((await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type })).body).toMatchObject({ workflowVersion: 1 });
    if (missingPdfTools().length) return;
    const docs = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items as Array<{ id: string; title: string }>;
    const res = await fetch(`${app.url}/api/v1/documents/${docs.find((d) => d.title === 'DPA-SKPD')!.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
    const text = flat(pdftotext(Buffer.from(await res.arrayBuffer())));
    expect(text).toContain('Lokasi : - Waktu Pelaksanaan');
    expect(text).toContain('Sub Kegiatan : 1.02.02.2.02.0001 Pengelolaan Pelayanan Kesehatan Ibu Hamil');
  });

  test('nomenclature CSV import: admins only; all rows or none, each refused row named by row and column', async () => {
    const year = YEAR + 3;
    const count = async () => Number((await app.db.kysely.selectFrom('nomenclature').select((eb) => eb.fn.countAll().as('n')).where('fiscal_year', '=', year).executeTakeFirstOrThrow()).n);
    const post = (user: string, csv: string, type = 'text/csv') => app.call(user, 'POST', `/api/v1/nomenclature/${year}`, csv, { 'content-type': type });
    const good = 'kind,code,name\r\nurusan,1,URUSAN WAJIB PELAYANAN DASAR\r\nsub_kegiatan,1.02.02.2.02.0001,"Pengelolaan Pelayanan Kesehatan Ibu Hamil, ""KIA"""\r\nakun,5.1.02.01.01.0024,Belanja Alat Tulis Kantor\r\n';
    expect((await post('perencana.dinkes', good)).status).toBe(403);
    const imported = await post('admin', good);
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ fiscalYear: year, rows: 3, created: 3, updated: 0 });
    const again = await post('admin', 'kind,code,name\nurusan,1,URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR\n');
    expect(again.body).toEqual({ fiscalYear: year, rows: 1, created: 0, updated: 1 });
    const listed = await app.call('perencana.dinkes', 'GET', `/api/v1/nomenclature/${year}?kind=sub_kegiatan`);
    expect(listed.body.items).toEqual([{ kind: 'sub_kegiatan', code: '1.02.02.2.02.0001', name: 'Pengelolaan Pelayanan Kesehatan Ibu Hamil, "KIA"' }]);
    expect(await count()).toBe(3);

    // One good row among bad ones: nothing is written, every bad row is named.
    const bad = [
      'kind,code,name',
      'program,1.02.02,PROGRAM BARU',
      'bidang,1.2,Bidang',
      'kabupaten,1,Kota',
      'akun,5.1.02.01.01.0024,',
      'kegiatan,1.02.02.2.02,Nama \u202eterbalik',
      'program,1.02.02,Lagi',
      'urusan,2',
      `akun,5.1,${'x'.repeat(501)}`,
    ].join('\n');
    const refused = await post('admin', bad);
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('INVALID_DATA');
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['/rows/2/code', '/rows/3/kind', '/rows/4/name', '/rows/5/name', '/rows/6/code', '/rows/7', '/rows/8/name']);
    expect(refused.body.errors[0].message).toBe('line 3: "1.2" is not a code of kind bidang');
    expect(refused.body.errors[4].message).toBe('line 7: program 1.02.02 is already on line 2');
    expect(await count()).toBe(3);
    expect((await app.call('admin', 'GET', `/api/v1/nomenclature/${year}?kind=program`)).body.items).toEqual([]);

    // Not CSV, not UTF-8, no header, an unclosed quote, too large: refused, nothing written.
    expect((await post('admin', good, 'application/octet-stream')).status).toBe(415);
    expect((await app.call('admin', 'POST', `/api/v1/nomenclature/${year}`, Buffer.from([0x6b, 0x69, 0xff, 0x0a]), { 'content-type': 'text/csv' })).body.errors).toEqual([{ path: '/rows', message: 'is not UTF-8 text' }]);
    expect((await post('admin', 'code,name\n1,A\n')).body.errors[0].path).toBe('/rows/0');
    expect((await post('admin', 'kind,code,name\nurusan,1,"tidak ditutup\n')).status).toBe(422);
    expect((await post('admin', `kind,code,name\n${'urusan,1,A\n'.repeat(400_000)}`)).status).toBe(413);
    expect((await app.call('admin', 'POST', '/api/v1/nomenclature/1999', good, { 'content-type': 'text/csv' })).status).toBe(422);
    expect(await count()).toBe(3);
  });

  test('the README\'s example file imports as it says', async () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
    const csv = /```csv\n([\s\S]*?)```/.exec(readme)![1]!;
    const imported = await app.call('admin', 'POST', `/api/v1/nomenclature/${YEAR + 5}`, csv, { 'content-type': 'text/csv' });
    expect(imported.body).toEqual({ fiscalYear: YEAR + 5, rows: 3, created: 3, updated: 0 });
    const bidang = await app.call('admin', 'POST', `/api/v1/nomenclature/${YEAR + 5}`, 'kind,code,name\nurusan,1,A\nbidang,1.2,B\n', { 'content-type': 'text/csv' });
    expect(bidang.body.errors).toEqual([{ path: '/rows/2/code', message: 'line 3: "1.2" is not a code of kind bidang' }]);
  });
});

/** A document laid out by sections (as a package's documentContent gives them): one grouped table of `rows` lines. */
const sectioned = (rows: number): DocumentContent => ({
  government: 'Pemerintah Kota Semarang', orgName: 'Badan Pengelolaan Keuangan dan Aset Daerah', title: 'DPA-SKPD', number: '900/0042/BPKAD/2027',
  documentId: '00000000-0000-4000-8000-000000000000', verifyUrl: 'https://grms.semarangkota.example/verify/00000000-0000-4000-8000-000000000000',
  place: 'Semarang', issuedAt: new Date('2026-12-01T03:00:00Z'), timezone: 'Asia/Jakarta', workflow: 'Usulan RKA', instanceTitle: 'Alat kesehatan',
  history: [],
  signer: { name: 'Rina Marlina, S.E., Ak.', position: 'Kepala BPKAD selaku PPKD', orgName: 'Badan Pengelolaan Keuangan dan Aset Daerah' },
  sections: [
    { kind: 'fields', heading: 'Identitas', rows: [['Tahun Anggaran', '2027'], ['Lokasi', 'Kecamatan Tembalang']] },
    {
      kind: 'table', heading: 'Rincian', columns: [{ header: 'Kode', width: 1 }, { header: 'Uraian', width: 3 }, { header: 'Jumlah', width: 1, align: 'right' }],
      groups: [0, 1].map((g) => ({
        heading: { cells: [`5.1.02.01.01.000${g}`], bold: true, span: true },
        rows: Array.from({ length: Math.ceil((rows - g) / 2) }, (_, i) => ({ cells: [`5.1.02.01.01.000${g}`, `Baris ${g}-${i}`, 'Rp 1.000'] })),
        subtotal: { cells: ['', `Subjumlah ${g}`, 'Rp 0'], bold: true },
      })),
      total: { cells: ['', 'TOTALAKHIR', 'Rp 0'], bold: true },
    },
  ],
});

describeWithTools('sections a package lays out', ['pdftotext'], () => {
  test('on every length: the header row on every page of the table, the signature on the page of its last row', async () => {
    let multiPage = 0;
    const problems: string[] = [];
    for (let rows = 1; rows <= 80; rows += 3) {
      const pages = pdftotextPages(await renderDocumentPdf(sectioned(rows)));
      if (pages.length > 1) multiPage++;
      pages.forEach((page, i) => {
        if (/Baris|Subjumlah|TOTALAKHIR/.test(page) && !/Kode\s+Uraian\s+Jumlah/.test(page)) problems.push(`${rows} rows: page ${i + 1} has no header`);
      });
      const last = pages.at(-1)!;
      if (!/TOTALAKHIR/.test(last) || !/Rina Marlina/.test(last)) problems.push(`${rows} rows: the signature is not with the total`);
    }
    expect(multiPage).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  }, 300_000);
});

describe('CSV fields', () => {
  test('quotes, doubled quotes, commas and line breaks inside quotes, CRLF, a BOM', () => {
    expect(parseCsv('\ufeffa,"b,c","d ""e"""\r\n"f\ng",,h\n')).toEqual([['a', 'b,c', 'd "e"'], ['f\ng', '', 'h']]);
  });
});

describePostgres('grms nomenclature import', () => {
  test('imports a file, or refuses it whole with exit 2 and each row named', async () => {
    const url = await createPostgresDatabase();
    const db = openPostgres({ connectionString: url, max: 2 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-nomenclature-'));
    try {
      await seedDemoPeople(db.kysely);
      const env = { DATABASE_URL: url };
      const good = path.join(dir, 'good.csv');
      fs.writeFileSync(good, 'kind,code,name\nprogram,1.03.10,PROGRAM PENYELENGGARAAN JALAN\nkegiatan,1.03.10.2.01,Penyelenggaraan Jalan Kabupaten/Kota\n');
      const ok = grms(['nomenclature', 'import', good, '--year', '2031', '--as', 'admin'], env);
      expect(ok).toMatchObject({ status: 0, stderr: '' });
      expect(JSON.parse(ok.stdout)).toEqual({ fiscalYear: 2031, rows: 2, created: 2, updated: 0 });
      const bad = path.join(dir, 'bad.csv');
      fs.writeFileSync(bad, 'kind,code,name\nurusan,3,URUSAN PEMERINTAHAN PILIHAN\nprogram,1.03.1,Salah\n');
      const refused = grms(['nomenclature', 'import', bad, '--year', '2031'], env);
      expect(refused).toMatchObject({ status: 2, stdout: '' });
      expect(refused.stderr).toContain('/rows/2/code: line 3: "1.03.1" is not a code of kind program');
      const rows = await db.kysely.selectFrom('nomenclature').select(['kind', 'code', 'updated_by']).where('fiscal_year', '=', 2031).orderBy('code').execute();
      expect(rows).toEqual([{ kind: 'program', code: '1.03.10', updated_by: 'admin' }, { kind: 'kegiatan', code: '1.03.10.2.01', updated_by: 'admin' }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await db.close();
      await dropPostgresDatabase(url);
    }
  }, 120_000);
});
