import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { checkLogin } from '../src/auth/passwords';
import { verifyPeopleChain } from '../src/auth/people';
import { mintToken } from '../src/auth/tokens';
import { AUTH_LIMITS } from '../src/auth/rate-limit';
import { PROBLEM_BASE } from '../src/errors';

describeBackends('passwords through the API', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  /** writeCounts plus what a password request could write: people changes and password columns. */
  async function writes() {
    const people = await app.db.kysely.selectFrom('people_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const users = await app.db.kysely.selectFrom('users').select(['username', 'password_hash', 'password_must_change', 'password_changed_at']).orderBy('username').execute();
    return { ...(await writeCounts(app.db)), people: Number(people.n), users };
  }
  async function authFailures(): Promise<number> {
    const r = await app.db.kysely.selectFrom('auth_failures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
  async function listed(username: string) {
    const res = await app.call('admin', 'GET', '/api/v1/users');
    expect(res.text).not.toMatch(/scrypt|password_hash|passwordHash/);
    return res.body.items.find((u: { username: string }) => u.username === username);
  }
  const passwordEvents = async (username: string) =>
    (await app.db.kysely.selectFrom('people_events').select(['action', 'actor', 'details']).where('username', '=', username)
      .where('action', 'in', ['set_password', 'reset_password']).orderBy('seq').execute());

  test('an admin sets a password; the user list shows that one is set, never the hash', async () => {
    expect(await listed('kadis.dinkes')).toMatchObject({ hasPassword: false, passwordMustChange: false });
    const res = await app.call('admin', 'PUT', '/api/v1/users/kadis.dinkes/password', { password: 'Jembatan Merah 1926' });
    expect(res.status).toBe(204);
    expect(await checkLogin(app.db.kysely, 'kadis.dinkes', 'Jembatan Merah 1926')).toEqual({ username: 'kadis.dinkes', mustChange: false });
    expect(await listed('kadis.dinkes')).toMatchObject({ hasPassword: true, passwordMustChange: false });
    expect(await passwordEvents('kadis.dinkes')).toEqual([{ action: 'set_password', actor: 'admin', details: null }]);
    // Auditors read the same list.
    const audited = await app.call('auditor.inspektorat', 'GET', '/api/v1/users');
    expect(audited.body.items.find((u: { username: string }) => u.username === 'kadis.dinkes')).toMatchObject({ hasPassword: true });
  });

  test('setting a password is refused for non-admins, weak passwords, unknown fields and users, deactivated users; nothing is written', async () => {
    await app.call('admin', 'POST', '/api/v1/users', { username: 'pindah.dinkes', fullName: 'Rudi Hartono', org: 'dinkes' });
    const token = await mintToken(app.db.kysely, 'pindah.dinkes');
    expect((await app.call('admin', 'POST', '/api/v1/users/pindah.dinkes/deactivate', { reason: 'Mutasi' })).status).toBe(200);
    const before = await writes();

    const notAdmin = await app.call('kadis.dinkes', 'PUT', '/api/v1/users/perencana.dinkes/password', { password: 'Jembatan Merah 1926' });
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.headers.get('content-type')).toMatch(/application\/problem\+json/);

    const weak = await app.call('admin', 'PUT', '/api/v1/users/perencana.dinkes/password', { password: 'pendek' });
    expect(weak.status).toBe(422);
    expect(weak.body).toMatchObject({ type: `${PROBLEM_BASE}/invalid-data`, errors: [{ path: '/password', message: expect.stringContaining('10 to 200') }] });
    expect((await app.call('admin', 'PUT', '/api/v1/users/perencana.dinkes/password', { password: 'aaaaaaaaaaaaaa' })).body.errors).toEqual([{ path: '/password', message: expect.stringContaining('4 different') }]);
    expect((await app.call('admin', 'PUT', '/api/v1/users/perencana.dinkes/password', {})).body.errors).toEqual([{ path: '/password', message: 'must be a string' }]);

    const misspelt = await app.call('admin', 'PUT', '/api/v1/users/perencana.dinkes/password', { pasword: 'Jembatan Merah 1926' });
    expect(misspelt.status).toBe(422);
    expect(misspelt.body.errors).toEqual(expect.arrayContaining([{ path: '/pasword', message: 'is not a field of this request' }]));

    const unknown = await app.call('admin', 'PUT', '/api/v1/users/nobody.here/password', { password: 'Jembatan Merah 1926' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe(`${PROBLEM_BASE}/not-found`);

    const gone = await app.call('admin', 'PUT', '/api/v1/users/pindah.dinkes/password', { password: 'Jembatan Merah 1926' });
    expect(gone.status).toBe(422);
    expect(gone.body.detail).toMatch(/deactivated/);

    expect((await app.call('admin', 'PUT', '/api/v1/users/perencana.dinkes/password', 'Jembatan Merah 1926', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await app.call(undefined, 'PUT', '/api/v1/users/perencana.dinkes/password', { password: 'Jembatan Merah 1926' })).status).toBe(401);
    // A deactivated official cannot set their own either: their token stopped with them.
    expect((await app.call(token, 'PUT', '/api/v1/me/password', { newPassword: 'Jembatan Merah 1926' })).status).toBe(401);
    expect(await writes()).toEqual(before);
  });

  test('a reset gives a temporary password once, not cached; it must be changed at next sign-in', async () => {
    const res = await app.call('admin', 'POST', '/api/v1/users/perencana.pupr/password-reset');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      username: 'perencana.pupr', temporaryPassword: expect.stringMatching(/^[a-km-zA-HJ-NP-Z2-9]{20}$/), mustChange: true,
      endedSessions: 0, revokedTokens: 1,
    });
    // The reset revoked the user's token (test/auth.password-recovery.test.ts covers it): a new one, as the CLI would issue.
    expect((await app.call('perencana.pupr', 'GET', '/api/v1/me')).status).toBe(401);
    app.tokens['perencana.pupr'] = await mintToken(app.db.kysely, 'perencana.pupr');
    expect(await checkLogin(app.db.kysely, 'perencana.pupr', res.body.temporaryPassword)).toEqual({ username: 'perencana.pupr', mustChange: true });
    expect(await listed('perencana.pupr')).toMatchObject({ hasPassword: true, passwordMustChange: true });
    expect(await passwordEvents('perencana.pupr')).toEqual([{ action: 'reset_password', actor: 'admin', details: null }]);

    // The holder picks their own with the temporary one, which clears must-change.
    const changed = await app.call('perencana.pupr', 'PUT', '/api/v1/me/password', { currentPassword: res.body.temporaryPassword, newPassword: 'Simpang Lima 2026' });
    expect(changed.status).toBe(204);
    expect(await checkLogin(app.db.kysely, 'perencana.pupr', 'Simpang Lima 2026')).toEqual({ username: 'perencana.pupr', mustChange: false });
    expect(await checkLogin(app.db.kysely, 'perencana.pupr', res.body.temporaryPassword)).toBeUndefined();

    const before = await writes();
    expect((await app.call('kadis.dinkes', 'POST', '/api/v1/users/perencana.pupr/password-reset')).status).toBe(403);
    expect((await app.call('admin', 'POST', '/api/v1/users/nobody.here/password-reset')).status).toBe(404);
    expect((await app.call('admin', 'POST', '/api/v1/users/pindah.dinkes/password-reset')).status).toBe(422);
    expect(await writes()).toEqual(before);
  });

  test('a user without a password sets one without currentPassword; with one, the current one is required', async () => {
    const before = await writes();
    const early = await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { currentPassword: 'anything at all', newPassword: 'Kota Lama 1678' });
    expect(early.status).toBe(422);
    expect(early.body.errors).toEqual([{ path: '/currentPassword', message: expect.stringContaining('must be absent') }]);
    const weak = await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { newPassword: 'kota' });
    expect(weak.status).toBe(422);
    expect(weak.body.errors).toEqual([{ path: '/newPassword', message: expect.stringContaining('10 to 200') }]);
    const extra = await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { newPassword: 'Kota Lama 1678', username: 'admin' });
    expect(extra.body.errors).toEqual([{ path: '/username', message: 'is not a field of this request' }]);
    expect(await writes()).toEqual(before);

    expect((await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { newPassword: 'Kota Lama 1678' })).status).toBe(204);
    expect(await passwordEvents('verifikator.bappeda')).toEqual([{ action: 'set_password', actor: 'verifikator.bappeda', details: null }]);

    const after = await writes();
    const missing = await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { newPassword: 'Tugu Muda 1945' });
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ path: '/currentPassword', message: expect.stringContaining('is required') }]);
    const same = await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { currentPassword: 'Kota Lama 1678', newPassword: 'Kota Lama 1678' });
    expect(same.status).toBe(422);
    expect(same.body.errors).toEqual([{ path: '/newPassword', message: 'must differ from the current password' }]);
    expect(await writes()).toEqual(after);

    expect((await app.call('verifikator.bappeda', 'PUT', '/api/v1/me/password', { currentPassword: 'Kota Lama 1678', newPassword: 'Tugu Muda 1945' })).status).toBe(204);
    expect(await checkLogin(app.db.kysely, 'verifikator.bappeda', 'Tugu Muda 1945')).toMatchObject({ mustChange: false });
    expect(await checkLogin(app.db.kysely, 'verifikator.bappeda', 'Kota Lama 1678')).toBeUndefined();
  });

  test('auditors change their own password (the one change they may make)', async () => {
    expect((await app.call('auditor.inspektorat', 'PUT', '/api/v1/me/password', { newPassword: 'Inspeksi Tahunan 2026' })).status).toBe(204);
    expect(await checkLogin(app.db.kysely, 'auditor.inspektorat', 'Inspeksi Tahunan 2026')).toMatchObject({ username: 'auditor.inspektorat' });
    expect(await passwordEvents('auditor.inspektorat')).toEqual([{ action: 'set_password', actor: 'auditor.inspektorat', details: null }]);
    expect((await app.call('auditor.inspektorat', 'PUT', '/api/v1/users/kadis.dinkes/password', { password: 'Jembatan Merah 1926' })).status).toBe(403);
    expect((await app.call('auditor.inspektorat', 'POST', '/api/v1/users/kadis.dinkes/password-reset')).status).toBe(403);
  });

  test('a wrong current password is its own 403, writes nothing and counts as a failed authentication until the limit answers 429', async () => {
    await app.call('admin', 'PUT', '/api/v1/users/tapd.sekda/password', { password: 'Gedung Berlian 1980' });
    const before = await writes();
    const failures = await authFailures();
    const wrong = await app.call('tapd.sekda', 'PUT', '/api/v1/me/password', { currentPassword: 'Gedung Berlian 1981', newPassword: 'Pandanaran 1547x' });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(wrong.body).toMatchObject({ type: `${PROBLEM_BASE}/wrong-password`, code: 'WRONG_PASSWORD', status: 403 });
    expect(await authFailures()).toBe(failures + 1);
    expect(await writes()).toEqual(before);
    expect(await checkLogin(app.db.kysely, 'tapd.sekda', 'Gedung Berlian 1980')).toBeTruthy();

    // The failure is counted for the client and the username. At the username's limit (failures
    // from elsewhere) the same request is refused before its password is even looked at.
    expect(await app.db.kysely.selectFrom('auth_failures').select(['client', 'username', 'device']).where('username', 'is not', null).execute())
      .toEqual([{ client: '127.0.0.1', username: 'tapd.sekda', device: null }]);
    await app.db.kysely.insertInto('auth_failures')
      .values(Array.from({ length: AUTH_LIMITS.perUsername }, () => ({ client: '192.0.2.1', username: 'tapd.sekda' }))).execute();
    try {
      const blocked = await app.call('tapd.sekda', 'PUT', '/api/v1/me/password', { currentPassword: 'Gedung Berlian 1980', newPassword: 'Pandanaran 1547x' });
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await writes()).toEqual(before);
    } finally {
      await app.db.kysely.deleteFrom('auth_failures').execute();
    }
  });

  test('every password change is in the people chain, without the password, and the chain verifies', async () => {
    const rows = await sql<{ details: string | null }>`SELECT details FROM people_events WHERE action IN ('set_password', 'reset_password')`.execute(app.db.kysely);
    expect(rows.rows.length).toBeGreaterThanOrEqual(6);
    const all = JSON.stringify((await sql`SELECT * FROM people_events`.execute(app.db.kysely)).rows);
    for (const pw of ['Jembatan Merah 1926', 'Simpang Lima 2026', 'Kota Lama 1678', 'Tugu Muda 1945', 'Gedung Berlian 1980']) expect(all).not.toContain(pw);
    expect(await verifyPeopleChain(app.db.kysely)).toMatchObject({ ok: true, broken: [] });
  });
});
