import { describePostgres } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { denylist, englishIn, visibleText, type Denylist } from './support/english-words';
import { walk, type Visited } from './support/walk';
import { proposal, YEAR } from './support/proposals';
import { setPassword } from '../src/auth/passwords';
import { mintToken } from '../src/auth/tokens';
import { demoUsernames, seedDemo } from '../src/seed/demo';
import { defaultRegistry } from '../src/engine/registry';
import { id } from '../src/web/i18n/id';
import { i18n } from '../src/web/i18n';
import { problemText } from '../src/web/i18n/problems';
import { noteTexts, reasonText } from '../src/web/i18n/verify-reasons';
import { GrmsError } from '../src/errors';
import { roleLabel, allRoles } from '../src/auth/roles';

/**
 * No English word reaches a page in Bahasa Indonesia: the console's dictionary and the packages'
 * labels, every page each demo person can reach (each role's pages, each workflow's list, instance
 * and form pages, public pages, verify, audit, admin), and the refusals the console shows.
 * The denylist and what it allows are test/support/english-words.ts.
 */
const registry = defaultRegistry();
const list: Denylist = denylist(registry);

const report = (where: string, text: string) => englishIn(text, list).map((w) => `${where}: ${w}`);

describe('the Indonesian words the console is built from', () => {
  test('the denylist holds the English dictionary, the API\'s problem texts, the registry ids and the developer words', () => {
    for (const w of ['hash', 'checkpoint', 'uuid', 'npx', 'jsonl', 'instance', 'inbox', 'found', 'request']) expect(list.english.has(w)).toBe(true);
    for (const name of ['opd_review', 'submit', 'approve', 'draft', 'frontdesk']) expect(list.ids.has(name)).toBe(true);
    // Words both languages share are allowed explicitly.
    for (const w of ['status', 'opd', 'pin', 'nik', 'email', 'total']) expect(list.english.has(w)).toBe(false);
  });

  test('id.ts, the packages\' Indonesian labels and the roles hold no English word', () => {
    const found: string[] = [];
    for (const [key, text] of Object.entries(id)) found.push(...report(`id.ts ${key}`, text));
    for (const pkg of registry.packages) {
      found.push(...report(`${pkg.name} title`, pkg.title.id));
      for (const [kind, table] of Object.entries(pkg.labels.id ?? {})) {
        for (const [name, text] of Object.entries(table ?? {})) found.push(...report(`${pkg.name} ${kind}.${name}`, text as string));
      }
    }
    for (const role of allRoles()) found.push(...report(`role ${role}`, roleLabel(role, 'id') ?? role));
    expect(found).toEqual([]);
  });

  test('every refusal the console words from a problem code, and every verify outcome, is Indonesian', () => {
    const ctx = i18n('id', registry);
    const codes = ['VERSION_CONFLICT', 'TRANSITION_NOT_ALLOWED', 'FORBIDDEN', 'SEGREGATION_OF_DUTIES', 'INVALID_DATA', 'BAD_REQUEST', 'NOT_FOUND',
      'UNPRINTABLE_TEXT', 'RESERVED_KEY', 'COMMENT_REQUIRED', 'ORG_EXISTS', 'USER_EXISTS', 'PAYLOAD_TOO_LARGE', 'CEILING_EXCEEDED', 'CEILING_MISSING',
      'TERMIN_THRESHOLD_NOT_REACHED', 'PAYMENT_EXCEEDS_CONTRACT_VALUE', 'INVALID_SUPPLIER', 'DOCUMENT_UNIT_CODE_MISSING', 'SOMETHING_NEW'];
    const found: string[] = [];
    for (const workflow of [undefined, ...registry.packages.map((p) => p.name)]) {
      for (const code of codes) {
        // A reserved name is refused for what was sent and echoed in quotes: the sender's own input, not the console's words.
        const reserved = code === 'RESERVED_KEY';
        const err = new GrmsError(code, 422, 'x', 'An English title', 'An English detail that must not show', [{ path: reserved ? '/data/lines/1/__proto__' : '/data/lines/1/unitPrice', message: 'must be >= 0' }]);
        const said = problemText(ctx, err, workflow);
        expect(said).not.toContain('English');
        if (reserved) expect(said).toContain('"/data/lines/1/__proto__"');
        found.push(...report(`${workflow ?? 'core'} ${code}`, reserved ? said.replace(/"[^"]*"/g, '') : said));
      }
    }
    for (const reason of ['the document was changed after signing (digest mismatch)', 'the PDF has no signature', 'certificate "CN=x" was revoked at 2026', 'something new']) {
      found.push(...report(`verify reason ${reason}`, reasonText('id', reason)));
    }
    found.push(...report('verify notes', noteTexts('id', ['no trusted signature time-stamp: judged at the earliest witness cosignature of a log checkpoint that holds the document', 'the DSS lacks the certificate "x"', 'other']).join(' ')));
    expect(found).toEqual([]);
  });
});

describePostgres('every console page and refusal in Indonesian', () => {
  let app: TestApp;
  const pages: Visited[] = [];

  beforeAll(async () => {
    app = await startTestApp('postgres', { seed: false });
    expect(await seedDemo(app.db.kysely, app.engine)).toEqual({ created: true });
    for (const u of demoUsernames()) {
      app.tokens[u] = await mintToken(app.db.kysely, u);
      await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    }
  }, 300_000);
  afterAll(() => app?.close());

  const english = (visited: readonly Visited[]) =>
    visited.flatMap((v) => report(`${v.path} (${v.status})`, visibleText(v.html)));

  test('the public pages', async () => {
    const anyone = new ConsoleClient(app.url);
    const doc = await app.db.kysely.selectFrom('documents').select('id').executeTakeFirstOrThrow();
    const visited = await walk(anyone, ['/', '/signin', '/verify', `/verify/${doc.id}`, '/verify/00000000-0000-0000-0000-000000000000', '/tidak-ada']);
    const intake = registry.packages.filter((p) => p.publicIntake).map((p) => `/lapor/${p.name}`);
    visited.push(...await walk(anyone, intake));
    pages.push(...visited);
    expect(visited.length).toBeGreaterThan(4);
    expect(english(visited)).toEqual([]);
  });

  test('each demo person\'s pages: inbox, lists, instances, forms, dashboard, audit, admin', async () => {
    const found: string[] = [];
    for (const username of demoUsernames()) {
      const person = new ConsoleClient(app.url);
      await person.signIn(username, TEST_PASSWORD);
      const visited = await walk(person, ['/inbox', '/list', '/new', '/dashboard', '/verify', '/audit', '/admin', '/password'], { perKind: 3, max: 60 });
      pages.push(...visited);
      found.push(...english(visited));
    }
    // The auditor reads every instance: one page per workflow and state.
    const auditor = new ConsoleClient(app.url);
    await auditor.signIn('auditor.inspektorat', TEST_PASSWORD);
    const rows = await app.db.kysely.selectFrom('workflow_instances').select(['id', 'workflow', 'state']).distinctOn(['workflow', 'state']).orderBy('workflow').orderBy('state').execute();
    expect(rows.length).toBeGreaterThan(8);
    const visited = await walk(auditor, rows.map((r) => `/instances/${r.id}`), { perKind: 0 });
    pages.push(...visited);
    found.push(...english(visited));
    expect(pages.length).toBeGreaterThan(60);
    expect([...new Set(found)]).toEqual([]);
  }, 600_000);

  test('the refusals: field errors, a missing comment, a stale page, a forbidden page, admin and audit forms, a tampered file', async () => {
    const planner = new ConsoleClient(app.url);
    await planner.signIn('perencana.dinkes', TEST_PASSWORD);
    const seen: Visited[] = [];
    const keep = (path: string, r: { status: number; text: string }) => {
      seen.push({ path, status: r.status, html: r.text });
      return r;
    };
    // A form refused by the schema, field by field.
    const form = await planner.get('/new/budget-proposal');
    keep('/new/budget-proposal (refused)', await planner.post('/new/budget-proposal', { '/fiscalYear': '20x', '/title': '', '/lines/0/account': '5.2', '/lines/0/volume': '12.5', '/lines/0/unitPrice': 'abc', _action: 'save' }, form));
    // An event without its comment, and one sent from a stale page.
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Uji bahasa' }) });
    const iid = created.body.id as string;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${iid}/events`, { type: 'submit' });
    const head = new ConsoleClient(app.url);
    await head.signIn('kadis.dinkes', TEST_PASSWORD);
    const page = await head.get(`/instances/${iid}`);
    keep('return without a comment', await head.post(`/instances/${iid}/events`, { type: 'return', comment: '', version: '1' }, page));
    keep('stale version', await head.post(`/instances/${iid}/events`, { type: 'approve', version: '0' }, page));
    // Pages a person may not open, and a page that does not exist.
    keep('/audit as a planner', await planner.get('/audit'));
    keep('/admin as a planner', await planner.get('/admin/users'));
    keep('/new/procurement-delivery as a planner', await planner.get('/new/procurement-delivery'));
    keep('/instances/unknown', await planner.get('/instances/00000000-0000-0000-0000-000000000000'));
    keep('/list with a bad year', await planner.get('/list?year=20x&q=a'));
    keep('/dashboard with a bad year', await planner.get(`/dashboard?year=${YEAR}x`));
    // A form from elsewhere (no token).
    keep('post without CSRF', await planner.post('/new/budget-proposal', { _csrf: 'salah' }));
    // Admin forms refused: an org id taken, a user name not allowed.
    const admin = new ConsoleClient(app.url);
    await admin.signIn('admin', TEST_PASSWORD);
    const orgs = await admin.get('/admin/orgs');
    keep('org exists', await admin.post('/admin/orgs', { id: 'dinkes', name: 'Dinas', kind: 'opd' }, orgs));
    const users = await admin.get('/admin/users');
    keep('bad user name', await admin.post('/admin/users', { username: 'Bukan Nama', displayName: '', org: 'dinkes' }, users));
    // Audit export filters refused.
    const auditor = new ConsoleClient(app.url);
    await auditor.signIn('auditor.inspektorat', TEST_PASSWORD);
    keep('audit export, bad filters', await auditor.get('/audit/export?format=xml&from=2026-05-01&to=2026-01-01&instance=abc'));
    // The password form: wrong current password, too short a new one.
    const pw = await planner.get('/password');
    keep('password change refused', await planner.post('/password', { current: 'salah-sekali-123', password: 'pendek', confirm: 'pendek' }, pw));
    // The verify page: a tampered file, not a PDF, no file.
    const doc = await app.db.kysely.selectFrom('documents').select(['bytes']).executeTakeFirstOrThrow();
    const tampered = Buffer.from(doc.bytes);
    const [start, length] = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)/.exec(tampered.toString('latin1'))!.slice(1).map(Number) as [number, number];
    tampered[start + Math.floor(length / 2)]! ^= 0x01;
    const upload = async (name: string, bytes: Buffer | undefined) => {
      const anyone = new ConsoleClient(app.url);
      const v = await anyone.get('/verify');
      const body = new FormData();
      body.set('_csrf', /name="_csrf" value="([^"]+)"/.exec(v.text)![1]!);
      if (bytes) body.set('pdf', new Blob([bytes], { type: 'application/pdf' }), name);
      return keep(`verify ${name}`, await anyone.request('POST', '/verify', body));
    };
    const verdict = await upload('diubah.pdf', tampered);
    expect(verdict.text).toContain('Isi berkas telah diubah setelah ditandatangani');
    await upload('bukan.pdf', Buffer.from('halo'));
    await upload('kosong', undefined);
    expect(seen.filter((s) => s.status >= 400).length).toBeGreaterThan(10);
    expect([...new Set(english(seen))]).toEqual([]);
  }, 300_000);
});
