import { setPassword } from '../src/auth/passwords';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD, type PageReply } from './support/web';
import { consoleRoutes } from './support/console-routes';
import { proposal } from './support/proposals';
import { chunks, databaseState, prototypeState, requestCount, reservedNames, reservedRowActions } from './support/hostile';

/**
 * Issue 11, item 1: one console request could set Object.prototype for the whole process (the
 * no-script row button "add:/__proto__/x" walked the form data and created what was missing), and
 * the next metrics hook then threw outside any handler and ended the process. Every console form
 * route gets reserved keys (__proto__, constructor, prototype) as field names, row buttons and
 * query keys at depths 1 to 3; each is refused with a 422 naming the path, nothing is written,
 * nothing reaches a prototype of this process (the server runs in it), and it keeps serving.
 */
describeBackends('console: reserved keys never reach a prototype', (kind) => {
  let app: TestApp;
  let draft: string;
  const clients: Record<string, ConsoleClient> = {};
  const forms: Record<string, PageReply> = {};

  beforeAll(async () => {
    app = await startTestApp(kind);
    draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    for (const u of ['perencana.dinkes', 'admin']) {
      await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
      clients[u] = new ConsoleClient(app.url);
      const res = await clients[u]!.signIn(u, TEST_PASSWORD);
      if (res.status !== 303) throw new Error(`sign-in of ${u}: ${res.status}`);
    }
    forms.planner = await clients['perencana.dinkes']!.get('/new/budget-proposal');
    forms.admin = await clients.admin!.get('/admin/users');
  });
  afterAll(async () => {
    await app?.close();
  });

  const PARAMS: Record<string, string> = { workflow: 'budget-proposal', event: 'update', username: 'perencana.dinkes', id: '', date: '2030-01-01', doc: '00000000-0000-0000-0000-000000000000' };
  const concrete = (template: string) => template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(name === 'id' ? draft : PARAMS[name]!));
  /** Who posts to a route: the admin area's admin, everyone else the Dinkes planner (who owns the draft's form). */
  const posterOf = (path: string) => (path.startsWith('/admin') ? 'admin' : 'perencana.dinkes');
  const tokenOf = (user: string) => csrfOf(user === 'admin' ? forms.admin! : forms.planner!);

  /** A valid form for each of the two routes that take row buttons, so only the hostile part differs. */
  const validForm = (): Record<string, string> => ({
    '/fiscalYear': '2027', '/subKegiatan/code': '1.02.02.2.02.0001', '/subKegiatan/name': 'Pelayanan kesehatan', '/title': 'Posyandu',
    '/output/indicator': 'Posyandu aktif', '/output/target': '12', '/output/unit': 'posyandu', '/fundingSource': 'PAD', '/location': 'Kecamatan Tembalang',
    '/lines/0/account': '5.1.02.01.01.0024', '/lines/0/description': 'ATK', '/lines/0/volume': '2', '/lines/0/unit': 'paket', '/lines/0/unitPrice': '1000',
  });

  test('every console POST route refuses reserved field names at depths 1-3 with a 422 naming the path; nothing reaches a prototype or the database', async () => {
    const prototypes = prototypeState();
    const before = await databaseState(app.db);
    const posts = consoleRoutes().filter((r) => r.startsWith('POST '));
    expect(posts.length).toBeGreaterThan(15);
    const mismatches: string[] = [];
    for (const route of posts) {
      const path = concrete(route.slice('POST '.length));
      const user = posterOf(path);
      for (const group of chunks(reservedNames())) {
        const fields = new URLSearchParams({ ...validForm(), _csrf: tokenOf(user) });
        for (const { value } of group) fields.append(value, 'x');
        const res = await clients[user]!.request('POST', path, fields);
        const unnamed = group.filter((h) => !res.text.includes(h.path)).map((h) => h.value);
        if (res.status !== 422 || unnamed.length) mismatches.push(`${route} fields ${unnamed.join(' ')}: ${res.status} ${/role="alert">([^<]*)</.exec(res.text)?.[1] ?? res.text.slice(0, 120)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(prototypeState()).toBe(prototypes);
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('row buttons naming reserved parts are refused with a 422 naming the pointer: the pointer is resolved against the schema, never the data', async () => {
    const prototypes = prototypeState();
    const before = await databaseState(app.db);
    const planner = clients['perencana.dinkes']!;
    const mismatches: string[] = [];
    for (const path of ['/new/budget-proposal', `/instances/${draft}/events/update`]) {
      for (const { value, path: named } of reservedRowActions()) {
        const res = await planner.post(path, { ...validForm(), _action: value }, forms.planner);
        if (res.status !== 422 || !res.text.includes(named)) mismatches.push(`${path} ${value}: ${res.status}`);
      }
      // Pointers the schema does not list are no rows, whatever the data would hold.
      for (const value of ['add:/title', 'add:/subKegiatan', 'add:/lines/0', 'add:/lines/7/x', 'add:/nosuch', 'add:/lines/0/account', 'remove:/title/0', 'remove:/lines']) {
        const res = await planner.post(path, { ...validForm(), _action: value }, forms.planner);
        if (res.status !== 422) mismatches.push(`${path} ${value}: ${res.status}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The schema's own lists still work: a row added, a row removed, nothing saved.
    const added = await planner.post('/new/budget-proposal', { ...validForm(), _action: 'add:/lines' }, forms.planner);
    expect(added.status).toBe(200);
    expect(added.text).toContain('name="/lines/1/account"');
    const removed = await planner.post('/new/budget-proposal', { ...validForm(), _action: 'remove:/lines/0' }, forms.planner);
    expect(removed.status).toBe(200);
    expect(removed.text).not.toContain('value="ATK"');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(prototypeState()).toBe(prototypes);
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('every console route refuses reserved query keys with a 422 problem naming the key; afterwards the process serves and counts requests as before', async () => {
    const prototypes = prototypeState();
    const before = await databaseState(app.db);
    const mismatches: string[] = [];
    for (const route of consoleRoutes()) {
      const [method, template] = route.split(' ') as [string, string];
      const path = concrete(template);
      const user = posterOf(path);
      for (const group of chunks(reservedNames())) {
        const query = `?${group.map((h) => `${encodeURIComponent(h.value)}=1`).join('&')}`;
        const res = method === 'GET' ? await clients[user]!.get(path + query) : await clients[user]!.post(path + query, { _csrf: tokenOf(user) });
        const body = /json/.test(res.headers.get('content-type') ?? '') ? (JSON.parse(res.text) as { errors?: Array<{ path: string }> }) : undefined;
        const unnamed = group.filter((h) => !body?.errors?.some((e) => e.path === h.path)).map((h) => h.value);
        if (res.status !== 422 || unnamed.length) mismatches.push(`${route} ?${unnamed.join(' ')}: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(prototypeState()).toBe(prototypes);
    expect(await databaseState(app.db)).toEqual(before);
    // Alive, and the response hooks still work: one more request is counted under its route.
    const metrics = async () => (await fetch(`${app.url}/metrics`)).text();
    const counted = requestCount(await metrics(), 'GET', '/healthz', 200);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(requestCount(await metrics(), 'GET', '/healthz', 200)).toBe(counted + 1);
  });
});
