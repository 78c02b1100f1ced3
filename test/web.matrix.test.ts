import { allRoles } from '../src/auth/roles';
import { defaultRegistry } from '../src/engine/registry';

// The roles of the built-in packages are known once a registry has loaded them.
const ALL_ROLES = (defaultRegistry(), allRoles());
import type { RoleName } from '../src/engine/definition';
import { demoUsers } from '../src/seed/demo';
import { setPassword } from '../src/auth/passwords';
import { createSession, SESSION_COOKIE } from '../src/web/session';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD, type PageReply } from './support/web';
import { consoleRoutes } from './support/console-routes';
import { buildMatrixFixtures, matrixWriteState, ORG_FREE, otherOrg, ROLE_PROFILES, type MatrixFixtures, type Target, type TargetInstance } from './support/matrix-fixtures';
import { proposal } from './support/proposals';

/**
 * The console's authorisation matrix (issue 6): every route the page areas register (read from
 * their routers, src/web/router.ts PAGES) × not signed in × every role × own/other OPD, as
 * test/auth.matrix.test.ts does for the API's routes. A console route without a row fails the
 * first test with the row to add.
 *
 * Outcomes (the real HTTP answer; redirects are not followed):
 * - `public`:   anyone gets the page: no 403/404/5xx and no redirect to the sign-in page.
 * - `signin`:   303 to /signin (with ?next=): not signed in.
 * - `allow`:    gets past authorisation: as `public`; POSTs are sent a body that then fails
 *               validation (422/400), so most allowed cells write nothing.
 * - `redirect`: a 3xx elsewhere than the sign-in page (e.g. / → /inbox).
 * - `deny`:     403 page, nothing written.
 * - `hidden`:   404 page: the user may not read the instance, so is not told it exists; nothing written.
 *
 * Own/other as in the API's matrix: the role is held at the org the target counts it at (the
 * instance's OPD, or the org its data names), or at another org. Global roles and BUD are
 * org-free. POSTs carry the CSRF token of a page the caller fetched; each POST route is also sent
 * without `_csrf` by every caller, which must be a 403 that writes nothing.
 */

type Outcome = 'public' | 'signin' | 'allow' | 'redirect' | 'deny' | 'hidden';
type Spec = Outcome | { own: Outcome; other: Outcome };
/** The matrix fixtures, plus a Dinkes proposal still in draft (the only state with a data form the planner owns). */
type ConsoleTarget = Target | 'draft';

interface Send {
  /** The instance :id points at and the org own/other refers to; default: the role's own workflow. */
  target?: ConsoleTarget;
  params?: Record<string, string>;
  query?: string | ((c: CellContext) => string);
  /** Form fields of a POST (besides `_csrf`). */
  body?: Record<string, string> | ((c: CellContext) => Record<string, string>);
  /** The cell signs in with a session of its own, which the request may end (sign-out). */
  ownSession?: boolean;
}

interface Row {
  anonymous: 'public' | 'signin';
  roles: Spec;
  except?: Partial<Record<RoleName, Spec>>;
  send?: Send;
}

interface CellContext {
  target: TargetInstance;
  org: string;
  event: string;
  workflow: string;
}

const PUBLIC: Row = { anonymous: 'public', roles: 'public' };
const SIGNED_IN: Row = { anonymous: 'signin', roles: 'allow' };
const READ = { own: 'allow', other: 'hidden' } as const;
const onlyFor = (roles: RoleName[], send?: Send): Row => ({
  anonymous: 'signin', roles: 'deny', except: Object.fromEntries(roles.map((r) => [r, 'allow'])), send,
});
const ADMIN = (send?: Send) => onlyFor(['admin'], send);
/** The draft's data form: its planner fills it; other readers are refused, others are not told it exists. */
const DRAFT_FORM: Row = {
  anonymous: 'signin', roles: { own: 'deny', other: 'hidden' },
  except: { planner: READ, bud: 'hidden', bappeda_verifier: 'deny', tapd: 'deny', ppkd: 'deny', auditor: 'deny', admin: 'deny' },
  send: { target: 'draft', params: { event: 'update' } },
};

/** The decisions, the API's (test/auth.matrix.test.ts) wherever a page does what an API route does. */
const CONSOLE_MATRIX: Record<string, Row> = {
  // Signing in and out, and the forced password change.
  'GET /': { anonymous: 'signin', roles: 'redirect' },
  'GET /signin': { anonymous: 'public', roles: 'redirect' },
  // An empty form fails sign-in (401, then 429 once the address used its failures): never a session.
  'POST /signin': { ...PUBLIC, send: { body: { username: '', password: '' } } },
  'POST /signout': { ...PUBLIC, send: { ownSession: true } },
  'GET /password': SIGNED_IN,
  'POST /password': { ...SIGNED_IN, send: { body: { password: 'pendek', repeat: 'pendek' } } },

  // Public verification, as GET /verify/{id} and POST /api/v1/verify.
  'GET /verify': PUBLIC,
  'POST /verify': PUBLIC,
  'GET /verify/:id': { ...PUBLIC, send: { params: { id: 'document' } } },

  // A citizen's complaint without an account (the complaint package's publicIntake); an empty form is refused.
  'GET /lapor/:workflow': { ...PUBLIC, send: { params: { workflow: 'complaint' } } },
  'POST /lapor/:workflow': { ...PUBLIC, send: { params: { workflow: 'complaint' }, body: {} } },
  'GET /lapor/:workflow/tanda-terima': { ...PUBLIC, send: { params: { workflow: 'complaint' } } },
  // The citizen's status page and steps: by tracking number and PIN, no account (an empty lookup is
  // refused; without a proven number the status page and its steps send back to the lookup).
  'GET /lapor/lacak': PUBLIC,
  'POST /lapor/lacak': { ...PUBLIC, send: { body: {} } },
  'GET /lapor/lacak/status': PUBLIC,
  'POST /lapor/lacak/status': { ...PUBLIC, send: { body: {} } },
  'POST /lapor/lacak/selesai': PUBLIC,

  // Anyone signed in: the inbox, the list of what they may start.
  'GET /inbox': SIGNED_IN,
  'GET /new': SIGNED_IN,
  // The lists, as GET /api/v1/instances: everyone signed in sees what they may read (filtered by the OPD the role counts at).
  'GET /list': { ...SIGNED_IN, send: { query: (c) => `?org=${c.org}&q=uji` } },
  'GET /list/:workflow': { ...SIGNED_IN, send: { query: (c) => `?org=${c.org}&year=2026&overdue=true` } },
  // As POST /api/v1/instances: the workflow's creator roles.
  'GET /new/:workflow': onlyFor(['planner', 'frontdesk', 'ppk', 'complaint_desk']),
  'POST /new/:workflow': onlyFor(['planner', 'frontdesk', 'ppk', 'complaint_desk']),

  // Instances: read as GET /api/v1/instances/{id}; events as POST /api/v1/instances/{id}/events.
  'GET /instances/:id': { anonymous: 'signin', roles: READ },
  'GET /instances/:id/documents/:doc': { anonymous: 'signin', roles: READ, send: { params: { doc: 'document' } } },
  'GET /instances/:id/events': { anonymous: 'signin', roles: 'redirect' },
  'POST /instances/:id/events': {
    anonymous: 'signin', roles: READ, except: { auditor: 'deny', admin: 'deny' },
    send: { body: (c) => ({ event: c.event, comment: 'uji matriks konsol', version: '999999' }) },
  },
  // The permit's tanda terima, as POST /api/v1/permits/receipt.pdf: the front desk holding it; a wrong PIN prints nothing.
  'POST /instances/:id/receipt.pdf': { anonymous: 'signin', roles: 'deny', except: { frontdesk: READ }, send: { target: 'permit', body: { pin: '00000000' } } },
  'GET /instances/:id/events/:event': DRAFT_FORM,
  'POST /instances/:id/events/:event': DRAFT_FORM,

  // The dashboard of the role's own OPD, or of another (403: the OPD is not in its choices).
  'GET /dashboard': { anonymous: 'signin', roles: { own: 'allow', other: 'deny' }, except: { bud: 'deny' }, send: { query: (c) => `?org=${c.org}` } },
  // A workflow package's table: the budget ceilings.
  'GET /dashboard/:figure.xlsx': { anonymous: 'signin', roles: { own: 'allow', other: 'deny' }, except: { bud: 'deny' }, send: { params: { figure: 'budget' }, query: (c) => `?org=${c.org}` } },
  'GET /dashboard/states.xlsx': { anonymous: 'signin', roles: { own: 'allow', other: 'deny' }, except: { bud: 'deny' }, send: { query: (c) => `?org=${c.org}` } },
  'GET /dashboard/overdue.xlsx': { anonymous: 'signin', roles: { own: 'allow', other: 'deny' }, except: { bud: 'deny' }, send: { query: (c) => `?org=${c.org}` } },

  // The auditor's page, as GET /api/v1/audit/verify, /audit/export and /instances/{id}/audit.pdf.
  'GET /audit': onlyFor(['auditor']),
  'GET /audit/export': onlyFor(['auditor'], { query: '?format=xml' }),
  'GET /audit/report': onlyFor(['auditor'], { query: '?instance=bukan-uuid' }),

  // Administration: admins only, as the people, delegation and holiday routes' writes.
  'GET /admin': ADMIN(),
  'GET /admin/users': ADMIN(),
  'POST /admin/users': ADMIN({ body: { username: '' } }),
  'GET /admin/users/:username': ADMIN(),
  'POST /admin/users/:username/roles': ADMIN({ body: { role: 'no-such-role', org: 'dinkes' } }),
  // Removing a role not held is a 404, as in the API: the admin's cell removes the subject's role.
  'POST /admin/users/:username/roles/remove': ADMIN({ body: { role: 'planner', org: 'dinkes' } }),
  'POST /admin/users/:username/password': ADMIN({ body: { password: 'pendek' } }),
  // No body to fail: the admin's cell resets the matrix's subject user (never a caller).
  'POST /admin/users/:username/password-reset': ADMIN(),
  'GET /admin/users/:username/deactivate': ADMIN(),
  'POST /admin/users/:username/deactivate': ADMIN({ body: { reason: 'x'.repeat(1001) } }),
  'GET /admin/orgs': ADMIN(),
  'POST /admin/orgs': ADMIN({ body: { id: 'X', name: '', kind: 'opd' } }),
  'GET /admin/orgs/:id': ADMIN({ params: { id: 'dinkes' } }),
  'POST /admin/orgs/:id': ADMIN({ params: { id: 'dinkes' }, body: { name: '' } }),
  // The letterhead logo, as PATCH /api/v1/orgs/{id} with a logo (a form without a file is refused, nothing written).
  'POST /admin/orgs/:id/logo': ADMIN({ params: { id: 'dinkes' }, body: {} }),
  'GET /admin/delegations': ADMIN(),
  'POST /admin/delegations': ADMIN({ body: { delegator: '' } }),
  // The API lets a delegator end their own delegation too; the console keeps that to admins.
  'POST /admin/delegations/:id/end': ADMIN({ params: { id: 'delegation' } }),
  'GET /admin/holidays': ADMIN(),
  'POST /admin/holidays': ADMIN({ body: { date: 'bukan-tanggal', name: '' } }),
  'POST /admin/holidays/:date/remove': ADMIN(),
};

const WORKFLOW: Record<ConsoleTarget, string> = { proposal: 'budget-proposal', draft: 'budget-proposal', permit: 'permit', contract: 'procurement-delivery', complaint: 'complaint', dispatched: 'complaint' };

interface Cell {
  route: string;
  row: Row;
  role?: RoleName;
  variant?: 'own' | 'other';
  expected: Outcome;
}

function outcomeOf(row: Row, role: RoleName, variant: 'own' | 'other' | undefined): Outcome {
  const spec = row.except?.[role] ?? row.roles;
  return typeof spec === 'string' ? spec : spec[variant ?? 'own'];
}

function cellsOf(route: string): Cell[] {
  const row = CONSOLE_MATRIX[route]!;
  const cells: Cell[] = [{ route, row, expected: row.anonymous }];
  for (const role of ALL_ROLES) {
    if (ORG_FREE.has(role)) cells.push({ route, row, role, expected: outcomeOf(row, role, undefined) });
    else for (const variant of ['own', 'other'] as const) cells.push({ route, row, role, variant, expected: outcomeOf(row, role, variant) });
  }
  return cells;
}

const toSignIn = (r: PageReply) => r.status === 303 && /^\/signin(?:\?next=|$)/.test(r.location ?? '');

function fits(expected: Outcome, r: PageReply): boolean {
  switch (expected) {
    case 'public':
    case 'allow':
      return ![403, 404].includes(r.status) && r.status < 500 && !toSignIn(r);
    case 'signin':
      return toSignIn(r);
    case 'redirect':
      return r.status >= 300 && r.status < 400 && !toSignIn(r);
    case 'deny':
      return r.status === 403;
    case 'hidden':
      return r.status === 404;
  }
}

const REFUSALS: ReadonlySet<Outcome> = new Set(['deny', 'hidden', 'signin']);

test('every console route has a row in the console matrix, and every row a route', () => {
  const served = consoleRoutes();
  const missing = served.filter((r) => !(r in CONSOLE_MATRIX));
  const stale = Object.keys(CONSOLE_MATRIX).filter((r) => !served.includes(r));
  const lines: string[] = [];
  if (missing.length) {
    lines.push('These console routes (src/web/pages/*.ts) have no row in CONSOLE_MATRIX (test/web.matrix.test.ts). Decide who may use each and add a row, e.g.:');
    lines.push(...missing.map((r) => `  '${r}': { anonymous: 'signin', roles: 'deny', except: { admin: 'allow' } },`));
  }
  if (stale.length) {
    lines.push('These rows of CONSOLE_MATRIX (test/web.matrix.test.ts) name routes no console page serves; remove or rename them:');
    lines.push(...stale.map((r) => `  '${r}'`));
  }
  if (lines.length) throw new Error(lines.join('\n'));
});

test('public rows refuse nobody, and no signed-in cell expects the sign-in page', () => {
  for (const [route, row] of Object.entries(CONSOLE_MATRIX)) {
    const outcomes = [...new Set(ALL_ROLES.flatMap((r) => [outcomeOf(row, r, 'own'), outcomeOf(row, r, 'other')]))];
    // A signed-in user may be sent on from a public page (the sign-in page to the inbox), never refused.
    if (row.anonymous === 'public') expect({ route, outcomes: outcomes.filter((o) => o !== 'public' && o !== 'redirect') }).toEqual({ route, outcomes: [] });
    else expect({ route, outcomes: outcomes.filter((o) => o === 'public' || o === 'signin') }).toEqual({ route, outcomes: [] });
  }
});

// About 1,600 page requests and 40 sign-ins per backend: some 20 s each on the shared 2-core machine, so both run.
describeBackends('console authorisation matrix', (kind) => {
  let app: TestApp;
  let fixtures: MatrixFixtures;
  let targets: Record<ConsoleTarget, TargetInstance>;
  const clients = new Map<string, ConsoleClient>();
  const tokens = new Map<ConsoleClient, string>();
  let passwordHash: string | undefined;
  const hashOf = async (username: string) =>
    (await app.db.kysely.selectFrom('users').select('password_hash').where('username', '=', username).executeTakeFirstOrThrow()).password_hash!;

  beforeAll(async () => {
    app = await startTestApp(kind);
    fixtures = await buildMatrixFixtures(app);
    const draft = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
    if (draft.status !== 201) throw new Error(`draft proposal: ${draft.status} ${draft.text}`);
    // Its rows name no document: the proposal's fields are only placeholders.
    targets = { ...fixtures.targets, draft: { ...fixtures.targets.proposal, id: draft.body.id as string, roleOrgs: {} } };
    // Every caller signs in now: the POST /signin cells use up the address's failed sign-ins (429 after 20).
    for (const route of Object.keys(CONSOLE_MATRIX)) for (const cell of cellsOf(route)) await clientFor((await requestOf(cell)).user);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  /** A signed-in client per user (password sign-in through the form), and the page's CSRF token. */
  async function clientFor(username: string | undefined): Promise<ConsoleClient> {
    const key = username ?? '';
    let client = clients.get(key);
    if (!client) {
      client = new ConsoleClient(app.url);
      if (username) {
        // One scrypt hash for every caller (set once through setPassword): sign-ins stay real, setup stays quick.
        if (passwordHash === undefined) {
          await setPassword(app.db.kysely, 'admin', username, TEST_PASSWORD);
          passwordHash = await hashOf(username);
        } else {
          await app.db.kysely.updateTable('users').set({ password_hash: passwordHash }).where('username', '=', username).execute();
        }
        const res = await client.signIn(username, TEST_PASSWORD);
        if (res.status !== 303 || !client.cookies.has(SESSION_COOKIE)) throw new Error(`sign-in of ${username}: ${res.status}`);
      }
      tokens.set(client, csrfOf(await client.get('/verify')));
      clients.set(key, client);
    }
    return client;
  }

  async function requestOf(cell: Cell) {
    const send = cell.row.send ?? {};
    const role = cell.role;
    const targetName = send.target ?? (role ? ROLE_PROFILES[role].target : 'proposal');
    const target = targets[targetName];
    const org = role ? (target.roleOrgs[role] ?? target.org) : target.org;
    let user: string | undefined;
    if (role && ORG_FREE.has(role)) user = demoUsers().find((u) => (u.roles as readonly string[]).includes(role))!.username;
    else if (role) user = await fixtures.userFor(role, cell.variant === 'other' ? otherOrg(org) : org);
    const named: Record<string, string> = { document: target.documentId, delegation: fixtures.delegationId };
    const params: Record<string, string> = {
      id: target.id, doc: target.documentId, workflow: WORKFLOW[targetName], username: fixtures.subject, date: fixtures.holiday, event: 'update',
      ...Object.fromEntries(Object.entries(send.params ?? {}).map(([k, v]) => [k, named[v] ?? v])),
    };
    const context: CellContext = { target, org, event: role ? ROLE_PROFILES[role].event : 'submit', workflow: WORKFLOW[targetName] };
    const [method, template] = cell.route.split(' ') as [string, string];
    const query = typeof send.query === 'function' ? send.query(context) : (send.query ?? '');
    const path = template.replace(/:(\w+)/g, (_, name: string) => {
      if (!(name in params)) throw new Error(`${cell.route}: no value for :${name}; give one in the row's send.params`);
      return encodeURIComponent(params[name]!);
    }) + query;
    const body = typeof send.body === 'function' ? send.body(context) : (send.body ?? {});
    return { user, method, path, body };
  }

  /** A client with a session of its own (made directly: it may be ended by the request). */
  async function throwawayClient(username: string | undefined): Promise<ConsoleClient> {
    if (!username) return clientFor(undefined);
    const client = new ConsoleClient(app.url);
    client.cookies.set(SESSION_COOKIE, (await createSession(app.db.kysely, username)).id);
    tokens.set(client, csrfOf(await client.get('/verify')));
    return client;
  }

  const describeReply = (r: PageReply) => `${r.status}${r.location ? ` → ${r.location}` : ''}${/role="alert">([^<]*)</.exec(r.text)?.[1] ? ` (${/role="alert">([^<]*)</.exec(r.text)![1]})` : ''}`;

  test.each(Object.keys(CONSOLE_MATRIX).sort())('%s', async (route) => {
    const mismatches: string[] = [];
    for (const cell of cellsOf(route)) {
      const { user, method, path, body } = await requestOf(cell);
      const who = `${cell.role ? (cell.variant ? `${cell.role}/${cell.variant}` : cell.role) : 'anonymous'}${user ? ` (${user})` : ''}`;
      const client = cell.row.send?.ownSession ? await throwawayClient(user) : await clientFor(user);
      const refusal = REFUSALS.has(cell.expected);
      const before = refusal ? await matrixWriteState(app) : undefined;
      const res = method === 'GET' ? await client.get(path) : await client.post(path, { ...body, _csrf: tokens.get(client)! });
      if (!fits(cell.expected, res)) {
        mismatches.push(`${who}: expected ${cell.expected}, got ${describeReply(res)}`);
        continue;
      }
      if (refusal) {
        if (res.status !== 303 && !res.headers.get('content-type')?.startsWith('text/html')) mismatches.push(`${who}: ${res.status} is not a console page`);
        const after = await matrixWriteState(app);
        if (JSON.stringify(after) !== JSON.stringify(before)) mismatches.push(`${who}: a refused request wrote ${JSON.stringify({ before, after })}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  const posts = Object.keys(CONSOLE_MATRIX).filter((r) => r.startsWith('POST ')).sort();
  test.each(posts)('%s without _csrf: 403 for every caller, nothing written', async (route) => {
    const mismatches: string[] = [];
    const before = await matrixWriteState(app);
    for (const cell of cellsOf(route)) {
      const { user, path, body } = await requestOf(cell);
      const res = await (await clientFor(user)).post(path, body);
      if (res.status !== 403 || !res.text.includes('role="alert"')) mismatches.push(`${cell.role ?? 'anonymous'}/${cell.variant ?? '-'} (${user}): expected 403, got ${describeReply(res)}`);
    }
    expect(mismatches).toEqual([]);
    expect(await matrixWriteState(app)).toEqual(before);
  });
});
