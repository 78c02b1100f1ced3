import { html, type SafeHtml } from '../html';
import type { WebContext } from '../context';
import { rupiah } from '../format';
import { formatNumberInput } from './numbers';
import { kindOf, type FieldSchema } from './schema';

/**
 * An instance's data, read-only, laid out by the same schema as its form: objects as definition
 * lists, lists of objects as tables (amounts right-aligned), rupiah as `Rp 1.250.000.000`.
 * Properties outside the schema (added by later events: fee, numbers) follow, as plain values.
 * Fields are labelled by `workflow`'s package.
 */
export function renderData(ctx: WebContext, workflow: string, schema: FieldSchema, data: Record<string, unknown>, orgs?: ReadonlyMap<string, string>): SafeHtml {
  const known = schema.properties ?? {};
  const extra = Object.entries(data).filter(([k, v]) => !(k in known) && (typeof v === 'string' || typeof v === 'number'));
  return html`<dl class="data">${Object.entries(known).map(([name, prop]) => (data[name] === undefined ? '' : item(ctx, workflow, name, prop, data[name], orgs)))}
${extra.map(([k, v]) => html`<div><dt>${ctx.field(workflow, k)}</dt><dd>${typeof v === 'number' && /fee|value|amount|total/i.test(k) ? rupiah(v) : String(v)}</dd></div>`)}</dl>`;
}

function scalar(ctx: WebContext, workflow: string, name: string, schema: FieldSchema, value: unknown): string {
  const kind = kindOf(name, schema, false);
  if (kind === 'enum' && typeof value === 'string') return ctx.value(workflow, name, value);
  if (typeof value === 'number' && (kind === 'money' || kind === 'computed')) return rupiah(value);
  // Quantities read Indonesian style in both languages (12.500 · 2,5), as their fields take them; integers such as years stay as they are.
  if (typeof value === 'number' && kind === 'number') return formatNumberInput(value, 'number');
  if (typeof value === 'boolean') return ctx.t(value ? 'value.yes' : 'value.no');
  return value === null || value === undefined ? '' : String(value);
}

/** `orgs`: the names of the orgs the data's org fields name, by id (shown instead of the id). */
function item(ctx: WebContext, workflow: string, name: string, schema: FieldSchema, value: unknown, orgs?: ReadonlyMap<string, string>): SafeHtml {
  if (schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    return html`<div class="group"><dt>${ctx.field(workflow, name)}</dt><dd>${renderData(ctx, workflow, schema, value as Record<string, unknown>)}</dd></div>`;
  }
  if (Array.isArray(value) && schema.items?.properties) {
    const columns = Object.entries(schema.items.properties);
    return html`<div class="wide"><dt>${ctx.field(workflow, name)}</dt><dd><div class="table-wrap" tabindex="0" role="group" aria-label="${ctx.field(workflow, name)}"><table>
<thead><tr>${columns.map(([c, p]) => html`<th scope="col"${p.type === 'integer' || p.type === 'number' ? html` class="num"` : ''}>${ctx.field(workflow, c)}</th>`)}</tr></thead>
<tbody>${value.map((row: Record<string, unknown>) => html`<tr>${columns.map(([c, p]) => html`<td data-label="${ctx.field(workflow, c)}"${p.type === 'integer' || p.type === 'number' ? html` class="num"` : ''}>${scalar(ctx, workflow, c, p, row?.[c])}</td>`)}</tr>`)}</tbody>
</table></div></dd></div>`;
  }
  const org = typeof value === 'string' ? orgs?.get(value) : undefined;
  return html`<div><dt>${ctx.field(workflow, name)}</dt><dd>${org ?? scalar(ctx, workflow, name, schema, value)}</dd></div>`;
}
