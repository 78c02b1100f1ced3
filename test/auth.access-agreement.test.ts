import crypto from 'node:crypto';
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db } from '../src/db/connect';
import { allRoles, boundOpds, globalRoles, isGlobalRole, type Actor, type RoleGrant } from '../src/auth/roles';
import { allowedEvents, canRead } from '../src/auth/permissions';
import { orgFieldsOf, type RoleName, type StepRef, stepKey, type WorkflowDefinition } from '../src/engine/definition';
import { listTasks, visibility, visibilityBranches } from '../src/engine/read';
import { defaultRegistry, WorkflowRegistry } from '../src/engine/registry';
import { createTestDb } from './support/db';
import { inquiryPackage } from './support/sla-package';

// The built-in packages and a test package with an escalation scope and a timer step
// (test/support/sla-package.ts); their roles are known once the registry has loaded them.
const registry = new WorkflowRegistry([...defaultRegistry().packages, inquiryPackage]);
const ALL_ROLES = allRoles();
const GLOBAL_ROLES = new Set(globalRoles());

/**
 * Who may act is stated once (src/auth/access.ts) and read twice: in JavaScript (allowedEvents,
 * canRead) and in SQL (the inbox, listTasks; the instance list's visibility). This test checks the
 * two readings agree on every case, enumerated exhaustively rather than sampled:
 * - instances: every state of every registered workflow version × the instance's OPD (A or B) ×
 *   every org its data may name (A, B or the supplier C) × who the machine recorded as submitter
 *   (the actor U, the official P that U may act for, someone else) × who submitted (nobody, U, P)
 *   × who fired each step that segregation keeps apart (nobody, U, P), each once with a deadline
 *   (the inbox's dated branches) and once without, and in workflows with an escalation scope
 *   (escalateTo) once more with the deadline escalated;
 * - actors: every role × held at A, B or C × in their own right or as delegate of P × home OPD A
 *   or another × nothing else, an OPD role at A besides (bound to A under a global role), the same
 *   by delegation, or each role sharing a step with it (at A or C), its escalation scope included.
 * One seeded PGlite database (3,906 instances, 744 actors); per actor one inbox read through
 * listTasks, as GET /api/v1/tasks makes it (paged when longer than a page; actors equal in all the
 * inbox reads of them are read once), and one query that returns only the instances where
 * visibility (search) or the list's branches (GET /api/v1/instances, with and without a state
 * filter) differ from canRead. About 25 s of CPU.
 */
const A = 'acc-a';
const B = 'acc-b';
const C = 'acc-c';
const HOME = 'acc-home';
const U = 'acc.u';
const P = 'acc.p';
const X = 'acc.x';

const defs = registry.all();

function product<T>(...lists: T[][]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

/** Every state the machine has (nested ones by their path) and every state with steps. */
function statesOf(def: WorkflowDefinition): string[] {
  const names = new Set(Object.keys(def.steps));
  const walk = (node: { states?: Record<string, unknown> }, prefix: string) => {
    for (const [name, child] of Object.entries(node.states ?? {})) {
      const path = prefix ? `${prefix}.${name}` : name;
      names.add(path);
      walk(child as { states?: Record<string, unknown> }, path);
    }
  };
  walk(def.machine.root as unknown as { states?: Record<string, unknown> }, '');
  return [...names].sort();
}

function separatedRefs(def: WorkflowDefinition): StepRef[] {
  const refs = new Map<string, StepRef>();
  for (const [state, events] of Object.entries(def.steps)) {
    for (const [event, step] of Object.entries(events)) {
      for (const ref of step.separateFrom ?? []) {
        refs.set(stepKey(ref.state, ref.event), ref);
        refs.set(stepKey(state, event), { state, event });
      }
    }
  }
  return [...refs.values()];
}

interface Seeded {
  id: string;
  workflow: string;
  workflow_version: number;
  state: string;
  org_id: string;
  data: Record<string, unknown>;
  snapshot: unknown;
  submitters: string[];
  participants: string[];
  step_hands: string[];
  dated: boolean;
  /** The state's deadline was escalated (InstanceAccess.escalated; deadlines.overdue). */
  escalated: boolean;
  /** The case without its id and deadline. */
  shape: string;
}

function instances(): Seeded[] {
  const out: Seeded[] = [];
  for (const def of defs) {
    const fields = orgFieldsOf(def);
    const dataVariants = product(...fields.map(() => [A, B, C])).map((orgs) => Object.fromEntries(fields.map((f, i) => [f, orgs[i]])));
    const handVariants = [[], ...separatedRefs(def).flatMap((r) => [U, P].map((h) => [stepKey(r.state, r.event, h)]))];
    const escalates = Object.values(def.steps).some((events) => Object.values(events).some((s) => s.escalateTo));
    const deadlines = escalates ? ['none', 'due', 'escalated'] : ['none', 'due'];
    for (const state of statesOf(def)) {
      for (const org of [A, B]) {
        for (const data of dataVariants) {
          for (const submittedBy of [U, P, X]) {
            for (const submitters of [[], [U], [P]]) {
              for (const stepHands of handVariants) {
                for (const deadline of deadlines) {
                  const escalated = deadline === 'escalated';
                  out.push({
                    id: crypto.randomUUID(), workflow: def.name, workflow_version: def.version, state, org_id: org, data,
                    snapshot: { value: state, context: { submittedBy } }, submitters, participants: [], step_hands: stepHands,
                    dated: deadline !== 'none', escalated,
                    shape: JSON.stringify([def.name, def.version, state, org, data, submittedBy, submitters, stepHands, escalated]),
                  });
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

const grant = (role: string, org: string, delegated: boolean): RoleGrant =>
  delegated ? { role, org, actingFor: { username: P, fullName: 'Pejabat P', position: 'Kepala', kind: 'plt' } } : { role, org };

function actors(): Array<{ label: string; actor: Actor }> {
  const bindRole = ALL_ROLES.find((r) => !GLOBAL_ROLES.has(r))!;
  const coRoles = (role: RoleName) => [...new Set(defs.flatMap((d) => Object.values(d.steps).flatMap((events) => Object.values(events))
    .map((s) => [...s.roles, ...(s.escalateTo?.roles ?? [])]).filter((roles) => roles.includes(role)).flatMap((roles) => roles.filter((r) => r !== role))))].sort();
  const out: Array<{ label: string; actor: Actor }> = [];
  for (const role of ALL_ROLES) {
    const extras: Array<{ label: string; grants: RoleGrant[] }> = [
      { label: 'alone', grants: [] },
      { label: `+${bindRole}@A`, grants: [grant(bindRole, A, false)] },
      { label: `+${bindRole}@A for P`, grants: [grant(bindRole, A, true)] },
      ...coRoles(role).flatMap((r) => [A, C].map((org) => ({ label: `+${r}@${org}`, grants: [grant(r, org, false)] }))),
    ];
    for (const [org, delegated, home, extra] of product<unknown>([A, B, C], [false, true], [A, HOME], extras)) {
      const e = extra as { label: string; grants: RoleGrant[] };
      const label = `${role}@${org as string}${delegated ? ' for P' : ''} home ${home as string} ${e.label}`;
      out.push({
        label,
        actor: { username: U, fullName: 'U', position: 'Staf', org: home as string, orgName: 'Home', roles: [grant(role, org as string, delegated as boolean), ...e.grants] },
      });
    }
  }
  return out;
}

async function seed(db: Db, rows: Seeded[]): Promise<void> {
  await db.kysely.insertInto('orgs').values([A, B, C, HOME].map((id) => ({ id, name: `Org ${id}`, unit_code: id.toUpperCase() }))).execute();
  await db.kysely.insertInto('users').values({ username: X, full_name: 'X', org_id: A }).execute();
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await db.kysely.insertInto('workflow_instances').values(chunk.map((r) => ({
      id: r.id, workflow: r.workflow, workflow_version: r.workflow_version, state: r.state, version: 1,
      snapshot: JSON.stringify(r.snapshot), data: JSON.stringify(r.data), org_id: r.org_id, title: 'Uji', fiscal_year: null, total: null,
      submitters: r.submitters, participants: r.participants, step_hands: r.step_hands, created_by: X,
    }))).execute();
    const dated = chunk.filter((r) => r.dated);
    if (dated.length) {
      await db.kysely.insertInto('deadlines').values(dated.map((r) => ({
        instance_id: r.id, kind: 'state' as const, workflow: r.workflow, state: r.state, working_days: 1,
        started_at: new Date('2026-01-05T00:00:00Z'), due_at: new Date('2026-01-06T16:59:59Z'), overdue: r.escalated,
      })) as never).execute();
    }
  }
}

describe('who may act: the JavaScript decision and the SQL filters agree, every case', () => {
  let db: Db;
  const rows = instances();
  const byId = new Map(rows.map((r) => [r.id, r]));
  beforeAll(async () => {
    db = await createTestDb('pglite');
    await seed(db, rows);
    for (const r of await db.kysely.selectFrom('workflow_instances').select(['id', 'row_no']).execute()) rowNo.set(r.id, Number(r.row_no));
  });
  /** A set of instances as bytes, 1 at each one's row_no: a lookup SQL does in constant time. */
  const rowNo = new Map<string, number>();
  const bits = (ids: string[]) => {
    const out = Buffer.alloc(rows.length + 1);
    for (const id of ids) out[rowNo.get(id)! - 1] = 1;
    return out;
  };
  afterAll(async () => {
    await db?.close();
  });

  test('the inbox and the instance list of every actor, against allowedEvents and canRead', async () => {
    const cases = actors();
    const now = new Date('2026-01-05T12:00:00Z');
    const mismatches: string[] = [];
    let tasks = 0;
    let readable = 0;
    const inboxesChecked = new Set<string>();
    for (const { label, actor } of cases) {
      // The inbox reads the actor's name, grants and (under a global role) the OPDs they are bound
      // to, nothing else (not their home OPD otherwise): an actor equal in those was checked already.
      const inboxInput = JSON.stringify([actor.username, actor.roles, actor.roles.some((g) => isGlobalRole(g.role)) ? boundOpds(actor) : []]);
      if (!inboxesChecked.has(inboxInput)) {
        inboxesChecked.add(inboxInput);
        // Each case is seeded twice, with and without a deadline: JavaScript decides it once.
        const decided = new Map<string, boolean>();
        const expectedTasks = new Set(rows.filter((r) => {
          let has = decided.get(r.shape);
          if (has === undefined) {
            const def = registry.get(r.workflow, r.workflow_version)!;
            decided.set(r.shape, (has = allowedEvents(actor, def, r).some((e) => def.steps[r.state]![e]!.task)));
          }
          return has;
        }).map((r) => r.id));
        const inbox = new Set<string>();
        for (let cursor: string | undefined, pages = 0; ; pages++) {
          const page = await listTasks(db.kysely, registry, actor, { limit: '200', ...(cursor && { cursor }) }, now);
          page.items.forEach((t) => inbox.add(t.id));
          if (!page.nextCursor || pages > 50) break;
          cursor = page.nextCursor;
        }
        tasks += expectedTasks.size;
        for (const id of expectedTasks) if (!inbox.has(id)) mismatches.push(`${label}: JS allows a task on ${show(byId.get(id)!)}, the inbox lacks it`);
        for (const id of inbox) if (!expectedTasks.has(id)) mismatches.push(`${label}: the inbox lists ${show(byId.get(id)!)}, JS allows no task`);
      }

      const tookPart = sql<SqlBool>`workflow_instances.participants @> ARRAY[${actor.username}]::text[]`;
      const listed = (byWorkflow: boolean): Expression<SqlBool> => {
        const branches = visibilityBranches(actor, registry, byWorkflow);
        return branches === null ? sql<SqlBool>`true` : sql<SqlBool>`(${sql.join([...branches, tookPart], sql` or `)})`;
      };
      // canRead depends on the workflow, OPD, data, recorded submitter and an escalated deadline (not on the state or hands).
      const readers = new Map<string, boolean>();
      const expectedRead = rows.filter((r) => {
        const key = JSON.stringify([r.workflow, r.workflow_version, r.org_id, r.data, r.snapshot, r.escalated]);
        let can = readers.get(key);
        if (can === undefined) readers.set(key, (can = canRead(actor, registry.get(r.workflow, r.workflow_version)!, r)));
        return can;
      }).map((r) => r.id);
      readable += expectedRead.length;
      // Only the rows where an SQL reading differs from JavaScript's come back.
      const differing = await db.kysely
        .selectFrom((eb) => eb.selectFrom('workflow_instances').select((ib) => [
          'id', sql<boolean>`get_byte(${bits(expectedRead)}::bytea, workflow_instances.row_no::int - 1) = 1`.as('js'),
          sql<boolean>`${visibility(ib, actor, registry)}`.as('v'), sql<boolean>`${listed(false)}`.as('l'), sql<boolean>`${listed(true)}`.as('w'),
        ]).as('r'))
        .selectAll()
        .where(sql<SqlBool>`not (r.v = r.js and r.l = r.js and r.w = r.js)`)
        .execute();
      for (const d of differing) {
        mismatches.push(`${label}: on ${show(byId.get(d.id)!)} canRead says ${d.js}, visibility ${d.v}, the list ${d.l}, the list by workflow ${d.w}`);
      }
      if (mismatches.length > 20) break;
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // Not vacuous: both answers occur often.
    expect(cases.length).toBeGreaterThan(500);
    expect(tasks).toBeGreaterThan(10_000);
    expect(readable).toBeGreaterThan(100_000);
  });
});

function show(r: Seeded): string {
  return `${r.workflow}@${r.workflow_version} ${r.state} org ${r.org_id} data ${JSON.stringify(r.data)} by ${(r.snapshot as { context: { submittedBy: string } }).context.submittedBy} submitters [${r.submitters}] hands [${r.step_hands}]${r.dated ? ' dated' : ''}${r.escalated ? ' escalated' : ''}`;
}
