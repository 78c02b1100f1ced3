import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, type Reply, type TestApp } from './support/app';
import { firePermitSteps, permitWriteCounts, registerApplication, TO_ISSUED } from './support/permits';
import { TRACKING_LIMITS } from '../src/tracking/lookup';
import { sql } from 'kysely';

describeBackends('public permit status', (kind) => {
  let app: TestApp;
  let second: TestApp; // another API process on the same database
  let reg: { id: string; registrationNumber: string; pin: string };
  const status = (registrationNumber: unknown, pin: unknown, via: TestApp = app) => via.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber, pin });
  const wrongPin = (pin: string) => String((Number(pin) + 1) % 10 ** pin.length).padStart(pin.length, '0');
  const register = async () => {
    const r = await registerApplication(app);
    return { id: r.body.id as string, registrationNumber: r.body.receipt.registrationNumber as string, pin: r.body.receipt.pin as string };
  };
  const withoutRequestId = (r: Reply) => ({ ...r.body, requestId: undefined });

  beforeAll(async () => {
    app = await startTestApp(kind);
    second = await startTestApp(kind, { db: app.db, masterKey: app.masterKey });
    reg = await register();
  });
  afterAll(async () => {
    await second.close();
    await app.close();
  });
  beforeEach(async () => {
    await app.db.kysely.deleteFrom('tracking_failures').execute();
  });

  test('the right PIN shows stage, dates and permit number; never comments, data or officials', async () => {
    const fresh = await status(reg.registrationNumber, reg.pin);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('cache-control')).toBe('no-store');
    expect(fresh.body).toMatchObject({
      registrationNumber: reg.registrationNumber, permitType: { code: 'PBG' },
      stage: { code: 'completeness_check', label: 'Pemeriksaan kelengkapan berkas', final: false }, permitNumber: null,
    });
    expect(Date.parse(fresh.body.registeredAt)).not.toBeNaN();
    // Lower case and spaces around are forgiven.
    expect((await status(` ${reg.registrationNumber.toLowerCase()} `, reg.pin)).status).toBe(200);
    // The field's former name is still taken; both names at once must agree.
    const formerName = await app.call(undefined, 'POST', '/api/v1/permits/status', { registration: reg.registrationNumber, pin: reg.pin });
    expect(formerName.body).toEqual(fresh.body);
    const both = await app.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber: reg.registrationNumber, registration: 'REG/LAIN/1', pin: reg.pin });
    expect([both.status, both.body.errors]).toEqual([400, [{ path: '/registration', message: expect.any(String) }]]);
    expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registration: reg.registrationNumber, registrationNumber: reg.registrationNumber, pin: reg.pin })).status).toBe(200);

    const returned = await register();
    await firePermitSteps(app, returned.id, [['fo.dpmptsp', 'mark_incomplete', { comment: 'RAHASIA-INTERNAL berkas palsu?' }]]);
    const back = await status(returned.registrationNumber, returned.pin);
    expect(back.body.stage).toEqual({ code: 'returned', label: 'Berkas dikembalikan untuk dilengkapi pemohon', final: false });
    expect(back.text).not.toContain('RAHASIA');
    await firePermitSteps(app, reg.id, TO_ISSUED);
    const issued = await status(reg.registrationNumber, reg.pin);
    const permit = (await app.call('kepala.dpmptsp', 'GET', `/api/v1/instances/${reg.id}`)).body;
    expect(issued.body).toMatchObject({ stage: { code: 'issued', label: 'Izin telah terbit', final: true }, permitNumber: permit.data.permitNumber });
    expect(Date.parse(issued.body.lastChangeAt)).toBeGreaterThan(Date.parse(issued.body.registeredAt));
    const html = await app.call(undefined, 'GET', `/permits/status?registrationNumber=${encodeURIComponent(reg.registrationNumber)}&pin=${reg.pin}`);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect((await app.call(undefined, 'GET', `/permits/status?registration=${encodeURIComponent(reg.registrationNumber)}&pin=${reg.pin}`)).text).toBe(html.text);
    expect(html.text).toContain('Izin telah terbit');
    expect(html.text).toContain(permit.data.permitNumber);
    for (const text of [issued.text, html.text]) {
      for (const secret of ['Memenuhi KRK', 'kepala.dpmptsp', 'Siti Rahayu', 'timteknis', 'Bayu Nugroho', 'Kusumawati', '3374015708920001', reg.pin]) {
        expect([secret, text.includes(secret)]).toEqual([secret, false]);
      }
    }
  });

  test('the due date is the whole application\'s 15-working-day deadline, kept in the database', async () => {
    const fresh = await register();
    const row = await app.db.kysely.selectFrom('deadlines').select(sql<string>`grms_ts(due_at)`.as('due')).where('instance_id', '=', fresh.id).where('kind', '=', 'overall').executeTakeFirstOrThrow();
    const body = (await status(fresh.registrationNumber, fresh.pin)).body;
    expect(body.dueDate).toBe(row.due);
    // 15 working days from today: at least three weeks ahead, at the end of a day in WIB (16:59:59Z).
    expect(Date.parse(body.dueDate) - Date.now()).toBeGreaterThan(20 * 86_400_000);
    expect(body.dueDate).toMatch(/T16:59:59\.999000Z$/);
  });

  test('a wrong PIN and an unknown number get the same 404; the failure is the only row written', async () => {
    const before = await permitWriteCounts(app.db);
    const wrong = await status(reg.registrationNumber, wrongPin(reg.pin));
    const unknown = await status('REG/DPMPTSP/2020/999999', reg.pin);
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(withoutRequestId(wrong)).toEqual(withoutRequestId(unknown));
    expect(await permitWriteCounts(app.db)).toEqual({ ...before, tracking_failures: before.tracking_failures! + 2 });
    // Success and malformed requests leave nothing behind.
    expect((await status(reg.registrationNumber, reg.pin)).status).toBe(200);
    expect((await status(reg.registrationNumber, undefined)).status).toBe(400);
    expect((await app.call(undefined, 'POST', '/api/v1/permits/status', 'registrationNumber=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect(await permitWriteCounts(app.db)).toEqual({ ...before, tracking_failures: before.tracking_failures! + 2 });
  });

  test(`after ${TRACKING_LIMITS.perRegistration} wrong PINs for a number, even the right PIN gets 429 from any process, writing nothing`, async () => {
    const target = await register();
    for (let i = 0; i < TRACKING_LIMITS.perRegistration; i++) {
      // Alternate between the two API processes: the count lives in the database.
      expect((await status(target.registrationNumber, wrongPin(target.pin), i % 2 ? second : app)).status).toBe(404);
    }
    const before = await permitWriteCounts(app.db);
    for (const via of [app, second]) {
      const limited = await status(target.registrationNumber, target.pin, via);
      expect(limited.status).toBe(429);
      expect(limited.body.type).toMatch(/\/too-many-attempts$/);
      const retry = Number(limited.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(TRACKING_LIMITS.windowSeconds - 60);
      expect(retry).toBeLessThanOrEqual(TRACKING_LIMITS.windowSeconds);
    }
    const html = await app.call(undefined, 'POST', '/permits/status', `registrationNumber=${encodeURIComponent(target.registrationNumber)}&pin=${target.pin}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(html.status).toBe(429);
    expect(html.headers.get('retry-after')).toBeTruthy();
    expect(html.text).toContain('Terlalu banyak percobaan');
    expect(await permitWriteCounts(app.db)).toEqual(before);
    // Other numbers are not locked by it; and once the failures age out of the window, it opens again.
    expect((await status(reg.registrationNumber, reg.pin)).status).toBe(200);
    await sql`UPDATE tracking_failures SET created_at = created_at - make_interval(secs => ${TRACKING_LIMITS.windowSeconds + 1})`.execute(app.db.kysely);
    expect((await status(target.registrationNumber, target.pin)).status).toBe(200);
  });

  test(`after ${TRACKING_LIMITS.perClient} wrong guesses from one client across numbers, that client gets 429`, async () => {
    for (let i = 0; i < TRACKING_LIMITS.perClient; i++) {
      expect((await status(`REG/DPMPTSP/2026/${crypto.randomInt(1e6, 1e7)}`, '12345678', i % 2 ? second : app)).status).toBe(404);
    }
    const limited = await status(reg.registrationNumber, reg.pin);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('the HTML page: a form without parameters, a 404 page for a wrong PIN', async () => {
    const form = await app.call(undefined, 'GET', '/permits/status');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<form method="post" action="/permits/status">');
    // The form names the field as the API does.
    expect(form.text).toContain('name="registrationNumber"');
    const wrong = await app.call(undefined, 'POST', '/permits/status', `registrationNumber=${encodeURIComponent(reg.registrationNumber)}&pin=${wrongPin(reg.pin)}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('content-type')).toMatch(/text\/html/);
    expect(wrong.text).toContain('tidak cocok');
    const right = await app.call(undefined, 'POST', '/permits/status', `registrationNumber=${encodeURIComponent(reg.registrationNumber)}&pin=${reg.pin}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(right.status).toBe(200);
    expect(right.text).toContain(reg.registrationNumber);
  });
});
