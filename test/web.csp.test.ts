import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { registerApplication } from './support/permits';
import { proposal } from './support/proposals';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { setPassword } from '../src/auth/passwords';

/** Inline style or script in served HTML: what a CSP without 'unsafe-inline' refuses to apply. */
const INLINE = /<style|\sstyle\s*=|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=/i;

describeBackends('style CSP without \'unsafe-inline\'', (kind) => {
  let app: TestApp;
  let instance: string;
  let registration: { registrationNumber: string; pin: string };
  beforeAll(async () => {
    app = await startTestApp(kind);
    for (const u of ['admin', 'auditor.inspektorat', 'perencana.dinkes']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    instance = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    registration = (await registerApplication(app)).body.receipt;
  });
  afterAll(async () => {
    await app.close();
  });

  test('every response says style-src \'self\' only', async () => {
    for (const path of ['/signin', '/permits/status', '/healthz', '/api/v1/ca.pem', '/nowhere']) {
      const csp = (await fetch(`${app.url}${path}`, { headers: { accept: 'text/html' } })).headers.get('content-security-policy') ?? '';
      expect({ path, style: /(^|;)style-src ([^;]*)/.exec(csp)?.[2] }).toEqual({ path, style: "'self'" });
      expect({ path, unsafe: csp.includes('unsafe-inline') }).toEqual({ path, unsafe: false });
    }
  });

  test('the public permit status page keeps its look from a stylesheet, in every state (form, status, refusal)', async () => {
    const pages = {
      form: await app.call(undefined, 'GET', '/permits/status'),
      status: await app.call(undefined, 'GET', `/permits/status?registrationNumber=${encodeURIComponent(registration.registrationNumber)}&pin=${registration.pin}`),
      refusal: await app.call(undefined, 'POST', '/permits/status', `registrationNumber=${encodeURIComponent(registration.registrationNumber)}&pin=00000000`, { 'content-type': 'application/x-www-form-urlencoded' }),
    };
    expect(Object.values(pages).map((p) => p.status)).toEqual([200, 200, 404]);
    for (const [name, page] of Object.entries(pages)) {
      expect({ name, inline: INLINE.exec(page.text)?.[0] ?? null }).toEqual({ name, inline: null });
      expect({ name, linked: page.text.includes('<link rel="stylesheet" href="/assets/tracking-status.css">') }).toEqual({ name, linked: true });
    }
    const css = await fetch(`${app.url}/assets/tracking-status.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toMatch(/body\{[^}]*max-width:40rem/);
  });

  test('no console page holds an inline style or script, for each kind of user', async () => {
    const pagesOf: Record<string, string[]> = {
      'perencana.dinkes': ['/inbox', '/new/budget-proposal', `/instances/${instance}`, '/password', '/verify'],
      'auditor.inspektorat': ['/audit', '/dashboard', `/instances/${instance}`],
      admin: ['/admin/users', '/admin/users/perencana.dinkes', '/admin/users/perencana.dinkes/deactivate', '/admin/orgs', '/admin/orgs/dinkes', '/admin/holidays', '/admin/delegations'],
    };
    const anonymous = new ConsoleClient(app.url);
    const signin = await anonymous.get('/signin');
    expect({ path: '/signin', inline: INLINE.exec(signin.text)?.[0] ?? null }).toEqual({ path: '/signin', inline: null });
    for (const [user, paths] of Object.entries(pagesOf)) {
      const c = new ConsoleClient(app.url);
      expect((await c.signIn(user, TEST_PASSWORD)).status).toBe(303);
      for (const path of paths) {
        const page = await c.get(path);
        expect({ user, path, status: page.status, html: page.headers.get('content-type')?.startsWith('text/html') }).toEqual({ user, path, status: 200, html: true });
        expect({ user, path, inline: INLINE.exec(page.text)?.[0] ?? null }).toEqual({ user, path, inline: null });
      }
    }
  });
});
