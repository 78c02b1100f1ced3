import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { tamper } from './support/audit-fixtures';
import { verifyOrgChain } from '../src/auth/orgs';
import { demoLogoPng } from '../src/seed/demo-logo';
import { missingPdfTools, pdfImages, pdftotext } from './support/pdf-tools';
import { proposal } from './support/proposals';

const NO_LETTERHEAD = { address: null, phone: null, email: null, website: null, logo: null };
/** A 1×1 progressive JPEG (134 bytes). */
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=', 'base64');
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
/** A PNG header claiming the given size (nothing decodes it: the check reads the header only). */
function pngClaiming(width: number, height: number, length = 64): Buffer {
  const b = Buffer.alloc(length);
  demoLogoPng().copy(b, 0, 0, 33);
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

describeBackends('organisations administered by admins', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(() => app.close());

  const state = async () => ({
    ...(await writeCounts(app.db)),
    orgs: (await app.db.kysely.selectFrom('orgs').selectAll().orderBy('id').execute()).map((o) => ({ ...o, created_at: undefined })),
    org_events: Number((await sql<{ n: string }>`SELECT count(*) AS n FROM org_events`.execute(app.db.kysely)).rows[0]!.n),
  });
  const events = async () =>
    (await sql<{ seq: string; action: string; org_id: string; details: string; actor: string }>`SELECT seq, action, org_id, details, actor FROM org_events ORDER BY seq`.execute(app.db.kysely)).rows
      .map((e) => ({ ...e, seq: Number(e.seq), details: JSON.parse(e.details) as unknown }));

  test('every signed-in user lists the organisations with their kind, code and NPWP; visitors are refused', async () => {
    const res = await app.call('perencana.dinkes', 'GET', '/api/v1/orgs');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: 'dinkes', kind: 'opd' }),
      { id: 'cv-maju', name: 'CV Maju Jaya Konstruksi', kind: 'supplier', code: null, unitCode: 'CV-MAJU', npwp: '01.234.567.8-517.000', ...NO_LETTERHEAD },
    ]));
    expect((await app.call(undefined, 'GET', '/api/v1/orgs')).status).toBe(401);
  });

  test('invalid input is a 422 naming each field, non-admins get 403, and neither writes anything', async () => {
    const before = await state();
    const bad = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'Dinas Baru', name: '', kind: 'badan', code: 7, npwp: '123' });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/code', '/id', '/kind', '/name', '/npwp']);
    const noNpwp = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'cv-tanpa-npwp', name: 'CV Tanpa NPWP', kind: 'supplier' });
    expect(noNpwp.status).toBe(422);
    expect(noNpwp.body.errors).toEqual([{ path: '/npwp', message: 'is required for a supplier' }]);
    const badPatch = await app.call('admin', 'PATCH', '/api/v1/orgs/dinkes', { id: 'dinkes2', kind: 'supplier', name: 'x'.repeat(201) });
    expect(badPatch.status).toBe(422);
    expect(badPatch.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/id', '/kind', '/name']);
    const clearNpwp = await app.call('admin', 'PATCH', '/api/v1/orgs/cv-maju', { npwp: null });
    expect(clearNpwp.status).toBe(422);
    expect(clearNpwp.body.errors).toEqual([{ path: '/npwp', message: 'is required for a supplier' }]);
    for (const who of ['kadis.dinkes', 'auditor.inspektorat', 'perencana.dinkes']) {
      expect((await app.call(who, 'POST', '/api/v1/orgs', { id: 'dishub', name: 'Dinas Perhubungan', kind: 'opd' })).status).toBe(403);
      expect((await app.call(who, 'PATCH', '/api/v1/orgs/dinkes', { name: 'Dinas Lain' })).status).toBe(403);
    }
    expect((await app.call('admin', 'PATCH', '/api/v1/orgs/nowhere', { name: 'X' })).status).toBe(404);
    expect(await state()).toEqual(before);
  });

  test('an admin creates and changes organisations; a taken id is a 409 of its own; every change is chained and verifies', async () => {
    const before = await events();
    const created = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'dishub', name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', unitCode: 'DISHUB' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'dishub', name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', unitCode: 'DISHUB', npwp: null, ...NO_LETTERHEAD });
    const supplier = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'pt-karya', name: 'PT Karya Mandiri', kind: 'supplier', npwp: '0123456789012345' });
    expect(supplier.status).toBe(201);

    const taken = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'dishub', name: 'Lagi', kind: 'opd' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'ORG_EXISTS', type: expect.stringMatching(/\/org-exists$/) });

    const renamed = await app.call('admin', 'PATCH', '/api/v1/orgs/dishub', { name: 'Dinas Perhubungan Kota', code: null }, { 'content-type': 'application/merge-patch+json' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({ id: 'dishub', name: 'Dinas Perhubungan Kota', kind: 'opd', code: null, unitCode: 'DISHUB', npwp: null, ...NO_LETTERHEAD });
    // Nothing changed, nothing recorded.
    expect((await app.call('admin', 'PATCH', '/api/v1/orgs/dishub', { name: 'Dinas Perhubungan Kota' })).status).toBe(200);
    expect((await app.call('admin', 'PATCH', '/api/v1/orgs/pt-karya', { npwp: '01.234.567.8-517.001' })).body.npwp).toBe('01.234.567.8-517.001');

    // The new OPD is usable at once: a user can be placed there.
    expect((await app.call('admin', 'POST', '/api/v1/users', { username: 'staf.dishub', fullName: 'Budi', org: 'dishub' })).status).toBe(201);

    expect((await events()).slice(before.length).map(({ action, org_id, details, actor }) => ({ action, org_id, details, actor }))).toEqual([
      { action: 'create_org', org_id: 'dishub', details: { name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', unitCode: 'DISHUB', npwp: null, ...NO_LETTERHEAD }, actor: 'admin' },
      { action: 'create_org', org_id: 'pt-karya', details: { name: 'PT Karya Mandiri', kind: 'supplier', code: null, npwp: '0123456789012345', ...NO_LETTERHEAD }, actor: 'admin' },
      { action: 'update_org', org_id: 'dishub', details: { name: 'Dinas Perhubungan Kota', code: null }, actor: 'admin' },
      { action: 'update_org', org_id: 'pt-karya', details: { npwp: '01.234.567.8-517.001' }, actor: 'admin' },
    ]);
    expect(await verifyOrgChain(app.db.kysely)).toEqual({ ok: true, checked: before.length + 4, broken: [] });
    const verify = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, orgs: { ok: true, checked: before.length + 4 } });

    // The rows are append-only; a row altered behind the triggers' back is found.
    await expect(sql`UPDATE org_events SET actor = 'someone' WHERE seq = 1`.execute(app.db.kysely)).rejects.toThrow();
    await tamper(app.db.kysely, () => sql`UPDATE org_events SET details = '{"name":"Dinas Siluman"}' WHERE org_id = 'dishub' AND action = 'update_org'`.execute(app.db.kysely), 'org_events');
    const seq = before.length + 3;
    expect(await verifyOrgChain(app.db.kysely)).toMatchObject({ ok: false, broken: [{ seq, reason: expect.stringContaining('row altered') }] });
    const broken = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify');
    expect(broken.body).toMatchObject({ ok: false, people: { ok: true }, orgs: { ok: false, broken: [{ seq }] } });
  });
  test('letterhead: contacts and a logo set through the API, chained by the logo\'s hash and printed in the kop; a bad one is refused by field, nothing written', async () => {
    const before = await state();
    const refused = async (body: Record<string, unknown>, path: string, message: RegExp) => {
      const r = await app.call('admin', 'PATCH', '/api/v1/orgs/dinkes', body);
      expect(r.status).toBe(422);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    };
    const logo = (contentType: string, bytes: Buffer) => ({ logo: { contentType, data: bytes.toString('base64') } });
    await refused(logo('image/gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')), '/logo/contentType', /image\/png or image\/jpeg/);
    await refused(logo('image/png', JPEG), '/logo/data', /is a JPEG image, not image\/png/);
    await refused(logo('image/jpeg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), '/logo/data', /not a JPEG image/);
    await refused(logo('image/png', pngClaiming(96, 96, 256 * 1024 + 1)), '/logo/data', /at most 262144 bytes/);
    await refused(logo('image/png', pngClaiming(20_000, 20_000)), '/logo/data', /20000×20000 pixels; a logo is at most 2048×2048/);
    await refused({ logo: { contentType: 'image/png', data: 'bukan base64!' } }, '/logo/data', /base64/);
    await refused({ logo: { contentType: 'image/png', data: demoLogoPng().toString('base64'), name: 'x.png' } }, '/logo/name', /not a known field/);
    await refused({ address: 'Jalan Pandanaran\nSemarang' }, '/address', /one line/);
    await refused({ phone: 'telepon saja' }, '/phone', /phone number/);
    await refused({ email: 'dinkes.semarangkota.go.id' }, '/email', /e-mail/);
    await refused({ website: 'dinkes semarang' }, '/website', /website/);
    const emoji = await app.call('admin', 'PATCH', '/api/v1/orgs/dinkes', { address: 'Jalan Sehat 🏥' });
    expect(emoji.status).toBe(422);
    expect(emoji.body.errors).toEqual([{ path: '/address', message: expect.stringMatching(/emoji/) }]);
    expect(await state()).toEqual(before);

    const chainBefore = (await events()).length;
    const contacts = { address: 'Jalan Kesehatan No. 14, Semarang 50241', phone: '(024) 7654321', email: 'kesehatan@semarang.example', website: 'kesehatan.semarang.example' };
    const set = await app.call('admin', 'PATCH', '/api/v1/orgs/dinkes', { ...contacts, ...logo('image/jpeg', JPEG) });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id: 'dinkes', ...contacts, logo: { contentType: 'image/jpeg', sha256: sha256(JPEG), bytes: JPEG.length } });
    // The same image again changes nothing and records nothing.
    expect((await app.call('admin', 'PATCH', '/api/v1/orgs/dinkes', logo('image/jpeg', JPEG))).status).toBe(200);
    const png = demoLogoPng(40);
    const created = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'dinsos', name: 'Dinas Sosial', kind: 'opd', ...logo('image/png', png) });
    expect(created.status).toBe(201);
    expect(created.body.logo).toEqual({ contentType: 'image/png', sha256: sha256(png), bytes: png.length });
    const chained = (await events()).slice(chainBefore);
    expect(chained.map(({ action, org_id, details }) => ({ action, org_id, details }))).toEqual([
      { action: 'update_org', org_id: 'dinkes', details: { ...contacts, logo: { sha256: sha256(JPEG), contentType: 'image/jpeg', bytes: JPEG.length, width: 1, height: 1 } } },
      { action: 'create_org', org_id: 'dinsos', details: { name: 'Dinas Sosial', kind: 'opd', code: null, npwp: null, ...NO_LETTERHEAD, logo: { sha256: sha256(png), contentType: 'image/png', bytes: png.length, width: 40, height: 40 } } },
    ]);
    // The rows link into the chain (the earlier test broke an older row on purpose).
    const broken = (await verifyOrgChain(app.db.kysely)).broken.map((b) => b.seq);
    expect(chained.filter((e) => broken.includes(e.seq))).toEqual([]);

    // The next Dinkes document carries the new kop and the JPEG; after the logo is cleared, the kop has no image.
    const missing = missingPdfTools();
    if (missing.length) {
      if (process.env.CI === 'true') throw new Error(`missing ${missing.join(', ')}: CI needs poppler-utils`);
      console.warn(`!! SKIPPED letterhead PDF checks: ${missing.join(', ')} not installed`);
      return;
    }
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
    const cleared = await app.call('admin', 'PATCH', '/api/v1/orgs/dinkes', { logo: null, website: null });
    expect(cleared.body).toMatchObject({ logo: null, website: null, address: contacts.address });
    expect((await events()).at(-1)).toMatchObject({ action: 'update_org', details: { website: null, logo: null } });
    expect((await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(200);
    const docs = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/documents`)).body.items as Array<{ id: string }>;
    expect(docs).toHaveLength(2);
    const pdfs = await Promise.all(docs.map(async (d) => Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${d.id}`, { headers: { authorization: `Bearer ${app.tokens['kadis.dinkes']}` } })).arrayBuffer())));
    const [withLogo, withoutLogo] = pdfs.map((p) => pdftotext(p).replace(/\s+/g, ' '));
    expect(withLogo).toMatch(/PEMERINTAH KOTA SEMARANG DINAS KESEHATAN Jalan Kesehatan No\. 14, Semarang 50241 Telp\. \(024\) 7654321 · Pos-el kesehatan@semarang\.example · Laman kesehatan\.semarang\.example/);
    expect(withoutLogo).toMatch(/DINAS KESEHATAN Jalan Kesehatan No\. 14, Semarang 50241 Telp\. \(024\) 7654321 · Pos-el kesehatan@semarang\.example /);
    expect(withoutLogo).not.toContain('Laman');
    expect(pdfImages(pdfs[0]!)).toEqual([{ page: 1, width: 1, height: 1, enc: 'jpeg' }]);
    expect(pdfImages(pdfs[1]!)).toEqual([]);
  });
});
