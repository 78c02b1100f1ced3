import fs from 'node:fs';
import path from 'node:path';
import { id } from '../src/web/i18n/id';
import { en } from '../src/web/i18n/en';
import { html, raw } from '../src/web/html';
import { diagramModel, renderDiagram } from '../src/web/diagram';
import { defaultRegistry } from '../src/engine/registry';
import { budgetProposalV1 } from '../workflows/budget-proposal/v1';
import { parseFields, type FieldSchema } from '../src/web/forms/schema';
import { assetsDir } from '../src/web/assets';

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
  // Layers top to bottom; final states share the last one.
  const y = (label: string) => Number(new RegExp(`<rect x="[\\d.]+" y="([\\d.]+)"[^>]*/><text[^>]*>${label}</text>`).exec(svg)![1]);
  expect(y('draft')).toBeLessThan(y('opd_review'));
  expect(y('approved')).toBeLessThan(y('ratified'));
  expect(y('Ditolak &lt;&amp;&gt;')).toBe(y('ratified'));
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

/** WCAG 2.x relative luminance and contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

test('the console stylesheet\'s text colours pass WCAG AA (4.5:1) on the backgrounds they are used on', () => {
  const css = fs.readFileSync(path.join(assetsDir(), 'console.css'), 'utf8');
  const vars = Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!]));
  const pairs: Array<[text: string, background: string]> = [
    ['ink', 'paper'], ['ink', 'wash'], ['muted', 'paper'], ['muted', 'wash'], ['brand', 'paper'], ['brand', 'wash'], ['brand-dark', 'paper'],
    ['on-brand', 'brand'], ['on-brand', 'brand-dark'], ['on-brand', 'bad'], ['bad', 'paper'], ['bad', 'bad-wash'], ['good', 'good-wash'],
    ['ink', 'warn-wash'], ['brand', 'warn-wash'], ['muted', 'warn-wash'], ['bad', 'wash'], ['ink', 'focus'], ['brand-dark', 'good-wash'],
  ];
  for (const [fg, bg] of pairs) {
    expect([fg, bg, vars[fg], vars[bg]]).toEqual([fg, bg, expect.any(String), expect.any(String)]);
    expect({ pair: `${fg} on ${bg}`, ratio: contrast(vars[fg]!, vars[bg]!) >= 4.5 }).toEqual({ pair: `${fg} on ${bg}`, ratio: true });
  }
  // No inline styles or scripts anywhere in the console's markup (the CSP forbids them).
  for (const file of fs.readdirSync(path.join(__dirname, '..', 'src', 'web'), { recursive: true }) as string[]) {
    if (!file.endsWith('.ts')) continue;
    const source = fs.readFileSync(path.join(__dirname, '..', 'src', 'web', file), 'utf8');
    expect({ file, inline: /<script>|<style|\sstyle="|\son[a-z]+="/.test(source) }).toEqual({ file, inline: false });
  }
});
