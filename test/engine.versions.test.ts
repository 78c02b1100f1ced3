import { todayOf, workflowTime } from '../src/clock';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { execFileSync } from 'node:child_process';
import { assign, setup } from 'xstate';
import { openPostgres, type Db } from '../src/db/connect';
import type { Actor } from '../src/auth/roles';
import { loadActor } from '../src/auth/tokens';
import { createDelegation } from '../src/auth/delegations';
import { seedDemoPeople } from '../src/seed/demo';
import type { Step, WorkflowDefinition } from '../src/engine/definition';
import { DefinitionChanged, definitionHash, listRegisteredVersions, registerDefinitions } from '../src/engine/definition-hash';
import { normalizeSource } from '../src/engine/definition-source';
import { Engine } from '../src/engine/engine';
import { stepsOf } from '../src/engine/steps';
import { defaultRegistry, registryOf } from '../src/engine/registry';
import { budgetProposalV1 } from '../workflows/budget-proposal/v1';
import { procurementDeliveryV1 } from '../workflows/procurement-delivery/v1';
import { createTestDb, describeBackends, describePostgres } from './support/db';
import { proposal } from './support/proposals';

const ROOT = path.resolve(__dirname, '..');

/**
 * Budget proposal v2, defined here only: a required RKPD priority and a funding check by PPKD
 * between Bappeda's verification and TAPD's review. Its other steps keep v1's facts.
 */
const v1 = budgetProposalV1.steps;
const ppkd: Step = { roles: ['ppkd'], scope: 'global', task: true, review: true };
const v2Machine = setup({
  types: {
    context: {} as { data: Record<string, unknown>; submittedBy?: string },
    events: {} as { type: string; actor: string; comment?: string; data?: Record<string, unknown> },
    input: {} as { data: Record<string, unknown> },
    transitionMeta: {} as Step,
  },
  actions: {
    replaceData: assign({ data: ({ context, event }) => event.data ?? context.data }),
    recordSubmitter: assign({ submittedBy: ({ event }) => event.actor }),
  },
}).createMachine({
  id: 'budget-proposal',
  initial: 'draft',
  context: ({ input }) => ({ data: input.data }),
  states: {
    draft: { on: { update: { actions: 'replaceData', meta: v1.draft!.update }, submit: { target: 'opd_review', actions: 'recordSubmitter', meta: v1.draft!.submit } } },
    opd_review: {
      on: {
        withdraw: { target: 'draft', meta: v1.opd_review!.withdraw }, approve: { target: 'bappeda_verification', meta: v1.opd_review!.approve },
        return: { target: 'draft', meta: v1.opd_review!.return },
      },
    },
    bappeda_verification: { on: { verify: { target: 'funding_check', meta: v1.bappeda_verification!.verify }, return: { target: 'draft', meta: v1.bappeda_verification!.return } } },
    funding_check: { on: { confirm: { target: 'tapd_review', meta: ppkd }, return: { target: 'draft', meta: { ...ppkd, requiresComment: true } } } },
    tapd_review: {
      on: { approve: { target: 'approved', meta: v1.tapd_review!.approve }, return: { target: 'draft', meta: v1.tapd_review!.return }, reject: { target: 'rejected', meta: v1.tapd_review!.reject } },
    },
    approved: { on: { ratify: { target: 'ratified', meta: v1.approved!.ratify } } },
    ratified: { type: 'final' },
    rejected: { type: 'final' },
  },
});

const v1Schema = budgetProposalV1.schema as { required: string[]; properties: Record<string, unknown> };
const budgetProposalV2: WorkflowDefinition = {
  ...budgetProposalV1,
  version: 2,
  machine: v2Machine,
  schema: {
    ...v1Schema,
    $id: 'https://grms.example/schemas/budget-proposal/v2.schema.json',
    required: [...v1Schema.required, 'rkpdPriority'],
    properties: { ...v1Schema.properties, rkpdPriority: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  steps: stepsOf(v2Machine),
};

/** A copy of v1 with one step's roles changed, as an engineer editing v1.ts in place would make. */
function v1WithStep(state: string, event: string, change: Partial<Step>): WorkflowDefinition {
  const steps = structuredClone(budgetProposalV1.steps) as Record<string, Record<string, Step>>;
  steps[state]![event] = { ...steps[state]![event]!, ...change };
  return { ...budgetProposalV1, steps };
}

function v1WithTitleMaxLength(maxLength: number): WorkflowDefinition {
  const schema = structuredClone(budgetProposalV1.schema) as { properties: { title: { maxLength: number } } };
  schema.properties.title.maxLength = maxLength;
  return { ...budgetProposalV1, schema };
}

describe('definition hash', () => {
  test('is the same twice, after a fresh require, and in another process compiled by tsx', () => {
    const hash = definitionHash(budgetProposalV1);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionHash(budgetProposalV1)).toBe(hash);
    let fresh: { def: WorkflowDefinition; hash: string } | undefined;
    jest.isolateModules(() => {
      const { budgetProposalV1: def } = require('../workflows/budget-proposal/v1') as { budgetProposalV1: WorkflowDefinition };
      const hashOf = (require('../src/engine/definition-hash') as typeof import('../src/engine/definition-hash')).definitionHash;
      fresh = { def, hash: hashOf(def) };
    });
    expect(fresh!.def).not.toBe(budgetProposalV1);
    expect(fresh!.def.machine).not.toBe(budgetProposalV1.machine);
    expect(fresh!.hash).toBe(hash);
    // bin/grms.js runs the TypeScript through tsx (esbuild) when dist/ is missing: esbuild prints
    // functions differently from tsc/ts-jest, and the hash of no registered workflow may notice.
    const esbuildSource = execFileSync(process.execPath, ['-e', `require('tsx/cjs'); process.stdout.write(String(require('./workflows/procurement-delivery/v1.ts').machine.implementations.guards.bothSigned))`], { cwd: ROOT, encoding: 'utf8' });
    expect(esbuildSource).not.toBe(String((procurementDeliveryV1.machine.implementations.guards as Record<string, unknown>).bothSigned));
    const script = `require('tsx/cjs');
      const { defaultRegistry } = require('./src/engine/registry.ts');
      const { definitionHash } = require('./src/engine/definition-hash.ts');
      process.stdout.write(JSON.stringify(defaultRegistry().all().map((d) => [d.name, d.version, definitionHash(d)])));`;
    const underTsx = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as unknown[];
    expect(underTsx).toContainEqual(['budget-proposal', 1, hash]);
    expect(underTsx).toEqual(defaultRegistry().all().map((d) => [d.name, d.version, definitionHash(d)]));
  });

  test('changes with a step, the schema, a guard, an assign action or the machine, not with layout or comments', () => {
    const base = definitionHash(budgetProposalV1);
    const variants: Record<string, WorkflowDefinition> = {
      stepRoles: v1WithStep('opd_review', 'approve', { roles: ['tapd'] }),
      stepRule: v1WithStep('bappeda_verification', 'verify', { rule: 'withinCeiling' }),
      separateFrom: v1WithStep('tapd_review', 'reject', { separateFrom: [{ state: 'bappeda_verification', event: 'verify' }] }),
      schema: v1WithTitleMaxLength(400),
      creatorRoles: { ...budgetProposalV1, creatorRoles: ['planner', 'opd_head'] },
      guard: { ...budgetProposalV1, machine: budgetProposalV1.machine.provide({ guards: { hasComment: ({ event }: { event: { comment?: string } }) => typeof event.comment === 'string' } as never }) },
      assign: { ...budgetProposalV1, machine: budgetProposalV1.machine.provide({ actions: { recordSubmitter: assign({ submittedBy: () => 'someone' }) } as never }) },
      machine: { ...budgetProposalV2, version: 1, schema: budgetProposalV1.schema, steps: budgetProposalV1.steps },
      version: { ...budgetProposalV1, version: 3 },
    };
    const hashes = Object.fromEntries(Object.entries(variants).map(([k, def]) => [k, definitionHash(def)]));
    for (const [k, h] of Object.entries(hashes)) expect([k, h]).not.toEqual([k, base]);
    expect(new Set(Object.values(hashes)).size).toBe(Object.keys(hashes).length);
    // A workflow's own guard changed changes its hash; the same guard written with other quotes,
    // spacing and a comment is the same behaviour.
    const procurement = definitionHash(procurementDeliveryV1);
    const returnTo = (context: { data: Record<string, unknown> }) => (context.data.claim as { returnTo?: string } | undefined)?.returnTo;
    const withGuard = (toProgress: (args: { context: { data: Record<string, unknown> } }) => boolean) =>
      ({ ...procurementDeliveryV1, machine: procurementDeliveryV1.machine.provide({ guards: { toProgress } as never }) });
    expect(definitionHash(withGuard(({ context }) => returnTo(context) !== 'in_progress'))).not.toBe(procurement);
    expect(definitionHash(withGuard(({ context }) =>
      // a comment is not behaviour
      returnTo(context) === "in_progress"))).toBe(procurement);
  });

  test('a definition keeping a step apart from one it does not have, or from a step that is no review, is refused', () => {
    expect(() => registryOf([v1WithStep('tapd_review', 'approve', { separateFrom: [{ state: 'bappeda_verification', event: 'verfy' }] })])).toThrow(
      'workflow budget-proposal v1: tapd_review/approve is kept apart from bappeda_verification/verfy, but both must be review steps of the workflow',
    );
    expect(() => registryOf([v1WithStep('tapd_review', 'approve', { separateFrom: [{ state: 'draft', event: 'submit' }] })])).toThrow(/both must be review steps/);
    expect(registryOf([budgetProposalV1]).all()).toEqual([budgetProposalV1]);
  });

  test('normalizeSource prints code in one style whatever the compiler', () => {
    const tsc = `(x) => { /* why */ return x.a === 'b\\'c' && [1_000, 0x10, 2n,].includes(x.n) ? undefined : \`t × \${ 'u' }\`; }`;
    const esbuild = `x=>{return x.a==="b'c"&&[1e3,16,2n].includes(x.n)?void 0:\`t \\xD7 \${"u"}\`}`;
    expect(normalizeSource(tsc)).toBe(normalizeSource(esbuild));
    expect(normalizeSource(tsc)).toBe(`x=>{return x.a==="b'c"&&[1000,16,2n].includes(x.n)?undefined:\`t × \${"u"}\`}`);
    expect(normalizeSource('a + +b - -c')).toBe('a+ +b- -c');
    expect(normalizeSource(`s => /"[ ]"/.test(s)`)).toBe(`s=>/"[ ]"/.test(s)`);
    expect(normalizeSource(`a => a === 'x y'`)).not.toBe(normalizeSource(`a => a === 'xy'`));
    expect(normalizeSource('a => a / 2 / b')).toBe('a=>a/2/b');
    // A step hook calling imported helpers, as tsc and as tsx (esbuild, keepNames) print it.
    const tscHook = `async (x) => { function inner(y) { return y + 1; } const g = (z) => z; class K {
} return node_crypto_1.default.createHash('sha256').update(inner(g(x)) + (0, tokens_1.hashToken)(x) + String(K)).digest('hex'); }`;
    const esbuildHook = `async x=>{function inner(y){return y+1}__name(inner,"inner");const g=__name(z=>z,"g");class K{static{__name(this,"K")}}return import_node_crypto.default.createHash("sha256").update(inner(g(x))+(0,import_tokens.hashToken)(x)+String(K)).digest("hex")}`;
    expect(normalizeSource(tscHook)).toBe(normalizeSource(esbuildHook));
    expect(normalizeSource(esbuildHook)).not.toContain('__name');
    expect(normalizeSource('(db, row) => (0, numbers_1.take)(db, row, exports.CLASSIFICATION.permit)')).toBe(
      normalizeSource('(db,row)=>(0,import_numbers.take)(db,row,CLASSIFICATION.permit)'),
    );
  });
});

describeBackends('versioned definitions', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await createTestDb(kind);
    await seedDemoPeople(db.kysely);
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    // Each test starts from a deployment that has registered nothing yet.
    await db.kysely.deleteFrom('workflow_definitions').execute();
  });

  test('registering the same definitions again changes nothing', async () => {
    await registerDefinitions(db.kysely, [budgetProposalV1]);
    const first = await listRegisteredVersions(db.kysely);
    await registerDefinitions(db.kysely, [budgetProposalV1]);
    const again = await listRegisteredVersions(db.kysely);
    expect(again).toEqual(first);
    expect(first).toEqual([
      { workflow: 'budget-proposal', version: 1, hash: definitionHash(budgetProposalV1), registeredAt: expect.any(Date), instances: 0 },
    ]);
  });

  test('a version changed in place is refused, naming it, and nothing is recorded', async () => {
    await registerDefinitions(db.kysely, [budgetProposalV1]);
    const refused = (await registerDefinitions(db.kysely, [v1WithStep('approved', 'ratify', { roles: ['tapd'] })]).catch((e: unknown) => e)) as DefinitionChanged;
    expect(refused).toBeInstanceOf(DefinitionChanged);
    expect(refused.code).toBe('WORKFLOW_DEFINITION_CHANGED');
    expect(refused.message).toBe(
      'workflow budget-proposal v1 changed since it was first registered; give the change a new version number (workflows/budget-proposal/v2.ts)',
    );
    // A valid v2 beside the changed v1 is not recorded either: the refusal rolls everything back.
    const withV2 = registerDefinitions(db.kysely, [v1WithStep('approved', 'ratify', { roles: ['tapd'] }), budgetProposalV2]);
    await expect(withV2).rejects.toThrow(/^workflow budget-proposal v1 changed .*\(workflows\/budget-proposal\/v3\.ts\)$/);
    expect((await listRegisteredVersions(db.kysely)).map((r) => r.version)).toEqual([1]);

    await registerDefinitions(db.kysely, [budgetProposalV1, budgetProposalV2]);
    const both = registerDefinitions(db.kysely, [v1WithTitleMaxLength(400), { ...budgetProposalV2, creatorRoles: ['opd_head'] }]);
    const err = (await both.catch((e: unknown) => e)) as DefinitionChanged;
    expect(err).toBeInstanceOf(DefinitionChanged);
    expect(err.changed.map((c) => [c.workflow, c.version, c.storedHash])).toEqual([
      ['budget-proposal', 1, definitionHash(budgetProposalV1)],
      ['budget-proposal', 2, definitionHash(budgetProposalV2)],
    ]);
    expect(err.message.split('\n')).toEqual([
      'workflow budget-proposal v1 changed since it was first registered; give the change a new version number (workflows/budget-proposal/v3.ts)',
      'workflow budget-proposal v2 changed since it was first registered; give the change a new version number (workflows/budget-proposal/v3.ts)',
    ]);
  });

  test('after v2 is registered new instances start on v2, and one started on v1 finishes on v1', async () => {
    const as = async (username: string): Promise<Actor> => (await loadActor(db.kysely, username, workflowTime()))!;
    const [planner, head, verifier, tapd, ppkd] = await Promise.all(
      ['perencana.dinkes', 'kadis.dinkes', 'verifikator.bappeda', 'tapd.sekda', 'ppkd.bpkad'].map(as),
    );
    await registerDefinitions(db.kysely, [budgetProposalV1]);
    const before = new Engine({ db: db.kysely, registry: registryOf([budgetProposalV1]) });
    const old = await before.create(planner!, 'budget-proposal', proposal({ title: 'Started on v1' }));
    expect(old.workflowVersion).toBe(1);
    await before.fire(planner!, old.id, { type: 'submit' });

    await registerDefinitions(db.kysely, [budgetProposalV1, budgetProposalV2]);
    const engine = new Engine({ db: db.kysely, registry: registryOf([budgetProposalV1, budgetProposalV2]) });
    // v2's schema applies to new instances: its new required field is required.
    await expect(engine.create(planner!, 'budget-proposal', proposal())).rejects.toMatchObject({ code: 'INVALID_DATA' });
    const fresh = await engine.create(planner!, 'budget-proposal', proposal({ title: 'Started on v2', rkpdPriority: 'PP-3 Kesehatan ibu dan anak' }));
    expect(fresh.workflowVersion).toBe(2);

    // The v1 instance walks the rest of v1's path: no funding check after Bappeda.
    await engine.fire(head!, old.id, { type: 'approve' });
    const verified = await engine.fire(verifier!, old.id, { type: 'verify' });
    expect(verified).toMatchObject({ workflowVersion: 1, state: 'tapd_review' });
    await expect(engine.fire(ppkd!, old.id, { type: 'confirm' })).rejects.toMatchObject({ status: 409 });
    await engine.fire(tapd!, old.id, { type: 'approve' });
    expect(await engine.fire(ppkd!, old.id, { type: 'ratify' })).toMatchObject({ workflowVersion: 1, state: 'ratified' });

    // The v2 instance goes through the funding check v1 does not have.
    for (const [actor, type] of [[planner, 'submit'], [head, 'approve'], [verifier, 'verify']] as const) await engine.fire(actor!, fresh.id, { type });
    expect((await engine.get(ppkd!, fresh.id)).view).toMatchObject({ state: 'funding_check', allowedEvents: ['confirm', 'return'] });
    await engine.fire(ppkd!, fresh.id, { type: 'confirm' });
    await engine.fire(tapd!, fresh.id, { type: 'approve' });
    expect(await engine.fire(ppkd!, fresh.id, { type: 'ratify' })).toMatchObject({ workflowVersion: 2, state: 'ratified' });

    const statesOf = async (id: string) => {
      const rows = await db.kysely.selectFrom('audit_events').select('to_state').where('instance_id', '=', id).orderBy('seq').execute();
      return rows.map((r) => r.to_state);
    };
    expect(await statesOf(old.id)).toEqual(['draft', 'opd_review', 'bappeda_verification', 'tapd_review', 'approved', 'ratified']);
    expect(await statesOf(fresh.id)).toEqual(['draft', 'opd_review', 'bappeda_verification', 'funding_check', 'tapd_review', 'approved', 'ratified']);
    const stored = await db.kysely.selectFrom('workflow_instances').select(['id', 'workflow_version']).where('id', 'in', [old.id, fresh.id]).execute();
    expect(Object.fromEntries(stored.map((r) => [r.id, r.workflow_version]))).toEqual({ [old.id]: 1, [fresh.id]: 2 });

    const listed = await listRegisteredVersions(db.kysely);
    expect(listed.map(({ workflow, version, hash, instances }) => ({ workflow, version, hash, instances }))).toEqual([
      { workflow: 'budget-proposal', version: 1, hash: definitionHash(budgetProposalV1), instances: 1 },
      { workflow: 'budget-proposal', version: 2, hash: definitionHash(budgetProposalV2), instances: 1 },
    ]);
  });

  test('a fix registered by a migration moves a deployment that ran v1 before it to the fixed v1; any other change is still refused', async () => {
    // v1 as it was before the segregation-of-duties fix (issue 11): TAPD approval not kept apart from verification.
    const beforeFix = v1WithStep('tapd_review', 'approve', { separateFrom: undefined });
    // 0019 records the hashes of v1 as its code was then (before its step facts moved into the
    // machine's transitions); this test records the same fix for the code as it is now.
    const fixes = await db.kysely.selectFrom('workflow_definition_fixes').selectAll().where('workflow', '=', 'budget-proposal').where('version', '=', 1).execute();
    expect(fixes).toEqual([expect.objectContaining({
      previous_hash: expect.stringMatching(/^[0-9a-f]{64}$/), hash: expect.stringMatching(/^[0-9a-f]{64}$/), migration: '0019_separate_hands.sql', reason: expect.stringMatching(/^Security fix, segregation of duties/),
    })]);
    const migration = 'test_separate_hands.sql';
    await db.kysely.insertInto('workflow_definition_fixes').values({
      workflow: 'budget-proposal', version: 1, previous_hash: definitionHash(beforeFix), hash: definitionHash(budgetProposalV1), migration, reason: fixes[0]!.reason,
    }).execute();
    const storedHash = async () => (await listRegisteredVersions(db.kysely)).map((r) => [r.workflow, r.version, r.hash]);

    // A deployment that ran v1 before the fix starts with the fixed v1, and says when it moved.
    await registerDefinitions(db.kysely, [beforeFix]);
    await registerDefinitions(db.kysely, [budgetProposalV1]);
    expect(await storedHash()).toEqual([['budget-proposal', 1, definitionHash(budgetProposalV1)]]);
    const applied = await db.kysely.selectFrom('workflow_definition_fixes').select('applied_at').where('migration', '=', migration).executeTakeFirstOrThrow();
    expect(applied.applied_at).toBeInstanceOf(Date);
    // No way back: the code before the fix is now a change like any other.
    await expect(registerDefinitions(db.kysely, [beforeFix])).rejects.toBeInstanceOf(DefinitionChanged);

    // Another change to v1 on a deployment from before the fix is refused as before, and nothing moves.
    await db.kysely.deleteFrom('workflow_definitions').execute();
    await registerDefinitions(db.kysely, [beforeFix]);
    const changed = { ...budgetProposalV1, schema: v1WithTitleMaxLength(400).schema };
    await expect(registerDefinitions(db.kysely, [changed])).rejects.toThrow(/^workflow budget-proposal v1 changed since it was first registered/);
    expect(await storedHash()).toEqual([['budget-proposal', 1, definitionHash(beforeFix)]]);
  });

  test("0019 gives instances that ran before it the same hands the engine records now", async () => {
    await registerDefinitions(db.kysely, [budgetProposalV1]);
    const engine = new Engine({ db: db.kysely, registry: registryOf([budgetProposalV1]) });
    const as = async (username: string): Promise<Actor> => (await loadActor(db.kysely, username, workflowTime()))!;
    await db.kysely.insertInto('users').values([
      { username: 'plt.perencana', full_name: 'Plt Perencana', org_id: 'dinkes' },
      { username: 'plt.verifikator', full_name: 'Plt Verifikator', org_id: 'bappeda' },
    ]).execute();
    // Today as delegations count days: on the workflow clock, in its zone (the UTC date is a day behind after 17:00 UTC).
    const today = todayOf(workflowTime());
    const admin = await as('admin');
    await createDelegation(db.kysely, admin, { delegator: 'perencana.dinkes', delegate: 'plt.perencana', role: 'planner', org: 'dinkes', from: today, to: today });
    await createDelegation(db.kysely, admin, { delegator: 'verifikator.bappeda', delegate: 'plt.verifikator', role: 'bappeda_verifier', org: 'bappeda', from: today, to: today });
    const p = await engine.create(await as('plt.perencana'), 'budget-proposal', proposal());
    await engine.fire(await as('plt.perencana'), p.id, { type: 'submit' });
    await engine.fire(await as('kadis.dinkes'), p.id, { type: 'approve' });
    await engine.fire(await as('plt.verifikator'), p.id, { type: 'verify' });
    const hands = () => db.kysely.selectFrom('workflow_instances').select(['submitters', 'step_hands']).where('id', '=', p.id).executeTakeFirstOrThrow();
    const recorded = await hands();
    expect(recorded.submitters).toEqual(['plt.perencana', 'perencana.dinkes']);
    expect([...recorded.step_hands].sort()).toEqual([
      'bappeda_verification:verify:plt.verifikator', 'bappeda_verification:verify:verifikator.bappeda',
      'draft:submit:perencana.dinkes', 'draft:submit:plt.perencana', 'opd_review:approve:kadis.dinkes',
    ]);

    // As the engine left it before the fix, then the migration's updates.
    await db.kysely.updateTable('workflow_instances').set({ submitters: ['plt.perencana'], step_hands: [] }).where('id', '=', p.id).execute();
    const text = fs.readFileSync(path.join(ROOT, 'migrations', '0019_separate_hands.sql'), 'utf8').split('\n').filter((l) => !l.startsWith('--')).join('\n');
    const updates = text.split(/;\s*\n/).map((st) => st.trim()).filter((st) => st.startsWith('UPDATE workflow_instances'));
    expect(updates).toHaveLength(2);
    for (const statement of updates) await sql.raw(statement).execute(db.kysely);
    const backfilled = await hands();
    expect(backfilled.submitters).toEqual(recorded.submitters);
    expect([...backfilled.step_hands].sort()).toEqual([...recorded.step_hands].sort());
  });
});

describePostgres('versioned definitions, processes starting together', () => {
  let db: Db & { url?: string };
  let other: Db;
  beforeAll(async () => {
    db = await createTestDb('postgres');
    other = openPostgres({ connectionString: db.url!, max: 4 });
  });
  afterAll(async () => {
    await other.close();
    await db.close();
  });

  test('concurrent registrations record one row per version and none fails', async () => {
    for (let round = 0; round < 10; round++) {
      await db.kysely.deleteFrom('workflow_definitions').execute();
      const defs = [budgetProposalV1, budgetProposalV2];
      await Promise.all([db, other, db, other].map((d) => registerDefinitions(d.kysely, defs)));
      const rows = await db.kysely.selectFrom('workflow_definitions').select(['workflow', 'version', 'hash']).orderBy('version').execute();
      expect(rows).toEqual(defs.map((d) => ({ workflow: d.name, version: d.version, hash: definitionHash(d) })));
    }
  });

  test('of two processes with different code for one version, exactly one starts', async () => {
    const changed = v1WithTitleMaxLength(10);
    for (let round = 0; round < 10; round++) {
      await db.kysely.deleteFrom('workflow_definitions').execute();
      const results = await Promise.allSettled([registerDefinitions(db.kysely, [budgetProposalV1]), registerDefinitions(other.kysely, [changed])]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(refused.reason).toBeInstanceOf(DefinitionChanged);
      const winner = results[0]!.status === 'fulfilled' ? budgetProposalV1 : changed;
      const rows = await db.kysely.selectFrom('workflow_definitions').select('hash').execute();
      expect(rows).toEqual([{ hash: definitionHash(winner) }]);
    }
  });
});
