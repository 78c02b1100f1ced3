import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { createLogger } from '../src/log';
import { ConsoleClient } from './support/web';
import { complaintData } from './support/complaints';
import { purgePublicClients } from '../src/api/public-purge';
import { TRACKING_LIMITS } from '../src/tracking/lookup';

/**
 * "No identity stored": an anonymous public filing, a wrong PIN on the API and on the console's
 * status page leave the client address in the limit rows for the limit window only. The window is
 * on the database's real clock: the test moves the rows' times back past it (no waiting), runs the
 * purge the server runs every minute, and finds the address nowhere. The access log never had it.
 */
const WINDOW = 3600;
const ADDRESS = '192.0.2.199';

describeBackends('public limit rows forget the client address when their window ends', (kind) => {
  let app: TestApp;
  const logged: string[] = [];
  const headers = { 'x-forwarded-for': ADDRESS };
  /** Every row of the limit tables that holds the address. */
  const holding = async () => ({
    requests: (await app.db.kysely.selectFrom('public_requests').select(['id', 'created_at']).where('client', '=', ADDRESS).execute()).length,
    failures: (await app.db.kysely.selectFrom('tracking_failures').select(['id', 'created_at']).where('client_ip', '=', ADDRESS).execute()).length,
  });
  /** The database as text: the address is in no table at all. */
  const anywhere = async () => {
    const tables = ['public_requests', 'tracking_failures', 'tracking_grants', 'public_form_receipts', 'workflow_instances', 'audit_events', 'auth_failures'];
    const found: string[] = [];
    for (const t of tables) if (JSON.stringify((await sql`SELECT * FROM ${sql.table(t)}`.execute(app.db.kysely)).rows).includes(ADDRESS)) found.push(t);
    return found;
  };
  const backdate = async (seconds: number) => {
    await sql`UPDATE public_requests SET created_at = now() - make_interval(secs => ${seconds}) WHERE client = ${ADDRESS}`.execute(app.db.kysely);
    await sql`UPDATE tracking_failures SET created_at = now() - make_interval(secs => ${seconds}) WHERE client_ip = ${ADDRESS}`.execute(app.db.kysely);
  };

  beforeAll(async () => {
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { logged.push(chunk.toString()); done(); } });
    app = await startTestApp(kind, {
      logger: createLogger('info', sink), env: { GRMS_TRUST_PROXY: 'loopback' },
      config: { publicIntake: { rate: { limit: 10, windowSeconds: WINDOW }, maxBodyBytes: 65_536 } },
    });
  });
  afterAll(() => app.close());

  test('an anonymous filing and wrong PINs: the address is kept within the window, gone after it', async () => {
    const filed = await app.call(undefined, 'POST', '/api/v1/public/workflows/complaint/instances',
      { data: { ...complaintData('kebersihan', 'Jl. Gajahmada', 'Sampah dibuang di sungai.'), anonymous: true } }, headers);
    expect(filed.status).toBe(201);
    const { registrationNumber, pin } = filed.body as { registrationNumber: string; pin: string };
    const wrong = String((Number(pin) + 1) % 100_000_000).padStart(8, '0');
    expect((await app.call(undefined, 'POST', '/api/v1/public/tracking/status', { registrationNumber, pin: wrong }, headers)).status).toBe(404);
    const browser = new ConsoleClient(app.url);
    const form = await browser.request('GET', '/lapor/lacak', undefined, headers);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    expect((await browser.request('POST', '/lapor/lacak', new URLSearchParams({ _csrf: csrf, registrationNumber, pin: wrong }), headers)).status).toBe(404);
    const proven = await browser.request('POST', '/lapor/lacak', new URLSearchParams({ _csrf: csrf, registrationNumber, pin }), headers);
    expect(proven.status).toBe(303);
    expect(await holding()).toEqual({ requests: 1, failures: 2 });

    // Within the window the rows are the limit's memory: a purge keeps them.
    await backdate(Math.min(WINDOW, TRACKING_LIMITS.windowSeconds) - 60);
    await purgePublicClients(app.db.kysely, { publicIntakeSeconds: WINDOW });
    expect(await holding()).toEqual({ requests: 1, failures: 2 });

    // The wrong PINs' window (15 minutes) ends before the filing's (an hour): each goes with its own.
    await backdate(TRACKING_LIMITS.windowSeconds + 1);
    expect(await purgePublicClients(app.db.kysely, { publicIntakeSeconds: WINDOW })).toMatchObject({ trackingFailures: 2, publicRequests: 0 });
    expect(await holding()).toEqual({ requests: 1, failures: 0 });
    await backdate(WINDOW + 1);
    expect(await purgePublicClients(app.db.kysely, { publicIntakeSeconds: WINDOW })).toMatchObject({ publicRequests: 1 });
    expect(await holding()).toEqual({ requests: 0, failures: 0 });
    expect(await anywhere()).toEqual([]);

    // The status page's grant holds no address, and lapses with its time.
    expect(await app.db.kysely.selectFrom('tracking_grants').select('client_hash').execute()).toHaveLength(1);
    await sql`UPDATE tracking_grants SET expires_at = now() - interval '1 second'`.execute(app.db.kysely);
    expect((await purgePublicClients(app.db.kysely, { publicIntakeSeconds: WINDOW })).trackingGrants).toBe(1);

    // The access log and request log lines of these routes never named the address.
    expect(logged.some((l) => l.includes('/api/v1/public/'))).toBe(true);
    expect(logged.some((l) => l.includes('/lapor/lacak'))).toBe(true);
    expect(logged.join('')).not.toContain(ADDRESS);
  });
});
