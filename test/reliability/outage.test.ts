import { sql } from 'kysely';
import { exited, grms, serve, type Served, logKey } from '../support/cli';
import { openPostgres } from '../../src/db/connect';
import { proposal } from '../support/proposals';
import { expectAcknowledgedStored, type Ack } from '../support/acknowledged';
import { createThrowawayCluster, describeWithThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-postgres';


interface Refusal {
  what: string;
  status: number;
  type: string;
  code?: string;
  retryAfter: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `done()` holds, checking every `everyMs`, at most `tries` times. */
async function until(what: string, done: () => boolean | Promise<boolean>, tries: number, everyMs = 250, state?: () => unknown): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await done()) return;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}${state ? `: ${JSON.stringify(state())}` : ''}`);
}

describeWithThrowawayCluster('reliability: database outage', () => {
  let cluster: ThrowawayCluster | undefined;
  let server: Served | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await createThrowawayCluster();
    await cluster.start();
    // Deadline ticks every second, so the scheduler fails a few times during the outage.
    env = { DATABASE_URL: cluster.url, GRMS_PUBLIC_URL: 'https://grms.semarangkota.example', GRMS_KEY: grms(['key', 'generate'], {}).stdout.trim(), GRMS_DEADLINE_POLL_SECONDS: '1' };
    expect(grms(['migrate'], env).status).toBe(0);
    expect(grms(['seed', '--demo'], env).status).toBe(0);
  }, 240_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
    await cluster?.destroy();
  }, 120_000);

  test('requests fail fast with 503 while the database is down, the same process recovers, nothing acknowledged is lost', async () => {
    const token = grms(['token', 'perencana.dinkes'], env).stdout.trim();
    server = await serve(env);
    const { url, child } = server;
    // A request that hangs fails the test here instead of running into jest's timeout.
    const call = (method: string, path: string, body?: unknown) =>
      fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });

    const acks: Ack[] = [];
    const refusals: Refusal[] = [];
    const unexpected: string[] = [];
    let phase: 'before' | 'down' | 'after' = 'before';
    const okAfter = new Map<number, number>();
    const refusedDown = new Map<number, number>();
    let stop = false;

    /** Records a non-2xx answer; the only one allowed is 503 problem+json while the database is out. */
    const refused = async (n: number, what: string, res: Response) => {
      const text = await res.text();
      let body: { code?: string } = {};
      try {
        body = JSON.parse(text) as { code?: string };
      } catch {
        /* recorded below as unexpected */
      }
      if (phase === 'down') refusedDown.set(n, (refusedDown.get(n) ?? 0) + 1);
      refusals.push({ what, status: res.status, type: res.headers.get('content-type') ?? '', code: body.code, retryAfter: res.headers.get('retry-after') });
      if (res.status !== 503) unexpected.push(`${what} in phase ${phase}: ${res.status} ${text.slice(0, 300)}`);
    };

    // Each client creates a proposal and then submits (signed document) and withdraws it in turn.
    // After a refusal it reads the instance again: a commit whose answer was lost moved it on.
    const client = async (n: number) => {
      let id: string | undefined;
      let state = 'draft';
      while (!stop) {
        try {
          if (!id) {
            const res = await call('POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: `Outage ${n}` }) });
            if (res.status !== 201) {
              await refused(n, 'create', res);
              await sleep(200);
              continue;
            }
            const body = (await res.json()) as { id: string; version: number };
            id = body.id;
            acks.push({ id, version: body.version, event: 'create' });
            continue;
          }
          const type = state === 'draft' ? 'submit' : 'withdraw';
          const res = await call('POST', `/api/v1/instances/${id}/events`, { type });
          if (res.status === 200) {
            const body = (await res.json()) as { version: number; state: string };
            acks.push({ id, version: body.version, event: type });
            state = body.state;
            if (phase === 'after') okAfter.set(n, (okAfter.get(n) ?? 0) + 1);
            continue;
          }
          await refused(n, type, res);
          await sleep(200);
          const again = await call('GET', `/api/v1/instances/${id}`);
          if (again.status === 200) state = ((await again.json()) as { state: string }).state;
          else await refused(n, 'read', again);
        } catch (err) {
          unexpected.push(`request failed in phase ${phase}: ${(err as Error).message}`);
          await sleep(200);
        }
      }
    };
    const clients = [0, 1, 2, 3].map((n) => client(n));
    const seen = () => ({ acks: acks.length, refusals: refusals.slice(-5), unexpected: unexpected.slice(-5), okAfter: [...okAfter], refusedDown: [...refusedDown], log: server!.output().slice(-3000) });
    try {
      await until('transitions before the outage', () => acks.filter((a) => a.event !== 'create').length >= 8, 480);

      phase = 'down';
      await cluster!.stop();
      // A few seconds of outage under load, counted in refused requests rather than in time.
      await until('refusals during the outage', () => [0, 1, 2, 3].every((n) => (refusedDown.get(n) ?? 0) >= 12), 480, 250, seen);
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(60_000) });
      expect(ready.status).toBe(503);
      expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await ready.json()) as { code: string }).code).toBe('DATABASE_UNAVAILABLE');

      await cluster!.start();
      phase = 'after';
      await until('/readyz after the database came back', async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(60_000) })).status === 200, 240, 250, seen);
      await until('every client to make progress again', () => [0, 1, 2, 3].every((n) => (okAfter.get(n) ?? 0) >= 3), 480, 250, seen);
    } finally {
      stop = true;
      await Promise.all(clients);
    }

    // Same process throughout: it neither exited nor needed a restart.
    expect(child.exitCode).toBeNull();
    expect(child.signalCode).toBeNull();
    expect(unexpected).toEqual([]);
    const down = refusals.filter((r) => r.status === 503);
    expect(down.length).toBeGreaterThanOrEqual(48);
    for (const r of down) expect(r).toEqual({ what: r.what, status: 503, type: expect.stringMatching(/^application\/problem\+json/), code: 'DATABASE_UNAVAILABLE', retryAfter: expect.stringMatching(/^\d+$/) });
    expect(server.output()).not.toMatch(/unhandled error/);
    // Its deadline scheduler ran into the outage too (and is shown to recover below).
    expect(server.output()).toMatch(/deadline escalation failed/);
    console.log(`outage run: ${JSON.stringify({ acknowledged: acks.length, refused: refusals.length, refusedPerClient: [...refusedDown].sort() })}`);

    const db = openPostgres({ connectionString: cluster!.url, max: 2 });
    try {
      // The deadline scheduler outlived its failed ticks: a deadline made overdue now still fires.
      const created = await call('POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Outage deadline' }) });
      const late = ((await created.json()) as { id: string }).id;
      expect((await call('POST', `/api/v1/instances/${late}/events`, { type: 'submit' })).status).toBe(200);
      await sql`UPDATE deadlines SET due_at = now() - interval '1 hour' WHERE instance_id = ${late}::uuid`.execute(db.kysely);
      const escalated = async () => (await db.kysely.selectFrom('audit_events').select('seq').where('instance_id', '=', late).where('event', '=', 'escalated').execute()).length;
      await until('the deadline scheduler to fire after the outage', async () => (await escalated()) > 0, 240, 250, seen);
      expect(await escalated()).toBe(1);

      // Every acknowledged transition is stored, with its document when it makes one; nothing half-written.
      await expectAcknowledgedStored(db.kysely, acks);
    } finally {
      await db.close();
    }

    child.kill('SIGTERM');
    await exited(child);
    expect(grms(['audit', 'checkpoint'], env).status).toBe(0);
    const verify = grms(['audit', 'verify', '--log-key', logKey(env)], env);
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, broken: [] });
  }, 300_000);
});
