import { setPassword } from '../src/auth/passwords';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD } from './support/web';
import { proposal } from './support/proposals';
import { databaseState } from './support/hostile';

/**
 * Issue 11, item 9: an oversized /tasks cursor and a NUL in ?org= were answered with a 500. Every
 * malformed query value (and a NUL anywhere in the URL or a console form) is a 400 problem naming
 * the parameter, on every route, and writes nothing.
 */
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describeBackends('malformed query values are a 400', (kind) => {
  let app: TestApp;
  let id: string;
  let admin: ConsoleClient;
  let planner: ConsoleClient;

  beforeAll(async () => {
    app = await startTestApp(kind);
    id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    for (const u of ['admin', 'perencana.dinkes']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    admin = new ConsoleClient(app.url);
    await admin.signIn('admin', TEST_PASSWORD);
    planner = new ConsoleClient(app.url);
    await planner.signIn('perencana.dinkes', TEST_PASSWORD);
  });
  afterAll(async () => {
    await app?.close();
  });

  const badRequestNaming = (res: { status: number; headers: Headers; text: string }, path?: string) => {
    const body = JSON.parse(res.text) as { code?: string; errors?: Array<{ path: string }> };
    return res.status === 400 && /^application\/problem\+json/.test(res.headers.get('content-type') ?? '') && body.code === 'BAD_REQUEST' && (path === undefined || Boolean(body.errors?.some((e) => e.path === path)));
  };

  test('cursors past any column or date are refused, on every paged route', async () => {
    const before = await databaseState(app.db);
    const cursors = [
      cursorOf('99999999999999999999:99999999999999999999'), cursorOf('9999999999999999:9999999999999999'), cursorOf('99999999999999999:1'),
      cursorOf(':9223372036854775808'), cursorOf('1:99999999999999999999'), cursorOf('9999999999999999'), cursorOf('99999999999999999999'), 'A'.repeat(65),
    ];
    const mismatches: string[] = [];
    for (const path of ['/api/v1/tasks', '/api/v1/instances', `/api/v1/instances/${id}/history`]) {
      for (const cursor of cursors) {
        const res = await app.call('perencana.dinkes', 'GET', `${path}?cursor=${cursor}`);
        if (!badRequestNaming(res, '/cursor')) mismatches.push(`${path} ${Buffer.from(cursor, 'base64url').toString()}: ${res.status} ${res.text.slice(0, 100)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The cursors this app hands out still page.
    const first = await app.call('perencana.dinkes', 'GET', '/api/v1/tasks?limit=1');
    expect(first.status).toBe(200);
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('NUL, repeated and overlong values are refused wherever a route reads the query, the console included', async () => {
    const before = await databaseState(app.db);
    const mismatches: string[] = [];
    const api = ['/api/v1/instances', '/api/v1/tasks', '/api/v1/search', '/api/v1/audit/export', '/api/v1/holidays'];
    const console = ['/dashboard', '/dashboard/budget.xlsx', '/inbox', '/audit/report', '/admin/holidays'];
    for (const [query, named] of [['org=%00', '/org'], ['org=dinkes%00x', '/org'], ['org=dinkes&org=pupr', '/org'], [`q=${'x'.repeat(2001)}`, '/q'], ['year=20%0026', '/year']] as const) {
      for (const path of api) {
        const res = await app.call(path.includes('audit') ? 'auditor.inspektorat' : 'perencana.dinkes', 'GET', `${path}?${query}`);
        if (!badRequestNaming(res, named)) mismatches.push(`${path}?${query.slice(0, 30)}: ${res.status} ${res.text.slice(0, 100)}`);
      }
      for (const path of console) {
        const res = await (path.startsWith('/admin') ? admin : planner).get(`${path}?${query}`);
        if (!badRequestNaming(res, named)) mismatches.push(`${path}?${query.slice(0, 30)}: ${res.status} ${res.text.slice(0, 100)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('a NUL in the path or in a console form is a 400, not a database error', async () => {
    const before = await databaseState(app.db);
    for (const path of ['/admin/users/%00', '/admin/orgs/%00', '/api/v1/orgs/x%00']) {
      const res = await (path.startsWith('/api') ? app.call('admin', 'GET', path) : admin.get(path));
      expect({ path, ok: badRequestNaming(res) }).toEqual({ path, ok: true });
    }
    const page = await admin.get('/admin/users/kadis.dinkes');
    // The console answers with its error page, saying in Indonesian what is wrong with the field.
    for (const [path, fields] of [
      ['/admin/users/kadis.dinkes/roles', { role: 'planner', org: '\u0000' }],
      ['/admin/holidays', { date: '2030-01-02', name: 'Libur\u0000' }],
      ['/signin', { username: '\u0000', password: 'x' }],
    ] as const) {
      const res = await admin.post(path, { ...fields }, page);
      expect({ path, status: res.status, said: /role="alert">[^<]*karakter NUL[^<]*</.test(res.text) }).toEqual({ path, status: 400, said: true });
    }
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('a numeral past the range of a number in a console form is refused beside its field, not a 500', async () => {
    const form = await planner.get('/new/budget-proposal');
    const res = await planner.post('/new/budget-proposal', {
      '/fiscalYear': '2027', '/title': 'Angka besar', '/lines/0/account': '5.1.02.01.01.0024', '/lines/0/description': 'ATK',
      '/lines/0/volume': '9'.repeat(400), '/lines/0/unit': 'paket', '/lines/0/unitPrice': '1000', _action: 'save', _csrf: csrfOf(form),
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('id="f-lines-0-volume-error"');
  });
});
