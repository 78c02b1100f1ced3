import { __unsafe_getAllOwnEventDescriptors as ownEvents, pathToStateValue, setup, type AnyStateMachine } from 'xstate';
import type { Step, WorkflowDefinition } from '../src/engine/definition';
import type { WorkflowPackage } from '../src/engine/package';
import { defaultRegistry, registryOf, WorkflowRegistry } from '../src/engine/registry';
import { checkSteps, machineEvents, stepsOf, WorkflowStepsInvalid } from '../src/engine/steps';
import { budgetProposalV1 } from '../workflows/budget-proposal/v1';
import { procurementDeliveryV1 } from '../workflows/procurement-delivery/v1';

/** A two-state leave request: small enough to break one fact at a time. */
const clerk: Step = { roles: ['clerk'], scope: 'instance-org', task: true, review: false };
const head: Step = { roles: ['head'], scope: 'instance-org', task: true, review: true };

/** States and root events are written loosely (`as never`): some tests break them on purpose. */
function leave(states: Record<string, unknown>, on?: Record<string, unknown>): AnyStateMachine {
  return setup({
    types: { context: {} as { data: Record<string, unknown> }, events: {} as { type: string; actor: string }, transitionMeta: {} as Step },
    guards: { long: () => true },
  }).createMachine({ id: 'leave', initial: 'requested', context: { data: {} }, ...(on && { on }), states } as never) as unknown as AnyStateMachine;
}

function definition(machine: AnyStateMachine, change: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return {
    name: 'leave', version: 1, title: 'Leave', machine, schema: { type: 'object' }, creatorRoles: ['clerk'], steps: stepsOf(machine),
    normalize: (data) => ({ data, title: 'Leave', fiscalYear: null, total: null }),
    ...change,
  };
}

const roles = new Set(['clerk', 'head', 'admin', 'auditor']);
const problemsOf = (def: WorkflowDefinition): readonly string[] => {
  try {
    checkSteps(def, roles);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowStepsInvalid);
    expect((err as WorkflowStepsInvalid).code).toBe('WORKFLOW_STEPS_INVALID');
    return (err as WorkflowStepsInvalid).problems;
  }
};

describe('the steps table derived from the machine', () => {
  test('each step is the meta of its transition, by the state name the engine stores', () => {
    for (const def of defaultRegistry().all()) {
      for (const { state, event, branches } of machineEvents(def.machine)) {
        expect([def.name, state, event, def.steps[state]?.[event]]).toEqual([def.name, state, event, branches[0]]);
        expect(def.steps[state]![event]).toBe(branches[0]);
      }
    }
  });

  test('each state has a step for exactly the events xstate says it takes', () => {
    const leaves = (node: { states?: Record<string, unknown> }, prefix: string): string[] => Object.entries(node.states ?? {}).flatMap(([name, child]) => {
      const path = prefix ? `${prefix}.${name}` : name;
      const nested = leaves(child as { states?: Record<string, unknown> }, path);
      return nested.length > 0 ? nested : [path];
    });
    for (const def of defaultRegistry().all()) {
      for (const state of leaves(def.machine.config as { states?: Record<string, unknown> }, '')) {
        const snapshot = def.machine.resolveState({ value: pathToStateValue(state.split('.')), context: { data: {} } });
        const events = snapshot.status === 'done' ? [] : ownEvents(snapshot);
        expect([def.name, state, Object.keys(def.steps[state] ?? {}).sort()]).toEqual([def.name, state, [...events].sort()]);
      }
    }
  });

  test('states in config order, final states without steps, events in the order the machine gives them', () => {
    expect(Object.entries(budgetProposalV1.steps).map(([state, events]) => [state, Object.keys(events)])).toEqual([
      ['draft', ['update', 'submit']],
      ['opd_review', ['withdraw', 'approve', 'return']],
      ['bappeda_verification', ['verify', 'return']],
      ['tapd_review', ['approve', 'return', 'reject']],
      ['approved', ['ratify']],
    ]);
    expect(budgetProposalV1.steps.opd_review!.withdraw).toMatchObject({ roles: ['planner'], scope: 'submitter' });
    expect(budgetProposalV1.steps.tapd_review!.reject).toMatchObject({ requiresComment: true, document: { title: 'Nota Penolakan' } });
  });

  test('a nested state is parent.child and takes its own events first, then its parent\'s', () => {
    const steps = procurementDeliveryV1.steps;
    expect(Object.keys(steps)).toEqual(['awarded', 'contract_active', 'in_progress', 'termin_review', 'payment.spp', 'payment.spm', 'payment.sp2d', 'inspection', 'maintenance']);
    expect(Object.keys(steps['payment.spp']!)).toEqual(['submit_spp', 'terminate']);
    expect(Object.keys(steps['payment.sp2d']!)).toEqual(['issue_sp2d', 'terminate']);
    // One terminate step, written once on the payment state, for each of its children.
    expect(steps['payment.spm']!.terminate).toBe(steps['payment.spp']!.terminate);
    // An event of several guarded transitions is one step: its facts sit on the first.
    expect(steps.awarded!.sign_contract).toMatchObject({ roles: ['ppk', 'provider'], roleOrgFields: { provider: 'supplier' } });
    expect(steps['payment.sp2d']!.issue_sp2d).toMatchObject({ roles: ['bud'], scope: 'global' });
    expect(steps.termin_review!.reject_termin).toMatchObject({ roles: ['ppk'], requiresComment: true });
  });

  test('root events reach every state but a top-level final one; a child may override or forbid its parent\'s', () => {
    const machine = leave({
      requested: { on: { approve: { target: 'approved', meta: head } } },
      approved: {
        initial: 'booked',
        on: { cancel: { target: 'cancelled', meta: head } },
        states: {
          booked: { on: { cancel: { target: '#leave.cancelled', meta: clerk } } },
          taken: { on: { cancel: undefined } },
        },
      },
      cancelled: { type: 'final' },
    }, { note: { meta: clerk } });
    expect(stepsOf(machine)).toEqual({
      requested: { approve: head, note: clerk },
      'approved.booked': { cancel: clerk, note: clerk },
      'approved.taken': { note: clerk },
    });
    expect(problemsOf(definition(machine))).toEqual([]);
  });
});

describe('the registry refuses steps that do not match the machine or the package', () => {
  test('an event without facts, and facts without a transition', () => {
    const machine = leave({
      requested: { on: { approve: { target: 'approved', meta: head }, withdraw: 'withdrawn' } },
      approved: { type: 'final' },
      withdrawn: { type: 'final' },
    });
    expect(problemsOf(definition(machine))).toEqual([
      'workflow leave v1: requested/withdraw has no step facts: give its transition a meta with roles, scope, task and review',
    ]);
    const extra = definition(machine, { steps: { ...stepsOf(machine), requested: { ...stepsOf(machine).requested, withdraw: clerk, amend: clerk } } });
    expect(problemsOf(extra)).toEqual(['workflow leave v1: requested/amend has step facts, but the machine has no such transition']);
  });

  test('branches of one event: facts on the first, none or the same on the others', () => {
    const branches = (second: Step | undefined, first: Step | null = head) => leave({
      requested: { on: { approve: [{ target: 'approved', guard: 'long', ...(first && { meta: first }) }, { target: 'approved', ...(second && { meta: second }) }] } },
      approved: { type: 'final' },
    });
    expect(problemsOf(definition(branches(undefined)))).toEqual([]);
    expect(problemsOf(definition(branches({ ...head, roles: ['head'] })))).toEqual([]);
    expect(problemsOf(definition(branches(clerk)))).toEqual([
      'workflow leave v1: requested/approve: transition 2 gives other step facts than the first; an event\'s facts are given once, on its first transition',
    ]);
    expect(problemsOf(definition(branches(head, null)))).toEqual([
      'workflow leave v1: requested/approve has no step facts: give its transition a meta with roles, scope, task and review',
      'workflow leave v1: requested/approve: its facts go on its first transition, not on transition 2',
    ]);
  });

  test('roles neither the package nor the core declares, and facts of the wrong shape', () => {
    const machine = leave({
      requested: {
        on: {
          approve: { target: 'approved', meta: { ...head, roles: ['head', 'boss'] } },
          audit: { meta: { ...clerk, roles: ['auditor'], scope: 'everywhere' as never } },
          check: { meta: { ...clerk, scope: 'data-org', task: 'yes' as never } },
        },
      },
      approved: { type: 'final' },
    });
    expect(problemsOf(definition(machine, { creatorRoles: ['typist'] }))).toEqual([
      'workflow leave v1: requested/approve names role boss, which the package does not declare and the core does not have',
      'workflow leave v1: requested/audit has scope everywhere, not one of instance-org, global, submitter, data-org, timer, tracking-pin',
      'workflow leave v1: requested/check has scope data-org but no orgField',
      'workflow leave v1: requested/check must say whether it is a task and a review (true or false)',
      'workflow leave v1: creatorRoles names role typist, which the package does not declare and the core does not have',
    ]);
  });

  test('at registration, with the package\'s roles', () => {
    const machine = leave({ requested: { on: { approve: { target: 'approved', meta: head } } }, approved: { type: 'final' } });
    const pkg = (roleNames: string[]): WorkflowPackage => ({
      name: 'leave', title: { id: 'Cuti', en: 'Leave' }, labels: { id: {}, en: {} },
      roles: Object.fromEntries(roleNames.map((r) => [r, { label: { id: r, en: r } }])),
      versions: [{ definition: definition(machine), source: 'v1' }],
    });
    expect(new WorkflowRegistry([pkg(['clerk', 'head'])]).get('leave', 1)?.steps).toEqual({ requested: { approve: head } });
    expect(() => new WorkflowRegistry([pkg(['clerk'])])).toThrow(new WorkflowStepsInvalid([
      'workflow leave v1: requested/approve names role head, which the package does not declare and the core does not have',
    ]));
    // A built-in version whose table was edited away from its machine is refused the same way.
    const { approve: _dropped, ...rest } = budgetProposalV1.steps.tapd_review!;
    expect(() => registryOf([{ ...budgetProposalV1, steps: { ...budgetProposalV1.steps, tapd_review: rest } }])).toThrow(
      'workflow budget-proposal v1: tapd_review/approve has no step facts',
    );
  });
});
