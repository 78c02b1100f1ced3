import { sql } from 'kysely';
import { describeBackends, createTestDb } from './support/db';
import { checkLogin, generatePassword, hashPassword, passwordMatches, passwordProblems, setPassword } from '../src/auth/passwords';
import { verifyPeopleChain } from '../src/auth/people';
import { seedDemoPeople } from '../src/seed/demo';
import type { Db } from '../src/db/connect';

test('scrypt hashes carry their parameters, use a fresh salt, and match only the right password', async () => {
  const a = await hashPassword('kata-sandi-rahasia');
  const b = await hashPassword('kata-sandi-rahasia');
  expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
  expect(a).not.toBe(b);
  expect(await passwordMatches(a, 'kata-sandi-rahasia')).toBe(true);
  expect(await passwordMatches(a, 'kata-sandi-rahasiA')).toBe(false);
  expect(await passwordMatches('md5$whatever', 'kata-sandi-rahasia')).toBe(false);
  // The same text typed as composed or decomposed characters is one password.
  expect(await passwordMatches(await hashPassword('Sémarang-2026'), 'Se\u0301marang-2026')).toBe(true);
});

test('password rules name the field', () => {
  expect(passwordProblems('short')).toEqual([{ path: '/password', message: expect.stringContaining('10 to 200') }]);
  expect(passwordProblems('aaaaaaaaaaaa')[0]?.message).toContain('4 different');
  expect(passwordProblems('good\u0000password1')).toHaveLength(1);
  expect(passwordProblems(42, '/new')).toEqual([{ path: '/new', message: 'must be a string' }]);
  expect(passwordProblems('Jembatan Merah 1926')).toEqual([]);
  const g = generatePassword();
  expect(g).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
  expect(passwordProblems(g)).toEqual([]);
});

describeBackends('signing in with a password', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb(kind);
    await seedDemoPeople(db.kysely);
  });
  afterAll(async () => db.close());

  test('set, check, reset (must change), and every change chained without the secret', async () => {
    const k = db.kysely;
    expect(await checkLogin(k, 'kadis.dinkes', 'Jembatan Merah 1926')).toBeUndefined();
    await setPassword(k, 'admin', 'kadis.dinkes', 'Jembatan Merah 1926');
    expect(await checkLogin(k, 'kadis.dinkes', 'Jembatan Merah 1926')).toEqual({ username: 'kadis.dinkes', mustChange: false });
    expect(await checkLogin(k, 'kadis.dinkes', 'jembatan merah 1926')).toBeUndefined();
    expect(await checkLogin(k, 'nobody.here', 'Jembatan Merah 1926')).toBeUndefined();

    await setPassword(k, 'admin', 'kadis.dinkes', 'Lawang Sewu 1907', { mustChange: true, reset: true });
    expect(await checkLogin(k, 'kadis.dinkes', 'Jembatan Merah 1926')).toBeUndefined();
    expect(await checkLogin(k, 'kadis.dinkes', 'Lawang Sewu 1907')).toEqual({ username: 'kadis.dinkes', mustChange: true });

    await expect(setPassword(k, 'admin', 'kadis.dinkes', 'pendek')).rejects.toMatchObject({ code: 'INVALID_DATA', errors: [{ path: '/password' }] });
    await expect(setPassword(k, 'admin', 'ghost', 'Lawang Sewu 1907')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const events = await sql<Record<string, unknown>>`SELECT action, username, actor, details FROM people_events
      WHERE action IN ('set_password', 'reset_password') ORDER BY seq`.execute(k);
    expect(events.rows).toEqual([
      { action: 'set_password', username: 'kadis.dinkes', actor: 'admin', details: null },
      { action: 'reset_password', username: 'kadis.dinkes', actor: 'admin', details: null },
    ]);
    expect((await verifyPeopleChain(k)).ok).toBe(true);
  });
});
