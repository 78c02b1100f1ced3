import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { proposal, YEAR } from './support/proposals';
import { mutatingRoutes } from './support/routes';

/**
 * Routes that take POST but change nothing, or are meant for the public: the decision for each is
 * written here, so a new mutating route fails this test until someone decides about it.
 */
const NOT_MUTATING = new Set(['POST /api/v1/verify', 'POST /api/v1/permits/status', 'POST /permits/status']);
/**
 * Citizens' routes: they take no account, so a token is ignored and nothing done there is the
 * auditor's act (filing a complaint as a citizen is anybody's right).
 */
const CITIZENS = new Set(['POST /api/v1/public/workflows/{workflow}/instances', 'POST /api/v1/public/tracking/status', 'POST /api/v1/public/tracking/events']);
/** Changes an auditor may make, decided one by one (issue 5: auditors change their own password). */
const AUDITOR_MAY = new Set(['PUT /api/v1/me/password']);

describeBackends('auditors read everything and change nothing', (kind) => {
  let app: TestApp;
  let id: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
  });
  afterAll(async () => {
    await app.close();
  });

  const mutating = mutatingRoutes().filter((route) => !NOT_MUTATING.has(route) && !CITIZENS.has(route) && !AUDITOR_MAY.has(route));

  test('the exceptions are real routes', () => {
    for (const route of AUDITOR_MAY) {
      const [method, path] = route.split(' ') as [string, string];
      expect(mutatingRoutes()).toContain(`${method} ${path}`);
    }
  });

  test('an auditor changes their own password and nothing else', async () => {
    const before = await writeCounts(app.db);
    const res = await app.call('auditor.inspektorat', 'PUT', '/api/v1/me/password', { newPassword: 'Pemeriksaan Reguler 2026' });
    expect(res.status).toBe(204);
    const events = await app.db.kysely.selectFrom('people_events').select(['action', 'username', 'actor']).orderBy('seq', 'desc').limit(1).execute();
    expect(events).toEqual([{ action: 'set_password', username: 'auditor.inspektorat', actor: 'auditor.inspektorat' }]);
    expect(await writeCounts(app.db)).toEqual(before);
  });

  test.each(mutating)('%s is refused with 403 and writes nothing', async (route) => {
    const [method, template] = route.split(' ') as [string, string];
    const path = template.replace('{id}', id).replace('{year}', String(YEAR)).replace('{org}', 'dinkes').replace('{date}', '2026-12-25').replace('{username}', 'kadis.dinkes').replace('{role}', 'planner').replace(/\{\w+\}/g, 'x');
    const bodies = [{ type: 'approve', comment: 'audit', workflow: 'budget-proposal', data: proposal(), amount: 1 }];
    const before = await writeCounts(app.db);
    for (const body of bodies) {
      const res = await app.call('auditor.inspektorat', method, path, body);
      expect({ route, status: res.status }).toEqual({ route, status: 403 });
    }
    expect(await writeCounts(app.db)).toEqual(before);
  });

  test('and reads every instance', async () => {
    expect((await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}`)).status).toBe(200);
    expect((await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history`)).status).toBe(200);
    expect((await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).status).toBe(200);
  });
});
