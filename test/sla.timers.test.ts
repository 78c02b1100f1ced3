import { sql } from 'kysely';
import { openPostgres, type Db } from '../src/db/connect';
import type { Actor } from '../src/auth/roles';
import { Engine } from '../src/engine/engine';
import { listInstances, listTasks } from '../src/engine/read';
import { WorkflowRegistry } from '../src/engine/registry';
import { WorkflowSlaInvalid } from '../src/engine/timers';
import type { Step, WorkflowDefinition } from '../src/engine/definition';
import { fireDueDeadlines } from '../src/sla/scheduler';
import { createPostgresDatabase, createTestDb, describeBackends, describePostgres, dropPostgresDatabase } from './support/db';
import { INQUIRY, inquiryPackage, inquiryV1 } from './support/sla-package';
import { TZ, wib } from './support/sla-fixtures';

/**
 * The SLA capabilities a public-complaint workflow needs, walked through the engine with a small
 * test-only package (test/support/sla-package.ts): a deadline whose working days come from the
 * instance data, an escalation scope (the head of the office the data names may act once the
 * deadline is escalated, and sees the task in the inbox only then), and a timer that fires an
 * event as the system when its deadline falls due, once, and never on an instance that moved on.
 * The workflow clock is set by the test; the scheduler is called explicitly.
 */
const DESK = 'inq-desk';
const OFFICE = 'inq-office';
const OTHER = 'inq-other';

const actor = (username: string, role: string, org: string): Actor => ({
  username, fullName: username, position: 'Staf', org, orgName: org, roles: [{ role, org }],
});
const inquirer = actor('inq.user', 'inquirer', DESK);
const clerk = actor('inq.clerk', 'inquiry_clerk', DESK);
const head = actor('inq.head', 'inquiry_head', OFFICE);
const otherHead = actor('inq.head2', 'inquiry_head', OTHER);

async function seedPeople(db: Db): Promise<void> {
  await db.kysely.insertInto('orgs').values([DESK, OFFICE, OTHER].map((id) => ({ id, name: `Org ${id}`, unit_code: id.toUpperCase() }))).execute();
  await db.kysely.insertInto('users').values([inquirer, clerk, head, otherHead].map((a) => ({ username: a.username, full_name: a.fullName, org_id: a.org }))).execute();
}

/** End of a WIB working day, as the deadlines store it. */
const endOf = (day: string) => new Date(`${day}T16:59:59.999Z`);

describeBackends('SLA timers, data-dependent deadlines and escalation scopes', (kind) => {
  let db: Db;
  let now: Date;
  let engine: Engine;
  const registry = new WorkflowRegistry([inquiryPackage]);
  const tick = () => fireDueDeadlines(db.kysely, now, { timers: engine.timers });
  const deadline = (id: string) => db.kysely.selectFrom('deadlines').selectAll().where('instance_id', '=', id).where('kind', '=', 'state').executeTakeFirst();
  const history = (id: string) => db.kysely.selectFrom('audit_events').select(['seq', 'event', 'from_state', 'to_state', 'actor', 'actor_role']).where('instance_id', '=', id).orderBy('seq').execute();
  const inbox = async (a: Actor) => (await listTasks(db.kysely, registry, a, {}, now)).items;
  const create = (answerDays: number) => engine.create(inquirer, INQUIRY, { title: `Pertanyaan ${answerDays}`, office: OFFICE, answerDays });

  beforeEach(async () => {
    db = await createTestDb(kind);
    await seedPeople(db);
    now = wib('2026-12-01 09:00'); // a Tuesday
    engine = new Engine({ db: db.kysely, registry, sla: { timeZone: TZ, clock: () => now } });
  });
  afterEach(async () => {
    await db.close();
  });

  test('the working days of a state come from the instance data when it is entered', async () => {
    const short = await create(3);
    const long = await create(10);
    expect(await deadline(short.id)).toMatchObject({ state: 'open', working_days: 3, due_at: endOf('2026-12-04') });
    expect(await deadline(long.id)).toMatchObject({ state: 'open', working_days: 10, due_at: endOf('2026-12-15') });
    // Entering the state again reads the data again.
    await engine.fire(clerk, short.id, { type: 'answer' });
    expect(await deadline(short.id)).toMatchObject({ state: 'answered', working_days: 2, due_at: endOf('2026-12-03') });
    now = wib('2026-12-02 09:00');
    await engine.fire(inquirer, short.id, { type: 'object', comment: 'Belum terjawab' });
    expect(await deadline(short.id)).toMatchObject({ state: 'open', working_days: 3, due_at: endOf('2026-12-07') });
  });

  test('a missed deadline puts the task in the inbox of the head the data names, who may then act', async () => {
    const inq = await create(3);
    // Before the deadline: the clerk's task only; the head may neither see it in the inbox nor act.
    expect(await inbox(clerk)).toMatchObject([{ id: inq.id, overdue: false, escalated: false }]);
    expect(await inbox(head)).toEqual([]);
    await expect(engine.fire(head, inq.id, { type: 'answer' })).rejects.toMatchObject({ status: 404 });
    now = endOf('2026-12-04');
    // Due but not yet escalated by the scheduler: still the clerk's alone.
    expect(await inbox(head)).toEqual([]);
    expect(await tick()).toBe(1);
    expect(await tick()).toBe(0);

    const headTasks = await inbox(head);
    expect(headTasks).toMatchObject([{ id: inq.id, overdue: true, escalated: true, allowedEvents: ['answer'] }]);
    expect(await inbox(otherHead)).toEqual([]);
    expect((await inbox(clerk)).map((t) => t.id)).toEqual([inq.id]);
    expect((await listInstances(db.kysely, registry, head, {}, engine.time)).items.map((i) => i.id)).toEqual([inq.id]);
    expect((await listInstances(db.kysely, registry, otherHead, {}, engine.time)).items).toEqual([]);
    await expect(engine.fire(otherHead, inq.id, { type: 'answer' })).rejects.toMatchObject({ status: 404 });

    const answered = await engine.fire(head, inq.id, { type: 'answer' });
    expect(answered.state).toBe('answered');
    expect((await history(inq.id)).map((h) => [h.event, h.actor, h.actor_role])).toEqual([
      ['create', inquirer.username, 'inquirer'], ['escalated', 'system', null], ['answer', head.username, 'inquiry_head'],
    ]);
    // The new state's deadline is not escalated: the head's extra scope is gone.
    expect(await inbox(head)).toEqual([]);
  });

  test('silence closes it: the timer fires the event as the system, once, through the engine', async () => {
    const inq = await create(3);
    await engine.fire(clerk, inq.id, { type: 'answer' });
    // No user may fire the timer's event, whatever roles they hold.
    await expect(engine.fire(inquirer, inq.id, { type: 'close_silent' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(engine.fire(clerk, inq.id, { type: 'close_silent' })).rejects.toMatchObject({ status: 403 });
    expect((await engine.get(inquirer, inq.id)).view.allowedEvents.sort()).toEqual(['confirm', 'object']);

    now = new Date(endOf('2026-12-03').getTime() - 1);
    expect(await tick()).toBe(0);
    const before = (await engine.get(inquirer, inq.id)).view;
    now = endOf('2026-12-03');
    expect(await tick()).toBe(1);
    expect(await tick()).toBe(0);

    const after = (await engine.get(inquirer, inq.id)).view;
    expect(after).toMatchObject({ state: 'closed', version: before.version + 1, data: { closedBy: 'system' } });
    expect((await history(inq.id)).slice(-1)).toEqual([
      { seq: 3, event: 'close_silent', from_state: 'answered', to_state: 'closed', actor: 'system', actor_role: 'system' },
    ]);
    expect(await db.kysely.selectFrom('deadlines').select('kind').where('instance_id', '=', inq.id).execute()).toEqual([]);
    const ok = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_events WHERE instance_id = ${inq.id} AND event = 'escalated'`.execute(db.kysely);
    expect(ok.rows[0]!.n).toBe(0);
  });

  test('a timer whose event the machine refuses now escalates its deadline instead, once', async () => {
    const held = await engine.create(inquirer, INQUIRY, { title: 'Ditahan', office: OFFICE, answerDays: 3, onHold: true });
    await engine.fire(clerk, held.id, { type: 'answer' });
    now = new Date('2027-06-01T00:00:00Z');
    expect(await tick()).toBe(1);
    expect(await tick()).toBe(0);
    expect((await engine.get(inquirer, held.id)).view.state).toBe('answered');
    expect((await history(held.id)).map((h) => [h.event, h.actor])).toEqual([['create', inquirer.username], ['answer', clerk.username], ['escalated', 'system']]);
    expect(await deadline(held.id)).toMatchObject({ state: 'answered', overdue: true, escalated_at: now });
  });

  test('an instance that moved on before its timer fired is not touched', async () => {
    const confirmed = await create(3);
    const objected = await create(3);
    for (const i of [confirmed, objected]) await engine.fire(clerk, i.id, { type: 'answer' });
    const due = await deadline(objected.id);
    await engine.fire(inquirer, confirmed.id, { type: 'confirm' });
    await engine.fire(inquirer, objected.id, { type: 'object', comment: 'Jawaban belum lengkap' });
    now = new Date('2027-06-01T00:00:00Z');
    // The objected one is open again: its (data-dependent) deadline escalates; no timer fires.
    expect(await tick()).toBe(1);
    expect((await history(confirmed.id)).map((h) => h.event)).toEqual(['create', 'answer', 'confirm']);
    expect((await history(objected.id)).map((h) => h.event)).toEqual(['create', 'answer', 'object', 'escalated']);
    // A timer handed over from a stale read (the scheduler's list, then the instance moved on).
    const stale = { instanceId: objected.id, state: 'answered', workingDays: 2, dueAt: due!.due_at! };
    expect(await engine.timers.fire(stale, now)).toBe('skipped');
    expect((await engine.get(inquirer, objected.id)).view.state).toBe('open');
  });
});

describe('SLA facts of a definition', () => {
  test('the registry refuses SLA facts that do not fit the steps or the schema', () => {
    const variant = (change: (d: WorkflowDefinition) => WorkflowDefinition) => () =>
      new WorkflowRegistry([{ ...inquiryPackage, versions: [{ definition: change(structuredCloneDef(inquiryV1)), source: 'x' }] }]);
    expect(variant((d) => d)).not.toThrow();
    // The deadline fires an event that is not a timer step.
    expect(variant((d) => ({ ...d, sla: { states: { ...d.sla!.states, answered: { days: 2, fire: 'confirm' } } } }))).toThrow(WorkflowSlaInvalid);
    // A timer step no deadline fires.
    expect(variant((d) => ({ ...d, sla: { states: { ...d.sla!.states, answered: 2 } } }))).toThrow(/does not fire it/);
    // Working days from data the schema does not make a required integer >= 1.
    const withSchema = (answerDays: Record<string, unknown>, required = ['title', 'office', 'answerDays']) => (d: WorkflowDefinition) =>
      ({ ...d, schema: { ...d.schema, required, properties: { ...(d.schema.properties as object), answerDays } } });
    expect(variant(withSchema({ type: 'number', minimum: 1 }))).toThrow(/integer/);
    expect(variant(withSchema({ type: 'integer', minimum: 0 }))).toThrow(/at least 1/);
    expect(variant(withSchema({ type: 'integer', minimum: 1 }, ['title', 'office']))).toThrow(/does not require "answerDays"/);
    expect(variant((d) => ({ ...d, sla: { states: { ...d.sla!.states, open: { days: { fromData: '/nothing' } } } } }))).toThrow(/no property "nothing"/);
    // A timer step with a document (the system has no signing identity).
    const withStep = (change: Partial<Step>) => (d: WorkflowDefinition) =>
      ({ ...d, steps: { ...d.steps, answered: { ...d.steps.answered, close_silent: { ...d.steps.answered!.close_silent!, ...change } } } });
    expect(variant(withStep({ document: { title: 'Penutupan' } }))).toThrow(/cannot produce a document/);
    expect(variant(withStep({ requiresComment: true }))).toThrow(/cannot take/);
    // An escalation on a state without a deadline never applies.
    expect(variant((d) => ({ ...d, sla: { states: { answered: d.sla!.states.answered! } } }))).toThrow(/has no deadline/);
  });
});

/** A definition copy whose tables may be replaced (the machine and functions are shared). */
function structuredCloneDef(def: WorkflowDefinition): WorkflowDefinition {
  return { ...def, sla: def.sla && { ...def.sla, states: { ...def.sla.states } }, schema: { ...def.schema } };
}

describePostgres('SLA timers with several schedulers', () => {
  let url: string;
  let a: Db;
  let b: Db;
  beforeEach(async () => {
    url = await createPostgresDatabase();
    // Two pools: two grms serve processes on one database, each with its engine.
    a = openPostgres({ connectionString: url, max: 6 });
    b = openPostgres({ connectionString: url, max: 6 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await dropPostgresDatabase(url);
  });

  test('racing schedulers fire each timer exactly once', async () => {
    const now = wib('2026-12-01 09:00');
    const registry = new WorkflowRegistry([inquiryPackage]);
    const engineA = new Engine({ db: a.kysely, registry, sla: { timeZone: TZ, clock: () => now } });
    const engineB = new Engine({ db: b.kysely, registry, sla: { timeZone: TZ, clock: () => now } });
    await seedPeople(a);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const inq = await engineA.create(inquirer, INQUIRY, { title: `T${i}`, office: OFFICE, answerDays: 5 });
      await engineA.fire(clerk, inq.id, { type: 'answer' });
      ids.push(inq.id);
    }
    const late = new Date('2027-01-01T00:00:00Z');
    const runs = await Promise.all([
      fireDueDeadlines(a.kysely, late, { timers: engineA.timers, batchSize: 3 }),
      fireDueDeadlines(b.kysely, late, { timers: engineB.timers, batchSize: 4 }),
      fireDueDeadlines(a.kysely, late, { timers: engineA.timers, batchSize: 7 }),
      fireDueDeadlines(b.kysely, late, { timers: engineB.timers }),
    ]);
    // Whatever a busy instance left is taken by a later tick.
    const rest = await fireDueDeadlines(a.kysely, late, { timers: engineA.timers });
    expect(runs.reduce((n, r) => n + r, rest)).toBe(ids.length);
    const rows = await sql<{ id: string; state: string; version: number; fired: number; seqs: number[] }>`
      SELECT i.id, i.state, i.version, count(*) FILTER (WHERE a.event = 'close_silent')::int AS fired, array_agg(a.seq ORDER BY a.seq) AS seqs
      FROM workflow_instances i JOIN audit_events a ON a.instance_id = i.id GROUP BY i.id`.execute(a.kysely);
    expect(rows.rows).toHaveLength(ids.length);
    for (const r of rows.rows) expect(r).toMatchObject({ state: 'closed', version: 3, fired: 1, seqs: [1, 2, 3] });
  });
});
