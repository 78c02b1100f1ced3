import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { grms, grmsOnTerminal, terminalAvailable } from './support/cli';
import { createPostgresDatabase, dropPostgresDatabase, describePostgres } from './support/db';
import { openPglite, openPostgres } from '../src/db/connect';
import { migrate } from '../src/db/migrate';
import { seedDemoPeople } from '../src/seed/demo';
import { checkLogin } from '../src/auth/passwords';
import { verifyPeopleChain } from '../src/auth/people';
import { demoLogoPng } from '../src/seed/demo-logo';

const GENERATED = /^[a-km-zA-HJ-NP-Z2-9]{20}\n$/;

/** `user list --json`, by username. */
function listed(env: Record<string, string>): Record<string, { active: boolean; hasPassword: boolean; passwordMustChange: boolean; roles: string[] }> {
  const r = grms(['user', 'list', '--json'], env);
  expect(r.status).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as Array<{ username: string }>).map((u) => [u.username, u])) as never;
}

describe('grms user on the embedded database', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-user-'));
    env = { GRMS_DATA_DIR: dir };
    // The demo people only (no proposals): what these commands need, made quickly.
    const db = await openPglite({ dataDir: path.join(dir, 'pgdata') });
    try {
      await migrate(db);
      await seedDemoPeople(db.kysely);
    } finally {
      await db.close();
    }
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('passwords: one line from stdin, --generate printed once, reset printed once; refusals exit 2 with the problem on stderr', async () => {
    const set = grms(['user', 'set-password', 'kadis.dinkes'], env, 'Jembatan Merah 1926\nnot read\n');
    expect(set).toMatchObject({ status: 0, stdout: 'password of kadis.dinkes set\n', stderr: '' });

    const weak = grms(['user', 'set-password', 'kadis.dinkes'], env, 'pendek\n');
    expect(weak).toMatchObject({ status: 2, stdout: '' });
    expect(weak.stderr).toMatch(/^grms: The password is not acceptable \[INVALID_DATA\]\n {2}\/password: must be 10 to 200 characters\n$/);
    expect(weak.stderr).not.toContain('pendek');
    expect(grms(['user', 'set-password', 'kadis.dinkes'], env, '')).toMatchObject({ status: 2, stdout: '', stderr: expect.stringContaining('No password on stdin') });
    expect(grms(['user', 'set-password', 'nobody.here'], env, 'Jembatan Merah 1926\n')).toMatchObject({ status: 2, stdout: '', stderr: 'grms: No user "nobody.here" [NOT_FOUND]\n' });
    const notAdmin = grms(['user', 'set-password', 'perencana.dinkes', '--generate', '--as', 'kadis.dinkes'], env);
    expect(notAdmin).toMatchObject({ status: 2, stdout: '', stderr: expect.stringContaining('--as kadis.dinkes: not an active admin') });

    const generated = grms(['user', 'set-password', 'perencana.dinkes', '--generate', '--as', 'admin'], env);
    expect(generated).toMatchObject({ status: 0, stderr: '' });
    expect(generated.stdout).toMatch(GENERATED);

    const reset = grms(['user', 'reset-password', 'perencana.pupr'], env);
    expect(reset.status).toBe(0);
    expect(reset.stdout).toMatch(GENERATED);
    expect(reset.stderr).toMatch(/must.*change|changed at next sign-in/);

    const users = listed(env);
    expect(users['kadis.dinkes']).toMatchObject({ hasPassword: true, passwordMustChange: false });
    expect(users['perencana.pupr']).toMatchObject({ hasPassword: true, passwordMustChange: true });
    expect(users['tapd.sekda']).toMatchObject({ hasPassword: false });
    const table = grms(['user', 'list'], env);
    expect(table.stdout).toMatch(/^username\s+org\s+password\s+status\s+roles\n/);
    expect(table.stdout).toMatch(/^perencana\.pupr\s+pupr\s+must change\s+active\s+planner@pupr$/m);
    expect(table.stdout).not.toMatch(/scrypt/);

    const db = await openPglite({ dataDir: path.join(dir, 'pgdata') });
    try {
      expect(await checkLogin(db.kysely, 'kadis.dinkes', 'Jembatan Merah 1926')).toEqual({ username: 'kadis.dinkes', mustChange: false });
      expect(await checkLogin(db.kysely, 'kadis.dinkes', 'not read')).toBeUndefined();
      expect(await checkLogin(db.kysely, 'perencana.dinkes', generated.stdout.trim())).toEqual({ username: 'perencana.dinkes', mustChange: false });
      expect(await checkLogin(db.kysely, 'perencana.pupr', reset.stdout.trim())).toEqual({ username: 'perencana.pupr', mustChange: true });
      const events = await db.kysely.selectFrom('people_events').select(['action', 'username', 'actor']).orderBy('seq').execute();
      expect(events).toEqual([
        { action: 'set_password', username: 'kadis.dinkes', actor: 'system' },
        { action: 'set_password', username: 'perencana.dinkes', actor: 'admin' },
        { action: 'reset_password', username: 'perencana.pupr', actor: 'system' },
      ]);
      expect(await verifyPeopleChain(db.kysely)).toMatchObject({ ok: true, checked: 3 });
    } finally {
      await db.close();
    }
  }, 600_000);

  test('create, grant, revoke, deactivate: each recorded with its actor; refusals exit 2 and change nothing', async () => {
    const create = ['user', 'create', 'staf.dinkes', '--name', 'Ayu Lestari, S.K.M.', '--org', 'dinkes', '--position', 'Perencana Ahli Pertama', '--role', 'planner@dinkes', '--as', 'admin'];
    expect(grms(create, env)).toMatchObject({ status: 0, stdout: 'created staf.dinkes\n', stderr: '' });
    expect(grms(create, env)).toMatchObject({ status: 2, stderr: expect.stringContaining('[USER_EXISTS]') });
    const badRole = grms(['user', 'create', 'staf2.dinkes', '--name', 'X', '--org', 'dinkes', '--role', 'planner'], env);
    expect(badRole).toMatchObject({ status: 2, stderr: expect.stringContaining('/roles/0: "planner" must be <role>@<org>') });
    const badOrg = grms(['user', 'create', 'staf2.dinkes', '--name', 'X', '--org', 'nowhere'], env);
    expect(badOrg).toMatchObject({ status: 2, stderr: expect.stringContaining('/org: is not a known organisation') });

    expect(grms(['user', 'grant', 'staf.dinkes', 'opd_head', 'dinkes'], env)).toMatchObject({ status: 0, stdout: 'granted opd_head at dinkes to staf.dinkes\n' });
    expect(grms(['user', 'grant', 'staf.dinkes', 'opd_head', 'dinkes'], env)).toMatchObject({ status: 0, stdout: 'staf.dinkes already holds opd_head at dinkes\n' });
    expect(grms(['user', 'grant', 'staf.dinkes', 'king', 'dinkes'], env)).toMatchObject({ status: 2, stderr: expect.stringContaining('/role: must be one of') });
    expect(grms(['user', 'revoke', 'staf.dinkes', 'opd_head', 'dinkes'], env)).toMatchObject({ status: 0, stdout: 'removed opd_head at dinkes from staf.dinkes\n' });
    expect(grms(['user', 'revoke', 'staf.dinkes', 'opd_head', 'dinkes'], env)).toMatchObject({ status: 2, stderr: expect.stringContaining('[NOT_FOUND]') });
    expect(grms(['user', 'deactivate', 'ghost'], env)).toMatchObject({ status: 2, stderr: 'grms: No user "ghost" [NOT_FOUND]\n' });
    expect(grms(['user', 'deactivate', 'staf.dinkes', '--reason', 'Mutasi ke Dinas PUPR', '--as', 'admin'], env)).toMatchObject({ status: 0, stdout: expect.stringMatching(/^deactivated staf\.dinkes: /) });
    expect(grms(['user', 'set-password', 'staf.dinkes'], env, 'Jembatan Merah 1926\n')).toMatchObject({ status: 2, stderr: expect.stringContaining('deactivated') });
    expect(listed(env)['staf.dinkes']).toMatchObject({ active: false, hasPassword: false, roles: ['planner@dinkes'] });

    const db = await openPglite({ dataDir: path.join(dir, 'pgdata') });
    try {
      const events = await db.kysely.selectFrom('people_events').select(['action', 'role', 'actor', 'details']).where('username', '=', 'staf.dinkes').orderBy('seq').execute();
      expect(events).toEqual([
        { action: 'create_user', role: null, actor: 'admin', details: 'Ayu Lestari, S.K.M.' },
        { action: 'grant_role', role: 'planner', actor: 'admin', details: null },
        { action: 'grant_role', role: 'opd_head', actor: 'system', details: null },
        { action: 'remove_role', role: 'opd_head', actor: 'system', details: null },
        { action: 'deactivate', role: null, actor: 'admin', details: 'Mutasi ke Dinas PUPR' },
      ]);
      expect((await verifyPeopleChain(db.kysely)).ok).toBe(true);
    } finally {
      await db.close();
    }
  }, 600_000);

  test('grms org set: letterhead contacts and a logo file (typed by its bytes) recorded in the organisation chain; a bad logo exits 2 and changes nothing', async () => {
    const logo = demoLogoPng(32);
    fs.writeFileSync(path.join(dir, 'lambang.png'), logo);
    fs.writeFileSync(path.join(dir, 'lambang.txt'), 'bukan gambar');
    const bad = grms(['org', 'set', 'bappeda', '--address', 'Jalan Baru', '--logo', path.join(dir, 'lambang.txt')], env);
    expect(bad).toMatchObject({ status: 2, stdout: '', stderr: 'grms: The logo is refused [INVALID_DATA]\n  /logo/data: is not a PNG or JPEG image\n' });
    const set = grms(['org', 'set', 'bappeda', '--address', 'Jalan Pemuda No. 150, Semarang', '--unit-code', 'BAPPEDA-SMG', '--website', '', '--logo', path.join(dir, 'lambang.png'), '--as', 'admin'], env);
    expect(set).toMatchObject({ status: 0, stderr: '' });
    const sha256 = crypto.createHash('sha256').update(logo).digest('hex');
    expect(JSON.parse(set.stdout)).toMatchObject({ id: 'bappeda', address: 'Jalan Pemuda No. 150, Semarang', unitCode: 'BAPPEDA-SMG', website: null, logo: { contentType: 'image/png', sha256, bytes: logo.length } });
    const db = await openPglite({ dataDir: path.join(dir, 'pgdata') });
    try {
      const events = await db.kysely.selectFrom('org_events').select(['action', 'org_id', 'details', 'actor']).orderBy('seq').execute();
      expect(events.map((e) => ({ ...e, details: JSON.parse(e.details) as unknown }))).toEqual([{
        action: 'update_org', org_id: 'bappeda', actor: 'admin',
        details: { address: 'Jalan Pemuda No. 150, Semarang', unitCode: 'BAPPEDA-SMG', website: null, logo: { sha256, contentType: 'image/png', bytes: logo.length, width: 32, height: 32 } },
      }]);
      expect((await db.kysely.selectFrom('orgs').select('logo').where('id', '=', 'bappeda').executeTakeFirstOrThrow()).logo).toEqual(logo);
    } finally {
      await db.close();
    }
  });

  test('on a terminal, set-password asks twice without echoing', async () => {
    if (!terminalAvailable()) {
      if (process.env.CI === 'true') throw new Error('`script` (util-linux) is needed to give the CLI a terminal; CI=true requires it');
      console.warn('!! SKIPPED: terminal prompt test — `script` (util-linux) is not installed; CI fails instead of skipping');
      return;
    }
    const differ = await grmsOnTerminal(['user', 'set-password', 'tapd.sekda'], env, [{ prompt: 'New password: ', type: 'Gedung Berlian 1980' }, { prompt: 'Again: ', type: 'Gedung Berlian 1981' }]);
    expect(differ.status).toBe(2);
    expect(differ.screen).toContain('The two passwords differ');
    const ok = await grmsOnTerminal(['user', 'set-password', 'tapd.sekda'], env, [{ prompt: 'New password: ', type: 'Gedung Berlian 1980' }, { prompt: 'Again: ', type: 'Gedung Berlian 1980' }]);
    expect(ok.status).toBe(0);
    expect(ok.screen).toContain('password of tapd.sekda set');
    expect(ok.screen).not.toContain('Gedung');
    expect(differ.screen).not.toContain('Gedung');
    expect(listed(env)['tapd.sekda']).toMatchObject({ hasPassword: true });
  }, 300_000);
});

describePostgres('grms user with DATABASE_URL', () => {
  test('commands work on PostgreSQL, next to a running connection', async () => {
    const url = await createPostgresDatabase();
    const db = openPostgres({ connectionString: url, max: 2 });
    try {
      await seedDemoPeople(db.kysely);
      const env = { DATABASE_URL: url };
      expect(grms(['user', 'set-password', 'admin', '--as', 'admin'], env, 'Balai Kota 1906\n')).toMatchObject({ status: 0, stdout: 'password of admin set\n' });
      expect(await checkLogin(db.kysely, 'admin', 'Balai Kota 1906')).toEqual({ username: 'admin', mustChange: false });
      expect(grms(['user', 'create', 'staf.pupr', '--name', 'Budi Santoso', '--org', 'pupr', '--role', 'planner@pupr'], env)).toMatchObject({ status: 0 });
      expect(listed(env)['staf.pupr']).toMatchObject({ active: true, hasPassword: false, roles: ['planner@pupr'] });
      expect(await verifyPeopleChain(db.kysely)).toMatchObject({ ok: true, checked: 3 });
    } finally {
      await db.close();
      await dropPostgresDatabase(url);
    }
  }, 300_000);
});
