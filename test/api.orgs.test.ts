import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { tamper } from './support/audit-fixtures';
import { verifyOrgChain } from '../src/auth/orgs';

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
      { id: 'cv-maju', name: 'CV Maju Jaya Konstruksi', kind: 'supplier', code: null, npwp: '01.234.567.8-517.000' },
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
    const created = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'dishub', name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'dishub', name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', npwp: null });
    const supplier = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'pt-karya', name: 'PT Karya Mandiri', kind: 'supplier', npwp: '0123456789012345' });
    expect(supplier.status).toBe(201);

    const taken = await app.call('admin', 'POST', '/api/v1/orgs', { id: 'dishub', name: 'Lagi', kind: 'opd' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'ORG_EXISTS', type: expect.stringMatching(/\/org-exists$/) });

    const renamed = await app.call('admin', 'PATCH', '/api/v1/orgs/dishub', { name: 'Dinas Perhubungan Kota', code: null }, { 'content-type': 'application/merge-patch+json' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({ id: 'dishub', name: 'Dinas Perhubungan Kota', kind: 'opd', code: null, npwp: null });
    // Nothing changed, nothing recorded.
    expect((await app.call('admin', 'PATCH', '/api/v1/orgs/dishub', { name: 'Dinas Perhubungan Kota' })).status).toBe(200);
    expect((await app.call('admin', 'PATCH', '/api/v1/orgs/pt-karya', { npwp: '01.234.567.8-517.001' })).body.npwp).toBe('01.234.567.8-517.001');

    // The new OPD is usable at once: a user can be placed there.
    expect((await app.call('admin', 'POST', '/api/v1/users', { username: 'staf.dishub', fullName: 'Budi', org: 'dishub' })).status).toBe(201);

    expect((await events()).slice(before.length).map(({ action, org_id, details, actor }) => ({ action, org_id, details, actor }))).toEqual([
      { action: 'create_org', org_id: 'dishub', details: { name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', npwp: null }, actor: 'admin' },
      { action: 'create_org', org_id: 'pt-karya', details: { name: 'PT Karya Mandiri', kind: 'supplier', code: null, npwp: '0123456789012345' }, actor: 'admin' },
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
});
