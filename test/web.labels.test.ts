import { setup } from 'xstate';
import type { WorkflowDefinition } from '../src/engine/definition';
import type { WorkflowPackage } from '../src/engine/package';
import { defaultRegistry, WorkflowRegistry } from '../src/engine/registry';
import { i18n, type Lang } from '../src/web/i18n';
import { documentWords } from '../src/documents/words';
import { renderData } from '../src/web/forms/view';
import { diagramModel, renderDiagram } from '../src/web/diagram';
import { creatorRoles, navFor } from '../src/web/nav';
import type { WebContext } from '../src/web/context';
import type { Actor } from '../src/auth/roles';

/**
 * Labels are each workflow's own: a state, event or field is labelled by the package of the
 * workflow it belongs to, so two workflows may share a name and still read as each says.
 */

type Node = { states?: Record<string, Node>; on?: Record<string, unknown> };

/** Every name a package's versions use: states (nested ones by path too), events and data fields. */
function namesOf(pkg: WorkflowPackage) {
  const states = new Set<string>();
  const events = new Set<string>();
  const fields = new Set<string>();
  const props = (schema: unknown) => {
    if (!schema || typeof schema !== 'object') return;
    const s = schema as Record<string, unknown>;
    for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
      fields.add(name);
      props(sub);
    }
    props(s.items);
    for (const key of ['anyOf', 'oneOf', 'allOf']) for (const alt of (s[key] ?? []) as unknown[]) props(alt);
    for (const def of Object.values((s.$defs ?? {}) as Record<string, unknown>)) props(def);
  };
  for (const { definition: def } of pkg.versions) {
    const walk = (nodes: Record<string, Node>, prefix: string) => {
      for (const [name, node] of Object.entries(nodes)) {
        states.add(name);
        states.add(`${prefix}${name}`);
        for (const e of Object.keys(node.on ?? {})) events.add(e);
        if (node.states) walk(node.states, `${prefix}${name}.`);
      }
    };
    walk((def.machine.config as Node).states ?? {}, '');
    for (const steps of Object.values(def.steps)) {
      for (const [event, step] of Object.entries(steps)) {
        events.add(event);
        props(step.payload?.schema);
      }
    }
    for (const schema of [def.schema, def.storedSchema, def.receiptSchema]) props(schema);
  }
  return { states, events, fields };
}

describe('every built-in package labels its own names', () => {
  for (const pkg of defaultRegistry().packages) {
    test(`${pkg.name}: every state, event and field in both languages, and both languages alike`, () => {
      const { states, events, fields } = namesOf(pkg);
      for (const lang of ['id', 'en'] as Lang[]) {
        const labels = pkg.labels[lang];
        const missing = (names: Set<string>, table: Readonly<Record<string, string>> | undefined) => [...names].filter((n) => !table || !Object.hasOwn(table, n));
        expect({ lang, states: missing(states, labels.states), events: missing(events, labels.events), fields: missing(fields, labels.fields) })
          .toEqual({ lang, states: [], events: [], fields: [] });
        for (const table of [labels.states, labels.events, labels.fields, labels.texts]) for (const text of Object.values(table ?? {})) expect(text.trim()).not.toBe('');
      }
      for (const kind of ['states', 'events', 'fields', 'texts'] as const) {
        expect(Object.keys(pkg.labels.en[kind] ?? {}).sort()).toEqual(Object.keys(pkg.labels.id[kind] ?? {}).sort());
      }
      for (const [role, spec] of Object.entries(pkg.roles)) expect([role, spec.label.id.trim() !== '', spec.label.en.trim() !== '']).toEqual([role, true, true]);
    });
  }
});

// A leave request: two steps, with a state called `approved` as budget-proposal has one.
const leaveMachine = setup({
  types: { context: {} as { data: Record<string, unknown> }, events: {} as { type: string; actor: string }, input: {} as { data: Record<string, unknown> } },
}).createMachine({
  id: 'leave-request',
  initial: 'requested',
  context: ({ input }) => ({ data: input.data }),
  states: {
    requested: { on: { approve: 'approved', half_day: 'approved' } },
    approved: { type: 'final' },
  },
});

const leaveV1: WorkflowDefinition = {
  name: 'leave-request',
  version: 1,
  title: 'Leave request',
  machine: leaveMachine,
  schema: { type: 'object', required: ['days'], properties: { days: { type: 'integer', minimum: 1 }, startDate: { type: 'string', format: 'date' } } },
  creatorRoles: ['employee'],
  steps: {
    requested: {
      approve: { roles: ['opd_head'], scope: 'instance-org', task: true, review: true },
      half_day: { roles: ['opd_head'], scope: 'instance-org', task: true, review: true },
    },
  },
  normalize: (data) => ({ data, title: `Cuti ${String(data.days)} hari`, fiscalYear: null, total: null }),
};

const leavePackage: WorkflowPackage = {
  name: 'leave-request',
  title: { id: 'Permohonan cuti', en: 'Leave request' },
  versions: [{ definition: leaveV1, source: 'v1' }],
  roles: { employee: { label: { id: 'pegawai', en: 'employee' } }, opd_head: { label: { id: 'kepala OPD', en: 'head of OPD' } } },
  // `half_day` and `startDate` left untranslated on purpose: shown by their names.
  labels: {
    id: { states: { requested: 'Diajukan', approved: 'Disetujui atasan' }, events: { approve: 'Setujui cuti' }, fields: { days: 'Lama cuti (hari)' } },
    en: { states: { requested: 'Requested', approved: 'Approved by the head' }, events: { approve: 'Approve leave' }, fields: { days: 'Days of leave' } },
  },
};

describe('two packages naming a state alike', () => {
  const registry = new WorkflowRegistry([...defaultRegistry().packages, leavePackage]);
  const id = i18n('id', registry);
  const en = i18n('en', registry);

  test('each workflow labels its own state, event and field; its title and roles come from its package', () => {
    expect(id.state('budget-proposal', 'approved')).toBe('Disetujui TAPD');
    expect(id.state('leave-request', 'approved')).toBe('Disetujui atasan');
    expect(en.state('budget-proposal', 'approved')).toBe('Approved by TAPD');
    expect(en.state('leave-request', 'approved')).toBe('Approved by the head');
    expect(id.event('budget-proposal', 'approve')).toBe('Setujui');
    expect(id.event('leave-request', 'approve')).toBe('Setujui cuti');
    expect(id.field('leave-request', 'days')).toBe('Lama cuti (hari)');
    expect(id.field('budget-proposal', 'amount')).toBe('Jumlah');
    expect(id.workflow('leave-request')).toBe('Permohonan cuti');
    expect(en.workflow('budget-proposal')).toBe('Budget proposal');
    expect([id.role('employee'), en.role('employee'), id.role('admin')]).toEqual(['pegawai', 'employee', 'administrator']);
  });

  test('a name nobody labels is shown by its name; the engine\'s own events keep the core\'s labels', () => {
    expect(id.event('leave-request', 'half_day')).toBe('half day');
    expect(id.field('leave-request', 'startDate')).toBe('start date');
    expect(id.state('no-such-workflow', 'approved')).toBe('approved');
    expect(id.workflow('no-such-workflow')).toBe('no-such-workflow');
    expect(id.role('no_such_role')).toBe('no such role');
    expect([id.event('leave-request', 'create'), id.event('leave-request', 'escalated'), id.event('leave-request', 'comment')]).toEqual(['Dibuat', 'Melewati batas waktu', 'Catatan']);
    expect(en.event('budget-proposal', 'create')).toBe('Created');
    // A nested state without a label of its own reads as its parts.
    expect(id.state('procurement-delivery', 'payment.spp')).toBe('Pembayaran — SPP');
    expect(id.state('procurement-delivery', 'payment.unknown_step')).toBe('Pembayaran — unknown step');
    // A name that is also a member of every object is a name like any other.
    expect(id.state('leave-request', 'constructor')).toBe('constructor');
  });

  test('stage documents print each workflow\'s own words in Bahasa Indonesia', () => {
    const leave = documentWords('leave-request', registry.package('leave-request'));
    const budget = documentWords('budget-proposal', registry.package('budget-proposal'));
    expect([leave.workflow, leave.state('approved'), leave.event('approve'), leave.role('employee')]).toEqual(['Permohonan cuti', 'Disetujui atasan', 'Setujui cuti', 'pegawai']);
    expect([budget.workflow, budget.state('approved'), budget.event('approve'), budget.state(null)]).toEqual(['Usulan RKA', 'Disetujui TAPD', 'Setujui', '-']);
    expect(documentWords('other-flow', undefined).workflow).toBe('other flow');
    expect(leave.event('half_day')).toBe('half day');
  });

  test('a page renders the labels of the instance\'s workflow: its data and its diagram', () => {
    const ctx: WebContext = { ...id, actor: undefined, csrf: 'x', url: '/', timezone: 'Asia/Jakarta', registry };
    const data = renderData(ctx, 'leave-request', leaveV1.schema, { days: 3, startDate: '2027-01-04' }).value;
    expect(data).toContain('<dt>Lama cuti (hari)</dt><dd>3</dd>');
    expect(data).toContain('<dt>start date</dt>');
    const svg = renderDiagram(diagramModel(leaveMachine), {
      current: 'approved', taken: [{ from: null, to: 'requested' }, { from: 'requested', to: 'approved' }],
      label: (s) => ctx.state('leave-request', s), eventLabel: (e) => ctx.event('leave-request', e), title: 'Diagram', desc: 'desc',
    });
    expect(svg).toContain('Disetujui atasan');
    expect(svg).not.toContain('Disetujui TAPD');
    expect(svg).toContain('Setujui cuti, half day');
  });

  test('the menu offers "new" to the holders of any loaded workflow\'s creator roles', () => {
    expect(creatorRoles(registry)).toEqual(expect.arrayContaining(['employee', ...defaultRegistry().all().flatMap((d) => d.creatorRoles)]));
    const actor = (role: string): Actor => ({ username: 'u', fullName: 'U', position: '', org: 'dinkes', orgName: 'Dinkes', roles: [{ role, org: 'dinkes' }] });
    expect(navFor(actor('employee'), registry).map((e) => e.href)).toContain('/new');
    expect(navFor(actor('employee'), defaultRegistry()).map((e) => e.href)).not.toContain('/new');
    expect(navFor(actor('auditor'), registry).map((e) => e.href)).toEqual(['/inbox', '/list', '/verify', '/dashboard', '/audit']);
    expect(navFor(undefined, registry).map((e) => e.href)).toEqual(['/verify']);
  });
});
