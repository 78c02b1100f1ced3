import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { proposal, YEAR } from './support/proposals';
import { mintToken } from '../src/auth/tokens';

describeBackends('refused requests change nothing', (kind) => {
  let app: TestApp;
  let draft: string; // a dinkes draft
  let review: string; // a dinkes proposal in opd_review, submitted by perencana.dinkes
  const post = (user: string | undefined, id: string, body: unknown, headers?: Record<string, string>) =>
    app.call(user, 'POST', `/api/v1/instances/${id}/events`, body, headers);

  beforeAll(async () => {
    app = await startTestApp(kind);
    // One official holding both planner and opd_head: segregation of duties must still hold.
    await app.db.kysely.insertInto('users').values({ username: 'ganda.dinkes', full_name: 'Ganda Rangkap', org_id: 'dinkes' }).execute();
    await app.db.kysely.insertInto('user_roles').values([
      { username: 'ganda.dinkes', role: 'planner', org_id: 'dinkes' },
      { username: 'ganda.dinkes', role: 'opd_head', org_id: 'dinkes' },
    ]).execute();
    app.tokens['ganda.dinkes'] = await mintToken(app.db.kysely, 'ganda.dinkes');
    draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    review = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    expect((await post('perencana.dinkes', review, { type: 'submit' })).status).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  /** Sends the request, checks status, problem type and field paths, and that nothing was written. */
  async function refused(
    status: number,
    send: () => Promise<{ status: number; body: any; headers: Headers }>, // eslint-disable-line @typescript-eslint/no-explicit-any
    type?: string,
    paths?: string[],
  ) {
    const before = await writeCounts(app.db);
    const res = await send();
    expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), detail: expect.any(String) }));
    if (type) expect(res.body.type).toMatch(new RegExp(`/${type}$`));
    if (paths) expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([...paths].sort());
    expect(await writeCounts(app.db)).toEqual(before);
    return res;
  }

  test('400 malformed JSON, 413 too large, 415 not JSON', async () => {
    await refused(400, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', '{"workflow": "budget-proposal",'), 'malformed-json');
    await refused(413, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'x'.repeat(1_100_000) }) }), 'payload-too-large');
    await refused(415, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', 'workflow=x', { 'content-type': 'application/x-www-form-urlencoded' }));
    await refused(400, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', '[1,2]'));
  });

  test('401 without a valid token', async () => {
    await refused(401, () => app.call(undefined, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() }), 'unauthorized');
    await refused(401, () => post('grms_forged', draft, { type: 'submit' }), 'unauthorized');
    await refused(401, () => app.call('Basic abc', 'GET', '/api/v1/tasks'));
  });

  test('404 for what does not exist and for what the caller may not read', async () => {
    await refused(404, () => post('perencana.pupr', draft, { type: 'submit' }), 'not-found');
    await refused(404, () => app.call('perencana.pupr', 'GET', `/api/v1/instances/${draft}`), 'not-found');
    await refused(404, () => post('kadis.dinkes', '00000000-0000-4000-8000-000000000000', { type: 'approve' }));
    await refused(404, () => post('kadis.dinkes', '../../etc/passwd', { type: 'approve' }));
    // 404 wins over a missing event type.
    await refused(404, () => post('perencana.pupr', draft, {}));
  });

  test('403 for the wrong role, and for segregation of duties whatever roles the user holds', async () => {
    await refused(403, () => post('kadis.dinkes', draft, { type: 'submit' }), 'forbidden');
    await refused(403, () => post('verifikator.bappeda', review, { type: 'approve' }), 'forbidden');
    await refused(403, () => app.call('auditor.inspektorat', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() }), 'forbidden');
    await refused(403, () => app.call('perencana.dinkes', 'PUT', `/api/v1/ceilings/${YEAR}/dinkes`, { amount: 1 }), 'forbidden');
    // 403 is reported before a stale If-Match.
    await refused(403, () => post('verifikator.bappeda', review, { type: 'approve' }, { 'if-match': '"99"' }), 'forbidden');

    const own = (await app.call('ganda.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    expect((await post('ganda.dinkes', own, { type: 'submit' })).status).toBe(200);
    await refused(403, () => post('ganda.dinkes', own, { type: 'approve' }), 'segregation-of-duties');
    await refused(403, () => post('ganda.dinkes', own, { type: 'return', comment: 'x' }), 'segregation-of-duties');
    expect((await app.call('ganda.dinkes', 'GET', `/api/v1/instances/${own}`)).body.allowedEvents).toEqual(['withdraw']);
    const inbox = await app.call('ganda.dinkes', 'GET', '/api/v1/tasks');
    expect(inbox.body.items.map((i: { id: string }) => i.id)).not.toContain(own);
    expect(inbox.body.items.map((i: { id: string }) => i.id)).toContain(review);
    // Even after the proposal comes back and someone else resubmits, the first submitter stays out.
    expect((await post('kadis.dinkes', own, { type: 'return', comment: 'revisi' })).status).toBe(200);
    expect((await post('perencana.dinkes', own, { type: 'submit' })).status).toBe(200);
    await refused(403, () => post('ganda.dinkes', own, { type: 'approve' }), 'segregation-of-duties');
  });

  test('412 for a stale or forged If-Match, before 409', async () => {
    await refused(412, () => post('kadis.dinkes', review, { type: 'approve' }, { 'if-match': '"1"' }), 'version-conflict');
    await refused(412, () => post('kadis.dinkes', review, { type: 'approve' }, { 'if-match': 'banana' }), 'version-conflict');
    await refused(412, () => post('kadis.dinkes', draft, { type: 'approve' }, { 'if-match': '"7"' }), 'version-conflict');
  });

  test('409 when the current state has no such transition', async () => {
    await refused(409, () => post('kadis.dinkes', draft, { type: 'approve' }), 'transition-not-allowed');
    await refused(409, () => post('perencana.dinkes', draft, { type: 'frobnicate' }), 'transition-not-allowed');
    await refused(409, () => post('perencana.dinkes', review, { type: 'submit' }), 'transition-not-allowed');
  });

  test('422 for invalid data, with the failing field paths', async () => {
    const create = (data: unknown) => () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data });
    const line = proposal().lines as Array<Record<string, unknown>>;
    await refused(422, create(proposal({ lines: [] })), 'invalid-data', ['/data/lines']);
    await refused(422, create(proposal({ fundingSource: 'APBN', fiscalYear: '2026' })), 'invalid-data', ['/data/fiscalYear', '/data/fundingSource']);
    await refused(422, create(proposal({ lines: [{ ...line[0], unitPrice: -5 }, { ...line[1], unitPrice: 10.5 }] })), 'invalid-data', ['/data/lines/0/unitPrice', '/data/lines/1/unitPrice']);
    await refused(422, create(proposal({ lines: [{ ...line[0], volume: 1.005 }] })), 'invalid-data', ['/data/lines/0/volume']);
    await refused(422, create(proposal({ lines: [{ ...line[0], account: '5.1.02' }] })), 'invalid-data', ['/data/lines/0/account']);
    await refused(422, create(proposal({ total: 1 })), 'invalid-data', ['/data/total']);
    await refused(422, create(proposal({ lines: [{ ...line[0], volume: 1e9, unitPrice: 1e14 }] })), 'invalid-data');
    await refused(422, create(proposal({ title: 'Nul\u0000byte' })), 'invalid-data', ['/data/title']);
    await refused(422, create({ ...proposal(), hacker: "'; DROP TABLE audit_events; --" }), 'invalid-data', ['/data/hacker']);
    await refused(422, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'no-such-flow', data: proposal() }), 'invalid-data', ['/workflow']);
    await refused(422, () => post('perencana.dinkes', draft, { type: 'update', data: proposal({ lines: 'many' }) }), 'invalid-data', ['/data/lines']);
    await refused(422, () => post('perencana.dinkes', draft, { type: 'submit', data: { x: 1 } }), 'invalid-data', ['/data']);
    await refused(422, () => post('perencana.dinkes', draft, { type: 'submit', comment: 'lone \ud800 surrogate' }), 'invalid-data', ['/comment']);
    await refused(422, () => post('perencana.dinkes', draft, {}), 'invalid-data', ['/type']);
    await refused(422, () => post('kadis.dinkes', review, { type: 'return' }), 'comment-required', ['/comment']);
    await refused(422, () => post('kadis.dinkes', review, { type: 'return', comment: '   ' }), 'comment-required');
  });

  test('valid but unusual text is accepted as is', async () => {
    // Text the document fonts show: combining accents, Arabic with a ZWNJ, Javanese script (emoji and other scripts: documents.scripts.test.ts).
    const title = 'Posyandu Café\u0301 — مستشفى — می\u200cخواهم — ꦥꦸꦱ꧀ꦏꦼꦱ꧀ꦩꦱ꧀ — ' + 'a'.repeat(400);
    const res = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) });
    expect(res.status).toBe(201);
    expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${res.body.id}`)).body.title).toBe(title);
  });

  test('ceilings: 422 when exceeded or missing; never lowered below what is used', async () => {
    const through = async (year: number) => {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ fiscalYear: year }) })).body.id;
      for (const [u, t] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify']]) {
        expect((await post(u, id, { type: t })).status).toBe(200);
      }
      return id as string;
    };
    const missing = await through(YEAR + 3);
    await refused(422, () => post('tapd.sekda', missing, { type: 'approve' }), 'ceiling-missing');

    const year = YEAR + 4;
    expect((await app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/dinkes`, { amount: 200_000_000 })).status).toBe(200);
    const first = await through(year);
    const second = await through(year);
    expect((await post('tapd.sekda', first, { type: 'approve' })).status).toBe(200);
    await refused(422, () => post('tapd.sekda', second, { type: 'approve' }), 'ceiling-exceeded');
    await refused(422, () => app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/dinkes`, { amount: 100_000_000 }), 'ceiling-below-used', ['/amount']);
    await refused(422, () => app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/dinkes`, { amount: 1.5 }), 'invalid-data', ['/amount']);
    await refused(404, () => app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/nowhere`, { amount: 1 }), 'not-found');
    expect((await app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/dinkes`, { amount: 300_000_000 })).status).toBe(200);
    expect((await post('tapd.sekda', second, { type: 'approve' })).status).toBe(200);
  });

  test('Idempotency-Key: a retry returns the first response and changes nothing; another body is 422', async () => {
    const body = { workflow: 'budget-proposal', data: proposal({ title: 'Sekali saja' }) };
    const first = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', body, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);
    const before = await writeCounts(app.db);
    const again = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', body, { 'idempotency-key': 'k-1' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await writeCounts(app.db)).toEqual(before);
    await refused(422, () => app.call('perencana.dinkes', 'POST', '/api/v1/instances', { ...body, data: proposal({ title: 'Lain' }) }, { 'idempotency-key': 'k-1' }), 'idempotency-key-reused');
    // Keys are scoped per user: another planner's k-1 is a new request.
    expect((await app.call('perencana.pupr', 'POST', '/api/v1/instances', body, { 'idempotency-key': 'k-1' })).status).toBe(201);

    const id = first.body.id;
    const submit = await post('perencana.dinkes', id, { type: 'submit' }, { 'idempotency-key': 's-1' });
    const retry = await post('perencana.dinkes', id, { type: 'submit' }, { 'idempotency-key': 's-1' });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(submit.body);
    expect(retry.headers.get('etag')).toBe('"2"');
  });
});
