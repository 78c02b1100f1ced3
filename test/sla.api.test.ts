import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { registerApplication, firePermitSteps } from './support/permits';
import { proposal } from './support/proposals';
import { fireDueDeadlines } from '../src/sla/scheduler';

describeBackends('SLA deadlines through the API', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('a state entered gets its deadline; the scheduler escalates it once; the inbox and lists show it', async () => {
    const id = (await registerApplication(app)).body.id as string;
    const inbox = await app.call('fo.dpmptsp', 'GET', '/api/v1/tasks?workflow=permit');
    const task = inbox.body.items.find((t: { id: string }) => t.id === id);
    expect(task.dueAt).toMatch(/T16:59:59\.999Z$/); // end of a working day in WIB
    expect(task.overdue).toBe(false);
    expect(inbox.body.counts.byWorkflow.permit).toBeGreaterThanOrEqual(1);

    // Two weeks later nobody has checked completeness: the scheduler escalates, once.
    const later = new Date(Date.now() + 14 * 86_400_000);
    expect(await fireDueDeadlines(app.db.kysely, later)).toBeGreaterThanOrEqual(1);
    expect(await fireDueDeadlines(app.db.kysely, later)).toBe(0);
    const history = (await app.call('fo.dpmptsp', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    const escalations = history.filter((h: { event: string }) => h.event === 'escalated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]).toMatchObject({ actor: 'system', from: 'completeness_check', to: 'completeness_check' });

    const overdueTask = (await app.call('fo.dpmptsp', 'GET', '/api/v1/tasks?workflow=permit')).body;
    expect(overdueTask.items.find((t: { id: string }) => t.id === id).overdue).toBe(true);
    expect(overdueTask.counts.overdue).toBeGreaterThanOrEqual(1);
    const overdue = await app.call('kepala.dpmptsp', 'GET', '/api/v1/instances?overdue=true');
    expect(overdue.body.items.map((i: { id: string }) => i.id)).toContain(id);
    expect((await app.call('kepala.dpmptsp', 'GET', '/api/v1/instances?overdue=maybe')).status).toBe(400);

    // Acting moves the clock on: the next step has its own deadline and the instance is no longer overdue.
    await firePermitSteps(app, id, [['fo.dpmptsp', 'mark_complete']]);
    const review = (await app.call('timteknis.pupr', 'GET', '/api/v1/tasks?workflow=permit')).body.items.find((t: { id: string }) => t.id === id);
    expect(review.overdue).toBe(false);
    expect(Date.parse(review.dueAt) - Date.now()).toBeGreaterThan(13 * 86_400_000); // 10 working days
    expect((await app.call('kepala.dpmptsp', 'GET', '/api/v1/instances?overdue=true')).body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
  });

  test('the inbox is sorted by due date, steps without a deadline last, and pages keep that order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = (await app.call('perencana.pupr', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: `S${i}` }) })).body.id;
      await app.call('perencana.pupr', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
      ids.push(id);
    }
    const first = await app.call('kadis.pupr', 'GET', '/api/v1/tasks?limit=2');
    const second = await app.call('kadis.pupr', 'GET', `/api/v1/tasks?limit=2&cursor=${first.body.nextCursor}`);
    const all = [...first.body.items, ...second.body.items];
    expect(all.map((t: { id: string }) => t.id)).toEqual(ids);
    const dues = all.map((t: { dueAt: string }) => Date.parse(t.dueAt));
    expect([...dues].sort((a, b) => a - b)).toEqual(dues);
  });
});
