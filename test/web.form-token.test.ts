import { describeBackends, createTestDb } from './support/db';
import type { Db } from '../src/db/connect';
import { seedDemoPeople } from '../src/seed/demo';
import { submitOnce, type FormScope } from '../src/web/form-token';
import { createOrg } from '../src/auth/orgs';
import { invalidData } from '../src/errors';

/**
 * The console's once-per-form rule underneath the pages (test/web.browser-resubmit.test.ts shows
 * it in Chromium): a change and the record of its form's token commit together, so two
 * submissions of one form at the same moment make one change, and both land on its result.
 */
describeBackends('a form changes things once', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb(kind);
    await seedDemoPeople(db.kysely);
  });
  afterAll(async () => {
    await db?.close();
  });

  const scope = (key: string): FormScope => ({ username: 'admin', route: 'console POST /admin/orgs', key: key.padEnd(43, 'x'), requestHash: '-' });
  const orgCount = async () => Number((await db.kysely.selectFrom('orgs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  test('two submissions of one form at once: one organisation, both sent to it', async () => {
    const before = await orgCount();
    const make = () => submitOnce(db.kysely, scope('dua-kali'), async (trx) => {
      await createOrg(trx, 'admin', { id: 'dispar', name: 'Dinas Pariwisata', kind: 'opd' });
      return '/admin/orgs?created=dispar';
    });
    const results = await Promise.all([make(), make()]);
    expect(results.map((r) => r.location)).toEqual(['/admin/orgs?created=dispar', '/admin/orgs?created=dispar']);
    expect(results.map((r) => r.again).sort()).toEqual([false, true]);
    expect(await orgCount()).toBe(before + 1);
    // Later, the same form again: nothing more.
    expect(await make()).toEqual({ location: '/admin/orgs?created=dispar', again: true });
    expect(await orgCount()).toBe(before + 1);
  });

  test('a refused submission records nothing: the corrected form, with the same token, goes through', async () => {
    const before = await orgCount();
    await expect(submitOnce(db.kysely, scope('ditolak-dulu'), async (trx) => {
      await createOrg(trx, 'admin', { id: 'diskominfo', name: 'Dinas Kominfo', kind: 'opd' });
      throw invalidData('refused after the insert', [{ path: '/name', message: 'is required' }]);
    })).rejects.toMatchObject({ code: 'INVALID_DATA' });
    expect(await orgCount()).toBe(before);
    const ok = await submitOnce(db.kysely, scope('ditolak-dulu'), async (trx) => {
      await createOrg(trx, 'admin', { id: 'diskominfo', name: 'Dinas Komunikasi dan Informatika', kind: 'opd' });
      return '/admin/orgs?created=diskominfo';
    });
    expect(ok).toEqual({ location: '/admin/orgs?created=diskominfo', again: false });
    expect(await orgCount()).toBe(before + 1);
  });

  test('without a token (a client that is not the console\'s page) each request is its own', async () => {
    const first = await submitOnce(db.kysely, undefined, async () => '/x');
    expect(first).toEqual({ location: '/x', again: false });
  });
});
