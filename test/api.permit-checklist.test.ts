import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, type Reply, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { permitData, permitWriteCounts, registerApplication } from './support/permits';
import { setPassword } from '../src/auth/passwords';
import { registryOf } from '../src/engine/registry';
import { permitV1 } from '../workflows/permit/v1';
import { CHECKLIST } from '../workflows/permit/checklist';

const GOVERNMENT = 'PEMERINTAH KOTA UJI COBA';
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const attachment = (document: string) => ({ document, name: `${document}.pdf`, sha256: sha(Buffer.from(document)) });
/** A PBG application whose attachments are the given checklist documents. */
const withDocuments = (documents: readonly string[], over: Record<string, unknown> = {}) => permitData({ attachments: documents.map(attachment), ...over });

/**
 * Permit v2 at the front desk: the checklist of required documents "Berkas lengkap" needs, NIK and
 * NIB typed with spaces, uploads hashed by the server, OPDs chosen by name, the public status page
 * naming the government and the office with its contacts and what happens next; v1 applications
 * finish under v1.
 */
describeBackends('permit v2: checklist, uploads, NIK, status page', (kind) => {
  let app: TestApp;
  let fo: ConsoleClient;
  const fire = (id: string, body: unknown) => app.call('fo.dpmptsp', 'POST', `/api/v1/instances/${id}/events`, body);

  beforeAll(async () => {
    app = await startTestApp(kind, { config: { government: GOVERNMENT } });
    await setPassword(app.db.kysely, 'admin', 'fo.dpmptsp', TEST_PASSWORD);
    fo = new ConsoleClient(app.url);
    await fo.signIn('fo.dpmptsp', TEST_PASSWORD);
  });
  afterAll(() => app.close());

  async function refusedComplete(id: string): Promise<Reply> {
    const before = await permitWriteCounts(app.db);
    const res = await fire(id, { type: 'mark_complete' });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toMatch(/\/checklist-incomplete$/);
    expect(await permitWriteCounts(app.db)).toEqual(before);
    return res;
  }

  test('new applications take v2; "mark complete" is refused until every checklist document is attached, naming the missing ones', async () => {
    const created = await registerApplication(app, withDocuments(['identity', 'land_title']));
    const id = created.body.id as string;
    expect((await app.db.kysely.selectFrom('workflow_instances').select('workflow_version').where('id', '=', id).executeTakeFirstOrThrow()).workflow_version).toBe(2);
    const refused = await refusedComplete(id);
    expect(refused.body.detail).toContain('architecture_drawing, structure_drawing');
    expect(refused.body.errors.map((e: { message: string }) => e.message)).toEqual(['has no document "architecture_drawing"', 'has no document "structure_drawing"']);
    // Zero attachments: refused as well (the old rule accepted it).
    await refusedComplete((await registerApplication(app, withDocuments([]))).body.id);
    // Returned, completed, then complete.
    expect((await fire(id, { type: 'mark_incomplete', comment: 'Gambar belum ada' })).status).toBe(200);
    expect((await fire(id, { type: 'resubmit', data: withDocuments(CHECKLIST.PBG!) })).status).toBe(200);
    const done = await fire(id, { type: 'mark_complete' });
    expect(done.body.state).toBe('technical_review');
    // Each permit type has its own list: an SLF with PBG documents is not complete.
    const slf = await registerApplication(app, withDocuments(CHECKLIST.PBG!, { permitType: 'SLF' }));
    expect((await refusedComplete(slf.body.id)).body.detail).toContain('building_approval, inspection_report');
  });

  test('a NIK or NIB typed with spaces is taken without them; a short one is refused at its field', async () => {
    const created = await registerApplication(app, withDocuments(CHECKLIST.PBG!, { applicant: { name: 'Rina', nik: ' 3374 0157 0892 0001 ', address: 'Jl. Pemuda 1' } }));
    expect(created.body.data.applicant.nik).toBe('3374015708920001');
    const nib = await registerApplication(app, withDocuments(CHECKLIST.PBG!, { applicant: { name: 'CV Maju', nib: '9120 3012 34567', address: 'Jl. Pemuda 2' } }));
    expect(nib.body.data.applicant.nib).toBe('9120301234567');
    const before = await permitWriteCounts(app.db);
    const short = await app.call('fo.dpmptsp', 'POST', '/api/v1/instances', { workflow: 'permit', data: withDocuments([], { applicant: { name: 'Rina', nik: '3374 0157 0892 000', address: 'Jl. Pemuda 1' } }) });
    expect(short.status).toBe(422);
    expect(short.body.errors.map((e: { path: string }) => e.path)).toContain('/data/applicant/nik');
    expect(await permitWriteCounts(app.db)).toEqual(before);
  });

  test('the console form: OPDs by name, files uploaded and hashed by the server, no blocking empty row, the checklist ticked', async () => {
    const page = await fo.get('/new/permit');
    expect(page.status).toBe(200);
    expect(page.text).toContain('enctype="multipart/form-data"');
    // The technical agency is chosen by the OPD's name; its id is the value sent.
    const agency = /<select id="f-technicalAgency"[\s\S]*?<\/select>/.exec(page.text)![0];
    const pupr = await app.db.kysely.selectFrom('orgs').select('name').where('id', '=', 'pupr').executeTakeFirstOrThrow();
    expect(agency).toContain(`<option value="pupr">${pupr.name}</option>`);
    expect(agency).not.toMatch(/>pupr</);
    expect(page.text).toContain('<label for="f-applicant-nik">NIK (perorangan)');
    expect(page.text).toContain('<label for="f-applicant-nib">NIB (badan usaha)');
    expect(page.text).toContain('16 angka; boleh dipisah spasi.');
    expect(page.text).toMatch(/<input id="f-attachments-0-sha256" name="\/attachments\/0\/sha256"[^>]*type="file"/);
    expect(page.text).toContain('Dokumen persyaratan');
    expect(page.text).toContain('<option value="land_title">Bukti kepemilikan atau penguasaan tanah</option>');

    const ktp = crypto.randomBytes(200_000);
    const drawing = Buffer.from('%PDF-1.4 gambar arsitektur');
    const base = {
      '/permitType': 'PBG', '/applicant/name': 'Rina Kusumawati', '/applicant/nik': '3374 0157 0892 0001', '/applicant/address': 'Jl. Pemuda 1, Semarang',
      '/object/location': 'Jl. Pandanaran 10', '/object/description': 'Rumah tinggal 2 lantai', '/technicalAgency': 'pupr',
      '/attachments/0/document': 'identity', '/attachments/0/name': '',
      '/attachments/1/document': 'architecture_drawing', '/attachments/1/name': 'Gambar rencana',
      // The empty row a new form offers: no file, nothing typed: left out, not refused.
      '/attachments/2/document': '', '/attachments/2/name': '',
      _action: 'save',
    };
    const files = { '/attachments/0/sha256': { name: 'KTP Rina.pdf', bytes: ktp }, '/attachments/1/sha256': { name: 'arsitektur.pdf', bytes: drawing } };
    // A refusal elsewhere keeps the files' hashes: they need not be uploaded again.
    const refused = await fo.postFiles('/new/permit', { ...base, '/applicant/nik': '3374 0157 0892 00' }, files, page);
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('harus 16 angka');
    expect(refused.text).toContain(`<input type="hidden" name="/attachments/0/sha256" value="${sha(ktp)}">`);

    const res = await fo.postFiles('/new/permit', base, files, page);
    expect(res.status).toBe(303);
    const id = /\/instances\/([0-9a-f-]{36})/.exec(res.location!)![1]!;
    const row = await app.db.kysely.selectFrom('workflow_instances').select(['data', 'workflow_version']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.workflow_version).toBe(2);
    expect(row.data.attachments).toEqual([
      { document: 'identity', name: 'KTP Rina.pdf', sha256: sha(ktp) },
      { document: 'architecture_drawing', name: 'Gambar rencana', sha256: sha(drawing) },
    ]);
    expect((row.data.applicant as Record<string, unknown>).nik).toBe('3374015708920001');
    // The file itself is not stored anywhere.
    expect(Number((await app.db.kysely.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(0);

    // The instance page ticks what is there; "Berkas lengkap" is refused in Indonesian.
    const shown = await fo.get(`/instances/${id}`);
    expect(shown.text).toMatch(/<li class="done" data-checklist="identity">/);
    expect(shown.text).toMatch(/<li class="missing" data-checklist="land_title">/);
    expect(shown.text).toContain('<dd>' + (await app.db.kysely.selectFrom('orgs').select('name').where('id', '=', 'pupr').executeTakeFirstOrThrow()).name + '</dd>');
    const version = /name="version" value="(\d+)"/.exec(shown.text)![1]!;
    const before = await permitWriteCounts(app.db);
    const complete = await fo.post(`/instances/${id}/events`, { event: 'mark_complete', comment: '', version }, shown);
    expect(complete.status).toBe(422);
    expect(complete.text).toContain('Berkas belum lengkap: setiap dokumen persyaratan harus dilampirkan');
    expect(await permitWriteCounts(app.db)).toEqual(before);
  });

  test('files over the size limit are refused (413) and nothing is created', async () => {
    const page = await fo.get('/new/permit');
    const before = await permitWriteCounts(app.db);
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
    const res = await fo.postFiles('/new/permit', { '/permitType': 'PBG', _action: 'save' }, { '/attachments/0/sha256': { name: 'besar.pdf', bytes: big } }, page);
    expect(res.status).toBe(413);
    expect(res.text).toContain('paling besar 10 MB');
    expect(await permitWriteCounts(app.db)).toEqual(before);
    // Without the page's token a multipart form is refused too.
    expect((await fo.postFiles('/new/permit', { '/permitType': 'PBG', _csrf: 'x' }, {})).status).toBe(403);
  });

  test('the public status page names the government and the office with its contacts, and says what happens next', async () => {
    const patched = await app.call('admin', 'PATCH', '/api/v1/orgs/dpmptsp', { address: 'Jl. Pemuda No. 148, Semarang', phone: '(024) 3549446', email: 'dpmptsp@semarangkota.go.id' });
    expect(patched.status).toBe(200);
    const created = await registerApplication(app, withDocuments(CHECKLIST.PBG!));
    const { registrationNumber, pin } = created.body.receipt;
    const json = await app.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber, pin });
    expect(json.status).toBe(200);
    expect(json.body.office).toMatchObject({ government: GOVERNMENT, address: 'Jl. Pemuda No. 148, Semarang', phone: '(024) 3549446', email: 'dpmptsp@semarangkota.go.id' });
    expect(json.body.nextStep.id).toMatch(/^Petugas loket memeriksa kelengkapan berkas/);
    expect(json.body.nextStep.en).toMatch(/^The front desk checks your file/);
    const page = await fetch(`${app.url}/permits/status`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ registrationNumber, pin }) });
    const text = await page.text();
    const office = json.body.office.name as string;
    expect(text).toContain(`<header class="office"><p class="government">${GOVERNMENT}</p><p>${office}</p></header>`);
    expect(text).toContain('<h2 id="s0">Langkah berikutnya</h2><p>Petugas loket memeriksa kelengkapan berkas');
    expect(text).toContain('<dt>Telepon</dt><dd>(024) 3549446</dd>');
    expect(text).toContain('<dt>Email</dt><dd>dpmptsp@semarangkota.go.id</dd>');
    // The form alone carries the government's name.
    expect(await (await fetch(`${app.url}/permits/status`)).text()).toContain(`<p class="government">${GOVERNMENT}</p>`);
  });

  test('an application registered under v1 finishes under v1: complete without a checklist', async () => {
    const v1app = await startTestApp(kind, { db: app.db, masterKey: app.masterKey, seed: false, registry: registryOf([permitV1]) });
    let id: string;
    try {
      const created = await v1app.call('fo.dpmptsp', 'POST', '/api/v1/instances', { workflow: 'permit', data: permitData({ attachments: [] }) });
      expect(created.status).toBe(201);
      id = created.body.id;
    } finally {
      await v1app.close();
    }
    // The server with v2 beside v1: the old application keeps v1's rules.
    const done = await fire(id, { type: 'mark_complete' });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('technical_review');
    expect((await app.db.kysely.selectFrom('workflow_instances').select('workflow_version').where('id', '=', id).executeTakeFirstOrThrow()).workflow_version).toBe(1);
  });
});
