import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal, PROPOSAL_TOTAL, YEAR } from './support/proposals';

describeBackends('budget proposal through the API', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('draft to ratified DPA, with inboxes, ETags, history and the ceiling', async () => {
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/api/v1/instances/${id}`);
    expect(created.body).toMatchObject({
      workflow: 'budget-proposal', workflowVersion: 2, state: 'draft', version: 1, org: 'dinkes', createdBy: 'perencana.dinkes',
      total: PROPOSAL_TOTAL, allowedEvents: ['update', 'submit'],
    });
    // The server computes amounts exactly: 1200.5 × 45,750 = 54,922,875.
    expect(created.body.data.lines.map((l: { amount: number }) => l.amount)).toEqual([46_250_000, 54_922_875, 43_200_000]);

    const updated = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, {
      type: 'update', data: proposal({ lines: [{ account: '5.1.02.01.01.0024', description: 'ATK', volume: 2.35, unit: 'rim', unitPrice: 57_999 }] }),
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ state: 'draft', version: 2, total: 136_298 }); // 2.35 × 57,999 = 136,297.65 → 136,298
    expect(updated.headers.get('etag')).toBe('"2"');

    const steps: Array<[string, string, string]> = [
      ['perencana.dinkes', 'submit', 'opd_review'],
      ['kadis.dinkes', 'approve', 'bappeda_verification'],
      ['verifikator.bappeda', 'verify', 'tapd_review'],
      ['tapd.sekda', 'approve', 'approved'],
      ['ppkd.bpkad', 'ratify', 'ratified'],
    ];
    for (const [user, type, state] of steps) {
      const inbox = await app.call(user, 'GET', '/api/v1/tasks');
      expect(inbox.body.items.map((i: { id: string }) => i.id)).toContain(id);
      const got = await app.call(user, 'GET', `/api/v1/instances/${id}`);
      const etag = got.headers.get('etag')!;
      expect(got.body.allowedEvents).toContain(type);
      const res = await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, comment: `${type} oleh ${user}` }, { 'if-match': etag });
      expect(res.status).toBe(200);
      expect(res.body.state).toBe(state);
      expect(res.headers.get('etag')).toBe(`"${Number(etag.replace(/"/g, '')) + 1}"`);
      const after = await app.call(user, 'GET', '/api/v1/tasks');
      expect(after.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    }

    const history = await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history?limit=3`);
    expect(history.status).toBe(200);
    expect(history.body.items.map((h: { event: string }) => h.event)).toEqual(['create', 'update', 'submit']);
    const rest = await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history?cursor=${history.body.nextCursor}`);
    expect(rest.body.items.map((h: { event: string }) => h.event)).toEqual(['approve', 'verify', 'approve', 'ratify']);
    expect(rest.body.nextCursor).toBeNull();
    expect(rest.body.items[0].prevHash).toBe(history.body.items[2].hash);

    const ceilings = await app.call('perencana.pupr', 'GET', `/api/v1/ceilings/${YEAR}`);
    const dinkes = ceilings.body.items.find((c: { org: string }) => c.org === 'dinkes');
    expect(dinkes).toMatchObject({ amount: 25_000_000_000, used: 136_298, remaining: 25_000_000_000 - 136_298 });

    const verify = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, broken: [] });
    expect(verify.body.checked).toBeGreaterThanOrEqual(7);
  });

  test('return sends a proposal back to draft with its comment; withdraw is for the submitter only', async () => {
    const { body } = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
    const id = body.id as string;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    const withdrawn = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'withdraw' });
    expect(withdrawn.body.state).toBe('draft');
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    const returned = await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'return', comment: 'Lengkapi KAK' });
    expect(returned.status).toBe(200);
    expect(returned.body.state).toBe('draft');
    const history = await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}/history`);
    expect(history.body.items.at(-1)).toMatchObject({ event: 'return', from: 'opd_review', to: 'draft', actor: 'kadis.dinkes', actorRole: 'opd_head', comment: 'Lengkapi KAK' });
  });

  test('lists are paged and filtered, and only show what the caller may read', async () => {
    for (let i = 0; i < 3; i++) {
      await app.call('perencana.pupr', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: `PUPR ${i}` }) });
    }
    const pupr = await app.call('perencana.pupr', 'GET', '/api/v1/instances?limit=2');
    expect(pupr.body.items).toHaveLength(2);
    expect(pupr.body.items.every((i: { org: string }) => i.org === 'pupr')).toBe(true);
    const next = await app.call('perencana.pupr', 'GET', `/api/v1/instances?limit=2&cursor=${pupr.body.nextCursor}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.nextCursor).toBeNull();
    const dinkes = await app.call('perencana.dinkes', 'GET', '/api/v1/instances?org=pupr');
    expect(dinkes.body.items).toEqual([]);
    const auditor = await app.call('auditor.inspektorat', 'GET', '/api/v1/instances?org=pupr&state=draft');
    expect(auditor.body.items.length).toBe(3);
    const bad = await app.call('auditor.inspektorat', 'GET', '/api/v1/instances?limit=500');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  test('me, workflows, public key, health and the OpenAPI document', async () => {
    const me = await app.call('kadis.dinkes', 'GET', '/api/v1/me');
    expect(me.body).toMatchObject({ username: 'kadis.dinkes', org: 'dinkes', roles: [{ role: 'opd_head', org: 'dinkes' }] });
    const wf = await app.call('kadis.dinkes', 'GET', '/api/v1/workflows');
    // v1 stays registered for the proposals it started; new ones take v2.
    expect(wf.body.items[0]).toMatchObject({ name: 'budget-proposal', version: 1, newest: false, definitionHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(wf.body.items[1]).toMatchObject({ name: 'budget-proposal', version: 2, newest: true, definitionHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(wf.body.items[1].instances).toBeGreaterThan(0);
    expect(wf.body.items[1].states).toEqual(expect.arrayContaining(['draft', 'opd_review', 'ratified', 'rejected']));
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await app.call(undefined, 'GET', '/readyz')).status).toBe(200);
    const key = await app.call(undefined, 'GET', '/api/v1/audit/public-key');
    expect(key.body.publicKeyPem).toMatch(/BEGIN PUBLIC KEY/);
    const doc = await app.call(undefined, 'GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const metrics = (await app.call(undefined, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/grms_transitions_total\{workflow="budget-proposal",event="submit"\} [1-9]/);
    expect(metrics).toMatch(/grms_documents_signed_total\{kind="stage"\} [1-9]/);
    expect(metrics).toMatch(/grms_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/instances\/:id\/events",status="200"\} [1-9]/);
    expect(metrics).toMatch(/grms_overdue_tasks \d+/);
  });
});
