import crypto from 'node:crypto';
import { sql } from 'kysely';
import { demoLogoPng } from '../src/seed/demo-logo';
import { describeBackends } from './support/db';
import { isWorkingDay, localDay, nextDay } from '../src/sla/calendar';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { proposal } from './support/proposals';
import { tamper } from './support/audit-fixtures';
import { integrateAll } from './support/log-fixtures';
import { checkLogin, setPassword } from '../src/auth/passwords';

/** The console's audit and admin pages over HTTP (no browser): roles, downloads, changes and refusals. */
const NOW = new Date('2026-11-26T18:30:00Z');

describeBackends('web console audit and admin pages', (kind) => {
  let app: TestApp;
  let instance: string;
  const signedIn = async (username: string) => {
    const c = new ConsoleClient(app.url);
    expect((await c.signIn(username, TEST_PASSWORD)).status).toBe(303);
    return c;
  };
  const peopleEvents = async () =>
    (await sql<{ seq: string; action: string; username: string; role: string | null; org_id: string | null; actor: string }>`
      SELECT seq, action, username, role, org_id, actor FROM people_events ORDER BY seq`.execute(app.db.kysely)).rows;

  beforeAll(async () => {
    // The workflow clock at 18:30 UTC on a Thursday, already Friday in Jakarta: "tomorrow" below
    // must be counted in the deployment's zone, as deadlines are (in UTC it would be today there).
    app = await startTestApp(kind, { clock: () => NOW });
    for (const u of ['auditor.inspektorat', 'admin', 'kadis.dinkes', 'perencana.dinkes']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    instance = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Posyandu "Melati", Tembalang' }) })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${instance}/events`, { type: 'submit' });
    await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${instance}/events`, { type: 'return', comment: 'Baris 2, "volume"\nperbaiki' });
    // Integrate and checkpoint the log now: exports end at the latest checkpoint.
    await integrateAll(app.db.kysely);
    expect((await app.call('admin', 'POST', '/api/v1/log/checkpoint')).status).toBe(200);
  });
  afterAll(() => app.close());

  describe('audit', () => {
    test('only auditors: others get 403 on the page, the export and the report; visitors are sent to sign in', async () => {
      for (const who of ['admin', 'kadis.dinkes']) {
        const c = await signedIn(who);
        for (const path of ['/audit', '/audit?check=1', '/audit/export?format=csv', `/audit/report?instance=${instance}`]) {
          const res = await c.get(path);
          expect(res.status).toBe(403);
          expect(res.headers.get('content-type')).toMatch(/^text\/html/);
          expect(res.headers.get('content-disposition')).toBeNull();
        }
        expect((await c.get('/inbox')).text).not.toContain('href="/audit"');
      }
      const anon = await new ConsoleClient(app.url).get('/audit/export');
      expect(anon.status).toBe(303);
      expect(anon.location).toBe('/signin?next=%2Faudit%2Fexport');
      const auditor = await signedIn('auditor.inspektorat');
      expect((await auditor.get('/inbox')).text).toContain('href="/audit"');
    });

    test('the chain status runs the verification: intact, with the rows counted', async () => {
      const c = await signedIn('auditor.inspektorat');
      const page = await c.get('/audit');
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('id="chain-status"');
      const checked = await c.get('/audit?check=1');
      expect(checked.status).toBe(200);
      expect(checked.text).toContain('Rantai UTUH');
      const rows = await app.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(checked.text).toContain(`${Number(rows.n)} baris audit`);
    });

    test('the public log: its size, plainly that no witness watches it, and a fatal alarm when one reports a larger tree', async () => {
      const c = await signedIn('auditor.inspektorat');
      const page = await c.get('/audit');
      expect(page.text).toContain('<h2 id="h-log">Log publik</h2>');
      expect(page.text).toContain('id="log-unwitnessed"');
      expect(page.text).not.toContain('id="log-halted"');
      // What a witness 409 naming a larger tree leaves (src/audit/log/witnesses.ts): checkpointing stops, the page says so.
      const size = (await app.db.kysely.selectFrom('log_integrations').select((eb) => eb.fn.max('size').as('n')).executeTakeFirst())?.n ?? 0;
      await app.db.kysely.insertInto('log_alarms').values({ kind: 'witness-ahead', witness: 'inspektorat.test', fatal: true, tree_size: Number(size), reported_size: Number(size) + 1_000_000, detail: 'the witness cosigned a larger tree' }).execute();
      const halted = await c.get('/audit');
      expect(halted.text).toContain('id="log-halted"');
      expect(halted.text).toContain(`telah menandatangani log berisi ${Number(size) + 1_000_000} entri`);
    });

    test('the export download is the API export for the same filters, with an attachment name', async () => {
      const c = await signedIn('auditor.inspektorat');
      for (const query of ['format=csv', `format=jsonl&org=dinkes&instance=${instance}`, 'format=csv&workflow=budget-proposal&actor=kadis.dinkes&from=2000-01-01']) {
        const page = await c.get(`/audit/export?${query}`);
        const api = await app.call('auditor.inspektorat', 'GET', `/api/v1/audit/export?${query}`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toBe(api.headers.get('content-type'));
        expect(page.headers.get('content-disposition')).toMatch(/^attachment; filename="grms-audit-[0-9TZ-]+\.(csv|jsonl)"$/);
        // The meta record carries the export's own time; everything else is byte for byte the same.
        const strip = (text: string) => text.replace(/"exportedAt(""|"):(""|")[^"]+(""|")/, 'exportedAt');
        expect(strip(page.text)).toBe(strip(api.text));
        expect(page.text.split('\n').length).toBeGreaterThan(2);
      }
      const dinkes = await c.get(`/audit/export?format=jsonl&actor=kadis.dinkes`);
      const events = dinkes.text.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.record === 'event');
      expect(events.map((e) => e.event)).toEqual(['return']);
    });

    test('bad filters come back on the page, each beside its field, values kept, nothing downloaded', async () => {
      const c = await signedIn('auditor.inspektorat');
      const res = await c.get('/audit/export?format=xml&from=kemarin&instance=42&actor=kadis.dinkes');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(res.text).toMatch(/id="export-from"[^>]*aria-describedby="export-from-error"[^>]*aria-invalid="true"/);
      expect(res.text).toContain('id="export-from-error"');
      expect(res.text).toContain('id="export-instance-error"');
      expect(res.text).toContain('id="export-format-error"');
      expect(res.text).not.toContain('id="export-actor-error"');
      expect(res.text).toMatch(/id="export-from"[^>]*value="kemarin"/);
      expect(res.text).toMatch(/id="export-actor"[^>]*value="kadis.dinkes"/);
      const backwards = await c.get('/audit/export?format=csv&from=2026-12-08&to=2026-12-07');
      expect(backwards.status).toBe(400);
      expect(backwards.headers.get('content-disposition')).toBeNull();
      expect(backwards.text).toContain('<p class="field-error" id="export-to-error">tidak boleh sebelum tanggal mulai</p>');
    });

    test('an instance\'s audit report downloads as a signed PDF; a wrong id is an error beside the field', async () => {
      const c = await signedIn('auditor.inspektorat');
      // The instance page links the report for auditors only.
      const link = `href="/audit/report?instance=${instance}"`;
      expect((await c.get(`/instances/${instance}`)).text).toContain(link);
      expect((await (await signedIn('kadis.dinkes')).get(`/instances/${instance}`)).text).not.toContain(link);
      const res = await fetch(`${app.url}/audit/report?instance=${instance}`, { headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="audit-${instance}.pdf"`);
      const pdf = Buffer.from(await res.arrayBuffer());
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.includes('/ByteRange')).toBe(true);
      const bad = await c.get('/audit/report?instance=not-an-id');
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('id="report-instance-error"');
      const missing = await c.get('/audit/report?instance=00000000-0000-4000-8000-000000000000');
      expect(missing.status).toBe(404);
      expect(missing.text).toContain('id="report-instance-error"');
    });
  });

  describe('admin', () => {
    test('only admins: others get 403 (and nothing changes), visitors are sent to sign in', async () => {
      const before = await peopleEvents();
      for (const who of ['auditor.inspektorat', 'kadis.dinkes']) {
        const c = await signedIn(who);
        const inbox = await c.get('/inbox');
        expect(inbox.text).not.toContain('href="/admin"');
        for (const path of ['/admin', '/admin/users', '/admin/users/admin', '/admin/orgs', '/admin/orgs/dinkes', '/admin/delegations', '/admin/holidays']) expect((await c.get(path)).status).toBe(403);
        expect((await c.post('/admin/users', { username: 'penyusup', fullName: 'Penyusup', org: 'dinkes', role: 'admin' }, inbox)).status).toBe(403);
        expect((await c.post('/admin/users/perencana.dinkes/roles', { role: 'admin', org: 'dinkes' }, inbox)).status).toBe(403);
        expect((await c.post('/admin/users/perencana.dinkes/password-reset', {}, inbox)).status).toBe(403);
        expect((await c.post('/admin/holidays', { date: '2030-01-02', name: 'Libur palsu' }, inbox)).status).toBe(403);
      }
      expect(await peopleEvents()).toEqual(before);
      expect(await app.db.kysely.selectFrom('users').select('username').where('username', '=', 'penyusup').executeTakeFirst()).toBeUndefined();
      expect(await app.db.kysely.selectFrom('holidays').selectAll().execute()).toHaveLength(0);
      const anon = await new ConsoleClient(app.url).get('/admin/users');
      expect(anon.status).toBe(303);
      expect(anon.location).toBe('/signin?next=%2Fadmin%2Fusers');
    });

    test('creating a user: bad input is refused beside each field with the values kept and writes nothing; good input writes people_events', async () => {
      const c = await signedIn('admin');
      const page = await c.get('/admin/users');
      expect(page.status).toBe(200);
      const before = await peopleEvents();
      const bad = await c.post('/admin/users', { username: 'Staf Baru', fullName: 'Rina <b>Kurnia</b>', position: '', org: 'nowhere', role: 'kaisar' }, page);
      expect(bad.status).toBe(422);
      expect(bad.text).toMatch(/id="new-username"[^>]*value="Staf Baru"[^>]*aria-describedby="new-username-hint new-username-error"[^>]*aria-invalid="true"/);
      expect(bad.text).toContain('<p class="field-error" id="new-username-error">harus 2–63 huruf kecil, angka, titik, garis bawah atau tanda hubung</p>');
      expect(bad.text).toContain('Periksa isian yang ditandai');
      expect(bad.text).toContain('value="Rina &lt;b&gt;Kurnia&lt;/b&gt;"');
      expect(await peopleEvents()).toEqual(before);
      // The organisation and role are checked once the shape is right.
      const badOrg = await c.post('/admin/users', { username: 'staf.baru', fullName: 'Rina Kurnia', org: 'nowhere', role: 'kaisar' }, page);
      expect(badOrg.status).toBe(422);
      expect(badOrg.text).toContain('id="new-org-error"');
      expect(badOrg.text).toContain('id="new-role-error"');
      expect(await peopleEvents()).toEqual(before);
      const badNip = await c.post('/admin/users', { username: 'staf.baru', fullName: 'Rina Kurnia', nip: '1990 0215', org: 'dinkes' }, page);
      expect(badNip.status).toBe(422);
      expect(badNip.text).toContain('<p class="field-error" id="new-nip-error">harus 18 angka NIP (boleh berspasi)</p>');
      expect(await peopleEvents()).toEqual(before);
      const ok = await c.post('/admin/users', { username: 'staf.baru', fullName: 'Rina Kurnia, S.Kep.', position: 'Perawat', nip: '199102032019032011', org: 'dinkes', role: 'planner' }, page);
      expect(ok.status).toBe(303);
      expect(ok.location).toBe('/admin/users/staf.baru?done=created');
      const added = (await peopleEvents()).slice(before.length);
      expect(added.map((e) => [e.action, e.username, e.role, e.org_id, e.actor])).toEqual([
        ['create_user', 'staf.baru', null, 'dinkes', 'admin'], ['grant_role', 'staf.baru', 'planner', 'dinkes', 'admin'],
      ]);
      const shown = await c.get(ok.location!);
      expect(shown.text).toContain('Pengguna staf.baru dibuat');
      expect(shown.text).toContain('<dt>NIP</dt><dd>19910203 201903 2 011</dd>');
      const again = await c.post('/admin/users', { username: 'staf.baru', fullName: 'Lagi', org: 'dinkes' }, page);
      expect(again.status).toBe(409);
      expect(again.text).toContain('id="new-username-error"');
    });

    test('granting and removing roles goes to people_events; a bad grant is an error beside the field', async () => {
      const c = await signedIn('admin');
      const page = await c.get('/admin/users/perencana.dinkes');
      const before = await peopleEvents();
      const bad = await c.post('/admin/users/perencana.dinkes/roles', { role: 'raja', org: 'dinkes' }, page);
      expect(bad.status).toBe(422);
      expect(bad.text).toContain('id="grant-role-error"');
      expect(bad.text).toMatch(/<option value="dinkes" selected>/);
      expect(await peopleEvents()).toEqual(before);
      const granted = await c.post('/admin/users/perencana.dinkes/roles', { role: 'opd_head', org: 'dinkes' }, page);
      expect(granted.status).toBe(303);
      expect((await c.get(granted.location!)).text).toContain('Peran opd_head di dinkes diberikan');
      const removed = await c.post('/admin/users/perencana.dinkes/roles/remove', { role: 'opd_head', org: 'dinkes' }, page);
      expect(removed.status).toBe(303);
      const added = (await peopleEvents()).slice(before.length);
      expect(added.map((e) => [e.action, e.username, e.role, e.org_id])).toEqual([
        ['grant_role', 'perencana.dinkes', 'opd_head', 'dinkes'], ['remove_role', 'perencana.dinkes', 'opd_head', 'dinkes'],
      ]);
      expect(await app.db.kysely.selectFrom('user_roles').select('role').where('username', '=', 'perencana.dinkes').execute()).toEqual([{ role: 'planner' }]);
    });

    test('setting a password checks the policy; a reset shows a temporary password once and makes the user change it', async () => {
      const c = await signedIn('admin');
      const page = await c.get('/admin/users/staf.baru');
      const before = await peopleEvents();
      const weak = await c.post('/admin/users/staf.baru/password', { password: 'aaaaaaaaaaaa', mustChange: 'true' }, page);
      expect(weak.status).toBe(422);
      expect(weak.text).toContain('id="set-password-error"');
      expect(await peopleEvents()).toEqual(before);
      const set = await c.post('/admin/users/staf.baru/password', { password: 'Sandi-Awal-2026' }, page);
      expect(set.status).toBe(303);
      expect(await checkLogin(app.db.kysely, 'staf.baru', 'Sandi-Awal-2026')).toEqual({ username: 'staf.baru', mustChange: false });
      // Redirect after POST: the temporary password waits for the next page view only (sealed, server-side).
      const posted = await c.post('/admin/users/staf.baru/password-reset', {}, page);
      expect(posted.status).toBe(303);
      expect(posted.location).toBe('/admin/users/staf.baru?done=reset');
      const reset = await c.get(posted.location!);
      expect(reset.headers.get('cache-control')).toBe('no-store');
      const temporary = /<code class="secret" id="temporary-password">([^<]+)<\/code>/.exec(reset.text)![1]!;
      expect(JSON.stringify(await sql`SELECT * FROM web_notices`.execute(app.db.kysely))).not.toContain(temporary);
      expect(temporary).toMatch(/^[A-Za-z2-9]{20}$/);
      expect(await checkLogin(app.db.kysely, 'staf.baru', 'Sandi-Awal-2026')).toBeUndefined();
      expect(await checkLogin(app.db.kysely, 'staf.baru', temporary)).toEqual({ username: 'staf.baru', mustChange: true });
      expect((await c.get('/admin/users/staf.baru')).text).not.toContain(temporary);
      const added = (await peopleEvents()).slice(before.length);
      expect(added.map((e) => [e.action, e.username, e.actor])).toEqual([['set_password', 'staf.baru', 'admin'], ['reset_password', 'staf.baru', 'admin']]);
      expect(JSON.stringify(await sql`SELECT * FROM people_events`.execute(app.db.kysely))).not.toContain(temporary);
    });

    test('deactivation asks for confirmation first, then ends the user\'s sessions and is recorded', async () => {
      const user = new ConsoleClient(app.url);
      const tempPage = await (await signedIn('admin')).get('/admin/users/staf.baru');
      expect(tempPage.status).toBe(200);
      await setPassword(app.db.kysely, 'admin', 'staf.baru', TEST_PASSWORD);
      expect((await user.signIn('staf.baru', TEST_PASSWORD)).status).toBe(303);
      const c = await signedIn('admin');
      const confirm = await c.get('/admin/users/staf.baru/deactivate');
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('Nonaktifkan Rina Kurnia, S.Kep.?');
      expect((await app.db.kysely.selectFrom('users').select('active').where('username', '=', 'staf.baru').executeTakeFirstOrThrow()).active).toBe(true);
      const done = await c.post('/admin/users/staf.baru/deactivate', { reason: 'Mutasi ke Dinas Sosial' }, confirm);
      expect(done.status).toBe(303);
      expect((await app.db.kysely.selectFrom('users').select('active').where('username', '=', 'staf.baru').executeTakeFirstOrThrow()).active).toBe(false);
      const last = (await peopleEvents()).at(-1)!;
      expect([last.action, last.username, last.actor]).toEqual(['deactivate', 'staf.baru', 'admin']);
      expect((await user.get('/inbox')).status).toBe(303);
    });

    test('holidays: added and removed through the same functions as the API (deadlines rescheduled); a bad date is refused beside the field', async () => {
      const c = await signedIn('admin');
      const page = await c.get('/admin/holidays?year=2030');
      expect(page.status).toBe(200);
      const bad = await c.post('/admin/holidays', { date: '2030-02-30', name: '' }, page);
      expect(bad.status).toBe(422);
      expect(bad.text).toContain('<p class="field-error" id="hol-date-error">harus tanggal yang ada (TTTT-BB-HH)</p>');
      expect(bad.text).toContain('id="hol-name-error"');
      expect(bad.text).toMatch(/id="hol-date"[^>]*value="2030-02-30"/);
      expect(await app.db.kysely.selectFrom('holidays').selectAll().execute()).toHaveLength(0);
      // A deadline running now moves when a working day inside it becomes a holiday.
      const due = async () => (await app.db.kysely.selectFrom('deadlines').select('due_at').where('instance_id', '=', instance).where('kind', '=', 'state').executeTakeFirst())?.due_at;
      await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${instance}/events`, { type: 'submit' });
      const dueBefore = (await due())!;
      // The next working day after today, in the deployment's zone: inside the deadline's span.
      let date = nextDay(localDay(NOW, app.engine.time.timeZone));
      while (!isWorkingDay(date, new Set())) date = nextDay(date);
      const added = await c.post('/admin/holidays', { date, name: 'Cuti bersama' }, page);
      expect(added.status).toBe(303);
      expect((await due())!.getTime()).toBeGreaterThan(dueBefore.getTime());
      const listed = await c.get(added.location!);
      expect(listed.text).toContain('Cuti bersama');
      const removed = await c.post(`/admin/holidays/${date}/remove`, {}, listed);
      expect(removed.status).toBe(303);
      expect(await app.db.kysely.selectFrom('holidays').selectAll().execute()).toHaveLength(0);
      expect((await due())!.getTime()).toBe(dueBefore.getTime());
    });

    test('delegations: created and ended with people_events rows; a bad range is refused beside the field', async () => {
      const c = await signedIn('admin');
      const page = await c.get('/admin/delegations');
      expect(page.status).toBe(200);
      const before = await peopleEvents();
      const fields = { kind: 'plh', delegator: 'kadis.dinkes', delegate: 'perencana.dinkes', role: 'opd_head', org: 'dinkes', from: '2030-03-10', to: '2030-03-01', reason: '' };
      const bad = await c.post('/admin/delegations', fields, page);
      expect(bad.status).toBe(422);
      expect(bad.text).toContain('id="del-to-error"');
      expect(bad.text).toMatch(/<option value="kadis.dinkes" selected>/);
      const outside = await c.post('/admin/delegations', { ...fields, to: '2030-03-20', delegate: 'perencana.pupr' }, page);
      expect(outside.status).toBe(422);
      expect(outside.text).toContain('id="del-delegate-error"');
      // Plt or Plh must be chosen: the form offers both and names the field when it is missing.
      expect(page.text).toContain('<select id="del-kind" name="kind"');
      expect(page.text).toContain('Plh. (Pelaksana Harian');
      const noKind = await c.post('/admin/delegations', { ...fields, kind: '', to: '2030-03-20' }, page);
      expect(noKind.status).toBe(422);
      expect(noKind.text).toContain('id="del-kind-error"');
      expect(noKind.text).toContain('pilih Plt. atau Plh.');
      expect(await peopleEvents()).toEqual(before);
      const ok = await c.post('/admin/delegations', { ...fields, to: '2030-03-20', reason: 'Dinas luar' }, page);
      expect(ok.status).toBe(303);
      const row = await app.db.kysely.selectFrom('delegations').selectAll()
        .select([sql<string>`starts_on::text`.as('from_day'), sql<string>`ends_on::text`.as('to_day')]).executeTakeFirstOrThrow();
      expect([row.kind, row.delegator, row.delegate, row.role, row.from_day, row.to_day, row.created_by]).toEqual(['plh', 'kadis.dinkes', 'perencana.dinkes', 'opd_head', '2030-03-10', '2030-03-20', 'admin']);
      const listed = await c.get(ok.location!);
      expect(listed.text).toContain('Pelimpahan dicatat');
      expect(listed.text).toContain('<td data-label="Mulai">2030-03-10</td><td data-label="Sampai">2030-03-20</td>');
      expect(listed.text).toContain('<td data-label="Jenis">Plh.</td>');
      const ended = await c.post(`/admin/delegations/${row.id}/end`, {}, listed);
      expect(ended.status).toBe(303);
      expect((await app.db.kysely.selectFrom('delegations').select('ended_at').executeTakeFirstOrThrow()).ended_at).not.toBeNull();
      expect((await peopleEvents()).slice(before.length).map((e) => [e.action, e.username, e.role])).toEqual([
        ['delegate', 'perencana.dinkes', 'opd_head'], ['end_delegation', 'perencana.dinkes', 'opd_head'],
      ]);
    });

    test('the pages speak English when asked, every field labelled', async () => {
      const c = await signedIn('admin');
      for (const [path, text] of [['/admin/users?lang=en', 'Add a user'], ['/admin/users/kadis.dinkes', 'Grant a role'], ['/admin/delegations', 'New delegation'], ['/admin/holidays', 'Save the holiday'], ['/admin/orgs', 'Add an organisation'], ['/admin/orgs/cv-maju', 'Organisation: CV Maju Jaya Konstruksi']]) {
        const res = await c.get(path);
        expect(res.status).toBe(200);
        expect(res.text).toContain('<html lang="en">');
        expect(res.text).toContain(text);
        // Every input and select has a label pointing at it.
        const ids = [...res.text.matchAll(/<(?:input|select)(?![^>]*type="(?:hidden|checkbox)")[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) expect(res.text).toContain(`<label for="${id}"`);
      }
      const auditor = await signedIn('auditor.inspektorat');
      expect((await auditor.get('/audit?lang=en')).text).toContain('Download the export');
    });

    test('OPDs: created and edited through forms beside each field, values kept when refused, every change in org_events', async () => {
      const c = await signedIn('admin');
      const orgEvents = async () => (await sql<{ action: string; org_id: string; actor: string }>`SELECT action, org_id, actor FROM org_events ORDER BY seq`.execute(app.db.kysely)).rows;
      const page = await c.get('/admin/orgs');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Dinas Kesehatan');
      expect(page.text).toContain('<a href="/admin/orgs/dinkes">');
      for (const id of ['org-id', 'org-name', 'org-kind', 'org-code', 'org-npwp']) expect(page.text).toContain(`<label for="${id}"`);
      const before = await orgEvents();

      const bad = await c.post('/admin/orgs', { id: 'Dinas Baru', name: 'Badan <b>Baru</b>', kind: 'supplier', code: '', npwp: '' }, page);
      expect(bad.status).toBe(422);
      expect(bad.text).toMatch(/id="org-id"[^>]*value="Dinas Baru"[^>]*aria-invalid="true"/);
      expect(bad.text).toContain('<p class="field-error" id="org-id-error">harus 2–40 huruf kecil, angka atau tanda hubung, diawali huruf atau angka</p>');
      expect(bad.text).toContain('<p class="field-error" id="org-npwp-error">wajib diisi untuk penyedia</p>');
      expect(bad.text).toContain('value="Badan &lt;b&gt;Baru&lt;/b&gt;"');
      expect(bad.text).toContain('Periksa isian yang ditandai');
      const taken = await c.post('/admin/orgs', { id: 'dinkes', name: 'Dinas Kesehatan Lagi', kind: 'opd' }, page);
      expect(taken.status).toBe(409);
      expect(taken.text).toContain('<p class="field-error" id="org-id-error">Organisasi &quot;dinkes&quot; sudah ada</p>');
      expect(await orgEvents()).toEqual(before);

      const ok = await c.post('/admin/orgs', { id: 'dishub', name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', unitCode: 'DISHUB', npwp: '' }, page);
      expect(ok.status).toBe(303);
      expect(ok.location).toBe('/admin/orgs?created=dishub');
      expect((await c.get(ok.location!)).text).toContain('Organisasi dishub dibuat');
      expect(await app.db.kysely.selectFrom('orgs').select(['name', 'kind', 'code', 'unit_code', 'npwp']).where('id', '=', 'dishub').executeTakeFirst())
        .toEqual({ name: 'Dinas Perhubungan', kind: 'opd', code: '2.15.01', unit_code: 'DISHUB', npwp: null });

      const edit = await c.get('/admin/orgs/dishub');
      expect(edit.status).toBe(200);
      expect(edit.text).toMatch(/id="edit-name"[^>]*value="Dinas Perhubungan"/);
      expect(edit.text).toMatch(/id="edit-unit-code"[^>]*value="DISHUB"/);
      const badEdit = await c.post('/admin/orgs/dishub', { name: '', code: '2.15.01', npwp: '12-34' }, edit);
      expect(badEdit.status).toBe(422);
      expect(badEdit.text).toContain('<p class="field-error" id="edit-name-error">wajib diisi, paling banyak 200 karakter</p>');
      expect(badEdit.text).toMatch(/id="edit-npwp"[^>]*value="12-34"[^>]*aria-invalid="true"/);
      expect(badEdit.text).toContain('id="edit-npwp-error"');
      const saved = await c.post('/admin/orgs/dishub', { name: 'Dinas Perhubungan Kota', code: '', npwp: '' }, edit);
      expect(saved.status).toBe(303);
      expect(saved.location).toBe('/admin/orgs/dishub?done=saved');
      expect((await c.get(saved.location!)).text).toContain('Organisasi dishub disimpan');
      expect(await app.db.kysely.selectFrom('orgs').select(['name', 'code']).where('id', '=', 'dishub').executeTakeFirst()).toEqual({ name: 'Dinas Perhubungan Kota', code: null });
      expect((await orgEvents()).slice(before.length)).toEqual([
        { action: 'create_org', org_id: 'dishub', actor: 'admin' }, { action: 'update_org', org_id: 'dishub', actor: 'admin' },
      ]);
      // Without the CSRF token nothing is changed.
      const forged = await c.post('/admin/orgs/dishub', { name: 'Dinas Palsu', _csrf: 'x' });
      expect(forged.status).toBe(403);
      expect((await c.get('/admin/orgs/nowhere')).status).toBe(404);
      const other = await signedIn('kadis.dinkes');
      expect((await other.get('/admin/orgs/dishub')).status).toBe(403);
      expect((await orgEvents()).length).toBe(before.length + 2);
    });

    test('letterhead: contacts in the edit form, the logo as a file upload (typed by its bytes, refused when no image or too large), removed by a button; each change chained', async () => {
      const c = await signedIn('admin');
      const details = async () => (await sql<{ details: string }>`SELECT details FROM org_events WHERE org_id = 'pupr' ORDER BY seq`.execute(app.db.kysely)).rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
      const before = (await details()).length;
      const edit = await c.get('/admin/orgs/pupr');
      for (const id of ['edit-address', 'edit-phone', 'edit-email', 'edit-website', 'logo']) expect(edit.text).toContain(`<label for="${id}"`);
      expect(edit.text).toContain('enctype="multipart/form-data"');
      const fields = { name: 'Dinas Pekerjaan Umum dan Penataan Ruang', code: '1.03.0.00.0.00.01.0000', unitCode: 'PUPR', npwp: '' };
      const bad = await c.post('/admin/orgs/pupr', { ...fields, address: 'Jalan Madukoro', phone: 'tidak ada', email: 'dpu', website: '' }, edit);
      expect(bad.status).toBe(422);
      expect(bad.text).toContain('<p class="field-error" id="edit-phone-error">harus nomor telepon');
      expect(bad.text).toContain('<p class="field-error" id="edit-email-error">harus alamat pos-el</p>');
      expect(bad.text).toMatch(/id="edit-phone"[^>]*value="tidak ada"[^>]*aria-invalid="true"/);
      const saved = await c.post('/admin/orgs/pupr', { ...fields, address: 'Jalan Madukoro Blok AA-BB, Semarang', phone: '(024) 7607599', email: 'dpu@semarang.example', website: '' }, edit);
      expect(saved.status).toBe(303);
      expect(await app.db.kysely.selectFrom('orgs').select(['address', 'phone', 'email', 'website']).where('id', '=', 'pupr').executeTakeFirst())
        .toEqual({ address: 'Jalan Madukoro Blok AA-BB, Semarang', phone: '(024) 7607599', email: 'dpu@semarang.example', website: null });

      const upload = async (bytes: Buffer, type: string, name: string, page = edit) => {
        const form = new FormData();
        form.set('_csrf', /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!);
        form.set('logo', new Blob([bytes], { type }), name);
        return c.request('POST', '/admin/orgs/pupr/logo', form);
      };
      const svg = await upload(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png', 'logo.png');
      expect(svg.status).toBe(422);
      expect(svg.text).toContain('<p class="field-error" id="logo-error">Berkas bukan gambar PNG atau JPEG.</p>');
      const huge = Buffer.alloc(20_000);
      demoLogoPng().copy(huge, 0, 0, 33);
      huge.writeUInt32BE(5000, 16);
      const tooWide = await upload(huge, 'image/png', 'logo.png');
      expect(tooWide.status).toBe(422);
      expect(tooWide.text).toContain('gambar 5000×96 piksel; logo paling besar 2048×2048 piksel');
      expect((await upload(Buffer.alloc(300 * 1024, 0x89), 'image/png', 'besar.png')).status).toBe(413);
      const forged = await c.request('POST', '/admin/orgs/pupr/logo', (() => { const f = new FormData(); f.set('_csrf', 'x'); f.set('logo', new Blob([demoLogoPng()]), 'logo.png'); return f; })());
      expect(forged.status).toBe(403);
      expect((await details()).length).toBe(before + 1);

      // The browser's declared type is not trusted: the bytes say PNG.
      const logo = demoLogoPng(48);
      const ok = await upload(logo, 'application/octet-stream', 'lambang.png');
      expect(ok.status).toBe(303);
      expect(ok.location).toBe('/admin/orgs/pupr?done=logo');
      const shown = await c.get(ok.location!);
      expect(shown.text).toContain('Logo pupr disimpan.');
      expect(shown.text).toContain(`PNG, ${logo.length} bita, SHA-256 ${crypto.createHash('sha256').update(logo).digest('hex')}`);
      const removed = await c.post('/admin/orgs/pupr/logo', { remove: '1' }, shown);
      expect(removed.location).toBe('/admin/orgs/pupr?done=logo-removed');
      expect((await c.get(removed.location!)).text).toContain('Belum ada logo.');
      expect((await details()).slice(before)).toEqual([
        { address: 'Jalan Madukoro Blok AA-BB, Semarang', phone: '(024) 7607599', email: 'dpu@semarang.example', website: null },
        { logo: { sha256: crypto.createHash('sha256').update(logo).digest('hex'), contentType: 'image/png', bytes: logo.length, width: 48, height: 48 } },
        { logo: null },
      ]);
    });
  });

  // Last: it breaks the chain for good.
  test('a tampered audit row shows the chain as broken, naming the first broken row', async () => {
    await tamper(app.db.kysely, () => sql`UPDATE audit_events SET comment = 'tidak ada catatan' WHERE instance_id = ${instance} AND seq = 3`.execute(app.db.kysely));
    const c = await signedIn('auditor.inspektorat');
    const res = await c.get('/audit?check=1');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Rantai RUSAK');
    expect(res.text).toContain(`<a href="/instances/${instance}">${instance}</a>`);
    expect(res.text).toMatch(/Urutan<\/th><td>3<\/td>/);
    expect(res.text).not.toContain('Rantai perubahan organisasi');
  });

  test('a tampered organisation change shows the organisation chain as broken', async () => {
    await tamper(app.db.kysely, () => sql`UPDATE org_events SET actor = 'penyusup' WHERE seq = 1`.execute(app.db.kysely), 'org_events');
    const c = await signedIn('auditor.inspektorat');
    const res = await c.get('/audit?check=1');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<caption>Rantai perubahan organisasi<\/caption>\s*<tr><th scope="row">Urutan<\/th><td>1<\/td>/);
  });
});
