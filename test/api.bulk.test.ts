import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { proposal } from './support/proposals';

describeBackends('bulk events', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('each item succeeds or fails on its own, with a result per item', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: `B${i}` }) })).body.id;
      await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
      ids.push(id);
    }
    const draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    const res = await app.call('kadis.dinkes', 'POST', '/api/v1/instances/bulk-events', {
      items: [
        { id: ids[0], type: 'approve', ifMatch: 2 },
        { id: ids[1], type: 'approve', ifMatch: 1 }, // stale
        { id: draft, type: 'approve' }, // wrong state
        { id: ids[2], type: 'return' }, // comment missing
        { id: ids[3], type: 'return', comment: 'Perbaiki', ifMatch: '"2"' },
        { id: '00000000-0000-4000-8000-000000000000', type: 'approve' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 412, 409, 422, 200, 404]);
    expect(res.body).toMatchObject({ succeeded: 2, failed: 4 });
    expect(res.body.results[0].instance.state).toBe('bappeda_verification');
    expect(res.body.results[3].problem.type).toMatch(/comment-required$/);
    const states = await Promise.all(ids.map(async (id) => (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}`)).body.state));
    expect(states).toEqual(['bappeda_verification', 'opd_review', 'opd_review', 'draft']);
  });

  test('malformed batches are refused whole and write nothing; auditors are refused', async () => {
    const before = await writeCounts(app.db);
    const tooMany = await app.call('kadis.dinkes', 'POST', '/api/v1/instances/bulk-events', { items: Array.from({ length: 501 }, () => ({ id: 'x', type: 'approve' })) });
    expect(tooMany.status).toBe(422);
    const bad = await app.call('kadis.dinkes', 'POST', '/api/v1/instances/bulk-events', { items: [{ id: 1, type: '' }] });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/items/0/id', '/items/0/type']);
    expect((await app.call('auditor.inspektorat', 'POST', '/api/v1/instances/bulk-events', { items: [] })).status).toBe(403);
    expect(await writeCounts(app.db)).toEqual(before);
  });
});
