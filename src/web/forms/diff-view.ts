import { html, type SafeHtml } from '../html';
import type { WebContext } from '../context';
import { rupiah } from '../format';
import { formatNumberInput } from './numbers';
import { kindOf, type FieldSchema } from './schema';
import type { DiffEntry } from '../../engine/data-diff';

/** The schema of the value at `pointer` (undefined outside the schema: values added by later events). */
function schemaAt(schema: FieldSchema | undefined, pointer: string): FieldSchema | undefined {
  let at = schema;
  for (const seg of pointer.split('/').slice(1)) {
    if (!at) return undefined;
    at = /^\d+$/.test(seg) && at.items ? at.items : at.properties?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return at;
}

const lastName = (pointer: string) => pointer.split('/').filter((s) => !/^\d+$/.test(s)).pop()?.replace(/~1/g, '/').replace(/~0/g, '~') ?? '';

/** "Rincian belanja › Baris 2 › Harga satuan" for "/lines/1/unitPrice", labelled by the workflow's package. */
export function pathLabel(ctx: WebContext, workflow: string, pointer: string): string {
  return pointer.split('/').slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? ctx.t('form.row', { n: Number(seg) + 1 }) : ctx.field(workflow, seg.replace(/~1/g, '/').replace(/~0/g, '~'))))
    .join(' › ') || '—';
}

/** A value as the data page shows it: rupiah as `Rp 1.250.000`, quantities the Indonesian way; a row as its labelled fields. */
function valueView(ctx: WebContext, workflow: string, name: string, schema: FieldSchema | undefined, value: unknown): SafeHtml | string {
  if (value === undefined || value === null || value === '') return '—';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const fields = value as Record<string, unknown>;
    const listed = Object.keys(schema?.properties ?? {}).filter((k) => k in fields);
    const keys = [...listed, ...Object.keys(fields).filter((k) => !listed.includes(k))];
    return html`<ul class="diff-fields">${keys.map((k) => [k, fields[k]] as const).map(([k, v]) =>
      html`<li><span class="diff-name">${ctx.field(workflow, k)}:</span> ${valueView(ctx, workflow, k, schema?.properties?.[k], v)}</li>`)}</ul>`;
  }
  if (Array.isArray(value)) return value.map((v) => String(v)).join(', ');
  if (typeof value === 'number') {
    const kind = schema ? kindOf(name, schema, false) : /fee|value|amount|total|price/i.test(name) ? 'money' : 'number';
    if (kind === 'money' || kind === 'computed') return rupiah(value);
    if (kind === 'number') return formatNumberInput(value, 'number');
    return String(value);
  }
  if (typeof value === 'boolean') return ctx.t(value ? 'diff.yes' : 'diff.no');
  return String(value);
}

/**
 * What changed between two submissions, one row per difference: where (the fields' labels and the
 * JSON Pointer), before and after. A row added or removed from a list shows its fields.
 */
export function renderDiff(ctx: WebContext, workflow: string, schema: FieldSchema, entries: readonly DiffEntry[]): SafeHtml {
  const { t } = ctx;
  if (entries.length === 0) return html`<p>${t('diff.none')}</p>`;
  return html`<div class="table-wrap"><table class="diff">
<thead><tr><th scope="col">${t('diff.where')}</th><th scope="col">${t('diff.before')}</th><th scope="col">${t('diff.after')}</th></tr></thead>
<tbody>${entries.map((e) => {
    const sub = schemaAt(schema, e.path);
    const name = lastName(e.path);
    const mark = e.kind === 'added' ? html` <strong class="badge added">${t('diff.added')}</strong>` : e.kind === 'removed' ? html` <strong class="badge removed">${t('diff.removed')}</strong>` : '';
    return html`<tr class="diff-${e.kind}">
  <th scope="row" title="${e.path}">${pathLabel(ctx, workflow, e.path)}${mark}</th>
  <td data-label="${t('diff.before')}">${e.kind === 'added' ? '—' : html`<del>${valueView(ctx, workflow, name, sub, e.before)}</del>`}</td>
  <td data-label="${t('diff.after')}">${e.kind === 'removed' ? '—' : html`<ins>${valueView(ctx, workflow, name, sub, e.after)}</ins>`}</td>
</tr>`;
  })}</tbody>
</table></div>`;
}
