import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { checkMetrics, describeWithPromtool } from './support/promtool';

/** The request-duration count of one method, route label and status, or undefined when absent. */
function requestCount(exposition: string, method: string, route: string, status: number): number | undefined {
  const line = exposition.split('\n').find((l) =>
    l.startsWith(`grms_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describeWithPromtool('/metrics as Prometheus reads it', () => {
  describeBackends('metrics', (kind) => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(kind);
    });
    afterAll(async () => {
      await app.close();
    });

    test('promtool check metrics accepts a real /metrics response, and refuses a gauge named like a counter', async () => {
      // Traffic first, so the histogram and the per-type gauges have series to lint.
      expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
      expect((await app.call('perencana.dinkes', 'GET', '/api/v1/instances/00000000-0000-0000-0000-000000000000')).status).toBe(404);
      const res = await app.call(undefined, 'GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^grms_nodejs_active_handles\{type="/m);
      expect(res.text).not.toMatch(/^grms_nodejs_active_\w+_total/m);
      expect(checkMetrics(res.text)).toEqual({ status: 0, problems: '' });

      // The canary: the exposition prom-client's defaults gave before, which promtool must refuse.
      const canary = `${res.text}# HELP grms_nodejs_active_handles_total Total number of active handles.\n# TYPE grms_nodejs_active_handles_total gauge\ngrms_nodejs_active_handles_total 3\n`;
      const refused = checkMetrics(canary);
      expect(refused.status).not.toBe(0);
      expect(refused.problems).toMatch(/grms_nodejs_active_handles_total non-counter metrics should not have "_total" suffix/);
    });

    test('a 4xx and a 2xx on the same route carry the same route label, the full template path', async () => {
      const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const route = '/api/v1/instances/:id/events';
      const before = (await app.call(undefined, 'GET', '/metrics')).text;

      const refused = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(refused.status).toBeLessThan(500);
      const missing = await app.call('perencana.dinkes', 'POST', '/api/v1/instances/00000000-0000-0000-0000-000000000000/events', { type: 'submit' });
      expect(missing.status).toBe(404);
      const accepted = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
      expect(accepted.status).toBe(200);

      const after = (await app.call(undefined, 'GET', '/metrics')).text;
      const grew = (status: number) => (requestCount(after, 'POST', route, status) ?? 0) - (requestCount(before, 'POST', route, status) ?? 0);
      expect([grew(refused.status), grew(404), grew(200)]).toEqual([1, 1, 1]);
      // No series under the mount-less template the problem handler used to see.
      expect(after).not.toMatch(/route="\/instances\/:id\/events"/);
      // A path no route matched is one label, not one per raw path.
      expect((await app.call('perencana.dinkes', 'GET', '/api/v1/nowhere-at-all')).status).toBe(404);
      expect(requestCount((await app.call(undefined, 'GET', '/metrics')).text, 'GET', 'unmatched', 404)).toBeGreaterThanOrEqual(1);
    });
  });
});
