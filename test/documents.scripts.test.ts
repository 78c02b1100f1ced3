import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { describeWithTools } from './support/pdf-tools';
import { proposal } from './support/proposals';
import { setPassword } from '../src/auth/passwords';

/**
 * Every script people write: a stage document shows Latin with accents, Arabic script and Javanese
 * script in embedded fonts, shaped and in reading order, and pdftotext reads the text back as it
 * was written; text a document could not show is refused where it is entered (API and console),
 * with nothing written. The page images go to test/artifacts/documents-scripts-*.png.
 */

const LATIN = 'Nguyễn Thị Hồng, Café Düsseldorf';
const ARABIC = 'مركز صحي الأمل';
const PEGON = 'ڠاجي ڤوڽا';
const JAVANESE = 'ꦥꦸꦱ꧀ꦏꦼꦱ꧀ꦩꦱ꧀ ꦔꦭꦶꦪꦤ꧀';
/** With the cakra (medial ra), which the shaper needs help with. */
const JAVANESE_CAKRA = 'ꦏꦿꦠꦺꦴꦤ꧀ ꦱꦼꦩꦫꦁ';
/** A right-to-left paragraph of its own (the comment that goes with the event). */
const ARABIC_PARAGRAPH = 'تمت الموافقة على الميزانية';
/** Left to right although it starts with Arabic: documents are Indonesian. */
const ARABIC_FIRST = `${ARABIC} Kelurahan Ngaliyan`;

const ARTIFACTS = path.resolve(__dirname, 'artifacts');

function withPdf<T>(pdf: Buffer, fn: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-scripts-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    fs.writeFileSync(file, pdf);
    return fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * pdftotext's reading of the page, compared as text: poppler marks right-to-left stretches with
 * embedding controls (U+202A–U+202C) of its own, and may write accents composed or not.
 */
function extracted(pdf: Buffer, mode: '-raw' | '-layout'): string {
  const text = withPdf(pdf, (file) => run('pdftotext', [mode, '-enc', 'UTF-8', file, '-']));
  return text.replace(/[\u202a-\u202e]/g, '').normalize('NFC').replace(/\s+/g, ' ');
}

describeWithTools('documents in every script people write', ['pdftotext', 'pdftoppm', 'pdffonts'], () => {
  describeBackends('stage documents and input', (kind) => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(kind);
    });
    afterAll(() => app.close());

    test('Arabic, Pegon, Javanese and accented Latin: embedded fonts, shaped glyphs, and pdftotext reads the text as written', async () => {
      const data = proposal({
        title: `Posyandu ${LATIN}`,
        lines: [
          { account: '5.1.02.01.01.0024', description: `ATK ${ARABIC}`, volume: 2, unit: 'paket', unitPrice: 1_250_000 },
          { account: '5.1.02.01.01.0026', description: JAVANESE, volume: 10, unit: 'kotak', unitPrice: 35_000 },
          { account: '5.1.02.01.01.0026', description: JAVANESE_CAKRA, volume: 1, unit: PEGON, unitPrice: 35_000 },
        ],
      });
      const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const submitted = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit', comment: `${ARABIC_PARAGRAPH}\nMohon ditelaah: ${JAVANESE}\n${ARABIC_FIRST}` });
      expect(submitted.status).toBe(200);
      const [doc] = (await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}/documents`)).body.items as Array<{ id: string }>;
      const res = await fetch(`${app.url}/api/v1/documents/${doc!.id}`, { headers: { authorization: `Bearer ${app.tokens['perencana.dinkes']}` } });
      expect(res.status).toBe(200);
      const pdf = Buffer.from(await res.arrayBuffer());

      // The three families are embedded (as subsets) and nothing is left to the reader's fonts.
      const fonts = withPdf(pdf, (file) => run('pdffonts', [file]));
      for (const family of ['NotoSans-Regular', 'NotoSans-Bold', 'NotoNaskhArabic-Regular', 'NotoSansJavanese-Regular']) {
        expect(fonts).toMatch(new RegExp(`\\+${family}\\s+CID TrueType\\s+Identity-H\\s+yes yes yes`));
      }
      expect(fonts).not.toMatch(/Helvetica|Times|Courier/);

      const raw = extracted(pdf, '-raw');
      const layout = extracted(pdf, '-layout');
      for (const text of [LATIN, ARABIC, PEGON, JAVANESE, JAVANESE_CAKRA, ARABIC_PARAGRAPH, ARABIC_FIRST]) {
        expect(raw).toContain(text.normalize('NFC'));
        // The physical layout keeps the words and their order (poppler may move a space at a change of direction).
        expect(layout.replace(/ /g, '')).toContain(text.normalize('NFC').replace(/ /g, ''));
      }

      // Page images, to look at: shaped Arabic joined right to left, Javanese stacked, no empty boxes.
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, `documents-scripts-${kind}.pdf`), pdf);
      withPdf(pdf, (file) => run('pdftoppm', ['-png', '-r', '110', '-f', '1', '-l', '1', file, path.join(ARTIFACTS, `documents-scripts-${kind}`)]));
      expect(fs.readdirSync(ARTIFACTS).some((f) => f.startsWith(`documents-scripts-${kind}`) && f.endsWith('.png'))).toBe(true);
    });

    test('text a document cannot show is refused over HTTP with 422 UNPRINTABLE_TEXT and the field path; nothing is written; the server keeps serving', async () => {
      const draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
      const counts = async () => ({
        ...(await writeCounts(app.db)),
        users: Number((await app.db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
        orgs: Number((await app.db.kysely.selectFrom('orgs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
      });
      const before = await counts();
      const refused = async (user: string, method: string, url: string, body: unknown, path: string, message: RegExp) => {
        const res = await app.call(user, method, url, body);
        expect(res.status).toBe(422);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ code: 'UNPRINTABLE_TEXT', type: 'https://grms.dev/problems/unprintable-text', status: 422 });
        expect(res.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
      };
      const create = (over: Record<string, unknown>) => ({ workflow: 'budget-proposal', data: proposal(over) });
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'Posyandu 🏥 Ngaliyan' }), '/data/title', /emoji \(🏥 U\+1F3E5\)/);
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'Posyandu 👍🏽' }), '/data/title', /emoji/);
      // A right-to-left override would show "Rp 1.000.000" as another text than the one approved.
      const line = (proposal().lines as Array<Record<string, unknown>>)[0]!;
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ lines: [{ ...line, description: 'ATK \u202e000.000.1 pR' }] }), '/data/lines/0/description', /bidirectional control characters \(U\+202E\)/);
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'Posyandu \u2067Ngaliyan\u2069' }), '/data/title', /bidirectional control characters \(U\+2067\)/);
      await refused('perencana.dinkes', 'POST', `/api/v1/instances/${draft}/events`, { type: 'update', data: proposal({ title: 'Pos\u200byandu' }) }, '/data/title', /zero-width .*\(U\+200B\)/);
      await refused('perencana.dinkes', 'POST', `/api/v1/instances/${draft}/events`, { type: 'submit', comment: 'Mohon\ufeff ditelaah' }, '/comment', /zero-width .*\(U\+FEFF\)/);
      await refused('kadis.dinkes', 'POST', `/api/v1/instances/${draft}/comments`, { comment: 'Baik \u2060sekali' }, '/comment', /zero-width .*\(U\+2060\)/);
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'מרכז בריאות' }), '/data/title', /no document font can show \(מ U\+05DE\)/);
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'Posyandu 東京' }), '/data/title', /no document font can show/);
      await refused('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'Posyandu\u0007' }), '/data/title', /control characters \(U\+0007\)/);
      await refused('admin', 'POST', '/api/v1/orgs', { id: 'dinsos', name: 'Dinas Sosial 🏛️', kind: 'opd' }, '/name', /emoji/);
      await refused('admin', 'PATCH', '/api/v1/orgs/dinkes', { name: 'Dinas\u202eKesehatan' }, '/name', /bidirectional/);
      await refused('admin', 'POST', '/api/v1/users', { username: 'baru.dinkes', fullName: 'Sri\u200b Wahyuni', org: 'dinkes' }, '/fullName', /zero-width/);
      await refused('admin', 'POST', '/api/v1/users', { username: 'baru.dinkes', fullName: 'Sri Wahyuni', position: 'Kepala ✨', org: 'dinkes' }, '/position', /emoji/);
      expect(await counts()).toEqual(before);
      expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);

      // ZWJ and ZWNJ stay: Arabic-script and Javanese writing needs them. © and ® are text.
      const ok = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', create({ title: 'می\u200cخواهم ꦏ\u200dꦱ © Posyandu®' }));
      expect(ok.status).toBe(201);
    });

    test('the console says why, beside the field, in Indonesian or English; nothing is written', async () => {
      await setPassword(app.db.kysely, 'admin', 'perencana.dinkes', TEST_PASSWORD);
      const planner = new ConsoleClient(app.url);
      await planner.signIn('perencana.dinkes', TEST_PASSWORD);
      const before = await writeCounts(app.db);
      const fields = (title: string) => ({
        '/fiscalYear': String(proposal().fiscalYear), '/subKegiatan/code': '1.02.02.2.02.0001', '/subKegiatan/name': 'Pelayanan kesehatan', '/title': title,
        '/output/indicator': 'Posyandu aktif', '/output/target': '12', '/output/unit': 'posyandu', '/fundingSource': 'PAD', '/location': 'Kecamatan Tembalang',
        '/lines/0/account': '5.1.02.01.01.0024', '/lines/0/description': 'ATK', '/lines/0/volume': '2', '/lines/0/unit': 'paket', '/lines/0/unitPrice': '1.250.000',
        _action: 'save',
      });
      const form = await planner.get('/new/budget-proposal');
      const id = await planner.post('/new/budget-proposal', fields('Posyandu 🏥 Ngaliyan'), form);
      expect(id.status).toBe(422);
      expect(id.text).toContain('<p class="field-error" id="f-title-error">tidak boleh berisi emoji (🏥 U+1F3E5): dokumen bertanda tangan tidak dapat menampilkannya</p>');
      expect(id.text).toMatch(/<input id="f-title"[^>]*aria-invalid="true"/);

      const english = await planner.get('/new/budget-proposal?lang=en');
      const en = await planner.post('/new/budget-proposal', fields('Posyandu\u202eNgaliyan'), english);
      expect(en.status).toBe(422);
      expect(en.text).toContain('<p class="field-error" id="f-title-error">must not contain bidirectional control characters (U+202E): they change the order text is shown in</p>');
      await planner.get('/new/budget-proposal?lang=id');

      // A comment with an event: the message stands beside the comment field.
      const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
      const before2 = await writeCounts(app.db);
      const page = await planner.get(`/instances/${created.body.id}`);
      const res = await planner.post(`/instances/${created.body.id}/events`, { event: 'submit', comment: 'Mohon\u200b ditelaah', version: '1' }, page);
      expect(res.status).toBe(422);
      expect(res.text).toContain('tidak boleh berisi karakter lebar-nol atau karakter format tak terlihat (U+200B); hanya ZWJ dan ZWNJ yang diizinkan');
      expect(await writeCounts(app.db)).toEqual(before2);
      expect(before2.workflow_instances).toBe(before.workflow_instances + 1);
    });
  });
});
