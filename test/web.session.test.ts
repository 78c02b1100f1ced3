import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD } from './support/web';
import { setPassword } from '../src/auth/passwords';
import { sha256Hex, SESSION_COOKIE } from '../src/web/session';

describeBackends('web console sessions', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
    for (const u of ['perencana.dinkes', 'kadis.dinkes']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
  });
  afterAll(() => app.close());

  test('signing in sets an HttpOnly SameSite=Lax session cookie; only its hash is stored', async () => {
    const c = new ConsoleClient(app.url);
    const res = await c.signIn('perencana.dinkes', TEST_PASSWORD);
    expect(res.status).toBe(303);
    expect(res.location).toBe('/inbox');
    const set = res.headers.getSetCookie().find((s) => s.startsWith(`${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).toMatch(/Path=\//);
    const id = c.cookies.get(SESSION_COOKIE)!;
    const rows = await app.db.kysely.selectFrom('web_sessions').selectAll().where('username', '=', 'perencana.dinkes').execute();
    expect(rows.map((r) => r.id_hash)).toContain(sha256Hex(id));
    expect(JSON.stringify(rows)).not.toContain(id);
    const inbox = await c.get('/inbox');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('Sri Wahyuni');
  });

  test('a wrong password is refused with the sign-in form again, and counts as a failed authentication', async () => {
    const c = new ConsoleClient(app.url);
    const before = await app.db.kysely.selectFrom('auth_failures').select('id').execute();
    const res = await c.signIn('perencana.dinkes', 'not-the-password');
    expect(res.status).toBe(401);
    expect(res.text).toContain('Nama pengguna atau kata sandi salah');
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
    const after = await app.db.kysely.selectFrom('auth_failures').select(['id', 'client', 'username']).orderBy('id').execute();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ client: '127.0.0.1', username: 'perencana.dinkes' });
  });

  test('pages need a session: the inbox redirects to sign-in', async () => {
    const res = await new ConsoleClient(app.url).get('/inbox');
    expect(res.status).toBe(303);
    expect(res.location).toBe('/signin?next=%2Finbox');
  });

  test('a POST without the CSRF token (or with another session\'s) is refused with 403 and does nothing', async () => {
    const c = new ConsoleClient(app.url);
    await c.signIn('perencana.dinkes', TEST_PASSWORD);
    const other = new ConsoleClient(app.url);
    await other.signIn('kadis.dinkes', TEST_PASSWORD);
    const otherToken = csrfOf(await other.get('/inbox'));
    const sessions = await app.db.kysely.selectFrom('web_sessions').select('id_hash').execute();
    expect((await c.post('/signout', {})).status).toBe(403);
    expect((await c.post('/signout', { _csrf: otherToken })).status).toBe(403);
    expect(await app.db.kysely.selectFrom('web_sessions').select('id_hash').execute()).toHaveLength(sessions.length);
    expect((await c.get('/inbox')).status).toBe(200);
    // The sign-in form is protected too (double-submit cookie before any session exists).
    const anon = new ConsoleClient(app.url);
    const refused = await anon.post('/signin', { username: 'perencana.dinkes', password: TEST_PASSWORD });
    expect(refused.status).toBe(403);
    expect(anon.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  test('a CSRF token in the query string is refused: only the form body carries it (multipart included)', async () => {
    const c = new ConsoleClient(app.url);
    await c.signIn('perencana.dinkes', TEST_PASSWORD);
    const token = csrfOf(await c.get('/inbox'));
    const id = c.cookies.get(SESSION_COOKIE)!;
    const stillSignedIn = async () => {
      expect(await app.db.kysely.selectFrom('web_sessions').select('id_hash').where('id_hash', '=', sha256Hex(id)).execute()).toHaveLength(1);
      expect((await c.get('/inbox')).status).toBe(200);
    };
    const inQuery = await c.request('POST', `/signout?_csrf=${encodeURIComponent(token)}`, new URLSearchParams({ other: 'x' }));
    expect(inQuery.status).toBe(403);
    await stillSignedIn();
    // Both: the body's token is the one checked, a query copy changes nothing.
    expect((await c.request('POST', '/signout?_csrf=wrong', new URLSearchParams({ _csrf: 'also-wrong' }))).status).toBe(403);
    await stillSignedIn();

    // The verify page's upload carries the token as a field of its multipart body.
    const page = await c.get('/verify');
    expect(page.text).toContain('action="/verify" enctype="multipart/form-data"');
    expect(page.text).not.toMatch(/action="[^"]*_csrf=/);
    const upload = (withToken: boolean) => {
      const form = new FormData();
      if (withToken) form.set('_csrf', token);
      form.set('pdf', new Blob([Buffer.from('%PDF-1.4\nnot really a pdf\n')], { type: 'application/pdf' }), 'surat.pdf');
      return form;
    };
    const checked = await c.request('POST', '/verify', upload(true));
    expect(checked.status).toBe(200);
    expect(checked.text).toContain('class="verdict invalid"');
    const queryOnly = await c.request('POST', `/verify?_csrf=${encodeURIComponent(token)}`, upload(false));
    expect(queryOnly.status).toBe(403);
    expect(queryOnly.text).not.toContain('class="verdict');
    // A multipart body anywhere else is refused, token or not.
    const signout = new FormData();
    signout.set('_csrf', token);
    expect((await c.request('POST', '/signout', signout)).status).toBe(403);
    await stillSignedIn();
  });

  test('signing out deletes the session row; the old cookie no longer works', async () => {
    const c = new ConsoleClient(app.url);
    await c.signIn('perencana.dinkes', TEST_PASSWORD);
    const id = c.cookies.get(SESSION_COOKIE)!;
    const out = await c.post('/signout', {}, await c.get('/inbox'));
    expect(out.status).toBe(303);
    expect(await app.db.kysely.selectFrom('web_sessions').select('id_hash').where('id_hash', '=', sha256Hex(id)).execute()).toHaveLength(0);
    c.cookies.set(SESSION_COOKIE, id);
    expect((await c.get('/inbox')).status).toBe(303);
  });

  test('deactivating a user ends their sessions at once', async () => {
    await setPassword(app.db.kysely, 'admin', 'kadis.dinkes', TEST_PASSWORD);
    const c = new ConsoleClient(app.url);
    await c.signIn('kadis.dinkes', TEST_PASSWORD);
    expect((await c.get('/inbox')).status).toBe(200);
    const off = await app.call('admin', 'POST', '/api/v1/users/kadis.dinkes/deactivate', {});
    expect(off.status).toBe(200);
    expect((await c.get('/inbox')).status).toBe(303);
  });

  test('a reset password must be changed before anything else', async () => {
    await setPassword(app.db.kysely, 'admin', 'perencana.dinkes', TEST_PASSWORD, { mustChange: true, reset: true });
    const c = new ConsoleClient(app.url);
    const res = await c.signIn('perencana.dinkes', TEST_PASSWORD);
    expect(res.location).toBe('/password');
    expect((await c.get('/inbox')).location).toBe('/password');
    const form = await c.get('/password');
    const short = await c.post('/password', { password: 'short', repeat: 'short' }, form);
    expect(short.status).toBe(422);
    expect(short.text).toContain('aria-invalid="true"');
    const ok = await c.post('/password', { password: 'sandi-baru-yang-panjang', repeat: 'sandi-baru-yang-panjang' }, form);
    expect(ok.location).toBe('/inbox');
    expect((await c.get('/inbox')).status).toBe(200);
    await setPassword(app.db.kysely, 'admin', 'perencana.dinkes', TEST_PASSWORD);
  });

  test('language: Bahasa Indonesia by default, ?lang=en switches and is remembered', async () => {
    const c = new ConsoleClient(app.url);
    const id = await c.get('/signin');
    expect(id.text).toContain('<html lang="id">');
    expect(id.text).toContain('Masuk ke grms');
    const en = await c.get('/signin?lang=en');
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Sign in to grms');
    expect((await c.get('/signin')).text).toContain('Sign in to grms');
  });

  test('console assets are served from the project, and API paths keep problem+json', async () => {
    const css = await fetch(`${app.url}/assets/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    const js = await fetch(`${app.url}/assets/console.js`);
    expect(js.status).toBe(200);
    expect((await fetch(`${app.url}/assets/nope.js`)).status).toBe(404);
    const api = await app.call(undefined, 'GET', '/api/v1/nope');
    expect(api.status).toBe(401);
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    const page404 = await new ConsoleClient(app.url).get('/no-such-page');
    expect(page404.status).toBe(404);
    expect(page404.headers.get('content-type')).toMatch(/text\/html/);
  });

  test('the session cookie is no API credential, and an expired session is no session', async () => {
    const c = new ConsoleClient(app.url);
    await c.signIn('perencana.dinkes', TEST_PASSWORD);
    const api = await c.request('GET', '/api/v1/tasks', undefined, { accept: 'application/json' });
    expect(api.status).toBe(401);
    const id = c.cookies.get(SESSION_COOKIE)!;
    await app.db.kysely.updateTable('web_sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('id_hash', '=', sha256Hex(id)).execute();
    expect((await c.get('/inbox')).status).toBe(303);
  });

  test('pages are sent with a CSP that allows no inline script, and are not cached', async () => {
    const page = await new ConsoleClient(app.url).get('/signin');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/form-action 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/); // plain HTTP here: assets must not be upgraded
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text).not.toMatch(/<script>|<style>/);
  });
});
