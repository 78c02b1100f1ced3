import path from 'node:path';
import type { RoleName } from '../src/engine/definition';
import { allRoles } from '../src/auth/roles';
import { defaultRegistry } from '../src/engine/registry';

// The roles of the built-in packages are known once a registry has loaded them.
const ALL_ROLES = (defaultRegistry(), allRoles());
import { describeBackends } from './support/db';
import { startTestApp, type Reply, type TestApp } from './support/app';
import { documentedRoutes } from './support/routes';
import {
  buildDelegationFixtures, buildMatrixFixtures, matrixWriteState, ORG_FREE, otherOrg, ROLE_PROFILES, type DelegationFixtures, type MatrixFixtures, type Target,
} from './support/matrix-fixtures';
import { YEAR } from './support/proposals';
import { demoUsers } from '../src/seed/demo';

/**
 * The authorisation matrix (issue 6): every route of the OpenAPI document × every role, plus a
 * caller without a token, × own/other OPD for roles held at one OPD. A route without a row here
 * fails the first test, so no route ships without someone deciding who may call it.
 *
 * Outcomes (what the real HTTP answer must be):
 * - `public`: no token needed; anyone gets past authorisation.
 * - `allow`:  gets past authorisation: any status but 401, 403 and 404 (and no 5xx). The requests
 *             are built so that most allowed calls then stop at a check that writes nothing (an
 *             empty body → 400/422; events carry a stale If-Match → 412), so cells do not depend
 *             on their order.
 * - `deny`:   403 problem+json, nothing written.
 * - `hidden`: 404 problem+json: the caller may not read the instance (or delegation), so it is not
 *             told that it exists; nothing written.
 * - `unauth`: 401 problem+json (no token), nothing written.
 *   Refusals come before the body is read, so every refused cell is also sent with `{}`.
 * - `redirect`: a 3xx (e.g. a browser page sending a caller without a session to its login page);
 *             redirects are not followed, so they can be told apart.
 *
 * Own/other: an OPD role's caller holds the role at the OPD the target belongs to ("own"), or the
 * same role at another OPD ("other"). The target is the instance the route's {id} points at: by
 * default the one of the role's own workflow (ROLE_PROFILES), where the org that counts is the
 * owning OPD or, for roles the workflow places by its data, that org (the permit's technical
 * agency, the contract's supplier). Global roles act at every OPD: they are always "own".
 * READERS adds who reads each workflow's instances (whatever the role's own workflow), checked on
 * the instance, the list and search alike.
 *
 * Each cell's caller is the demo user holding the role at that org, or a user made for the matrix
 * (m.<role>.<org>); path parameters default to the fixtures (requestOf), events fire the role's own
 * event (ROLE_PROFILES).
 *
 * Adding a route: add one row to MATRIX (an `Outcome` for every role, or `{ own, other }`, plus
 * `except` for the roles that differ) and, if the default request does not reach the decision,
 * a `send` recipe.
 */

type Outcome = 'public' | 'allow' | 'deny' | 'hidden' | 'unauth' | 'redirect';
interface OwnOther {
  own: Outcome;
  other: Outcome;
}
type Spec = Outcome | OwnOther;
type Caller = RoleName | 'anonymous';

/** What a cell knows when it builds its request. */
interface CellContext {
  target: { id: string; documentId: string; attachmentId: string };
  event: string;
  workflow: string;
  fixtures: MatrixFixtures;
}

interface Send {
  /** Which instance {id} and the role's org refer to, instead of the role's own workflow. */
  target?: Target;
  /** What {id} names: the target instance (default), its document or attachment, the fixture delegation. */
  id?: 'instance' | 'document' | 'attachment' | 'delegation';
  params?: Record<string, string>;
  query?: string;
  body?: unknown | ((c: CellContext) => unknown);
  headers?: Record<string, string>;
  /** On a 200, the first item result must have the outcome this other row gives the same cell. */
  itemsAs?: string;
}

interface Row {
  anonymous: 'public' | 'unauth' | 'redirect';
  /** Every signed-in role, unless `except` names it. */
  roles: Spec;
  except?: Partial<Record<RoleName, Spec>>;
  send?: Send;
}

// Building blocks for the rows.
const PUBLIC: Row = { anonymous: 'public', roles: 'public' };
const SIGNED_IN: Row = { anonymous: 'unauth', roles: 'allow' };
/** Readers of an instance: its OPD, the roles the workflow lets act on it, and global roles. */
const READ: OwnOther = { own: 'allow', other: 'hidden' };
const allowOnly = (roles: RoleName[], send?: Send): Row => ({
  anonymous: 'unauth', roles: 'deny', except: Object.fromEntries(roles.map((r) => [r, 'allow'])), send,
});
const STALE = { 'If-Match': '"999999"' };

/**
 * The decisions. Derived from the domain (README, DOMAIN.md, the workflow definitions and the
 * issues): auditors read everything and change nothing; admins manage people, holidays and
 * checkpoints; TAPD sets ceilings; each workflow's creator role creates; an instance is read by
 * its OPD, the roles its definition lets act on it and global roles, and is invisible to others.
 */
const MATRIX: Record<string, Row> = {
  // Public: health, metrics, the API description, verification, the applicant's status page.
  'GET /healthz': PUBLIC,
  'GET /readyz': PUBLIC,
  'GET /metrics': PUBLIC,
  'GET /openapi.json': PUBLIC,
  'GET /api/v1/audit/public-key': PUBLIC,
  'GET /api/v1/ca.pem': PUBLIC,
  'GET /crl/{ca}.crl': PUBLIC,
  'GET /api/v1/tsa-ca.pem': PUBLIC,
  // The transparency log's public reads (the fixtures sign a checkpoint first); admins checkpoint on demand.
  'GET /log/checkpoint': PUBLIC,
  'GET /log/proof/inclusion': { ...PUBLIC, send: { query: '?index=0&size=1' } },
  'GET /log/proof/consistency': { ...PUBLIC, send: { query: '?old=1&new=1' } },
  'GET /log/node/{level}/{index}': { ...PUBLIC, send: { params: { level: '0', index: '0' } } },
  'POST /api/v1/log/checkpoint': allowOnly(['admin']),
  'GET /verify/{id}': { ...PUBLIC, send: { id: 'document', headers: { accept: 'application/json' } } },
  'GET /verify/{id}/evidence': { ...PUBLIC, send: { id: 'document' } },
  'POST /api/v1/verify': { ...PUBLIC, send: { body: Buffer.from('not a pdf'), headers: { 'content-type': 'application/pdf' } } },
  'POST /api/v1/permits/status': PUBLIC,
  // Citizens without an account: empty bodies are refused alike for everyone (a token changes nothing).
  'POST /api/v1/public/workflows/{workflow}/instances': { ...PUBLIC, send: { params: { workflow: 'complaint' }, body: { data: {} } } },
  'POST /api/v1/public/tracking/status': { ...PUBLIC, send: { body: {} } },
  'POST /api/v1/public/tracking/events': { ...PUBLIC, send: { body: {} } },
  'GET /permits/status': PUBLIC,
  'GET /api/v1/ocds': PUBLIC,
  'GET /api/v1/ocds/{ocid}/releases': PUBLIC,
  'GET /api/v1/ocds/{ocid}/record': PUBLIC,
  'POST /permits/status': { ...PUBLIC, send: { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } } },

  // Anyone signed in.
  'GET /api/v1/me': SIGNED_IN,
  'GET /api/v1/workflows': SIGNED_IN,
  'GET /api/v1/instances': SIGNED_IN,
  'GET /api/v1/tasks': SIGNED_IN,
  'GET /api/v1/search': { ...SIGNED_IN, send: { query: '?q=Kelas' } },
  'GET /api/v1/ceilings/{year}': SIGNED_IN,
  'GET /api/v1/nomenclature/{year}': SIGNED_IN,
  'GET /api/v1/holidays': SIGNED_IN,
  'GET /api/v1/delegations': SIGNED_IN,
  'POST /api/v1/delegations': { ...SIGNED_IN, except: { auditor: 'deny' } },

  // Instances: created by the workflow's creator role, at the creator's OPD.
  'POST /api/v1/instances': allowOnly(['planner', 'frontdesk', 'ppk', 'complaint_desk'], { body: (c: CellContext) => ({ workflow: c.workflow, data: {} }) }),
  'GET /api/v1/instances/{id}': { anonymous: 'unauth', roles: READ },
  'GET /api/v1/instances/{id}/history': { anonymous: 'unauth', roles: READ },
  'GET /api/v1/instances/{id}/documents': { anonymous: 'unauth', roles: READ },
  'GET /api/v1/instances/{id}/attachments': { anonymous: 'unauth', roles: READ },
  'GET /api/v1/instances/{id}/ocds': { anonymous: 'unauth', roles: READ, send: { target: 'contract' } },
  'GET /api/v1/documents/{id}': { anonymous: 'unauth', roles: READ, send: { id: 'document' } },
  'GET /api/v1/attachments/{id}': { anonymous: 'unauth', roles: READ, send: { id: 'attachment' } },
  // Each role fires its own event (ROLE_PROFILES); auditors and admins fire none.
  'POST /api/v1/instances/{id}/events': {
    anonymous: 'unauth', roles: READ, except: { auditor: 'deny', admin: 'deny' },
    send: { body: (c: CellContext) => ({ type: c.event, comment: 'uji matriks' }), headers: STALE },
  },
  'POST /api/v1/instances/bulk-events': {
    anonymous: 'unauth', roles: 'allow', except: { auditor: 'deny', admin: 'deny' },
    send: { body: (c: CellContext) => ({ items: [{ id: c.target.id, type: c.event, comment: 'uji matriks', ifMatch: 999999 }] }), itemsAs: 'POST /api/v1/instances/{id}/events' },
  },
  'POST /api/v1/instances/{id}/comments': { anonymous: 'unauth', roles: READ, except: { auditor: 'deny' } },
  'GET /api/v1/instances/{id}/audit.pdf': allowOnly(['auditor']),

  // Audit trail: auditors verify and export; an admin may take a checkpoint now.
  'GET /api/v1/audit/verify': allowOnly(['auditor']),
  'GET /api/v1/audit/export': allowOnly(['auditor']),
  'POST /api/v1/audit/checkpoints': allowOnly(['admin']),

  // Ceilings (pagu): TAPD sets them.
  'PUT /api/v1/ceilings/{year}/{org}': allowOnly(['tapd']),

  // People: admins change, admins and auditors read.
  'GET /api/v1/users': allowOnly(['admin', 'auditor']),
  'POST /api/v1/users': allowOnly(['admin']),
  'PUT /api/v1/users/{username}/roles/{role}/{org}': allowOnly(['admin'], { params: { role: 'no-such-role' } }),
  'DELETE /api/v1/users/{username}/roles/{role}/{org}': allowOnly(['admin'], { params: { role: 'planner', org: 'dinkes' } }),
  'POST /api/v1/users/{username}/deactivate': allowOnly(['admin'], { body: { reason: 5 } }),
  'PUT /api/v1/users/{username}/password': allowOnly(['admin'], { body: { password: 'short' } }),
  'POST /api/v1/users/{username}/password-reset': allowOnly(['admin']),
  // Everyone picks OPDs and suppliers; only admins create or change them (bodies fail validation: nothing written).
  'GET /api/v1/orgs': SIGNED_IN,
  'POST /api/v1/orgs': allowOnly(['admin'], { body: { id: 'X', name: '', kind: 'opd' } }),
  'PATCH /api/v1/orgs/{id}': allowOnly(['admin'], { params: { id: 'dinkes' }, body: { name: '' } }),
  // Everyone signed in changes their own password, auditors included (issue 5).
  'PUT /api/v1/me/password': { ...SIGNED_IN, send: { body: { newPassword: 'short' } } },
  // Only the parties and admins see a delegation; the delegator or an admin ends it.
  'DELETE /api/v1/delegations/{id}': { anonymous: 'unauth', roles: 'hidden', except: { admin: 'allow', auditor: 'deny' }, send: { id: 'delegation' } },

  // Holidays: admins edit the calendar.
  'PUT /api/v1/holidays/{date}': allowOnly(['admin']),
  'DELETE /api/v1/holidays/{date}': allowOnly(['admin']),
  // The budget nomenclature: admins import it (a file of no rows: refused whole, nothing written).
  'POST /api/v1/nomenclature/{year}': allowOnly(['admin'], { body: 'kind,code,name\n', headers: { 'content-type': 'text/csv' } }),

  // Permits: the front desk prints the receipt.
  'POST /api/v1/permits/receipt.pdf': allowOnly(['frontdesk']),
};

const WORKFLOW: Record<Target, string> = { proposal: 'budget-proposal', permit: 'permit', contract: 'procurement-delivery', complaint: 'complaint', dispatched: 'complaint' };

/**
 * Who reads each workflow's instances, whatever their own workflow: any role held at the owning
 * OPD (or at the org the data names for the roles it places: the permit's technical agency, the
 * contract's supplier), global roles, and BUD for the contracts it pays. Global roles read every
 * workflow, permits (with the applicant's NIK) included: that is roles.ts's rule as it stands.
 */
const READERS: Record<Target, Row> = {
  proposal: { anonymous: 'unauth', roles: READ, except: { bud: 'hidden' } },
  permit: { anonymous: 'unauth', roles: READ, except: { bud: 'hidden' } },
  contract: { anonymous: 'unauth', roles: READ },
  complaint: { anonymous: 'unauth', roles: READ, except: { bud: 'hidden' } },
  dispatched: { anonymous: 'unauth', roles: READ, except: { bud: 'hidden' } },
};

/**
 * Delegation cases (issue 11, item 6): segregation of duties counts a delegate and the official
 * they act for as one hand, TAPD's approval needs another hand than Bappeda's verification, and an
 * official bound to an OPD does not act on its proposals or ceiling under a global role, nor is a
 * global role lent outside the delegator's OPD. Callers and proposals: buildDelegationFixtures.
 * Events carry a stale If-Match (allowed: 412), ceilings an empty body (allowed: 422); `invalid`
 * is a 422 naming /delegate. For events the inbox and allowedEvents must agree with the outcome.
 */
type DelegationCall =
  | { event: string; on: keyof DelegationFixtures }
  | { ceiling: string }
  | { delegation: Record<string, unknown> };
const DELEGATION_CASES: Array<[name: string, caller: string, call: DelegationCall, expected: 'allow' | 'deny' | 'invalid']> = [
  ['(a) the official approves what his Plt submitted in his name', 'm.rangkap.dinkes', { event: 'approve', on: 'pltSubmitted' }, 'deny'],
  ['(a) the official returns what his Plt submitted in his name', 'm.rangkap.dinkes', { event: 'return', on: 'pltSubmitted' }, 'deny'],
  ['(a) the head of Dinkes approves it', 'kadis.dinkes', { event: 'approve', on: 'pltSubmitted' }, 'allow'],
  ['(a) the Plt planner withdraws what he submitted', 'm.plt-perencana.dinkes', { event: 'withdraw', on: 'pltSubmitted' }, 'allow'],
  ['(b) the Plt verifier, on TAPD, approves what he verified', 'm.kepala.bappeda', { event: 'approve', on: 'pltVerified' }, 'deny'],
  ['(b) the Plt verifier, on TAPD, returns what he verified', 'm.kepala.bappeda', { event: 'return', on: 'pltVerified' }, 'allow'],
  ['(b) the Sekda approves it', 'tapd.sekda', { event: 'approve', on: 'pltVerified' }, 'allow'],
  ['(b) Bappeda\'s verification is not lent to the Setda', 'verifikator.bappeda', { delegation: { delegate: 'm.plt-tapd.setda', role: 'bappeda_verifier', org: 'bappeda' } }, 'invalid'],
  ['(c) a PUPR official on TAPD approves a PUPR proposal', 'm.tapd.pupr', { event: 'approve', on: 'puprAtTapd' }, 'deny'],
  ['(c) a PUPR official on TAPD sets the PUPR ceiling', 'm.tapd.pupr', { ceiling: 'pupr' }, 'deny'],
  ['(c) a PUPR official on TAPD approves a Dinkes proposal', 'm.tapd.pupr', { event: 'approve', on: 'pltVerified' }, 'allow'],
  ['(c) a PUPR official on TAPD sets the Dinkes ceiling', 'm.tapd.pupr', { ceiling: 'dinkes' }, 'allow'],
  ['(c) the Sekda lends TAPD to a PUPR planner', 'tapd.sekda', { delegation: { delegate: 'm.perencana.pupr', role: 'tapd', org: 'setda' } }, 'invalid'],
  ['(c) an admin lends TAPD for the Sekda to a PUPR planner', 'admin', { delegation: { delegator: 'tapd.sekda', delegate: 'm.perencana.pupr', role: 'tapd', org: 'setda' } }, 'invalid'],
  ['(c) a PUPR planner holding TAPD lent before the rule approves a PUPR proposal', 'm.perencana.pupr', { event: 'approve', on: 'puprAtTapd' }, 'deny'],
  ['(c) a PUPR planner holding TAPD lent before the rule sets the PUPR ceiling', 'm.perencana.pupr', { ceiling: 'pupr' }, 'deny'],
  ['(c) a Plt TAPD from the Setda approves a PUPR proposal', 'm.plt-tapd.setda', { event: 'approve', on: 'puprAtTapd' }, 'allow'],
  ['(c) a Plt TAPD from the Setda sets the PUPR ceiling', 'm.plt-tapd.setda', { ceiling: 'pupr' }, 'allow'],
];

interface Cell {
  route: string;
  row: Row;
  caller: Caller;
  variant?: 'own' | 'other';
  expected: Outcome;
}

function outcomeOf(row: Row, role: RoleName, variant: 'own' | 'other' | undefined): Outcome {
  const spec = row.except?.[role] ?? row.roles;
  return typeof spec === 'string' ? spec : spec[variant ?? 'own'];
}

function cellsOf(route: string, row: Row = MATRIX[route]!): Cell[] {
  const cells: Cell[] = [{ route, row, caller: 'anonymous', expected: row.anonymous }];
  for (const role of ALL_ROLES) {
    if (ORG_FREE.has(role)) cells.push({ route, row, caller: role, expected: outcomeOf(row, role, undefined) });
    else for (const variant of ['own', 'other'] as const) cells.push({ route, row, caller: role, variant, expected: outcomeOf(row, role, variant) });
  }
  return cells;
}

const label = (c: Cell) => (c.variant ? `${c.caller}/${c.variant}` : c.caller);

/** Does `status` fall in the outcome's class? */
function fits(expected: Outcome, status: number): boolean {
  switch (expected) {
    case 'public':
    case 'allow':
      return ![401, 403, 404].includes(status) && status < 500 && (status < 300 || status >= 400);
    case 'deny':
      return status === 403;
    case 'hidden':
      return status === 404;
    case 'unauth':
      return status === 401;
    case 'redirect':
      return status >= 300 && status < 400;
  }
}

const REFUSALS: ReadonlySet<Outcome> = new Set(['deny', 'hidden', 'unauth']);

test('every route in the OpenAPI document has a row in the matrix, and every row a route', () => {
  const documented = documentedRoutes();
  const missing = documented.filter((r) => !(r in MATRIX));
  const stale = Object.keys(MATRIX).filter((r) => !documented.includes(r));
  const lines: string[] = [];
  if (missing.length) {
    lines.push('These routes are in the OpenAPI document (src/api/openapi.ts) but not in MATRIX (test/auth.matrix.test.ts). Decide who may call each and add a row, e.g.:');
    lines.push(...missing.map((r) => `  '${r}': { anonymous: 'unauth', roles: 'deny', except: { admin: 'allow' } },`));
  }
  if (stale.length) {
    lines.push('These rows of MATRIX (test/auth.matrix.test.ts) name routes the OpenAPI document does not list; remove or rename them:');
    lines.push(...stale.map((r) => `  '${r}'`));
  }
  if (lines.length) throw new Error(lines.join('\n'));
});

test('every row is consistent: public rows are public for everyone, bearer rows refuse anonymous callers', () => {
  for (const [route, row] of Object.entries(MATRIX)) {
    const outcomes = ALL_ROLES.flatMap((r) => [outcomeOf(row, r, 'own'), outcomeOf(row, r, 'other')]);
    if (row.anonymous === 'public') expect({ route, outcomes: [...new Set(outcomes)] }).toEqual({ route, outcomes: ['public'] });
    else expect({ route, public: outcomes.includes('public') }).toEqual({ route, public: false });
  }
});

// The full matrix (about 1,150 requests) runs on every backend: some 25 s each on the shared 2-core machine.
describeBackends('authorisation matrix', (kind) => {
  let app: TestApp;
  let fixtures: MatrixFixtures;
  let delegation: DelegationFixtures;
  beforeAll(async () => {
    // A trusted TSA's CA, so that its public route has something to serve.
    app = await startTestApp(kind, { env: { GRMS_TSA_TRUST_ANCHORS: path.join(__dirname, 'fixtures', 'tsa-ca.pem') } });
    fixtures = await buildMatrixFixtures(app);
    delegation = await buildDelegationFixtures(app);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  /** The caller, the path and what to send for one cell. */
  async function requestOf(cell: Cell) {
    const send = cell.row.send ?? {};
    const role = cell.caller === 'anonymous' ? undefined : cell.caller;
    const targetName = send.target ?? (role ? ROLE_PROFILES[role].target : 'proposal');
    const target = fixtures.targets[targetName];
    // The org where the role counts on this target: its own OPD, or the one its data names.
    const org = role ? (target.roleOrgs[role] ?? target.org) : target.org;
    let user: string | undefined;
    if (role && ORG_FREE.has(role)) user = demoUsers().find((u) => (u.roles as readonly string[]).includes(role))!.username;
    else if (role) user = await fixtures.userFor(role, cell.variant === 'other' ? otherOrg(org) : org);
    const ids = { instance: target.id, document: target.documentId, attachment: target.attachmentId, delegation: fixtures.delegationId };
    const params: Record<string, string> = {
      id: ids[send.id ?? 'instance'], year: String(YEAR), org, date: fixtures.holiday, username: fixtures.subject, role: 'planner', ca: app.authority.caKeyId,
      ocid: fixtures.publishedOcid,
      ...send.params,
    };
    const [method, template] = cell.route.split(' ') as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (!(name in params)) throw new Error(`${cell.route}: no value for {${name}}; give one in the row's send.params`);
      return encodeURIComponent(params[name]!);
    }) + (send.query ?? '');
    const context: CellContext = { target, event: role ? ROLE_PROFILES[role].event : 'submit', workflow: WORKFLOW[targetName], fixtures };
    const body = typeof send.body === 'function' ? (send.body as (c: CellContext) => unknown)(context)
      : send.body !== undefined ? send.body : ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
    return { user, method, path, body, headers: send.headers };
  }

  /** Like app.call, but a redirect is an answer of its own, not followed. */
  async function call(user: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const h: Record<string, string> = { ...headers };
    if (user) h.authorization = `Bearer ${app.tokens[user]}`;
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(app.url + path, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  const describeReply = (res: Reply) => `${res.status}${typeof res.body === 'object' && res.body?.detail ? ` (${res.body.detail})` : ''}`;

  test.each(Object.keys(MATRIX).sort())('%s', async (route) => {
    const mismatches: string[] = [];
    for (const cell of cellsOf(route)) {
      const { user, method, path, body, headers } = await requestOf(cell);
      const refusal = REFUSALS.has(cell.expected);
      const who = `${label(cell)}${user ? ` (${user})` : ''}`;
      // A refusal comes before the body is looked at: an empty body is refused the same way.
      const bodies = refusal && body !== undefined && JSON.stringify(body) !== '{}' ? [body, {}] : [body];
      let res: Reply | undefined;
      for (const sent of bodies) {
        const before = refusal ? await matrixWriteState(app) : undefined;
        res = await call(user, method, path, sent, headers);
        const what = sent === body ? who : `${who} with an empty body`;
        if (!fits(cell.expected, res.status)) {
          mismatches.push(`${what}: expected ${cell.expected}, got ${describeReply(res)}`);
          continue;
        }
        if (refusal) {
          if (!res.headers.get('content-type')?.startsWith('application/problem+json')) mismatches.push(`${what}: ${res.status} is not problem+json`);
          else if (res.body?.status !== res.status) mismatches.push(`${what}: problem status ${res.body?.status} differs from ${res.status}`);
          const after = await matrixWriteState(app);
          if (JSON.stringify(after) !== JSON.stringify(before)) mismatches.push(`${what}: a refused request wrote ${JSON.stringify({ before, after })}`);
        }
      }
      res = res!;
      if (!fits(cell.expected, res.status)) continue;
      const itemsAs = MATRIX[route]!.send?.itemsAs;
      if (itemsAs && res.status === 200 && cell.caller !== 'anonymous') {
        const expected = outcomeOf(MATRIX[itemsAs]!, cell.caller, cell.variant);
        const item = res.body.results?.[0];
        if (!item || !fits(expected, item.status)) mismatches.push(`${who}: item result expected ${expected} as in ${itemsAs}, got ${item?.status} (${item?.problem?.detail})`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test.each(DELEGATION_CASES)('delegation: %s', async (_name, caller, what, expected) => {
    let method = 'POST';
    let path: string;
    let body: unknown;
    let headers: Record<string, string> = {};
    if ('event' in what) {
      path = `/api/v1/instances/${delegation[what.on]}/events`;
      body = { type: what.event, comment: 'uji matriks' };
      headers = STALE;
    } else if ('ceiling' in what) {
      [method, path, body] = ['PUT', `/api/v1/ceilings/${YEAR}/${what.ceiling}`, {}];
    } else {
      [path, body] = ['/api/v1/delegations', { kind: 'plt', from: YEAR + '-01-01', to: YEAR + '-12-31', ...what.delegation }];
    }
    const before = await matrixWriteState(app);
    const res = await call(caller, method, path, body, headers);
    const got = expected === 'invalid'
      ? { status: res.status, paths: res.body?.errors?.map((e: { path: string }) => e.path) }
      : { fits: fits(expected, res.status) };
    expect({ caller, reply: describeReply(res), ...got }).toEqual({ caller, reply: describeReply(res), ...(expected === 'invalid' ? { status: 422, paths: ['/delegate'] } : { fits: true }) });
    if (expected !== 'allow') {
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await matrixWriteState(app)).toEqual(before);
    }
    if ('event' in what) {
      // The inbox (SQL) and allowedEvents (JavaScript) agree with the decision.
      const id = delegation[what.on];
      const tasks = new Set<string>((await call(caller, 'GET', '/api/v1/workflows')).body.items
        .flatMap((w: { events: Array<{ type: string; task: boolean }> }) => w.events.filter((e) => e.task).map((e) => e.type)));
      const allowed = (await call(caller, 'GET', `/api/v1/instances/${id}`)).body.allowedEvents as string[];
      const inbox = (await call(caller, 'GET', '/api/v1/tasks?limit=200')).body.items.some((t: { id: string }) => t.id === id);
      expect({ allowed: allowed.includes(what.event), inbox }).toEqual({ allowed: expected === 'allow', inbox: allowed.some((e) => tasks.has(e)) });
    }
  });

  // Lists and search filter in SQL, apart from the per-instance check: all three must agree.
  test.each(Object.keys(READERS) as Target[])('who reads a %s: the instance, lists and search agree with READERS', async (targetName) => {
    const mismatches: string[] = [];
    const target = fixtures.targets[targetName];
    for (const cell of cellsOf('GET /api/v1/instances/{id}', { ...READERS[targetName], send: { target: targetName } })) {
      if (cell.caller === 'anonymous') continue;
      const { user, path } = await requestOf(cell);
      const read = await call(user, 'GET', path);
      const listed = await call(user, 'GET', `/api/v1/instances?workflow=${WORKFLOW[targetName]}&limit=200`);
      const found = await call(user, 'GET', `/api/v1/search?q=${encodeURIComponent(target.documentNumber)}`);
      const seen = {
        read: read.status,
        listed: listed.body.items.some((i: { id: string }) => i.id === target.id),
        found: found.body.items.some((i: { id: string }) => i.id === target.id),
      };
      const reads = cell.expected === 'allow';
      if (!fits(cell.expected, read.status) || seen.listed !== reads || seen.found !== reads) mismatches.push(`${label(cell)} (${user}): expected ${cell.expected}, got ${JSON.stringify(seen)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
