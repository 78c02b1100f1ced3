import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoSignIns, exited, grms, serve, logKey } from './support/cli';
import { ConsoleClient } from './support/web';
import { createPostgresDatabase, dropPostgresDatabase, describePostgres } from './support/db';
import { openPglite } from '../src/db/connect';
import { checkLogin } from '../src/auth/passwords';

const TOKEN_LINE = /^grms_[A-Za-z0-9_-]{43}\n$/;

describe('grms CLI on the embedded database', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-cli-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('key generate prints 32 random bytes in base64', () => {
    const r = grms(['key', 'generate'], {});
    expect(r.status).toBe(0);
    expect(Buffer.from(r.stdout.trim(), 'base64')).toHaveLength(32);
  });

  // Two starts (each hashing the demo passwords) and several CLI runs: slow on a shared 2-core machine.
  test('serve starts on an empty folder with demo data and tokens; the folder is locked while it runs and taken over after kill -9', async () => {
    const env = { GRMS_DATA_DIR: dir };
    const first = await serve(env);
    try {
      expect(Object.keys(first.tokens)).toEqual(expect.arrayContaining(['perencana.dinkes', 'kadis.dinkes', 'auditor.inspektorat', 'admin']));
      // A password next to every token: 20 characters without look-alikes.
      expect(Object.keys(first.passwords).sort()).toEqual(Object.keys(first.tokens).sort());
      for (const pw of Object.values(first.passwords)) expect(pw).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{20}$/);
      const me = await fetch(`${first.url}/api/v1/me`, { headers: { authorization: `Bearer ${first.tokens['kadis.dinkes']}` } });
      expect(await me.json()).toMatchObject({ username: 'kadis.dinkes', org: 'dinkes' });
      const tasks = (await (await fetch(`${first.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${first.tokens['kadis.dinkes']}` } })).json()) as { items: unknown[] };
      expect(tasks.items.length).toBeGreaterThan(0);
      expect(fs.statSync(path.join(dir, 'grms.key')).mode & 0o777).toBe(0o600);
      // The printed console password signs in.
      const web = new ConsoleClient(first.url);
      expect((await web.signIn('kadis.dinkes', first.passwords['kadis.dinkes']!)).location).toBe('/inbox');
      expect((await web.get('/inbox')).status).toBe(200);

      const refused = grms(['token', 'perencana.dinkes'], env);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/in use by grms process \d+ \(server\)/);
    } finally {
      first.child.kill('SIGKILL');
      await exited(first.child);
    }

    // The dead server's lock is recognised and taken over.
    const token = grms(['token', 'perencana.dinkes'], env);
    expect(token.stderr).toBe('');
    expect(token.status).toBe(0);
    expect(token.stdout).toMatch(TOKEN_LINE);
    expect(grms(['token', 'nobody'], env)).toMatchObject({ status: 1, stdout: '' });
    // A password set with the CLI is kept by later starts; the demo's own ones are renewed.
    expect(grms(['user', 'set-password', 'kadis.dinkes'], env, 'Kantor Dinas 2026\n')).toMatchObject({ status: 0, stdout: 'password of kadis.dinkes set\n' });

    const second = await serve(env);
    try {
      // Same database: the CLI's token works, and the data was not seeded twice.
      const me = await fetch(`${second.url}/api/v1/me`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
      expect(me.status).toBe(200);
      const all = (await (await fetch(`${second.url}/api/v1/instances?workflow=budget-proposal&limit=200`, { headers: { authorization: `Bearer ${second.tokens['auditor.inspektorat']}` } })).json()) as { items: unknown[] };
      expect(all.items.length).toBe(6); // the demo set's proposals, loaded once (not again on restart)
      expect(second.output()).toMatch(/^\s{4}kadis\.dinkes\s{2,}opd_head \(dinkes\)\s{2,}\(kept\)\s{2,}grms_\S+$/m);
      expect(second.passwords['kadis.dinkes']).toBeUndefined();
      expect(second.passwords.admin).not.toBe(first.passwords.admin);
      // Each start revokes the demo tokens the previous start printed (the CLI's token above is kept).
      for (const user of ['kadis.dinkes', 'admin']) {
        expect((await fetch(`${second.url}/api/v1/me`, { headers: { authorization: `Bearer ${first.tokens[user]}` } })).status).toBe(401);
        expect((await fetch(`${second.url}/api/v1/me`, { headers: { authorization: `Bearer ${second.tokens[user]}` } })).status).toBe(200);
      }
      // Progress while it starts, and the table kept in a file only its owner reads, its path printed last.
      expect(second.output()).toMatch(/grms: opening the embedded database \(PGlite\) in \S+: \d+\.\d s/);
      expect(second.output()).toMatch(/grms: making the demo sign-ins: \d+\.\d s/);
      const file = path.join(dir, 'demo-credentials.txt');
      const printed = second.output();
      expect(printed.indexOf(`  demo sign-ins saved in ${file} (readable by you only)\n`)).toBeGreaterThan(printed.indexOf('  try: curl'));
      expect(printed.indexOf('  try: curl')).toBeGreaterThan(printed.search(/^\s{4}penyedia\.cvmaju\s/m));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(demoSignIns(fs.readFileSync(file, 'utf8'))).toEqual({ tokens: second.tokens, passwords: second.passwords });
    } finally {
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, 'grms.lock'))).toBe(false);
    expect(grms(['token', 'revoke', token.stdout.trim()], env)).toMatchObject({ status: 0, stdout: 'revoked\n' });
    expect(grms(['token', 'revoke', token.stdout.trim()], env).status).toBe(1);
    expect(grms(['audit', 'checkpoint'], env).status).toBe(0);
    const verify = grms(['audit', 'verify', '--log-key', logKey(env)], env);
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, people: { ok: true }, orgs: { ok: true, checked: 0, broken: [] } });

    // The printed passwords sign in (the latest start's; the earlier ones were renewed).
    const db = await openPglite({ dataDir: path.join(dir, 'pgdata') });
    try {
      expect(await checkLogin(db.kysely, 'admin', second.passwords.admin!)).toEqual({ username: 'admin', mustChange: false });
      expect(await checkLogin(db.kysely, 'auditor.inspektorat', second.passwords['auditor.inspektorat']!)).toMatchObject({ username: 'auditor.inspektorat' });
      expect(await checkLogin(db.kysely, 'admin', first.passwords.admin!)).toBeUndefined();
      expect(await checkLogin(db.kysely, 'kadis.dinkes', 'Kantor Dinas 2026')).toEqual({ username: 'kadis.dinkes', mustChange: false });
    } finally {
      await db.close();
    }
  }, 600_000);

  test('with DATABASE_URL, serve and seed refuse to start without GRMS_KEY and say how to make one', () => {
    for (const cmd of [['serve'], ['seed', '--demo']]) {
      const r = grms(cmd, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/none' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/GRMS_KEY/);
      expect(r.stderr).toMatch(/grms key generate/);
    }
  });
});

describePostgres('grms CLI on PostgreSQL', () => {
  test('seed --demo loads once; two serve processes share one database and one CA', async () => {
    const url = await createPostgresDatabase();
    const env = { DATABASE_URL: url, GRMS_KEY: grms(['key', 'generate'], {}).stdout.trim(), GRMS_PUBLIC_URL: 'https://grms.semarangkota.example' };
    try {
      // Certificates name their CRL under the public address for years: none without it.
      const { GRMS_PUBLIC_URL: _, ...withoutUrl } = env;
      for (const cmd of [['seed', '--demo'], ['serve']]) {
        const r = grms(cmd, withoutUrl);
        expect({ cmd, status: r.status }).toEqual({ cmd, status: 1 });
        expect(r.stderr).toMatch(/GRMS_PUBLIC_URL is not set.*\[DOCUMENT_CA_CONFIG\]/);
      }
      expect(grms(['seed', '--demo'], env)).toMatchObject({ status: 0, stdout: 'demo data loaded\n' });
      expect(grms(['seed', '--demo'], env)).toMatchObject({ status: 0, stdout: 'demo data already present; nothing changed\n' });
      const [a, b] = await Promise.all([serve(env), serve(env)]);
      try {
        const token = grms(['token', 'auditor.inspektorat'], env).stdout.trim();
        const caA = await (await fetch(`${a.url}/api/v1/ca.pem`)).text();
        const caB = await (await fetch(`${b.url}/api/v1/ca.pem`)).text();
        expect(caA).toMatch(/BEGIN CERTIFICATE/);
        expect(caB).toBe(caA);
        const verify = await (await fetch(`${b.url}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${token}` } })).json();
        expect(verify).toMatchObject({ ok: true });
      } finally {
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
        await Promise.all([exited(a.child), exited(b.child)]);
      }
    } finally {
      await dropPostgresDatabase(url);
    }
  }, 300_000);
});
