import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD, type PageReply } from './support/web';
import { registerApplication } from './support/permits';
import { setPassword } from '../src/auth/passwords';
import { mintToken } from '../src/auth/tokens';
import { AUTH_LIMITS } from '../src/auth/rate-limit';
import { TRACKING_LIMITS } from '../src/tracking/lookup';
import { loadConfig, parseTrustProxy } from '../src/config';
import { DEVICE_COOKIE } from '../src/web/devices';
import { sha256Hex, SESSION_COOKIE } from '../src/web/session';

/**
 * Throttling the checking of new credentials, never the use of valid ones. The server trusts the
 * loopback proxy (GRMS_TRUST_PROXY=loopback), so X-Forwarded-For plays several clients.
 */
const CONCURRENT = 50;

test('GRMS_TRUST_PROXY: a hop count or a list of addresses, CIDRs and names; never "true"; none by default', () => {
  expect(loadConfig({}).trustProxy).toBe(false);
  expect(parseTrustProxy('')).toBe(false);
  expect(parseTrustProxy('false')).toBe(false);
  expect(parseTrustProxy('0')).toBe(false);
  expect(parseTrustProxy('2')).toBe(2);
  expect(parseTrustProxy('loopback')).toEqual(['loopback']);
  expect(parseTrustProxy(' 10.0.0.5, 10.1.0.0/16 , fd00::/8,uniquelocal')).toEqual(['10.0.0.5', '10.1.0.0/16', 'fd00::/8', 'uniquelocal']);
  for (const never of ['true', 'TRUE', ' True ', '*', 'all']) expect(() => loadConfig({ GRMS_TRUST_PROXY: never })).toThrow(/must never be/);
  for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.1/8/1', 'loopback; 10.0.0.1', '-1', '99']) {
    expect(() => loadConfig({ GRMS_TRUST_PROXY: bad })).toThrow(/GRMS_TRUST_PROXY/);
  }
});

describeBackends('rate limits on checking credentials', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind, { env: { GRMS_TRUST_PROXY: 'loopback' } });
    for (const u of ['kadis.dinkes', 'perencana.dinkes', 'kadis.pupr', 'perencana.pupr', 'tapd.sekda']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
  });
  afterAll(() => app.close());
  beforeEach(async () => {
    await app.db.kysely.deleteFrom('auth_failures').execute();
  });

  let nextAddress = 1;
  /** A client address nobody used yet in this run. */
  const freshAddress = () => `198.51.100.${nextAddress++}`;
  const from = (address: string) => ({ 'x-forwarded-for': address });

  /** POSTs the sign-in form of `client` from `address` (the token is fetched first, from a page any browser gets). */
  async function signIn(client: ConsoleClient, address: string, username: string, password: string): Promise<PageReply> {
    const page = await client.get('/verify');
    return client.request('POST', '/signin', new URLSearchParams({ username, password, _csrf: csrfOf(page) }), from(address));
  }
  /** Failures counted earlier (the concurrent tests above count them over HTTP; here they only set the scene). */
  const earlierFailures = (n: number, row: { client?: string; username?: string; device?: string }) =>
    app.db.kysely.insertInto('auth_failures').values(Array.from({ length: n }, () => ({ client: row.client ?? '192.0.2.1', username: row.username ?? null, device: row.device ?? null }))).execute();
  const failuresFor = async (username: string) =>
    (await app.db.kysely.selectFrom('auth_failures').select('id').where('username', '=', username).execute()).length;
  const statuses = (replies: Array<{ status: number }>) => {
    const out: Record<number, number> = {};
    for (const r of replies) out[r.status] = (out[r.status] ?? 0) + 1;
    return out;
  };

  test(`${CONCURRENT} concurrent wrong passwords for one user from as many addresses: at most the per-username limit are checked`, async () => {
    const client = new ConsoleClient(app.url);
    const token = csrfOf(await client.get('/signin'));
    const replies = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) =>
      client.request('POST', '/signin', new URLSearchParams({ username: 'kadis.dinkes', password: `tebakan-ke-${i}`, _csrf: token }), from(freshAddress()))));
    // Every 401 is a password that was checked (and stays counted); every 429 was refused before
    // its password was looked at. How many of the burst get through depends on how the inserts
    // and counts interleave (all may be refused); never more than the limit.
    const counted = statuses(replies);
    expect((counted[401] ?? 0) + (counted[429] ?? 0)).toBe(CONCURRENT);
    expect(counted[401] ?? 0).toBeLessThanOrEqual(AUTH_LIMITS.perUsername);
    expect(await failuresFor('kadis.dinkes')).toBe(counted[401] ?? 0);
    for (const r of replies.filter((x) => x.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    // No session was made.
    expect(await app.db.kysely.selectFrom('web_sessions').select('id_hash').where('username', '=', 'kadis.dinkes').execute()).toEqual([]);
  });

  test(`${CONCURRENT} concurrent wrong passwords from one address for as many names: at most the per-address limit are checked`, async () => {
    const client = new ConsoleClient(app.url);
    const token = csrfOf(await client.get('/signin'));
    const address = freshAddress();
    const replies = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) =>
      client.request('POST', '/signin', new URLSearchParams({ username: `tamu.${i}`, password: 'tebakan-yang-salah', _csrf: token }), from(address))));
    const counted = statuses(replies);
    expect((counted[401] ?? 0) + (counted[429] ?? 0)).toBe(CONCURRENT);
    expect(counted[401] ?? 0).toBeLessThanOrEqual(AUTH_LIMITS.perClient);
    const rows = await app.db.kysely.selectFrom('auth_failures').select('client').execute();
    expect(rows).toHaveLength(counted[401] ?? 0);
    expect(rows.every((r) => r.client === address)).toBe(true);
  });

  test(`${CONCURRENT} concurrent wrong current passwords at PUT /api/v1/me/password: at most the limit are checked, and the token keeps working`, async () => {
    const before = await app.db.kysely.selectFrom('users').select(['password_hash', 'password_changed_at']).where('username', '=', 'perencana.pupr').executeTakeFirstOrThrow();
    const replies = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) =>
      app.call('perencana.pupr', 'PUT', '/api/v1/me/password', { currentPassword: `tebakan-ke-${i}`, newPassword: 'Dikuasai Penyerang 1' }, from(freshAddress()))));
    const counted = statuses(replies);
    expect((counted[403] ?? 0) + (counted[429] ?? 0)).toBe(CONCURRENT);
    expect(counted[403] ?? 0).toBeLessThanOrEqual(AUTH_LIMITS.perUsername);
    for (const r of replies.filter((x) => x.status === 429)) {
      expect(r.body).toMatchObject({ code: 'TOO_MANY_FAILED_LOGINS', status: 429 });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(await failuresFor('perencana.pupr')).toBe(counted[403] ?? 0);
    expect(await app.db.kysely.selectFrom('users').select(['password_hash', 'password_changed_at']).where('username', '=', 'perencana.pupr').executeTakeFirstOrThrow()).toEqual(before);
    // The token itself is valid: it is never refused for the failures of its user or address.
    const me = await app.call('perencana.pupr', 'GET', '/api/v1/me', undefined, from(freshAddress()));
    expect(me.status).toBe(200);
    // Once the username has its limit of failures, even the right current password waits.
    const missing = AUTH_LIMITS.perUsername - (counted[403] ?? 0);
    if (missing > 0) await app.db.kysely.insertInto('auth_failures').values(Array.from({ length: missing }, () => ({ client: '192.0.2.1', username: 'perencana.pupr' }))).execute();
    const right = await app.call('perencana.pupr', 'PUT', '/api/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: 'Dikuasai Penyerang 1' }, from(freshAddress()));
    expect(right.status).toBe(429);
  });

  test('after an address\'s unknown tokens reach the limit, only its further unknown tokens are refused: its valid tokens work, other addresses are untouched', async () => {
    const office = freshAddress();
    for (let i = 0; i < AUTH_LIMITS.perClient; i++) expect((await app.call(`grms_tebakan${i}`, 'GET', '/api/v1/me', undefined, from(office))).status).toBe(401);
    const more = await app.call('grms_tebakan-lagi', 'GET', '/api/v1/me', undefined, from(office));
    expect(more.status).toBe(429);
    expect(Number(more.headers.get('retry-after'))).toBeGreaterThan(0);
    // A colleague behind the same address, with a valid token.
    const colleague = await app.call('kadis.pupr', 'GET', '/api/v1/tasks', undefined, from(office));
    expect(colleague.status).toBe(200);
    // Someone at another address with a mistyped token: an ordinary 401.
    expect((await app.call('grms_salah-ketik', 'GET', '/api/v1/me', undefined, from(freshAddress()))).status).toBe(401);
    const rows = await app.db.kysely.selectFrom('auth_failures').select(['client']).execute();
    expect(rows.filter((r) => r.client === office)).toHaveLength(AUTH_LIMITS.perClient);
  });

  test('one address\'s failed sign-ins lock out neither the other clients behind the proxy nor a valid session at that address', async () => {
    const office = freshAddress();
    const early = new ConsoleClient(app.url);
    expect((await signIn(early, office, 'perencana.dinkes', TEST_PASSWORD)).status).toBe(303);
    // One budget of failures per address: unknown tokens and wrong passwords count together.
    for (let i = 1; i < AUTH_LIMITS.perClient; i++) expect((await app.call(`grms_tebakan${i}`, 'GET', '/api/v1/me', undefined, from(office))).status).toBe(401);
    const attacker = new ConsoleClient(app.url);
    expect((await signIn(attacker, office, 'tamu.terakhir', 'tebakan-yang-salah')).status).toBe(401);
    // The address is limited for new sign-ins…
    const limited = await signIn(new ConsoleClient(app.url), office, 'kadis.pupr', TEST_PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.text).toContain('Terlalu banyak percobaan gagal');
    // …but a session opened there keeps working, and other clients sign in.
    expect((await early.request('GET', '/inbox', undefined, from(office))).status).toBe(200);
    const elsewhere = new ConsoleClient(app.url);
    expect((await signIn(elsewhere, freshAddress(), 'kadis.pupr', TEST_PASSWORD)).status).toBe(303);
    expect((await elsewhere.get('/inbox')).status).toBe(200);
  });

  test('while a username is limited, a browser that signed in as that user before may still sign in (limited per browser); others wait', async () => {
    const known = new ConsoleClient(app.url);
    expect((await signIn(known, freshAddress(), 'tapd.sekda', TEST_PASSWORD)).status).toBe(303);
    expect(known.cookies.get(DEVICE_COOKIE)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const signedOut = await known.post('/signout', {}, await known.get('/inbox'));
    expect(signedOut.status).toBe(303);
    const otherUsersBrowser = new ConsoleClient(app.url);
    expect((await signIn(otherUsersBrowser, freshAddress(), 'kadis.dinkes', TEST_PASSWORD)).status).toBe(303);

    // Someone guesses tapd.sekda's password from many addresses until the username is limited.
    await earlierFailures(AUTH_LIMITS.perUsername - 1, { username: 'tapd.sekda' });
    expect((await signIn(new ConsoleClient(app.url), freshAddress(), 'TAPD.sekda', 'tebakan-terakhir')).status).toBe(401);
    const stranger = await signIn(new ConsoleClient(app.url), freshAddress(), 'tapd.sekda', TEST_PASSWORD);
    expect(stranger.status).toBe(429);
    // A device cookie of another user is no exemption.
    expect((await signIn(otherUsersBrowser, freshAddress(), 'tapd.sekda', TEST_PASSWORD)).status).toBe(429);

    // The user's own browser gets in, with a fresh device id.
    const oldDevice = known.cookies.get(DEVICE_COOKIE);
    const back = await signIn(known, freshAddress(), 'tapd.sekda', TEST_PASSWORD);
    expect(back.status).toBe(303);
    expect(known.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(known.cookies.get(DEVICE_COOKIE)).not.toBe(oldDevice);
    expect((await known.get('/inbox')).status).toBe(200);

    // That browser's own wrong passwords are limited too, per browser.
    const typist = new ConsoleClient(app.url);
    typist.cookies.set(DEVICE_COOKIE, known.cookies.get(DEVICE_COOKIE)!);
    await earlierFailures(AUTH_LIMITS.perDevice - 1, { username: 'tapd.sekda', device: sha256Hex(known.cookies.get(DEVICE_COOKIE)!) });
    expect((await signIn(typist, freshAddress(), 'tapd.sekda', 'salah-ketik')).status).toBe(401);
    expect((await signIn(typist, freshAddress(), 'tapd.sekda', TEST_PASSWORD)).status).toBe(429);
    expect(await app.db.kysely.selectFrom('auth_failures').select('id').where('device', 'is not', null).execute()).toHaveLength(AUTH_LIMITS.perDevice);
  });

  test('a planted or unknown device cookie is no exemption', async () => {
    await earlierFailures(AUTH_LIMITS.perUsername, { username: 'perencana.dinkes' });
    const planted = new ConsoleClient(app.url);
    planted.cookies.set(DEVICE_COOKIE, 'A'.repeat(43));
    expect((await signIn(planted, freshAddress(), 'perencana.dinkes', TEST_PASSWORD)).status).toBe(429);
  });

  test('wrong PINs from strangers do not stop the front desk printing the receipt of an application it holds; PIN limits are per real client', async () => {
    const created = await registerApplication(app);
    const { registrationNumber, pin } = created.body.receipt as { registrationNumber: string; pin: string };
    const wrong = String((Number(pin) + 1) % 10 ** pin.length).padStart(pin.length, '0');
    for (let i = 0; i < TRACKING_LIMITS.perRegistration; i++) {
      expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registration: registrationNumber, pin: wrong }, from(freshAddress()))).status).toBe(404);
    }
    // The applicant's public lookup waits (the per-registration limit is the applicant's protection)…
    expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registration: registrationNumber, pin }, from(freshAddress()))).status).toBe(429);
    const failures = async () => (await app.db.kysely.selectFrom('tracking_failures').select('id').execute()).length;
    const before = await failures();
    // …but the front desk that holds the file prints its receipt.
    const receipt = await app.call('fo.dpmptsp', 'POST', '/api/v1/permits/receipt.pdf', { registrationNumber, pin });
    expect(receipt.status).toBe(200);
    expect(receipt.headers.get('content-type')).toMatch(/application\/pdf/);
    // Its wrong PIN is a 404 that counts against nobody.
    expect((await app.call('fo.dpmptsp', 'POST', '/api/v1/permits/receipt.pdf', { registrationNumber, pin: wrong })).status).toBe(404);
    expect(await failures()).toBe(before);
    // A front desk elsewhere does not hold the file: the same 404 as a wrong PIN.
    const created2 = await app.call('admin', 'POST', '/api/v1/users', { username: 'fo.dinkes', fullName: 'Petugas Loket Dinkes', org: 'dinkes', roles: [{ role: 'frontdesk', org: 'dinkes' }] });
    expect(created2.status).toBe(201);
    const elsewhere = await mintToken(app.db.kysely, 'fo.dinkes');
    const notHeld = await app.call(elsewhere, 'POST', '/api/v1/permits/receipt.pdf', { registrationNumber, pin });
    expect(notHeld.status).toBe(404);
    expect(notHeld.body.detail).toBe('No application matches this registration number and PIN');

    // The per-client PIN limit is per client: one address's guesses do not stop another applicant.
    const second = await registerApplication(app);
    const guesser = freshAddress();
    for (let i = 0; i < TRACKING_LIMITS.perClient; i++) {
      expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber: `REG/TIDAK/ADA/${i}`, pin: '00000000' }, from(guesser))).status).toBe(404);
    }
    expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber: 'REG/TIDAK/ADA/X', pin: '00000000' }, from(guesser))).status).toBe(429);
    const applicant = await app.call(undefined, 'POST', '/api/v1/permits/status',
      { registration: second.body.receipt.registrationNumber, pin: second.body.receipt.pin }, from(freshAddress()));
    expect(applicant.status).toBe(200);
    const rows = await app.db.kysely.selectFrom('tracking_failures').select('client_ip').where('client_ip', '=', guesser).execute();
    expect(rows).toHaveLength(TRACKING_LIMITS.perClient);
  });
});
