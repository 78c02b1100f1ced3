import { Writable } from 'node:stream';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { defaultRegistry, WorkflowRegistry } from '../src/engine/registry';
import { createLogger } from '../src/log';
import { mintToken } from '../src/auth/tokens';
import { feedbackPackage, feedbackV1 } from './support/public-package';
import { HIDDEN } from '../src/engine/confidential';
import { setPassword } from '../src/auth/passwords';
import { ConsoleClient, csrfOf, TEST_PASSWORD } from './support/web';
import { pdftotext } from './support/pdf-tools';

/**
 * The core's public capabilities, over HTTP, through a test-only package (./support/public-package.ts):
 * creation without an account (rate, body cap, validation), the anonymous actor, citizen events by
 * tracking number and PIN, and field-level confidentiality.
 */
const registry = new WorkflowRegistry([...defaultRegistry().packages, feedbackPackage]);

test('a tracking-pin step names no roles and is no task; the registry says so', () => {
  const broken = (meta: object) => {
    const [state, events] = Object.entries(feedbackV1.steps).find(([, e]) => e.withdraw)!;
    return { ...feedbackV1, steps: { ...feedbackV1.steps, [state]: { ...events, withdraw: { ...events.withdraw!, ...meta } } } };
  };
  const pkg = (def: typeof feedbackV1) => ({ ...feedbackPackage, name: 'feedback', versions: [{ definition: def, source: 'v1' }] });
  expect(() => new WorkflowRegistry([pkg(broken({ roles: ['feedback_desk'] }))])).toThrow(/received\/withdraw has scope tracking-pin, so it names no roles/);
  expect(() => new WorkflowRegistry([pkg(broken({ task: true }))])).toThrow(/received\/withdraw has scope tracking-pin, so it is no task/);
});
const RATE = { limit: 4, windowSeconds: 3600 };

describeBackends('public intake and citizen events', (kind) => {
  let app: TestApp;
  const logged: string[] = [];
  let address = 1;
  const fresh = () => ({ 'x-forwarded-for': `203.0.113.${address++}` });
  const submit = (data: unknown, headers: Record<string, string> = fresh()) => app.call(undefined, 'POST', '/api/v1/public/workflows/feedback/instances', { data }, headers);
  const citizen = (body: Record<string, unknown>, headers: Record<string, string> = fresh()) => app.call(undefined, 'POST', '/api/v1/public/tracking/events', body, headers);
  const status = (registrationNumber: string, pin: string) => app.call(undefined, 'POST', '/api/v1/public/tracking/status', { registrationNumber, pin }, fresh());
  const idOf = async (registrationNumber: string) =>
    (await app.db.kysely.selectFrom('tracking_registrations').select('instance_id').where('registration_number', '=', registrationNumber).executeTakeFirstOrThrow()).instance_id;
  const counts = async (): Promise<Record<string, number>> => ({
    ...(await writeCounts(app.db)),
    tracking: (await app.db.kysely.selectFrom('tracking_registrations').select('instance_id').execute()).length,
  });

  beforeAll(async () => {
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { logged.push(chunk.toString()); done(); } });
    app = await startTestApp(kind, {
      registry, logger: createLogger('info', sink), env: { GRMS_TRUST_PROXY: 'loopback' },
      config: { publicIntake: { rate: RATE, maxBodyBytes: 4096 } },
    });
    for (const [username, role] of [['desk.setda', 'feedback_desk'], ['reader.setda', 'feedback_reader']] as const) {
      expect((await app.call('admin', 'POST', '/api/v1/users', { username, fullName: `User ${username}`, org: 'setda', roles: [{ role, org: 'setda' }] })).status).toBe(201);
      app.tokens[username] = await mintToken(app.db.kysely, username);
    }
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(async () => {
    await app.db.kysely.deleteFrom('tracking_failures').execute();
  });

  test('a citizen creates without an account: a tracking number and PIN once, the public actor in history, the desk\'s task', async () => {
    const created = await submit({ topic: 'road', text: 'Jalan berlubang di Jl. Pemuda', reporter: { name: 'Sri Wahyuni', phone: '0812' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toMatchObject({ registrationNumber: expect.stringMatching(/^FB\/\d{6}$/), pin: expect.stringMatching(/^\d{8}$/), workflow: 'feedback', state: 'received' });
    const id = await idOf(created.body.registrationNumber);
    const row = await app.db.kysely.selectFrom('workflow_instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect([row.created_by, row.org_id]).toEqual(['@public', 'setda']);
    const history = await app.db.kysely.selectFrom('audit_events').select(['event', 'actor', 'actor_role']).where('instance_id', '=', id).execute();
    expect(history).toEqual([{ event: 'create', actor: '@public', actor_role: null }]);
    // The PIN is stored only as a hash; the desk finds the task in its inbox, the public actor reads nothing.
    expect(JSON.stringify(await app.db.kysely.selectFrom('tracking_registrations').selectAll().where('instance_id', '=', id).execute())).not.toContain(created.body.pin);
    const tasks = await app.call('desk.setda', 'GET', '/api/v1/tasks');
    expect(JSON.stringify(tasks.body)).toContain(id);
    // A second answer never repeats the PIN.
    expect((await status(created.body.registrationNumber, created.body.pin)).text).not.toContain(created.body.pin);
  });

  test('bad input: problem+json with field paths, nothing stored; an unknown or non-public workflow is 404; the body is capped', async () => {
    const before = await counts();
    const bad = await submit({ topic: 'sky', text: '', extra: 1 });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/data/extra', '/data/text', '/data/topic']);
    const extra = await app.call(undefined, 'POST', '/api/v1/public/workflows/feedback/instances', { data: { topic: 'road', text: 'x' }, org: 'dinkes' }, fresh());
    expect([extra.status, extra.body.errors]).toEqual([400, [{ path: '/org', message: expect.any(String) }]]);
    expect((await app.call(undefined, 'POST', '/api/v1/public/workflows/budget-proposal/instances', { data: {} }, fresh())).status).toBe(404);
    expect((await app.call(undefined, 'POST', '/api/v1/public/workflows/nothing/instances', { data: {} }, fresh())).status).toBe(404);
    const big = await submit({ topic: 'road', text: 'x'.repeat(5000) });
    expect([big.status, big.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await counts()).toEqual(before);
  });

  test(`per client: ${RATE.limit} submissions per window, the next 429 with Retry-After; another client is not stopped`, async () => {
    const one = fresh();
    for (let i = 0; i < RATE.limit; i++) expect((await submit({ topic: 'water', text: `air mati ${i}` }, one)).status).toBe(201);
    const before = await counts();
    const limited = await submit({ topic: 'water', text: 'lagi' }, one);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await counts()).toEqual(before);
    expect((await submit({ topic: 'water', text: 'dari tempat lain' })).status).toBe(201);
  });

  test('anonymous: no identity stored anywhere; the access log keeps no client address; rate rows only within the window', async () => {
    const created = await submit({ topic: 'other', text: 'Pungutan liar di kelurahan', anonymous: true, reporter: { name: 'Budi Rahasia', phone: '0899' } }, { 'x-forwarded-for': '192.0.2.77' });
    expect(created.status).toBe(201);
    const id = await idOf(created.body.registrationNumber);
    const row = await app.db.kysely.selectFrom('workflow_instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.data).toEqual({ topic: 'other', text: 'Pungutan liar di kelurahan', anonymous: true });
    expect(JSON.stringify(await app.db.kysely.selectFrom('audit_events').selectAll().where('instance_id', '=', id).execute())).not.toContain('Budi');
    const lines = logged.filter((l) => l.includes('/api/v1/public/'));
    expect(lines.length).toBeGreaterThan(0);
    expect(logged.join('')).not.toContain('192.0.2.77');
    expect(logged.join('')).not.toContain('Budi');
    // The rate row holds the address for the window, and is gone once the window has passed.
    const rows = () => app.db.kysely.selectFrom('public_requests').select('id').where('client', '=', '192.0.2.77').execute();
    expect(await rows()).toHaveLength(1);
    await app.db.kysely.updateTable('public_requests').set({ created_at: new Date(Date.now() - (RATE.windowSeconds + 60) * 1000) }).where('client', '=', '192.0.2.77').execute();
    expect((await submit({ topic: 'other', text: 'berikutnya' })).status).toBe(201);
    expect(await rows()).toHaveLength(0);
  });

  test('citizen events by tracking number and PIN: only the citizen\'s steps, never a signed-in user\'s; wrong PINs count', async () => {
    const created = await submit({ topic: 'road', text: 'Lampu jalan mati' });
    const { registrationNumber, pin } = created.body as { registrationNumber: string; pin: string };
    const id = await idOf(registrationNumber);
    const s = await status(registrationNumber, pin);
    expect(s.body).toMatchObject({ registrationNumber, workflow: 'feedback', state: { code: 'received', label: 'Diterima' }, events: [{ type: 'withdraw', label: 'Tarik' }] });
    // The desk sees only its own step; it may not fire the citizen's, whatever it holds.
    const desk = await app.call('desk.setda', 'GET', `/api/v1/instances/${id}`);
    expect(desk.body.allowedEvents).toEqual(['answer']);
    expect((await app.call('desk.setda', 'POST', `/api/v1/instances/${id}/events`, { type: 'withdraw' })).status).toBe(403);
    // The citizen may not fire the desk's step, nor an event the state does not have.
    const before = await counts();
    expect((await citizen({ registrationNumber, pin, type: 'answer', data: { answer: 'x' } })).status).toBe(403);
    expect((await citizen({ registrationNumber, pin, type: 'confirm' })).status).toBe(409);
    const wrong = String((Number(pin) + 1) % 1e8).padStart(8, '0');
    expect((await citizen({ registrationNumber, pin: wrong, type: 'withdraw' })).status).toBe(404);
    expect(await app.db.kysely.selectFrom('tracking_failures').select('id').execute()).toHaveLength(1);
    expect(await counts()).toEqual(before);

    expect((await app.call('desk.setda', 'POST', `/api/v1/instances/${id}/events`, { type: 'answer', data: { answer: 'Sudah diperbaiki' } })).status).toBe(200);
    // Waiting for the citizen: in nobody's inbox, and nobody signed in may fire it.
    for (const user of ['desk.setda', 'reader.setda', 'admin', 'auditor.inspektorat']) {
      expect(JSON.stringify((await app.call(user, 'GET', '/api/v1/tasks')).body)).not.toContain(id);
    }
    expect((await app.call('desk.setda', 'POST', `/api/v1/instances/${id}/events`, { type: 'confirm' })).status).toBe(403);
    // An objection needs a comment and its payload, validated as any event.
    const noComment = await citizen({ registrationNumber, pin, type: 'object', data: { objection: 'Belum' } });
    expect([noComment.status, noComment.body.code]).toEqual([422, 'COMMENT_REQUIRED']);
    const badPayload = await citizen({ registrationNumber, pin, type: 'object', comment: 'masih mati', data: { objection: '' } });
    expect([badPayload.status, badPayload.body.errors[0].path]).toEqual([422, '/data/objection']);
    const objected = await citizen({ registrationNumber, pin, type: 'object', comment: 'masih mati', data: { objection: 'Lampu masih mati' } });
    expect(objected.status).toBe(200);
    expect(objected.body.state.code).toBe('received');
    await app.call('desk.setda', 'POST', `/api/v1/instances/${id}/events`, { type: 'answer', data: { answer: 'Diganti baru' } });
    const confirmed = await citizen({ registrationNumber, pin, type: 'confirm' });
    expect([confirmed.status, confirmed.body.state.code, confirmed.body.events]).toEqual([200, 'closed', []]);
    const history = await app.db.kysely.selectFrom('audit_events').select(['event', 'actor', 'actor_role']).where('instance_id', '=', id).orderBy('seq').execute();
    expect(history.map((h) => [h.event, h.actor, h.actor_role])).toEqual([
      ['create', '@public', null], ['answer', 'desk.setda', 'feedback_desk'], ['object', '@public', 'citizen'], ['answer', 'desk.setda', 'feedback_desk'], ['confirm', '@public', 'citizen'],
    ]);
    // The audit chain still verifies with the public actor's rows in it.
    const verified = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify');
    expect(verified.body.ok).toBe(true);
  });

  test('the console\'s public form: CSRF, errors in place, once per form, the PIN shown once on the page after the redirect', async () => {
    const browser = new ConsoleClient(app.url);
    const headers = fresh();
    const send = (fields: Record<string, string>) => browser.request('POST', '/lapor/feedback', new URLSearchParams(fields), headers);
    const form = await browser.request('GET', '/lapor/feedback', undefined, headers);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="/topic"');
    const token = /name="_form" value="([^"]+)"/.exec(form.text)![1]!;
    const before = await counts();
    expect((await send({ '/topic': 'road', '/text': 'tanpa token' })).status).toBe(403);
    const refused = await send({ _csrf: csrfOf(form), _form: token, '/topic': 'road', '/text': '' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('error-summary');
    expect(await counts()).toEqual(before);

    const fields = { _csrf: csrfOf(form), _form: token, '/topic': 'water', '/text': 'Air PDAM keruh', '/reporter/name': 'Dewi' };
    const sent = await send(fields);
    expect([sent.status, sent.location]).toEqual([303, '/lapor/feedback/tanda-terima']);
    expect(sent.location).not.toMatch(/\d{8}/);
    const receipt = await browser.request('GET', sent.location!, undefined, headers);
    const number = /(FB\/\d{6})/.exec(receipt.text)![1]!;
    const pin = /<dd>(\d{8})<\/dd>/.exec(receipt.text)![1]!;
    expect((await status(number, pin)).status).toBe(200);
    // Shown once; the same form sent again creates nothing and says so.
    expect((await browser.request('GET', sent.location!, undefined, headers)).text).not.toContain(pin);
    const again = await send(fields);
    expect([again.status, again.location]).toEqual([303, '/lapor/feedback/tanda-terima?again=1']);
    expect((await counts())['workflow_instances']).toBe(before['workflow_instances']! + 1);
    // Another browser never sees this receipt.
    expect((await new ConsoleClient(app.url).get('/lapor/feedback/tanda-terima')).text).not.toContain(number);
    expect(logged.join('')).not.toContain(headers['x-forwarded-for']!);
  });

  test('confidential reporter: hidden from OPD readers in the API (instance, lists), shown to the named role and auditors', async () => {
    const created = await submit({ topic: 'other', text: 'Laporan gratifikasi', confidential: true, reporter: { name: 'Rina Saksi', phone: '0813' } });
    const open = await submit({ topic: 'other', text: 'Laporan biasa', reporter: { name: 'Agus Terbuka' } });
    const id = await idOf(created.body.registrationNumber);
    const openId = await idOf(open.body.registrationNumber);
    const read = async (user: string, instance: string) => (await app.call(user, 'GET', `/api/v1/instances/${instance}`)).body.data.reporter;
    expect(await read('reader.setda', id)).toBe(HIDDEN);
    expect(await read('desk.setda', id)).toEqual({ name: 'Rina Saksi', phone: '0813' });
    expect(await read('auditor.inspektorat', id)).toEqual({ name: 'Rina Saksi', phone: '0813' });
    expect(await read('reader.setda', openId)).toEqual({ name: 'Agus Terbuka' });
    const list = await app.call('reader.setda', 'GET', '/api/v1/instances?workflow=feedback');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('Rina Saksi');
    // The console's instance page: hidden for the reader, shown to the desk.
    for (const [user, shown] of [['reader.setda', false], ['desk.setda', true]] as const) {
      await setPassword(app.db.kysely, 'admin', user, TEST_PASSWORD);
      const browser = new ConsoleClient(app.url);
      expect((await browser.signIn(user, TEST_PASSWORD)).status).toBe(303);
      const page = await browser.get(`/instances/${id}`);
      expect([user, page.status, page.text.includes('Rina Saksi'), page.text.includes(HIDDEN)]).toEqual([user, 200, shown, !shown]);
    }
    // The stage document is the OPD's reading: hidden there, whoever fires the step.
    expect((await app.call('desk.setda', 'POST', `/api/v1/instances/${id}/events`, { type: 'answer', data: { answer: 'Sedang ditindaklanjuti' } })).status).toBe(200);
    const [doc] = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items;
    const pdf = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } })).arrayBuffer());
    const text = pdftotext(pdf);
    expect([text.includes('Sedang ditindaklanjuti'), text.includes('Rina Saksi'), text.includes(HIDDEN)]).toEqual([true, false, true]);
    // The stored data keeps it (auditors hold everyone to account).
    const row = await app.db.kysely.selectFrom('workflow_instances').select('data').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.data.reporter).toEqual({ name: 'Rina Saksi', phone: '0813' });
  });
});
