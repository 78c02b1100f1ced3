import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { createMetricsApp } from '../src/api/metrics-endpoint';
import { createLogger } from '../src/log';

const TOKEN = 'metrics-0123456789abcdef-scrape';

async function get(url: string, authorization?: string): Promise<{ status: number; type: string | null; auth: string | null; text: string }> {
  const res = await fetch(url, { headers: authorization ? { authorization } : {} });
  return { status: res.status, type: res.headers.get('content-type'), auth: res.headers.get('www-authenticate'), text: await res.text() };
}

describeBackends('/metrics access (GRMS_METRICS_TOKEN, GRMS_METRICS_ADDRESS)', (kind) => {
  test('with a token: 401 problem without it, with a wrong one or with an API token; 200 with it, the scheme in any case', async () => {
    const app = await startTestApp(kind, { metricsAccess: { token: TOKEN } });
    try {
      const metrics = `${app.url}/metrics`;
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Bearer ${TOKEN}x`, `Bearer ${app.tokens['admin']}`, `Basic ${TOKEN}`, TOKEN]) {
        const res = await get(metrics, authorization);
        expect({ authorization, status: res.status, type: res.type, auth: res.auth, code: JSON.parse(res.text).code })
          .toEqual({ authorization, status: 401, type: expect.stringMatching(/^application\/problem\+json/), auth: 'Bearer realm="grms-metrics"', code: 'UNAUTHORIZED' });
        expect(res.text).not.toContain('grms_');
      }
      for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`]) {
        const res = await get(metrics, authorization);
        expect({ authorization, status: res.status }).toEqual({ authorization, status: 200 });
        expect(res.text).toContain('grms_http_request_duration_seconds');
      }
      // The rest of the API is as before.
      expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  test('on a listener of its own: the main port answers 404 there; the listener serves GET /metrics only, of the same process', async () => {
    const app = await startTestApp(kind, { metricsAccess: { token: TOKEN, ownListener: true } });
    const listener = http.createServer(createMetricsApp(app.metrics, TOKEN, createLogger('silent')));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const metricsBase = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      for (const authorization of [undefined, `Bearer ${TOKEN}`]) {
        const main = await get(`${app.url}/metrics`, authorization);
        expect({ authorization, status: main.status }).toEqual({ authorization, status: 404 });
        expect(main.text).not.toContain('grms_');
      }
      expect((await get(`${metricsBase}/metrics`)).status).toBe(401);
      // A request on the main port shows up in what the listener serves: one registry per process.
      expect((await app.call('perencana.dinkes', 'GET', '/api/v1/tasks')).status).toBe(200);
      const scraped = await get(`${metricsBase}/metrics`, `Bearer ${TOKEN}`);
      expect(scraped.status).toBe(200);
      expect(scraped.text).toMatch(/grms_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/tasks",status="200"\} [1-9]/);
      for (const path of ['/healthz', '/api/v1/tasks', '/openapi.json', '/', '/metrics/x']) {
        expect({ path, status: (await get(`${metricsBase}${path}`, `Bearer ${TOKEN}`)).status }).toEqual({ path, status: 404 });
      }
      const post = await fetch(`${metricsBase}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(post.status).toBe(404);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      await app.close();
    }
  });
});
