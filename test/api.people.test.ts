import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { mintToken } from '../src/auth/tokens';
import { verifyPeopleChain } from '../src/auth/people';
import { verifyPdf } from '../src/documents/verify';
import { missingPdfTools, pdftotext } from './support/pdf-tools';

describeBackends('people administration (mutasi)', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('an admin creates an official, grants and removes roles, deactivates; every change is chained', async () => {
    const created = await app.call('admin', 'POST', '/api/v1/users', {
      username: 'perencana2.dinkes', fullName: 'Ayu Lestari, S.K.M.', position: 'Perencana Ahli Pertama', nip: '19900215 201503 2 004', org: 'dinkes', roles: [{ role: 'planner', org: 'dinkes' }],
    });
    expect(created.status).toBe(201);
    expect((await app.call('admin', 'POST', '/api/v1/users', { username: 'perencana2.dinkes', fullName: 'X', org: 'dinkes' })).status).toBe(409);
    const bad = await app.call('admin', 'POST', '/api/v1/users', { username: 'X Y', fullName: '', org: 'nowhere', roles: [{ role: 'king', org: 'dinkes' }] });
    expect(bad.status).toBe(422);
    const badNip = await app.call('admin', 'POST', '/api/v1/users', { username: 'nip.salah', fullName: 'N', org: 'dinkes', nip: '1990021520150320' });
    expect(badNip.status).toBe(422);
    expect(badNip.body.errors).toEqual([expect.objectContaining({ path: '/nip' })]);
    expect((await app.call('kadis.dinkes', 'POST', '/api/v1/users', { username: 'z', fullName: 'Z', org: 'dinkes' })).status).toBe(403);

    const token = await mintToken(app.db.kysely, 'perencana2.dinkes');
    const id = (await app.call(token, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    const submitted = await app.call(token, 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    expect(submitted.status).toBe(200);
    const doc = (await app.call('admin', 'GET', `/api/v1/instances/${id}/documents`)).body.items[0];
    // Her NIP is printed under her name, grouped as it is written.
    if (process.env.CI === 'true' || !missingPdfTools().length) {
      const signed = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens.admin}` } })).arrayBuffer());
      expect(pdftotext(signed).replace(/\s+/g, ' ')).toContain('Ayu Lestari, S.K.M. NIP. 19900215 201503 2 004');
    }

    expect((await app.call('admin', 'PUT', '/api/v1/users/perencana2.dinkes/roles/opd_head/dinkes')).status).toBe(201);
    expect((await app.call('admin', 'DELETE', '/api/v1/users/perencana2.dinkes/roles/opd_head/dinkes')).status).toBe(204);
    expect((await app.call('admin', 'DELETE', '/api/v1/users/perencana2.dinkes/roles/opd_head/dinkes')).status).toBe(404);

    const off = await app.call('admin', 'POST', '/api/v1/users/perencana2.dinkes/deactivate', { reason: 'Mutasi ke Dinas PUPR' });
    expect(off.status).toBe(200);
    expect(off.body.revokedTokens).toBeGreaterThanOrEqual(1);
    expect(off.body.revokedCertificates).toHaveLength(1);
    // Her tokens stop at once; what she signed before stays valid.
    expect((await app.call(token, 'GET', '/api/v1/me')).status).toBe(401);
    const pdf = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens.admin}` } })).arrayBuffer());
    const check = await app.call(undefined, 'POST', '/api/v1/verify', pdf, { 'content-type': 'application/pdf' });
    expect(check.body.valid).toBe(true);

    const events = await sql<{ action: string }>`SELECT action FROM people_events WHERE username = 'perencana2.dinkes' ORDER BY seq`.execute(app.db.kysely);
    expect(events.rows.map((e) => e.action)).toEqual(['create_user', 'grant_role', 'grant_role', 'remove_role', 'deactivate']);
    expect(await verifyPeopleChain(app.db.kysely)).toMatchObject({ ok: true, checked: 5 });
    const list = await app.call('auditor.inspektorat', 'GET', '/api/v1/users');
    expect(list.body.items.find((u: { username: string }) => u.username === 'perencana2.dinkes')).toMatchObject({ active: false, nip: '199002152015032004', roles: [{ role: 'planner', org: 'dinkes' }] });

    await app.db.kysely.transaction().execute(async (trx) => {
      await sql`ALTER TABLE people_events DISABLE TRIGGER USER`.execute(trx);
      await sql`UPDATE people_events SET details = 'Pensiun' WHERE action = 'deactivate'`.execute(trx);
      await sql`ALTER TABLE people_events ENABLE TRIGGER USER`.execute(trx);
    });
    expect(await verifyPeopleChain(app.db.kysely)).toMatchObject({ ok: false, broken: [{ seq: 5 }] });
    const verify = (await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body;
    expect(verify).toMatchObject({ ok: false, people: { ok: false } });
  });
});
