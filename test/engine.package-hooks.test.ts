import { WorkflowRegistry, defaultRegistry } from '../src/engine/registry';
import { loadConfig } from '../src/config';

/** A package's rules, dashboard figures and SLA overrides are checked and named generically. */
const budget = () => defaultRegistry().package('budget-proposal')!;

test('a step naming a rule its package does not define is refused when the registry is built', () => {
  expect(() => new WorkflowRegistry([{ ...budget(), rules: {} }])).toThrow(/names rule "withinCeiling", which the package does not define/);
  expect(() => new WorkflowRegistry([budget()])).not.toThrow();
});

test('a dashboard figure may not take the name of another table', () => {
  const figure = budget().dashboard![0]!;
  expect(() => new WorkflowRegistry([{ ...budget(), dashboard: [{ ...figure, id: 'states' }] }])).toThrow(/dashboard figure "states"/);
  expect(() => new WorkflowRegistry([{ ...budget(), dashboard: [figure, figure] }])).toThrow(/dashboard figure "budget"/);
});

test("a workflow may not take the name of the core's public status page (/lapor/lacak)", () => {
  expect(() => new WorkflowRegistry([{ ...budget(), name: 'lacak' }])).toThrow(/lacak: the name is taken by the core's own pages/);
});

test('GRMS_SLA_<WORKFLOW> overrides any workflow by its id in upper snake case', () => {
  const { slaOverrides } = loadConfig({ GRMS_SLA_BUDGET_PROPOSAL: 'tapd_review=15', GRMS_SLA_LEAVE_REQUEST: 'review=2,approval=3' });
  expect(slaOverrides).toEqual({ 'budget-proposal': { tapd_review: 15 }, 'leave-request': { review: 2, approval: 3 } });
  expect(() => loadConfig({ GRMS_SLA_LEAVE_REQUEST: 'review=soon' })).toThrow(/GRMS_SLA_LEAVE_REQUEST/);
});
