import { sql } from 'kysely';
import { describeBackends, describePostgres, createTestDb } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { mintToken, revokeToken, revokeUserTokens } from '../src/auth/tokens';
import { AUTH_LIMITS } from '../src/auth/rate-limit';

const AUTH_FAILURE_LIMIT = AUTH_LIMITS.perClient;
import { openPostgres } from '../src/db/connect';

describeBackends('token lifecycle', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('expired and revoked tokens stop working at once; use is recorded', async () => {
    const expired = await mintToken(app.db.kysely, 'kadis.dinkes', new Date(Date.now() - 1000));
    expect((await app.call(expired, 'GET', '/api/v1/me')).status).toBe(401);
    const live = await mintToken(app.db.kysely, 'kadis.dinkes', new Date(Date.now() + 60_000));
    expect((await app.call(live, 'GET', '/api/v1/me')).status).toBe(200);
    const used = await sql<{ n: number }>`SELECT count(*)::int AS n FROM api_tokens WHERE username = 'kadis.dinkes' AND last_used_at IS NOT NULL`.execute(app.db.kysely);
    expect(used.rows[0]!.n).toBeGreaterThanOrEqual(1);
    expect(await revokeToken(app.db.kysely, live)).toBe(true);
    expect((await app.call(live, 'GET', '/api/v1/me')).status).toBe(401);
    const other = await mintToken(app.db.kysely, 'kadis.dinkes');
    expect(await revokeUserTokens(app.db.kysely, 'kadis.dinkes')).toBeGreaterThanOrEqual(2);
    expect((await app.call(other, 'GET', '/api/v1/me')).status).toBe(401);
  });

  test('a deactivated user is refused even with a valid token', async () => {
    const token = await mintToken(app.db.kysely, 'perencana.pupr');
    await app.db.kysely.updateTable('users').set({ active: false }).where('username', '=', 'perencana.pupr').execute();
    expect((await app.call(token, 'GET', '/api/v1/me')).status).toBe(401);
    await app.db.kysely.updateTable('users').set({ active: true }).where('username', '=', 'perencana.pupr').execute();
  });

  test(`after ${AUTH_FAILURE_LIMIT} bad tokens the client's further bad tokens get 429 with Retry-After; a good token still works`, async () => {
    await app.db.kysely.deleteFrom('auth_failures').execute(); // the tests above failed a few on purpose
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) expect((await app.call(`grms_forged${i}`, 'GET', '/api/v1/me')).status).toBe(401);
    const blocked = await app.call('grms_forged-once-more', 'GET', '/api/v1/me');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body.type).toMatch(/too-many-failed-authentications$/);
    // A refused token is not counted: the client stays at its limit, not beyond.
    expect(await app.db.kysely.selectFrom('auth_failures').select('client').execute()).toHaveLength(AUTH_FAILURE_LIMIT);
    // Valid credentials are never refused for the failures of their address.
    const good = await app.call('auditor.inspektorat', 'GET', '/api/v1/me');
    expect(good.status).toBe(200);
    expect(good.body.username).toBe('auditor.inspektorat');
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    await app.db.kysely.deleteFrom('auth_failures').execute();
  });

  test('the auth scheme is case-insensitive (RFC 9110): bearer, BEARER and Bearer all carry the token', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR', 'Bearer']) {
      const res = await app.call(undefined, 'GET', '/api/v1/me', undefined, { authorization: `${scheme} ${app.tokens['kadis.pupr']}` });
      expect({ scheme, status: res.status, user: res.body?.username }).toEqual({ scheme, status: 200, user: 'kadis.pupr' });
    }
    // The token itself stays case-sensitive.
    const changed = await app.call(undefined, 'GET', '/api/v1/me', undefined, { authorization: `bearer ${app.tokens['kadis.pupr']!.toUpperCase()}` });
    expect(changed.status).toBe(401);
    await app.db.kysely.deleteFrom('auth_failures').execute();
  });
});

describePostgres('failed-authentication limit across processes', () => {
  test('failures counted by one API process limit the client\'s unknown tokens at another; its valid tokens work at both', async () => {
    const db = await createTestDb('postgres');
    const second = openPostgres({ connectionString: db.url! });
    const a = await startTestApp('postgres', { db });
    const b = await startTestApp('postgres', { db: second, seed: false, masterKey: a.masterKey });
    try {
      for (let i = 0; i < AUTH_FAILURE_LIMIT; i++) expect((await (i % 2 ? a : b).call(`grms_bad${i}`, 'GET', '/api/v1/tasks')).status).toBe(401);
      expect((await a.call('grms_bad-a', 'GET', '/api/v1/tasks')).status).toBe(429);
      expect((await b.call('grms_bad-b', 'GET', '/api/v1/tasks')).status).toBe(429);
      expect((await a.call('kadis.dinkes', 'GET', '/api/v1/tasks')).status).toBe(200);
      expect((await b.call('kadis.dinkes', 'GET', '/api/v1/tasks')).status).toBe(200);
    } finally {
      await b.close();
      await a.close();
      await second.close();
      await db.close();
    }
  });
});
