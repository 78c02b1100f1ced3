import fs from 'node:fs';
import path from 'node:path';
import { describePostgres } from '../support/db';
import { startTestApp, writeCounts, type TestApp } from '../support/app';
import { proposal } from '../support/proposals';
import { permitData } from '../support/permits';

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
    // Valid but unusual text is accepted and comes back unchanged.
    for (const title of ['Puskesmas 🏥 Ngaliyan', 'Cafe\u0301 Posyandu', 'מרכז בריאות — مركز صحي', 'ꦥꦸꦱ꧀ꦏꦼꦱ꧀ꦩꦱ꧀', 'N'.repeat(500)]) {
      const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) });
      expect(created.status).toBe(201);
      expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${created.body.id}`)).body.title).toBe(title);
    }
  }, 300_000);
});
