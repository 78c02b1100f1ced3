import { id } from '../src/web/i18n/id';
import { en } from '../src/web/i18n/en';
import { html, raw } from '../src/web/html';
import { diagramModel, renderDiagram } from '../src/web/diagram';
import { defaultRegistry } from '../src/engine/registry';
import { budgetProposalV1 } from '../workflows/budget-proposal/v1';
import { parseFields, type FieldSchema } from '../src/web/forms/schema';

test('both dictionaries have exactly the same keys, none empty', () => {
  expect(Object.keys(en).sort()).toEqual(Object.keys(id).sort());
  for (const dict of [id, en]) for (const v of Object.values(dict)) expect(v.trim()).not.toBe('');
});

test('html escapes every interpolation unless it is already html or raw', () => {
  const evil = `<img src=x onerror="alert('1')">&`;
  expect(html`<p title="${evil}">${evil}</p>`.value).toBe('<p title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p>');
  expect(html`<ul>${['<a>', html`<li>ok</li>`]}</ul>`.value).toBe('<ul>&lt;a&gt;<li>ok</li></ul>');
  expect(html`${null}${undefined}${false}${0}${raw('<b>')}`.value).toBe('0<b>');
});

test('the diagram model is read from each machine definition', () => {
  const model = diagramModel(budgetProposalV1.machine);
  expect(model.initial).toBe('draft');
  expect(model.nodes).toEqual(['draft', 'opd_review', 'bappeda_verification', 'tapd_review', 'approved', 'ratified', 'rejected']);
  const edges = Object.fromEntries(model.edges.map((e) => [`${e.from}>${e.to}`, e.events]));
  expect(edges['opd_review>draft']).toEqual(['withdraw', 'return']);
  expect(edges['tapd_review>rejected']).toEqual(['reject']);
  expect(edges['draft>draft']).toBeUndefined(); // update stays in draft: no edge
  for (const def of defaultRegistry().all()) {
    const m = diagramModel(def.machine);
    expect(m.nodes.length).toBeGreaterThan(3);
    for (const e of m.edges) expect(m.nodes).toEqual(expect.arrayContaining([e.from, e.to]));
  }
  // Compound states: procurement's payment sub-steps lead back to the top level.
  const proc = diagramModel(defaultRegistry().latest('procurement-delivery')!.machine);
  expect(proc.edges.find((e) => e.from === 'payment' && e.to === 'in_progress')?.events).toEqual(['issue_sp2d']);
});

test('the SVG highlights the current state and draws the path taken, with labels escaped', () => {
  const model = diagramModel(budgetProposalV1.machine);
  const svg = renderDiagram(model, {
    current: 'tapd_review',
    taken: [{ from: null, to: 'draft' }, { from: 'draft', to: 'opd_review' }, { from: 'opd_review', to: 'draft' }, { from: 'draft', to: 'opd_review' }, { from: 'opd_review', to: 'bappeda_verification' }, { from: 'bappeda_verification', to: 'tapd_review' }],
    label: (s) => (s === 'rejected' ? 'Ditolak <&>' : s),
    title: 'Diagram', desc: 'desc',
  });
  expect(svg.startsWith('<svg class="diagram"')).toBe(true);
  expect(svg).toMatch(/<g class="node current visited" aria-current="step"><rect[^>]*\/><text[^>]*>tapd_review<\/text><\/g>/);
  expect(svg).toContain('Ditolak &lt;&amp;&gt;');
  const taken = [...svg.matchAll(/<g class="edge taken"><title>([^<]+)<\/title>/g)].map((m) => m[1]);
  expect(taken.sort()).toEqual(['bappeda_verification → tapd_review: verify', 'draft → opd_review: submit', 'opd_review → bappeda_verification: approve', 'opd_review → draft: withdraw, return'].sort());
  expect(svg).toMatch(/<g class="node"><rect[^>]*\/><text[^>]*>approved<\/text>/);
});

test('form fields parse by the schema', () => {
  const schema = budgetProposalV1.schema as FieldSchema;
  const data = parseFields(schema, {
    '/fiscalYear': '2027', '/lines/5/unitPrice': 'Rp 1.250.000.000', '/lines/5/volume': '0,75', '/lines/2/unitPrice': '12x', '/lines/2/amount': '99', '/total': '1', '/title': '',
  });
  expect(data.fiscalYear).toBe(2027);
  expect(data.title).toBeUndefined();
  expect(data.lines).toEqual([{ unitPrice: '12x' }, { unitPrice: 1_250_000_000, volume: 0.75 }]);
  expect(data.total).toBeUndefined();
  expect(data.subKegiatan).toEqual({});
});
