import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { documentedRoutes } from './support/routes';
import { proposal } from './support/proposals';

/**
 * Statuses every route of a kind gives, each answer checked against the document by the test
 * client: 400 and 422 from the request guard on every route, 401 and 429 from the token check on
 * every route behind it, and the ones the document once left out.
 */
describeBackends('the statuses the document lists', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(() => app.close());

  const routes = () => documentedRoutes().map((r) => {
    const [method, template] = r.split(' ') as [string, string];
    const op = app.contract.document.paths[template][method.toLowerCase()] as { security?: unknown[] };
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'ca' ? app.authority.caKeyId : name === 'id' ? '00000000-0000-4000-8000-000000000000' : name === 'date' ? '2030-01-01' : name === 'year' ? '2027' : 'x'));
    return { route: r, method, path, bearer: (op.security ?? []).length > 0 };
  });

  test('every route refuses a repeated query parameter (400) and a reserved one (422), before anything else', async () => {
    for (const { route, method, path } of routes()) {
      const sep = path.includes('?') ? '&' : '?';
      const repeated = await app.call(undefined, method, `${path}${sep}limit=1&limit=2`);
      const reserved = await app.call(undefined, method, `${path}${sep}__proto__=1`);
      expect([route, repeated.status, reserved.status, reserved.body.code]).toEqual([route, 400, 422, 'RESERVED_KEY']);
    }
  });

  test('the ones the document once left out: a bad cursor, a status lookup without a PIN, a bulk request by an auditor, bodies that are not JSON', async () => {
    expect((await app.call('perencana.dinkes', 'GET', '/api/v1/tasks?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
    const page = await app.call(undefined, 'GET', '/permits/status?registrationNumber=REG%2FX%2F1');
    expect([page.status, page.headers.get('content-type')]).toEqual([400, expect.stringMatching(/^text\/html/)]);
    const draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    expect((await app.call('auditor.inspektorat', 'POST', '/api/v1/instances/bulk-events', { items: [{ id: draft, type: 'submit' }] })).status).toBe(403);
    const text = { 'content-type': 'text/plain' };
    for (const [method, path] of [['POST', '/api/v1/users'], ['POST', '/api/v1/delegations'], ['PUT', '/api/v1/holidays/2030-01-01'], ['PUT', '/api/v1/users/admin/password'], ['PATCH', '/api/v1/orgs/dinkes']] as const) {
      expect([path, (await app.call('admin', method, path, 'x', text)).status]).toEqual([path, 415]);
    }
  });

  test('every route behind the token: 401 without one, and 429 for unknown tokens once an address has presented too many, while valid tokens keep working', async () => {
    const guarded = routes().filter((r) => r.bearer);
    expect(guarded.length).toBeGreaterThanOrEqual(40);
    for (const { route, method, path } of guarded) {
      const res = await app.call(undefined, method, path);
      expect([route, res.status, res.headers.get('www-authenticate')]).toEqual([route, 401, 'Bearer realm="grms"']);
    }
    // Use up this address's budget of unknown tokens, then every such route says 429 to one more.
    let limited = false;
    for (let i = 0; i < 50 && !limited; i++) limited = (await app.call(`grms_unknown${i}`, 'GET', '/api/v1/me')).status === 429;
    expect(limited).toBe(true);
    for (const { route, method, path } of guarded) {
      const res = await app.call('grms_unknown', method, path);
      expect([route, res.status, Number(res.headers.get('retry-after')) > 0]).toEqual([route, 429, true]);
    }
    expect((await app.call('perencana.dinkes', 'GET', '/api/v1/me')).status).toBe(200);
    // Public routes do not look at tokens at all.
    expect((await app.call('grms_unknown', 'GET', '/healthz')).status).toBe(200);
  });
});
