import { html, type SafeHtml } from '../html';
import type { WebContext } from '../context';
import { rupiah } from '../format';
import { lineAmount, hundredths } from '../../engine/money';
import { digitsOf, escapePointer, hasLineAmounts, holdsFile, inputId, kindOf, type FieldSchema } from './schema';
import { fieldError, type FieldErrors } from './errors';
import { errorMessage } from './messages';
import { formatNumberInput, type NumberKind } from './numbers';

/** Example values shown under fields whose format is not obvious. */
const HINTS: Record<string, string> = {
  code: '1.02.02.2.01.0001', account: '5.1.02.01.01.0024',
};

/** Organisations a field may name (a data property a 'data-org' step reads): chosen by name, sent by id. */
export interface OrgChoices {
  /** The pointers of the fields that name an org, e.g. "/technicalAgency". */
  pointers: ReadonlySet<string>;
  /** Every org, grouped by kind in the choice (OPD, supplier). */
  options: ReadonlyArray<{ id: string; name: string; kind: string }>;
}

/** What a form knows beyond its schema: the orgs its org fields choose from, the largest file it takes. */
export interface FormOptions {
  orgs?: OrgChoices;
  maxFileBytes?: number;
}

interface RenderState {
  ctx: WebContext;
  /** The workflow whose package labels the fields. */
  workflow: string;
  errors: FieldErrors;
  opts: FormOptions;
}

/** What a number field shows: the stored number as it is typed (./numbers), or the refused text as it was typed. */
const numberText = (v: unknown, kind: NumberKind) => (typeof v === 'number' ? formatNumberInput(v, kind) : typeof v === 'string' ? v : '');

function lineTotal(row: Record<string, unknown>): bigint | null {
  const h = typeof row.volume === 'number' && Number.isFinite(row.volume) ? hundredths(row.volume) : null;
  return h !== null && typeof row.unitPrice === 'number' && Number.isSafeInteger(row.unitPrice) ? lineAmount(h, row.unitPrice) : null;
}

/** The inputs for every property of an object schema, filled with `data`, errors beside them. */
export function renderFields(ctx: WebContext, workflow: string, schema: FieldSchema, data: Record<string, unknown>, errors: FieldErrors, base = '', opts: FormOptions = {}): SafeHtml {
  const st: RenderState = { ctx, workflow, errors, opts };
  return html`${Object.entries(schema.properties ?? {}).map(([name, prop]) => renderField(st, name, prop, (schema.required ?? []).includes(name), data?.[name], `${base}/${escapePointer(name)}`, schema))}`;
}

/** A field one of the parent's alternatives requires (NIK or NIB): not marked optional either. */
function oneOfRequired(parent: FieldSchema, name: string): boolean {
  const alternatives = (parent as { anyOf?: FieldSchema[]; oneOf?: FieldSchema[] });
  return [...(alternatives.anyOf ?? []), ...(alternatives.oneOf ?? [])].some((a) => a.required?.includes(name));
}

/** Most fields are required: the few that are not say so (the form's note says the rest are). */
function requiredMark(st: RenderState, required: boolean): SafeHtml {
  return required ? html`` : html` <span class="opt">(${st.ctx.t('form.optional')})</span>`;
}

function renderField(st: RenderState, name: string, schema: FieldSchema, required: boolean, value: unknown, pointer: string, parent: FieldSchema): SafeHtml {
  const { ctx, errors } = st;
  const kind = kindOf(name, schema, required);
  const id = inputId(pointer);
  const error = errors[pointer] ? errorMessage(ctx, errors[pointer]) : undefined;
  const label = ctx.field(st.workflow, name);
  // Decimal fields say how decimals are written (./numbers), whatever the page's language.
  const digits = digitsOf(schema);
  const fileName = kind === 'text' && name === 'name' && holdsFile(parent);
  const hintText = HINTS[name] ? ctx.t('form.example', { value: HINTS[name] }) : kind === 'number' ? ctx.t('form.decimalHint')
    : digits !== undefined ? ctx.t('form.digitsHint', { n: digits }) : fileName ? ctx.t('form.fileNameHint')
    : kind === 'file' ? ctx.t('form.fileHint', { max: Math.round((st.opts.maxFileBytes ?? 0) / 1024 / 1024) }) : undefined;
  const hint = hintText ? html`<small id="${id}-hint">${hintText}</small>` : html``;
  const describedBy = [hintText ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = html` id="${id}" name="${pointer}"${required ? html` aria-required="true"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${error ? html` aria-invalid="true"` : ''}`;
  switch (kind) {
    case 'object':
      return html`<fieldset${error ? html` aria-describedby="${id}-error"` : ''}><legend>${label}${requiredMark(st, required || oneOfRequired(parent, name))}</legend>
${fieldError(id, error)}${renderFields(ctx, st.workflow, schema, (value ?? {}) as Record<string, unknown>, errors, pointer, st.opts)}</fieldset>`;
    case 'rows':
      return renderRows(st, name, schema, required, Array.isArray(value) ? (value as Record<string, unknown>[]) : [], pointer, parent);
    case 'computed':
      // A total beside a list of lines is shown under that list (renderRows), as it sums them.
      if (Object.values(parent.properties ?? {}).some((p) => hasLineAmounts(p.items))) return html``;
      // Inside a row: the line amount, computed as you type (and by the server in the end).
      return html`<div class="field"><span class="label" id="${id}-label">${label}</span>
<output data-line-amount aria-labelledby="${id}-label" id="${id}">${typeof value === 'number' ? rupiah(value) : '—'}</output>${fieldError(id, error)}</div>`;
    case 'enum':
      return html`<div class="field"><label for="${id}">${label}${requiredMark(st, required || oneOfRequired(parent, name))}</label>
<select${common}><option value="">${ctx.t('form.choose')}</option>${(schema.enum ?? []).map((v) => html`<option value="${String(v)}"${String(v) === String(value ?? '') ? html` selected` : ''}>${ctx.value(st.workflow, name, String(v))}</option>`)}</select>${hint}${fieldError(id, error)}</div>`;
    case 'file': {
      // The file itself is not kept: the server hashes it as it arrives and the data holds the hash.
      const held = typeof value === 'string' && value !== '' ? value : undefined;
      return html`<div class="field"><label for="${id}">${label}${requiredMark(st, required && !held)}</label>
${held ? html`<p class="file-held"><span aria-hidden="true">✓</span> ${ctx.t('form.fileHeld')} <code title="${held}">${held.slice(0, 12)}…</code></p><input type="hidden" name="${pointer}" value="${held}">` : ''}
<input${common} type="file" data-file>${hint}${fieldError(id, error)}</div>`;
    }
    case 'money':
      return html`<div class="field"><label for="${id}">${label}${requiredMark(st, required || oneOfRequired(parent, name))}</label>
<div class="money"><span aria-hidden="true">Rp</span><input${common} type="text" inputmode="numeric" autocomplete="off" data-rupiah data-number="money" data-field="${name}" value="${numberText(value, 'money')}"></div>${hint}${fieldError(id, error)}</div>`;
    case 'longtext':
      return html`<div class="field"><label for="${id}">${label}${requiredMark(st, required || oneOfRequired(parent, name))}</label>
<textarea${common} rows="3"${schema.maxLength ? html` maxlength="${schema.maxLength}"` : ''}>${value === undefined ? '' : String(value)}</textarea>${hint}${fieldError(id, error)}</div>`;
    case 'boolean':
      return html`<div class="field"><input type="checkbox"${common} value="true"${value === true ? html` checked` : ''}> <label for="${id}">${label}</label>${fieldError(id, error)}</div>`;
    default: {
      if (st.opts.orgs?.pointers.has(pointer)) return orgSelect(st, name, required || oneOfRequired(parent, name), value, common, hint, id, error, label);
      // A decimal field gets the full keyboard: a phone's decimal pad shows its own locale's mark only, maybe no comma.
      const attrs = kind === 'integer' ? html` type="text" inputmode="numeric" data-number="integer"` : kind === 'number' ? html` type="text" data-number="number"` : kind === 'date' ? html` type="date"` : html` type="text"${schema.maxLength ? html` maxlength="${schema.maxLength}"` : ''}`;
      const shown = kind === 'integer' || kind === 'number' ? numberText(value, kind) : value === undefined || value === null ? '' : String(value);
      return html`<div class="field"><label for="${id}">${label}${requiredMark(st, required || oneOfRequired(parent, name))}</label>
<input${common}${attrs}${digits !== undefined ? html` inputmode="numeric" autocomplete="off"` : ''} data-field="${name}" value="${shown}">${hint}${fieldError(id, error)}</div>`;
    }
  }
}

/** A field naming an org: a choice of organisations by name (an id no longer listed stays choosable as it is). */
function orgSelect(st: RenderState, name: string, required: boolean, value: unknown, common: SafeHtml, hint: SafeHtml, id: string, error: string | undefined, label: string): SafeHtml {
  const { t } = st.ctx;
  const options = [...(st.opts.orgs?.options ?? [])];
  const current = typeof value === 'string' ? value : '';
  if (current !== '' && !options.some((o) => o.id === current)) options.push({ id: current, name: current, kind: 'opd' });
  const option = (o: { id: string; name: string }) => html`<option value="${o.id}"${o.id === current ? html` selected` : ''}>${o.name}</option>`;
  const groups = [...new Set(['opd', ...options.map((o) => o.kind)])].map((kind) => ({ kind, items: options.filter((o) => o.kind === kind) })).filter((g) => g.items.length);
  const kindLabel = (kind: string) => (kind === 'supplier' ? t('admin.orgKindSupplier') : kind === 'opd' ? t('admin.orgKindOpd') : kind);
  return html`<div class="field"><label for="${id}">${label}${requiredMark(st, required)}</label>
<select${common} data-field="${name}"><option value="">${t('form.choose')}</option>${groups.length === 1 ? groups[0]!.items.map(option)
    : groups.map((g) => html`<optgroup label="${kindLabel(g.kind)}">${g.items.map(option)}</optgroup>`)}</select>${hint}${fieldError(id, error)}</div>`;
}

function renderRow(st: RenderState, items: FieldSchema, row: Record<string, unknown>, pointer: string, index: string, n: string): SafeHtml {
  const { t } = st.ctx;
  const rowPointer = `${pointer}/${index}`;
  const error = st.errors[rowPointer] ? errorMessage(st.ctx, st.errors[rowPointer]) : undefined;
  return html`<fieldset class="row" data-row><legend data-row-label="${t('form.row', { n: '{n}' })}">${t('form.row', { n })}</legend>
${fieldError(inputId(rowPointer), error)}
<div class="row-grid">${renderFields(st.ctx, st.workflow, items, row, st.errors, rowPointer, st.opts)}</div>
<button type="submit" class="secondary" name="_action" value="remove:${rowPointer}" data-remove-row>${t('form.removeRow')}<span class="visually-hidden"> ${t('form.row', { n })}</span></button>
</fieldset>`;
}

function renderRows(st: RenderState, name: string, schema: FieldSchema, required: boolean, rows: Record<string, unknown>[], pointer: string, parent: FieldSchema): SafeHtml {
  const { ctx, errors } = st;
  const { t } = ctx;
  const items = schema.items ?? {};
  const id = inputId(pointer);
  const error = errors[pointer] ? errorMessage(ctx, errors[pointer]) : undefined;
  const computed = hasLineAmounts(items) && parent.properties?.total;
  let total = 0n;
  let complete = true;
  for (const row of rows) {
    const a = lineTotal(row);
    if (a === null) complete = false;
    else total += a;
  }
  // The template's rows are marked __i__; the client script numbers them when it adds one.
  return html`<fieldset class="rows"${error ? html` aria-describedby="${id}-error"` : ''}><legend>${ctx.field(st.workflow, name)}${requiredMark(st, required || oneOfRequired(parent, name))}</legend>
${fieldError(id, error)}
<div data-array="${pointer}">
${rows.map((row, i) => renderRow(st, items, row, pointer, String(i), String(i + 1)))}
<template>${renderRow({ ...st, errors: {} }, items, {}, pointer, '__i__', '__n__')}</template>
<button type="submit" class="secondary" name="_action" value="add:${pointer}" data-add-row="${pointer}">${t('form.addRow')}</button>
</div>
${computed ? html`<p class="total"><span id="${id}-total-label">${ctx.field(st.workflow, 'total')}</span>: <output data-total-of="${pointer}" aria-labelledby="${id}-total-label" aria-live="polite">${rupiah(Number(total))}${complete ? '' : ' …'}</output>${fieldError(`${inputId('/total')}`, errors['/total'] ? errorMessage(ctx, errors['/total']) : undefined)}</p>` : ''}
</fieldset>`;
}
