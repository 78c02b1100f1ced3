import { todayOf, workflowTime } from '../src/clock';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { assign, setup } from 'xstate';
import { openPostgres, type Db } from '../src/db/connect';
import type { Actor } from '../src/auth/roles';
import { loadActor } from '../src/auth/tokens';
import { createDelegation } from '../src/auth/delegations';
import { seedDemoPeople } from '../src/seed/demo';
import type { Step, WorkflowDefinition } from '../src/engine/definition';
import crypto from 'node:crypto';
import { DefinitionChanged, listRegisteredVersions, registerFingerprints } from '../src/engine/registration';
import { Engine } from '../src/engine/engine';
import { stepsOf } from '../src/engine/steps';
import { registryOf } from '../src/engine/registry';
import { budgetProposalV1 } from '../workflows/budget-proposal/v1';
import { createTestDb, describeBackends, describePostgres } from './support/db';
import { proposal as newestProposal } from './support/proposals';

/** The demo proposal as v1 (and this file's v2, built on v1) take it: without the location the built-in v2 added. */
function proposal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { location: _v2, ...data } = newestProposal(overrides);
  return data;
}

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

/**
 * Fingerprints as the code would give them (src/engine/fingerprint.ts, tested in
 * engine.fingerprint.test.ts): one per variant of a version's source.
 */
const FP: Record<'v1' | 'v1Changed' | 'v1Other' | 'v2' | 'v2Changed' | 'beforeFix', string> = Object.fromEntries(
  ['v1', 'v1Changed', 'v1Other', 'v2', 'v2Changed', 'beforeFix'].map((k) => [k, crypto.createHash('sha256').update(`versions test ${k}`).digest('hex')]),
) as never;
const as1 = (fingerprint: string) => ({ workflow: 'budget-proposal', version: 1, fingerprint });
const as2 = (fingerprint: string) => ({ workflow: 'budget-proposal', version: 2, fingerprint });

describe('definitions', () => {
  test('a definition keeping a step apart from one it does not have, or from a step that is no review, is refused', () => {
    expect(() => registryOf([v1WithStep('tapd_review', 'approve', { separateFrom: [{ state: 'bappeda_verification', event: 'verfy' }] })])).toThrow(
      /tapd_review\/approve is kept apart from bappeda_verification\/verfy, but both must be review steps/,
    );
    expect(() => registryOf([v1WithStep('tapd_review', 'approve', { separateFrom: [{ state: 'draft', event: 'submit' }] })])).toThrow(/both must be review steps/);
    expect(registryOf([budgetProposalV1]).all()).toEqual([budgetProposalV1]);
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
    await registerFingerprints(db.kysely, [as1(FP.v1)]);
    const first = await listRegisteredVersions(db.kysely);
    await registerFingerprints(db.kysely, [as1(FP.v1)]);
    const again = await listRegisteredVersions(db.kysely);
    expect(again).toEqual(first);
    expect(first).toEqual([
      { workflow: 'budget-proposal', version: 1, hash: FP.v1, registeredAt: expect.any(Date), instances: 0 },
    ]);
  });

  test('a version changed in place is refused, naming it, and nothing is recorded', async () => {
    await registerFingerprints(db.kysely, [as1(FP.v1)]);
    const refused = (await registerFingerprints(db.kysely, [as1(FP.v1Changed)]).catch((e: unknown) => e)) as DefinitionChanged;
    expect(refused).toBeInstanceOf(DefinitionChanged);
    expect(refused.code).toBe('WORKFLOW_DEFINITION_CHANGED');
    expect(refused.message).toBe(
      'workflow budget-proposal v1 changed since it was first registered; give the change a new version number (v2, a new version file beside v1)',
    );
    // A valid v2 beside the changed v1 is not recorded either: the refusal rolls everything back.
    const withV2 = registerFingerprints(db.kysely, [as1(FP.v1Changed), as2(FP.v2)]);
    await expect(withV2).rejects.toThrow(/^workflow budget-proposal v1 changed .*\(v3, a new version file beside v1\)$/);
    expect((await listRegisteredVersions(db.kysely)).map((r) => r.version)).toEqual([1]);

    await registerFingerprints(db.kysely, [as1(FP.v1), as2(FP.v2)]);
    const both = registerFingerprints(db.kysely, [as1(FP.v1Other), as2(FP.v2Changed)]);
    const err = (await both.catch((e: unknown) => e)) as DefinitionChanged;
    expect(err).toBeInstanceOf(DefinitionChanged);
    expect(err.changed.map((c) => [c.workflow, c.version, c.storedHash])).toEqual([
      ['budget-proposal', 1, FP.v1],
      ['budget-proposal', 2, FP.v2],
    ]);
    expect(err.message.split('\n')).toEqual([
      'workflow budget-proposal v1 changed since it was first registered; give the change a new version number (v3, a new version file beside v1)',
      'workflow budget-proposal v2 changed since it was first registered; give the change a new version number (v3, a new version file beside v2)',
    ]);
  });

  test('after v2 is registered new instances start on v2, and one started on v1 finishes on v1', async () => {
    const as = async (username: string): Promise<Actor> => (await loadActor(db.kysely, username, workflowTime()))!;
    const [planner, head, verifier, tapd, ppkd] = await Promise.all(
      ['perencana.dinkes', 'kadis.dinkes', 'verifikator.bappeda', 'tapd.sekda', 'ppkd.bpkad'].map(as),
    );
    await registerFingerprints(db.kysely, [as1(FP.v1)]);
    const before = new Engine({ db: db.kysely, registry: registryOf([budgetProposalV1]) });
    const old = await before.create(planner!, 'budget-proposal', proposal({ title: 'Started on v1' }));
    expect(old.workflowVersion).toBe(1);
    await before.fire(planner!, old.id, { type: 'submit' });

    await registerFingerprints(db.kysely, [as1(FP.v1), as2(FP.v2)]);
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
      { workflow: 'budget-proposal', version: 1, hash: FP.v1, instances: 1 },
      { workflow: 'budget-proposal', version: 2, hash: FP.v2, instances: 1 },
    ]);
  });

  test('a fix registered by a migration moves a deployment that ran v1 before it to the fixed v1; any other change is still refused', async () => {
    // As a migration shipping a fix to v1's running instances records it (0019 did so for the definition hash).
    await db.kysely.insertInto('workflow_definition_fixes').values({
      workflow: 'budget-proposal', version: 1, previous_hash: FP.beforeFix, hash: FP.v1, migration: '9999_test_fix.sql',
      reason: 'Security fix, test: a fixed v1 reaches the instances already under way',
    }).onConflict((oc) => oc.doNothing()).execute();
    const storedHash = async () => (await listRegisteredVersions(db.kysely)).map((r) => [r.workflow, r.version, r.hash]);

    // A deployment that ran v1 before the fix starts with the fixed v1, and says when it moved.
    await registerFingerprints(db.kysely, [as1(FP.beforeFix)]);
    await registerFingerprints(db.kysely, [as1(FP.v1)]);
    expect(await storedHash()).toEqual([['budget-proposal', 1, FP.v1]]);
    const applied = await db.kysely.selectFrom('workflow_definition_fixes').select('applied_at').where('migration', '=', '9999_test_fix.sql').executeTakeFirstOrThrow();
    expect(applied.applied_at).toBeInstanceOf(Date);
    // No way back: the code before the fix is now a change like any other.
    await expect(registerFingerprints(db.kysely, [as1(FP.beforeFix)])).rejects.toBeInstanceOf(DefinitionChanged);

    // Another change to v1 on a deployment from before the fix is refused as before, and nothing moves.
    await db.kysely.deleteFrom('workflow_definitions').execute();
    await registerFingerprints(db.kysely, [as1(FP.beforeFix)]);
    await expect(registerFingerprints(db.kysely, [as1(FP.v1Changed)])).rejects.toThrow(/^workflow budget-proposal v1 changed since it was first registered/);
    expect(await storedHash()).toEqual([['budget-proposal', 1, FP.beforeFix]]);
  });

  test("0019 gives instances that ran before it the same hands the engine records now", async () => {
    await registerFingerprints(db.kysely, [as1(FP.v1)]);
    const engine = new Engine({ db: db.kysely, registry: registryOf([budgetProposalV1]) });
    const as = async (username: string): Promise<Actor> => (await loadActor(db.kysely, username, workflowTime()))!;
    await db.kysely.insertInto('users').values([
      { username: 'plt.perencana', full_name: 'Plt Perencana', org_id: 'dinkes' },
      { username: 'plt.verifikator', full_name: 'Plt Verifikator', org_id: 'bappeda' },
    ]).execute();
    // Today as delegations count days: on the workflow clock, in its zone (the UTC date is a day behind after 17:00 UTC).
    const today = todayOf(workflowTime());
    const admin = await as('admin');
    await createDelegation(db.kysely, admin, { kind: 'plt', delegator: 'perencana.dinkes', delegate: 'plt.perencana', role: 'planner', org: 'dinkes', from: today, to: today });
    await createDelegation(db.kysely, admin, { kind: 'plt', delegator: 'verifikator.bappeda', delegate: 'plt.verifikator', role: 'bappeda_verifier', org: 'bappeda', from: today, to: today });
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
      const versions = [as1(FP.v1), as2(FP.v2)];
      await Promise.all([db, other, db, other].map((d) => registerFingerprints(d.kysely, versions)));
      const rows = await db.kysely.selectFrom('workflow_definitions').select(['workflow', 'version', 'hash']).orderBy('version').execute();
      expect(rows).toEqual(versions.map((v) => ({ workflow: v.workflow, version: v.version, hash: v.fingerprint })));
    }
  });

  test('of two processes with different code for one version, exactly one starts', async () => {
    for (let round = 0; round < 10; round++) {
      await db.kysely.deleteFrom('workflow_definitions').execute();
      const results = await Promise.allSettled([registerFingerprints(db.kysely, [as1(FP.v1)]), registerFingerprints(other.kysely, [as1(FP.v1Changed)])]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      expect(refused.reason).toBeInstanceOf(DefinitionChanged);
      const winner = results[0]!.status === 'fulfilled' ? FP.v1 : FP.v1Changed;
      const rows = await db.kysely.selectFrom('workflow_definitions').select('hash').execute();
      expect(rows).toEqual([{ hash: winner }]);
    }
  });
});
