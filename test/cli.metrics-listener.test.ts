import crypto from 'node:crypto';
import net from 'node:net';
import { createPostgresDatabase, describePostgres, dropPostgresDatabase } from './support/db';
import { exited, grms, serve } from './support/cli';

const TOKEN = 'scrape-token-abcdef0123456789';

/** Whether anything accepts connections at host:port now. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describePostgres('grms serve with GRMS_METRICS_ADDRESS', () => {
  test('a second listener serves /metrics (token required), the main port answers 404 there, and shutdown closes both', async () => {
    const url = await createPostgresDatabase();
    const served = await serve({
      DATABASE_URL: url, GRMS_KEY: crypto.randomBytes(32).toString('base64'), GRMS_DOCUMENT_THREADS: '1', GRMS_PUBLIC_URL: 'https://grms.semarangkota.example',
      GRMS_METRICS_ADDRESS: '127.0.0.1:0', GRMS_METRICS_TOKEN: TOKEN,
    });
    try {
      // Printed with the main address, in the same write.
      const metricsUrl = /metrics: (http:\/\/\S+\/metrics) \(bearer token required\)/.exec(served.output())?.[1];
      expect(metricsUrl).toBeDefined();
      expect(new URL(metricsUrl!).port).not.toBe(new URL(served.url).port);
      expect((await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
      expect((await fetch(metricsUrl!)).status).toBe(401);
      const scraped = await fetch(metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('grms_overdue_tasks');
      expect((await fetch(metricsUrl!.replace(/\/metrics$/, '/healthz'))).status).toBe(404);

      served.child.kill('SIGTERM');
      expect(await exited(served.child)).toBe(0);
      const m = new URL(metricsUrl!);
      const main = new URL(served.url);
      expect({ metrics: await accepts(m.hostname, Number(m.port)), main: await accepts(main.hostname, Number(main.port)) }).toEqual({ metrics: false, main: false });
    } finally {
      if (served.child.exitCode === null && served.child.signalCode === null) served.child.kill('SIGKILL');
      await dropPostgresDatabase(url);
    }
  });
});

describe('grms serve: metrics settings', () => {
  test('a malformed GRMS_METRICS_ADDRESS or a short token stops the start with a message naming it', () => {
    const bad = grms(['serve'], { GRMS_METRICS_ADDRESS: 'localhost', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/GRMS_METRICS_ADDRESS must be host:port/);
    const short = grms(['serve'], { GRMS_METRICS_TOKEN: 'short', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(short.status).not.toBe(0);
    expect(short.stderr).toMatch(/GRMS_METRICS_TOKEN must be 16 to 256/);
  });
});
