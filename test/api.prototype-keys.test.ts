import pino from 'pino';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { documentedRoutes, openApiPaths } from './support/routes';
import { proposal } from './support/proposals';
import { chunks, databaseState, prototypeState, requestCount, reservedJsonBodies, reservedNames } from './support/hostile';

/**
 * Issue 11, item 1, for the API: no key a client chooses reaches a prototype. Every documented
 * route that takes a JSON object (or a form, or multipart fields) gets reserved keys (__proto__,
 * constructor, prototype) at depths 1 to 3, in objects and arrays, and every documented route gets
 * them as query keys: each is a 422 problem+json naming the path, nothing is written, the
 * prototypes of this process (the server runs in it) stay as they were, and it keeps serving.
 */

type Operation = { requestBody?: { content?: Record<string, unknown> } };
const operationOf = (route: string): Operation => {
  const [method, path] = route.split(' ') as [string, string];
  return ((openApiPaths() as Record<string, Record<string, Operation>>)[path] ?? {})[method.toLowerCase()] ?? {};
};
const takes = (route: string, type: string) => Object.keys(operationOf(route).requestBody?.content ?? {}).some((t) => t === type || (type === 'json' && /json$/.test(t)));

describeBackends('API: reserved keys never reach a prototype', (kind) => {
  let app: TestApp;
  let draft: string;

  beforeAll(async () => {
    app = await startTestApp(kind);
    draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  const PARAMS: Record<string, string> = {
    username: 'perencana.dinkes', year: '2027', org: 'dinkes', role: 'planner', date: '2030-01-01', id: '',
  };
  const concrete = (template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(name === 'id' ? draft : PARAMS[name]!));
  /** The caller each route would accept, so that without the guard the body would reach its handler. */
  const callerOf = (path: string) =>
    /instances|permits\/receipt/.test(path) ? 'perencana.dinkes' : /ceilings/.test(path) ? 'tapd.sekda' : /\/me\//.test(path) ? 'perencana.dinkes' : /verify|permits\/status/.test(path) ? undefined : 'admin';

  const problemNames = (res: { status: number; headers: Headers; body: { code?: string; errors?: Array<{ path: string }> } }, path: string) =>
    res.status === 422 && /^application\/problem\+json/.test(res.headers.get('content-type') ?? '') && res.body?.code === 'RESERVED_KEY' && res.body.errors?.some((e) => e.path === path);

  test('every JSON route refuses reserved keys at depths 1-3, in objects and arrays, with a 422 naming the path; nothing written, no prototype changed', async () => {
    const routes = documentedRoutes().filter((r) => takes(r, 'json'));
    expect(routes.length).toBeGreaterThan(10);
    const prototypes = prototypeState();
    const before = await databaseState(app.db);
    const mismatches: string[] = [];
    for (const route of routes) {
      const [method, template] = route.split(' ') as [string, string];
      const path = concrete(template);
      const contentType = Object.keys(operationOf(route).requestBody!.content!).find((t) => /json$/.test(t))!;
      for (const { value, path: named } of reservedJsonBodies()) {
        const res = await app.call(callerOf(path), method, path, value, { 'content-type': contentType });
        if (!problemNames(res, named)) mismatches.push(`${route} ${value}: ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(prototypeState()).toBe(prototypes);
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('form and multipart field names with reserved parts are refused with a 422 naming them', async () => {
    const prototypes = prototypeState();
    const before = await databaseState(app.db);
    const mismatches: string[] = [];
    for (const { value: name, path: named } of reservedNames()) {
      const form = new URLSearchParams({ registrationNumber: 'REG/DPMPTSP/2026/000001', pin: '123456' });
      form.append(name, 'x');
      const res = await app.call(undefined, 'POST', '/permits/status', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
      if (!problemNames(res, named)) mismatches.push(`POST /permits/status field ${name}: ${res.status} ${res.text.slice(0, 120)}`);
      const multipart = new FormData();
      multipart.append('comment', 'komentar');
      multipart.append(name, 'x');
      const reply = await fetch(`${app.url}/api/v1/instances/${draft}/comments`, { method: 'POST', headers: { authorization: `Bearer ${app.tokens['perencana.dinkes']}` }, body: multipart });
      const text = await reply.text();
      const body = JSON.parse(text) as { code?: string; errors?: Array<{ path: string }> };
      if (!problemNames({ status: reply.status, headers: reply.headers, body }, named)) mismatches.push(`POST comments field ${name}: ${reply.status} ${text.slice(0, 120)}`);
    }
    expect(mismatches).toEqual([]);
    expect(prototypeState()).toBe(prototypes);
    expect(await databaseState(app.db)).toEqual(before);
  });

  test('every documented route refuses reserved query keys with a 422 naming them; afterwards requests are served and counted as before', async () => {
    const prototypes = prototypeState();
    const before = await databaseState(app.db);
    const mismatches: string[] = [];
    for (const route of documentedRoutes()) {
      const [method, template] = route.split(' ') as [string, string];
      const path = concrete(template);
      for (const group of chunks(reservedNames())) {
        const res = await app.call(callerOf(path), method, `${path}?${group.map((h) => `${encodeURIComponent(h.value)}=1`).join('&')}`);
        const unnamed = group.filter((h) => !problemNames(res, h.path)).map((h) => h.value);
        if (unnamed.length) mismatches.push(`${route} ?${unnamed.join(' ')}: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(prototypeState()).toBe(prototypes);
    expect(await databaseState(app.db)).toEqual(before);
    const counted = requestCount((await app.call(undefined, 'GET', '/metrics')).text, 'GET', '/healthz', 200);
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    expect(requestCount((await app.call(undefined, 'GET', '/metrics')).text, 'GET', '/healthz', 200)).toBe(counted + 1);
  });
});

describeBackends('API: a response hook that throws', (kind) => {
  let app: TestApp;
  const logged: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    // A log destination that fails on every access-log line (a full disk, a closed pipe): the
    // access log's hook then throws after the response, outside any request handler.
    const destination = {
      write(text: string) {
        const line = JSON.parse(text) as Record<string, unknown>;
        if (line.msg === 'request') throw new Error('the log destination refused the line');
        logged.push(line);
      },
    };
    app = await startTestApp(kind, { logger: pino({ level: 'info' }, destination) });
  });
  afterAll(async () => {
    await app?.close();
  });

  test('is logged, and the process keeps serving and counting requests', async () => {
    const first = await app.call(undefined, 'GET', '/healthz');
    expect(first.status).toBe(200);
    const metrics = await app.call(undefined, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(requestCount(metrics.text, 'GET', '/healthz', 200)).toBe(1);
    expect((await app.call('perencana.dinkes', 'GET', '/api/v1/me')).status).toBe(200);
    expect(logged.filter((l) => l.msg === 'a response hook failed' && l.hook === 'access log').length).toBeGreaterThanOrEqual(3);
  });
});
