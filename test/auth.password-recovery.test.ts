import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { checkLogin, setPassword } from '../src/auth/passwords';
import { mintToken } from '../src/auth/tokens';
import { sha256Hex, SESSION_COOKIE } from '../src/web/session';

/**
 * A stolen console session must not survive password recovery: changing one's password needs the
 * current one (except in the session that signed in with a temporary one) and ends the user's
 * other sessions; an admin reset ends all of them and revokes the user's API tokens.
 */
describeBackends('password change and reset end the sessions an attacker may hold', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(() => app.close());

  const sessionsOf = async (username: string) =>
    (await app.db.kysely.selectFrom('web_sessions').select('id_hash').where('username', '=', username).execute()).map((r) => r.id_hash).sort();
  const liveTokens = async (username: string) =>
    Number((await app.db.kysely.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', '=', username).where('revoked_at', 'is', null).executeTakeFirstOrThrow()).n);
  const signedIn = async (username: string, password = TEST_PASSWORD) => {
    const c = new ConsoleClient(app.url);
    const res = await c.signIn(username, password);
    if (res.status !== 303) throw new Error(`sign-in of ${username}: ${res.status}`);
    return c;
  };
  const idHash = (c: ConsoleClient) => sha256Hex(c.cookies.get(SESSION_COOKIE)!);

  test('the console asks for the current password; without it or with a wrong one nothing changes and no session ends', async () => {
    await setPassword(app.db.kysely, 'admin', 'perencana.dinkes', TEST_PASSWORD);
    const owner = await signedIn('perencana.dinkes');
    const thief = await signedIn('perencana.dinkes');
    const sessions = await sessionsOf('perencana.dinkes');
    expect(sessions).toHaveLength(2);
    const hashBefore = (await app.db.kysely.selectFrom('users').select('password_hash').where('username', '=', 'perencana.dinkes').executeTakeFirstOrThrow()).password_hash;

    // The thief's session: the form asks for the current password, and the change needs it.
    const form = await thief.get('/password');
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="current"');
    const missing = await thief.post('/password', { password: 'Diambil Alih 2026', repeat: 'Diambil Alih 2026' }, form);
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('id="current-error"');
    const wrong = await thief.post('/password', { current: 'tebakan-pertama-1', password: 'Diambil Alih 2026', repeat: 'Diambil Alih 2026' }, form);
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('id="current-error"');
    expect((await app.db.kysely.selectFrom('users').select('password_hash').where('username', '=', 'perencana.dinkes').executeTakeFirstOrThrow()).password_hash).toBe(hashBefore);
    expect(await checkLogin(app.db.kysely, 'perencana.dinkes', 'Diambil Alih 2026')).toBeUndefined();
    expect(await sessionsOf('perencana.dinkes')).toEqual(sessions);
    // The wrong guess counts like a failed sign-in, for the client and the username.
    expect(await app.db.kysely.selectFrom('auth_failures').select(['client', 'username']).where('username', '=', 'perencana.dinkes').execute())
      .toEqual([{ client: '127.0.0.1', username: 'perencana.dinkes' }]);
    expect((await owner.get('/inbox')).status).toBe(200);
    await app.db.kysely.deleteFrom('auth_failures').execute();
  });

  test('a change in the console (with the current password) ends every other session of the user, and keeps this one', async () => {
    for (const u of ['perencana.dinkes', 'kadis.dinkes']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    const owner = await signedIn('perencana.dinkes');
    const thief = await signedIn('perencana.dinkes');
    const bystander = await signedIn('kadis.dinkes');
    expect((await thief.get('/inbox')).status).toBe(200);

    const form = await owner.get('/password');
    const changed = await owner.post('/password', { current: TEST_PASSWORD, password: 'Pulih Kembali 2026', repeat: 'Pulih Kembali 2026' }, form);
    expect(changed.status).toBe(303);
    expect(changed.location).toBe('/inbox');
    expect(await checkLogin(app.db.kysely, 'perencana.dinkes', 'Pulih Kembali 2026')).toEqual({ username: 'perencana.dinkes', mustChange: false });
    expect(await sessionsOf('perencana.dinkes')).toEqual([idHash(owner)]);
    expect((await owner.get('/inbox')).status).toBe(200);
    const gone = await thief.get('/inbox');
    expect(gone.status).toBe(303);
    expect(gone.location).toMatch(/^\/signin/);
    // Another user's session is untouched.
    expect((await bystander.get('/inbox')).status).toBe(200);
  });

  test('a change through the API ends the user\'s console sessions', async () => {
    await setPassword(app.db.kysely, 'admin', 'kadis.dinkes', TEST_PASSWORD);
    const thief = await signedIn('kadis.dinkes');
    expect(await sessionsOf('kadis.dinkes')).toHaveLength(1);
    const res = await app.call('kadis.dinkes', 'PUT', '/api/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: 'Lewat API 2026x' });
    expect(res.status).toBe(204);
    expect(await sessionsOf('kadis.dinkes')).toEqual([]);
    expect((await thief.get('/inbox')).status).toBe(303);
    // A change is no reset: the API token that made it keeps working.
    expect((await app.call('kadis.dinkes', 'GET', '/api/v1/me')).status).toBe(200);
  });

  test('an admin reset through the API ends all the user\'s sessions and revokes all their API tokens', async () => {
    await setPassword(app.db.kysely, 'admin', 'perencana.pupr', TEST_PASSWORD);
    const a = await signedIn('perencana.pupr');
    const b = await signedIn('perencana.pupr');
    const extra = await mintToken(app.db.kysely, 'perencana.pupr');
    expect(await liveTokens('perencana.pupr')).toBe(2);
    const bystanderTokens = await liveTokens('kadis.pupr');

    const res = await app.call('admin', 'POST', '/api/v1/users/perencana.pupr/password-reset');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: 'perencana.pupr', mustChange: true, endedSessions: 2, revokedTokens: 2 });
    expect(await sessionsOf('perencana.pupr')).toEqual([]);
    expect(await liveTokens('perencana.pupr')).toBe(0);
    expect(await liveTokens('kadis.pupr')).toBe(bystanderTokens);
    for (const c of [a, b]) expect((await c.get('/inbox')).status).toBe(303);
    expect((await app.call('perencana.pupr', 'GET', '/api/v1/me')).status).toBe(401);
    expect((await app.call(extra, 'GET', '/api/v1/me')).status).toBe(401);

    // Only the session that signs in with the temporary password may replace it without giving it again.
    const holder = await signedIn('perencana.pupr', res.body.temporaryPassword);
    const other = await signedIn('perencana.pupr', res.body.temporaryPassword);
    const form = await holder.get('/password');
    expect(form.text).not.toContain('name="current"');
    const done = await holder.post('/password', { password: 'Dipilih Sendiri 2026', repeat: 'Dipilih Sendiri 2026' }, form);
    expect(done.status).toBe(303);
    expect(await checkLogin(app.db.kysely, 'perencana.pupr', 'Dipilih Sendiri 2026')).toEqual({ username: 'perencana.pupr', mustChange: false });
    expect(await sessionsOf('perencana.pupr')).toEqual([idHash(holder)]);
    expect((await other.get('/inbox')).status).toBe(303);
    // From now on this session too needs the current password.
    const again = await holder.get('/password');
    expect(again.text).toContain('name="current"');
    expect((await holder.post('/password', { password: 'Tanpa Sandi Lama 1', repeat: 'Tanpa Sandi Lama 1' }, again)).status).toBe(422);
    expect(await checkLogin(app.db.kysely, 'perencana.pupr', 'Dipilih Sendiri 2026')).toBeTruthy();
  });

  test('an admin reset in the console says what it ends, and does it', async () => {
    await setPassword(app.db.kysely, 'admin', 'verifikator.bappeda', TEST_PASSWORD);
    const victim = await signedIn('verifikator.bappeda');
    expect(await liveTokens('verifikator.bappeda')).toBe(1);
    await setPassword(app.db.kysely, 'admin', 'admin', TEST_PASSWORD);
    const admin = await signedIn('admin');
    const page = await admin.get('/admin/users/verifikator.bappeda');
    expect(page.text).toContain('mengakhiri semua sesi konsol pengguna, mencabut semua token API-nya');
    const posted = await admin.post('/admin/users/verifikator.bappeda/password-reset', {}, page);
    expect(posted.status).toBe(303);
    const reset = await admin.get(posted.location!);
    expect(reset.status).toBe(200);
    expect(reset.text).toContain('1 sesi konsol diakhiri dan 1 token API milik verifikator.bappeda dicabut');
    expect(await sessionsOf('verifikator.bappeda')).toEqual([]);
    expect(await liveTokens('verifikator.bappeda')).toBe(0);
    expect((await victim.get('/inbox')).status).toBe(303);
    expect((await admin.get('/inbox')).status).toBe(200);
    // The English page says it too.
    expect((await admin.get('/admin/users/verifikator.bappeda?lang=en')).text)
      .toContain('ends all the user&#39;s console sessions, revokes all their API tokens');
  });
});
