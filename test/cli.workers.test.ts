import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { createPostgresDatabase, describePostgres, dropPostgresDatabase } from './support/db';
import { exited, grms, serve, type Served } from './support/cli';
import { checkMetrics, promtoolInstalled } from './support/promtool';

type LogLine = Record<string, unknown> & { msg?: string };

/** The JSON log lines in `text` (progress and the address block are not JSON). */
function logLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** Resolves with the first log line from `from` on that `match` accepts, as soon as the server writes it. */
function waitForLine(served: Served, match: (l: LogLine) => boolean, from = 0): Promise<LogLine> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = logLines(served.output().slice(from)).find(match);
      if (!found) return;
      served.child.stdout!.off('data', later);
      served.child.off('exit', gone);
      resolve(found);
    };
    const later = () => setImmediate(check);
    const gone = () => reject(new Error(`grms serve exited before logging what the test waits for:\n${served.output()}`));
    served.child.stdout!.on('data', later);
    served.child.once('exit', gone);
    check();
  });
}

/** GET on a connection of its own (no keep-alive), so the primary hands each request to the next worker. */
function getOnNewConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

/** Which worker pids answered GET /healthz in the log from `from` on. */
function healthzPids(served: Served, from = 0): number[] {
  return logLines(served.output().slice(from)).filter((l) => l.msg === 'request' && l.path === '/healthz').map((l) => l.pid as number);
}

describePostgres('grms serve with GRMS_WORKERS=2', () => {
  test('two worker processes answer on one port; /metrics sums them; a killed worker is restarted; SIGTERM lets a request in flight finish, then exits 0', async () => {
    const url = await createPostgresDatabase();
    let served: Served | undefined;
    try {
      served = await serve({
        DATABASE_URL: url, GRMS_KEY: crypto.randomBytes(32).toString('base64'), GRMS_PUBLIC_URL: 'https://grms.semarangkota.example',
        GRMS_WORKERS: '2', GRMS_DOCUMENT_THREADS: '1', LOG_LEVEL: 'info',
      });
      const s = served;
      expect(s.output()).toMatch(/processes: 2 workers sharing the port/);
      const started = await Promise.all([1, 2].map((n) => waitForLine(s, (l) => l.msg === 'worker process started: answering' && l.answering === n)));
      const pids = started.map((l) => l.workerPid as number);
      expect(new Set(pids).size).toBe(2);
      expect(pids).not.toContain(s.child.pid);

      // Each new connection goes to the next worker: both answer, and /metrics counts the requests of both.
      let asked = 0;
      const fromHere = s.output().length;
      while (new Set(healthzPids(s, fromHere)).size < 2 || asked < 4) {
        expect(asked).toBeLessThan(40);
        expect((await getOnNewConnection(`${s.url}/healthz`)).status).toBe(200);
        asked++;
        // The access log line is written as the answer goes out; wait for it rather than for time.
        await waitForLine(s, () => healthzPids(s, fromHere).length === asked, fromHere);
      }
      expect(new Set(healthzPids(s, fromHere))).toEqual(new Set(pids));
      const scraped = await getOnNewConnection(`${s.url}/metrics`);
      expect(scraped.status).toBe(200);
      const count = /^grms_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} (\d+)$/m.exec(scraped.body)?.[1];
      expect(Number(count)).toBe(asked);
      // One deployment-wide gauge, read by each worker, is not summed.
      expect(scraped.body).toMatch(/^grms_overdue_tasks 0$/m);
      if (promtoolInstalled()) expect(checkMetrics(scraped.body)).toEqual({ status: 0, problems: '' });
      else if (process.env.CI === 'true') throw new Error('promtool not installed (apt-get install -y prometheus); CI=true requires it');
      else console.warn('!! SKIPPED: promtool check of the summed /metrics — promtool not installed');

      // A worker killed outright is replaced, and the server keeps answering meanwhile.
      const beforeKill = s.output().length;
      process.kill(pids[0]!, 'SIGKILL');
      const died = await waitForLine(s, (l) => l.msg === 'a worker process died: restarting it', beforeKill);
      expect(died).toMatchObject({ workerPid: pids[0], signal: 'SIGKILL' });
      expect((await getOnNewConnection(`${s.url}/healthz`)).status).toBe(200);
      const restarted = await waitForLine(s, (l) => l.msg === 'worker process restarted: answering', beforeKill);
      const newPid = restarted.workerPid as number;
      expect([...pids, s.child.pid]).not.toContain(newPid);
      const afterRestart = s.output().length;
      for (let n = 1; !healthzPids(s, afterRestart).includes(newPid); n++) {
        expect(n).toBeLessThan(40);
        expect((await getOnNewConnection(`${s.url}/healthz`)).status).toBe(200);
        await waitForLine(s, () => healthzPids(s, afterRestart).length === n, afterRestart);
      }

      // A request in flight when SIGTERM comes: its headers are in (the worker sent 100 Continue), its body is not.
      const socket = net.connect(Number(new URL(s.url).port), '127.0.0.1');
      let reply = '';
      socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
      const replied = (re: RegExp) => new Promise<void>((resolve) => {
        const check = () => {
          if (!re.test(reply)) return;
          socket.off('data', check);
          resolve();
        };
        socket.on('data', check);
        check();
      });
      const body = JSON.stringify({ workflow: 'budget-proposal' });
      socket.write(`POST /api/v1/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`);
      await replied(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
      const beforeStop = s.output().length;
      s.child.kill('SIGTERM');
      await waitForLine(s, (l) => l.msg === 'stopping: no new connections; finishing the requests in flight' && l.inFlight === 1, beforeStop);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(body);
      await closed;
      // Answered in full (no token: 401), and the connection closed after it.
      expect(reply).toMatch(/HTTP\/1\.1 401 Unauthorized\r\n/);
      expect(reply).toMatch(/\r\nConnection: close\r\n/i);
      expect(reply).toMatch(/"code":"UNAUTHENTICATED"|"status":401/);
      expect(await exited(s.child)).toBe(0);
      const stopLog = logLines(s.output().slice(beforeStop)).map((l) => l.msg);
      expect(stopLog).toContain('every worker process stopped');
      expect(stopLog).not.toContain('stopping: requests still in flight after the grace period are cut off');
    } finally {
      if (served && served.child.exitCode === null && served.child.signalCode === null) served.child.kill('SIGKILL');
      if (served) await exited(served.child);
      await dropPostgresDatabase(url);
    }
  });
});

describe('grms serve: GRMS_WORKERS', () => {
  test('a value that is not a count stops the start with a message naming it', () => {
    const bad = grms(['serve'], { GRMS_WORKERS: 'many', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/GRMS_WORKERS must be a non-negative integer/);
  });
});
