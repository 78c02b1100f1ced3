import fs from 'node:fs';
import path from 'node:path';
import { describePostgres } from '../support/db';
import { startTestApp, writeCounts, type TestApp } from '../support/app';
import { proposal, YEAR } from '../support/proposals';
import { permitData } from '../support/permits';
import { setPassword } from '../../src/auth/passwords';
import { documentedRoutes } from '../support/routes';
import { consoleRoutes } from '../support/console-routes';
import { ConsoleClient, csrfOf, TEST_PASSWORD } from '../support/web';
import { databaseState, prototypeState, RESERVED, reservedNames, reservedRowActions } from '../support/hostile';

/** A small seeded PRNG (mulberry32), so every run sends the same requests. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  "'; DROP TABLE audit_events; --", '../../../../etc/passwd', '%2e%2e%2f%2e%2e%2f', '\u0000', 'a\ud800b', '\udfff', '{{7*7}}', '<script>alert(1)</script>',
  '1e400', '-1', '0.5', 'NaN', '${jndi:ldap://x}', ' ', '', 'x'.repeat(5000),
];

/** encodeURIComponent, but a lone surrogate becomes the invalid UTF-8 it would be on the wire. */
function enc(s: string): string {
  return s.split(/([\ud800-\udfff])/).map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part))).join('');
}

interface Req {
  user: string | undefined;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

describePostgres('reliability: malformed input', () => {
  let app: TestApp;
  let draft: string;
  let review: string;
  beforeAll(async () => {
    app = await startTestApp('postgres');
    draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    review = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${review}/events`, { type: 'submit' });
  });
  afterAll(async () => {
    await app.close();
  });

  function generate(rand: () => number, n: number): Req[] {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const line = () => ({ ...(proposal().lines as object[])[0] });
    const gens: Array<() => Req> = [
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: pick(['{', '{"workflow":', '[1,2', '{"a":1}}', 'null', '"str"', '{"workflow":"budget-proposal","data":{"lines":[}}']) }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: { workflow: 'budget-proposal', data: proposal({ [pick(['fiscalYear', 'title', 'lines', 'output', 'fundingSource', 'subKegiatan'])]: pick([null, 42, [], {}, true, -1, 1e308]) }) } }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: `{"workflow":"budget-proposal","data":${JSON.stringify(proposal()).replace('"unitPrice":185000', `"unitPrice":${pick(['1e400', '-185000', '185000.5', '99999999999999999999', '-0.01'])}`)}}` }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: { workflow: 'budget-proposal', data: proposal({ lines: [{ ...line(), volume: pick([0, -1, 1.005, 1e12, 'satu']) }] }) } }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: { workflow: 'budget-proposal', data: proposal({ title: pick(NASTY.filter((s) => /\u0000|[\ud800-\udfff]/.test(s) || s === '' || s.length > 500)) }) } }),
      () => ({ user: 'fo.dpmptsp', method: 'POST', path: '/api/v1/instances', body: { workflow: 'permit', data: permitData({ applicant: { name: 'X', nik: pick(['33740157089200AB', '123', '33740157089200011', 'abcdefghijklmnop']), address: 'Jl. Pemuda' } }) } }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: `{"workflow":"budget-proposal","data":${'['.repeat(5000)}${']'.repeat(5000)}}` }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: `{"workflow":"budget-proposal","data":{"title":"${'x'.repeat(1_100_000)}"}}` }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: `/api/v1/instances/${draft}/events`, body: { type: pick(['frobnicate', 'approve', 'ratify', '', 42, null, ...NASTY]) } }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: `/api/v1/instances/${enc(pick(NASTY))}/events`, body: { type: 'submit' } }),
      () => ({ user: 'kadis.dinkes', method: 'POST', path: `/api/v1/instances/${review}/events`, body: { type: 'approve' }, headers: { 'if-match': pick(['"0"', '"999999"', 'W/"x"', '*garbage', '"-1"', '"1e3"']) } }),
      () => ({ user: 'kadis.dinkes', method: 'POST', path: `/api/v1/instances/${review}/events`, body: { type: 'return', comment: pick(['', '   ', 'a\u0000b', 'x\udc00', 42]) } }),
      () => ({ user: 'kadis.dinkes', method: 'GET', path: `/api/v1/instances?limit=${enc(pick(['0', '-5', '201', 'abc', '1e9']))}` }),
      () => ({ user: 'kadis.dinkes', method: 'GET', path: `/api/v1/instances?cursor=${enc(pick(NASTY.filter((s) => s !== '')))}` }),
      () => ({ user: 'tapd.sekda', method: 'PUT', path: `/api/v1/ceilings/${pick(['abc', '1999', '2026'])}/${enc(pick(['dinkes', ...NASTY]))}`, body: { amount: pick([-1, 1.5, '1000', null, 1e300]) } }),
      () => ({ user: 'auditor.inspektorat', method: 'GET', path: `/api/v1/audit/export?from=${enc(pick(NASTY.filter((s) => s !== '')))}&instance=${enc(pick(NASTY.filter((s) => s !== '')))}` }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances', body: 'workflow=budget-proposal', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      () => ({ user: 'perencana.dinkes', method: 'POST', path: '/api/v1/instances/bulk-events', body: { items: pick([[], 'x', [{ id: 1 }], Array(501).fill({ id: draft, type: 'submit' })]) } }),
      () => ({ user: undefined, method: 'POST', path: '/api/v1/verify', body: pick(['%PDF-1.7 garbage', 'not a pdf', '']), headers: { 'content-type': 'text/plain' } }),
      () => ({ user: 'auditor.inspektorat', method: 'DELETE', path: `/api/v1/instances/${draft}` }),
    ];
    return Array.from({ length: n }, () => pick(gens)());
  }

  test('5,000 malformed requests: every one a 4xx problem+json, nothing written, the server stays up', async () => {
    const rand = prng(20261125);
    const requests = generate(rand, 5000);
    // Forged tokens last: they trip the failed-authentication limit, which then answers 429.
    for (let i = 0; i < 100; i++) requests.push({ user: `grms_${'A'.repeat(43 - String(i).length)}${i}`, method: 'GET', path: '/api/v1/tasks' });
    const before = await writeCounts(app.db);
    const rssBefore = process.memoryUsage().rss;
    const seen = new Map<number, number>();
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; i < requests.length && Date.now() - started < 240_000; i += 8) {
      const batch = requests.slice(i, i + 8);
      const replies = await Promise.all(batch.map((r) => app.call(r.user, r.method, r.path, r.body, r.headers)));
      replies.forEach((res, k) => {
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        const ok = res.status >= 400 && res.status < 500 && /^application\/problem\+json/.test(res.headers.get('content-type') ?? '');
        if (!ok && failures.length < 10) failures.push(`${batch[k]!.method} ${batch[k]!.path.slice(0, 80)} → ${res.status} ${res.text.slice(0, 200)}`);
      });
    }
    const sent = [...seen.values()].reduce((a, b) => a + b, 0);
    const rssAfter = process.memoryUsage().rss;
    const summary = { sent, statuses: Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])), rssBeforeMB: Math.round(rssBefore / 1e6), rssAfterMB: Math.round(rssAfter / 1e6) };
    console.log(`bad-input run: ${JSON.stringify(summary)}`);
    fs.mkdirSync(path.resolve(__dirname, '..', 'artifacts'), { recursive: true });
    fs.writeFileSync(path.resolve(__dirname, '..', 'artifacts', 'reliability-bad-input.json'), JSON.stringify(summary, null, 2));
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(5000);
    expect(await writeCounts(app.db)).toEqual(before);
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    await app.db.kysely.deleteFrom('auth_failures').execute();
    // Valid but unusual text is accepted and comes back unchanged (text no document could show,
    // such as emoji or Hebrew, is refused: documents.scripts.test.ts).
    for (const title of ['Puskesmas Nguyễn Ngaliyan', 'Cafe\u0301 Posyandu', 'Puskesmas — مركز صحي', 'ꦥꦸꦱ꧀ꦏꦼꦱ꧀ꦩꦱ꧀', 'N'.repeat(500)]) {
      const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) });
      expect(created.status).toBe(201);
      expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${created.body.id}`)).body.title).toBe(title);
    }
  }, 300_000);

  /** A cursor as this app encodes them (base64url of text), holding numbers past any column's range. */
  const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
  const QUERY_VALUES = [
    ...NASTY, '99999999999999999999', '1e308', '-0', '2000', '2100.5', '9'.repeat(400), 'x'.repeat(2001),
    cursorOf('99999999999999999999'), cursorOf('9999999999999999'), cursorOf('99999999999999999:1'), cursorOf('1:99999999999999999999'),
    cursorOf('9999999999999999:9999999999999999'), cursorOf(':9223372036854775808'), cursorOf('-1:1'), 'A'.repeat(41),
  ];
  const QUERY_NAMES = ['limit', 'cursor', 'workflow', 'state', 'org', 'overdue', 'q', 'from', 'to', 'actor', 'instance', 'format', 'year', 'lang', 'next', 'done', 'created', 'check', 'date', 'registrationNumber', 'registration', 'pin', 'out'];
  /** Malformed by any route's reading: these must be a 400 (reserved names a 422), never a 5xx. */
  const MALFORMED = (value: string) => value.includes('\u0000') || value.length > 2000;

  test('query strings and console forms: malformed values and reserved keys are refused (4xx), nothing written, the server stays up', async () => {
    const rand = prng(20261206);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    await app.db.kysely.deleteFrom('auth_failures').execute();
    const users = ['perencana.dinkes', 'fo.dpmptsp', 'admin', 'kadis.dinkes'];
    const clients: Record<string, ConsoleClient> = {};
    const csrf: Record<string, string> = {};
    for (const u of users) {
      await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
      clients[u] = new ConsoleClient(app.url);
      if ((await clients[u]!.signIn(u, TEST_PASSWORD)).status !== 303) throw new Error(`sign-in of ${u}`);
      csrf[u] = csrfOf(await clients[u]!.get('/verify'));
    }
    const before = await databaseState(app.db);
    const prototypes = prototypeState();
    const ids: Record<string, string> = { id: draft, workflow: 'budget-proposal', event: 'update', username: 'kadis.dinkes', date: '2030-01-01', doc: draft, year: String(YEAR), org: 'dinkes', role: 'planner' };
    const fill = (template: string) => template.replace(/\{(\w+)\}|:(\w+)/g, (_, a: string | undefined, b: string | undefined) => (rand() < 0.2 ? enc(pick(NASTY.filter((v) => v !== ''))) : encodeURIComponent(ids[(a ?? b)!]!)));
    const userFor = (path: string) => (path.startsWith('/admin') || /users|orgs|holidays|delegations|checkpoints/.test(path) ? 'admin' : /ceilings/.test(path) ? 'tapd.sekda' : 'perencana.dinkes');
    const failures: string[] = [];
    const seen = new Map<number, number>();
    const note = (what: string, status: number, type: string, text: string, ok: boolean) => {
      seen.set(status, (seen.get(status) ?? 0) + 1);
      const said = /role="alert">([^<]*)</.exec(text)?.[1] ?? /<title>([^<]*)</.exec(text)?.[1] ?? text.slice(0, 160);
      if (!ok && failures.length < 20) failures.push(`${what.slice(0, 400)} → ${status} ${type} ${said}`);
    };
    const isRefusalPage = (status: number, type: string, text: string) =>
      status >= 400 && status < 500 && (/^application\/problem\+json/.test(type) || /^text\/html/.test(type));

    // Query strings: every API and console GET route, random known and reserved parameter names,
    // hostile values. Whatever a route makes of a value it is never a 5xx; a refusal is a problem
    // (API) or an error page (console); NUL, overlong and reserved names are always refused.
    const getRoutes = [...documentedRoutes(), ...consoleRoutes()].filter((r) => r.startsWith('GET ')).map((r) => r.slice(4));
    for (let i = 0; i < 1500; i++) {
      const template = pick(getRoutes);
      const params: Array<[string, string]> = [];
      for (let k = 0, n = 1 + Math.floor(rand() * 3); k < n; k++) {
        params.push([rand() < 0.15 ? pick(reservedNames()).value : pick(QUERY_NAMES), pick(QUERY_VALUES)]);
      }
      if (rand() < 0.05) params.push([params[0]![0], params[0]![1]]);
      const path = `${fill(template)}?${params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}`;
      const user = userFor(template);
      const onConsole = !template.startsWith('/api/') && !/^\/(healthz|readyz|metrics|openapi\.json|permits\/status)$/.test(template);
      const res = onConsole ? await clients[user === 'tapd.sekda' ? 'admin' : user]!.get(path) : await app.call(user, 'GET', path);
      const type = res.headers.get('content-type') ?? '';
      const reserved = params.some(([k]) => RESERVED.some((r) => k.split(/[/.[\]]/).includes(r)));
      const malformed = params.some(([k, v]) => MALFORMED(k) || MALFORMED(v)) || new Set(params.map(([k]) => k)).size < params.length;
      const ok = res.status < 500 && (res.status < 400 || isRefusalPage(res.status, type, res.text)) && (!reserved || res.status === 422) && (reserved || !malformed || res.status === 400);
      note(`GET ${path}`, res.status, type, res.text, ok);
    }

    // Console forms: every POST route, as a user it serves, with a form that must be refused
    // (a breaker field no route accepts), hostile values, reserved field names and row buttons.
    const broken: Record<string, () => Record<string, string>> = {
      '/signin': () => ({ username: pick(NASTY), password: pick(NASTY) }),
      '/password': () => ({ password: pick(NASTY), repeat: `${pick(NASTY)}-lain` }),
      '/new/:workflow': () => ({ '/fiscalYear': pick(['abc', '1999', '2101', '-1', '0.5', 'NaN', '1e400', ' ']), '/title': pick(NASTY), '/lines/0/volume': pick(QUERY_VALUES), '/lines/0/unitPrice': pick(QUERY_VALUES) }),
      '/instances/:id/events/:event': () => ({ '/fiscalYear': pick(['abc', '1999', '2101', ' ']), '/title': pick(NASTY), '/lines/0/volume': pick(QUERY_VALUES), _version: pick(QUERY_VALUES) }),
      '/instances/:id/events': () => ({ event: pick(['frobnicate', '', 'ratify', ...NASTY]), comment: pick(NASTY), version: pick(QUERY_VALUES) }),
      '/verify': () => ({ pdf: pick(NASTY) }),
      // A citizen's complaint form: nothing hostile files a complaint.
      '/lapor/:workflow': () => ({ '/category': pick(NASTY), '/location': pick(NASTY), '/text': pick(NASTY), '/anonymous': pick(NASTY) }),
      // The citizen's status page: a hostile number or PIN finds nothing; a step without a proven number fires nothing.
      '/lapor/lacak': () => ({ registrationNumber: pick(NASTY), pin: pick(NASTY) }),
      '/lapor/lacak/status': () => ({ event: pick(['provide_info', 'confirm', '', ...NASTY]), '/provide_info/text': pick(NASTY), _form: pick(NASTY) }),
      // A wrong or hostile PIN prints nothing.
      '/instances/:id/receipt.pdf': () => ({ pin: pick(NASTY) }),
      '/admin/users': () => ({ username: pick(NASTY), fullName: pick(NASTY), org: `tidak-ada-${pick(NASTY)}`, role: pick(NASTY) }),
      '/admin/users/:username/roles': () => ({ role: `bukan-${pick(NASTY)}`, org: pick(NASTY) }),
      '/admin/users/:username/roles/remove': () => ({ role: `bukan-${pick(NASTY)}`, org: pick(NASTY) }),
      '/admin/users/:username/password': () => ({ password: pick(['', ' ', 'pendek', '\u0000'.repeat(12), 'x'.repeat(5000)]) }),
      '/admin/users/:username/deactivate': () => ({ reason: `${'x'.repeat(1001)}${pick(NASTY)}` }),
      '/admin/orgs': () => ({ id: pick(NASTY.filter((v) => !/^[a-z0-9][a-z0-9-]{1,39}$/.test(v))), name: pick(NASTY), kind: `bukan-${pick(NASTY)}` }),
      // The logo upload takes multipart only: a form of another kind is refused before anything is read.
      '/admin/orgs/:id/logo': () => ({ logo: pick(NASTY), remove: pick(NASTY) }),
      '/admin/orgs/:id': () => ({ name: pick(['', ' ', 'x'.repeat(5000), '\u0000', 'a\ud800b']), code: pick(NASTY) }),
      '/admin/delegations': () => ({ kind: pick(NASTY), delegator: `tidak-ada-${pick(NASTY)}`, delegate: pick(NASTY), role: pick(NASTY), org: pick(NASTY), from: pick(NASTY), to: pick(NASTY) }),
      '/admin/holidays': () => ({ date: pick(NASTY), name: pick(NASTY) }),
    };
    // Routes whose every form would act (sign out, a reset, ending a delegation, removing a
    // holiday) get only reserved field names, or no CSRF token: both refused before acting.
    const unsafe = new Set(['/signout', '/lapor/lacak/selesai', '/admin/users/:username/password-reset', '/admin/delegations/:id/end', '/admin/holidays/:date/remove']);
    const postRoutes = consoleRoutes().filter((r) => r.startsWith('POST ')).map((r) => r.slice(5));
    const untested = postRoutes.filter((r) => !(r in broken) && !unsafe.has(r));
    expect(untested).toEqual([]);
    for (let i = 0; i < 1200; i++) {
      const template = pick(postRoutes);
      const user = (template === '/new/:workflow' && rand() < 0.3) || template === '/instances/:id/receipt.pdf' ? 'fo.dpmptsp' : template.startsWith('/admin') ? 'admin' : template === '/instances/:id/events' ? 'kadis.dinkes' : 'perencana.dinkes';
      const workflow = user === 'fo.dpmptsp' ? 'permit' : 'budget-proposal';
      const path = fill(template).replace('/new/budget-proposal', `/new/${workflow}`).replace('/lapor/budget-proposal', '/lapor/complaint');
      const form = unsafe.has(template) ? {} : broken[template]!();
      const parts = Object.entries(form).map(([k, v]) => `${enc(k)}=${enc(v)}`);
      const roll = rand();
      const reserved = unsafe.has(template) ? roll < 0.7 : roll < 0.2;
      const noToken = unsafe.has(template) ? !reserved : rand() < 0.05;
      if (reserved) parts.push(`${enc(pick(reservedNames()).value)}=x`);
      else if (rand() < 0.3 && /^\/(new|instances\/:id\/events\/)/.test(template)) parts.push(`_action=${enc(pick(reservedRowActions()).value)}`);
      if (!noToken) parts.push(`_csrf=${csrf[user]}`);
      const res = await clients[user]!.request('POST', path, parts.join('&'), { 'content-type': 'application/x-www-form-urlencoded' });
      const type = res.headers.get('content-type') ?? '';
      // A NUL in the path is refused with the URL, before the form is read.
      const expected = path.includes('%00') ? 400 : reserved ? 422 : undefined;
      const ok = isRefusalPage(res.status, type, res.text) && (expected === undefined || res.status === expected);
      note(`POST ${path} ${parts.join('&')}`, res.status, type, res.text, ok);
    }

    const summary = { statuses: Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])) };
    console.log(`bad-input run (queries, console forms): ${JSON.stringify(summary)}`);
    expect(failures).toEqual([]);
    expect(prototypeState()).toBe(prototypes);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(await databaseState(app.db)).toEqual(before);
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
  }, 300_000);
});
