import http from 'node:http';

/**
 * A small closed-loop load generator on loopback: N clients, each sending its next request as
 * soon as the previous one answered, for a bounded time and a bounded number of requests.
 * Latencies are recorded only for requests that start after the warm-up.
 */

export interface Reply {
  status: number;
  body: string;
  /** Bytes of the body (export streams count bytes without keeping them). */
  bytes: number;
}

export class BenchHttpError extends Error {
  readonly code = 'BENCH_HTTP';
}

/** One HTTP client with keep-alive connections to one server. */
export class Client {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(url: string, sockets: number) {
    this.base = new URL(url);
    if (this.base.hostname !== '127.0.0.1' && this.base.hostname !== 'localhost') throw new BenchHttpError(`benchmarks only talk to loopback, not ${url}`);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** Sends one request. `keepBody: false` only counts the body's bytes (large exports). */
  request(method: string, path: string, opts: { token?: string; body?: unknown; keepBody?: boolean; timeoutMs?: number } = {}): Promise<Reply> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, path, method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 120_000 },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (opts.keepBody !== false) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), bytes }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new BenchHttpError(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request, but a status other than `expect` is an error naming the body. */
  async expect(expect: number, method: string, path: string, opts: Parameters<Client['request']>[2] = {}): Promise<Reply> {
    const r = await this.request(method, path, opts);
    if (r.status !== expect) throw new BenchHttpError(`${method} ${path} answered ${r.status}, expected ${expect}: ${r.body.slice(0, 500)}`);
    return r;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadOptions {
  clients: number;
  /** Requests that start before this many ms are not counted. */
  warmupMs: number;
  /** Measured time after the warm-up. */
  durationMs: number;
  /** Stop after this many measured operations even if time is left. */
  maxOps?: number;
}

export interface LoadResult {
  /** Operations that completed and counted (started after the warm-up, ended in the window). */
  ops: number;
  /** Counted operations including the warm-up and those ending after the window. */
  allOps: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  perSecond: number;
  latencyMs: Percentiles;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.length ? s[s.length - 1]! : NaN, n: s.length };
}

/**
 * Runs `op(client, i)` from `clients` loops. An op returns true when it did the work being
 * counted, false when it did something else (not counted, latency not recorded); it throws on a
 * failure (counted as an error; the loop goes on). Returns throughput over the measured window.
 */
export async function runLoad(opts: LoadOptions, op: (clientIndex: number, iteration: number) => Promise<boolean>): Promise<LoadResult> {
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let ops = 0;
  let allOps = 0;
  const loop = async (c: number) => {
    for (let i = 0; ; i++) {
      const t0 = performance.now();
      if (t0 >= end || (opts.maxOps !== undefined && ops >= opts.maxOps)) return;
      try {
        const counted = await op(c, i);
        const t1 = performance.now();
        if (counted) allOps++;
        if (counted && t0 >= measureFrom && t1 <= end) {
          ops++;
          latencies.push(t1 - t0);
        }
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
        if (errors > 50 && errors > ops) throw new BenchHttpError(`load aborted after ${errors} errors; first: ${firstError}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, c) => loop(c)));
  // With maxOps the window may close early: divide by the time actually measured.
  const seconds = (Math.min(performance.now(), end) - measureFrom) / 1000;
  return { ops, allOps, errors, firstError, seconds, perSecond: ops / seconds, latencyMs: percentiles(latencies) };
}

/**
 * Asks GET /healthz one request at a time, every `everyMs`, until stopped: the event loop's
 * responsiveness while something else loads the server.
 */
export function probeHealth(url: string, { warmupMs = 0, everyMs = 10 } = {}): { stop(): Promise<Percentiles> } {
  const client = new Client(url, 1);
  const samples: number[] = [];
  const measureFrom = performance.now() + warmupMs;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      const r = await client.request('GET', '/healthz');
      if (r.status !== 200) throw new BenchHttpError(`/healthz answered ${r.status}`);
      if (t0 >= measureFrom) samples.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      client.close();
      return percentiles(samples);
    },
  };
}
