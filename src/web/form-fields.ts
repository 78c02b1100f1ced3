import { html, type SafeHtml } from './html';
import type { WebContext } from './context';
import { fieldError } from './forms/errors';
import { errorMessage } from './forms/messages';

/**
 * Plain labelled inputs for the console's fixed forms (audit filters, admin forms); the workflow
 * forms are built from their schemas instead (src/web/forms). An error names the field by the
 * same JSON Pointer the server's problem+json uses, and the input points at it.
 */
export interface FieldOptions {
  /** Element id; the error gets `${id}-error`, the hint `${id}-hint`. */
  id: string;
  name: string;
  label: string;
  value?: string;
  error?: string;
  hint?: string;
  required?: boolean;
  type?: 'text' | 'date' | 'password' | 'number';
  /** Extra attributes (autocomplete, maxlength …), built by the caller with html``. */
  attrs?: SafeHtml;
}

export interface Option {
  value: string;
  label: string;
}

function describedBy(o: FieldOptions): SafeHtml {
  const ids = [o.hint ? `${o.id}-hint` : '', o.error ? `${o.id}-error` : ''].filter(Boolean).join(' ');
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${o.error ? html` aria-invalid="true"` : ''}${o.required ? html` required aria-required="true"` : ''}`;
}

function labelOf(ctx: WebContext, o: FieldOptions): SafeHtml {
  return html`<label for="${o.id}">${o.label}${o.required ? html` <span class="req">(${ctx.t('form.required')})</span>` : ''}</label>`;
}

/** A server message in the page's language (unknown ones as the server wrote them). */
export function say(ctx: WebContext, message: string): string {
  return errorMessage(ctx, message);
}

function tail(ctx: WebContext, o: FieldOptions): SafeHtml {
  return html`${o.hint ? html`<small id="${o.id}-hint">${o.hint}</small>` : ''}${fieldError(o.id, o.error ? say(ctx, o.error) : undefined)}`;
}

export function inputField(ctx: WebContext, o: FieldOptions): SafeHtml {
  return html`<div class="field">${labelOf(ctx, o)}
<input id="${o.id}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${describedBy(o)}${o.attrs ?? ''}>${tail(ctx, o)}</div>`;
}

export function selectField(ctx: WebContext, o: FieldOptions & { options: readonly Option[]; empty?: string }): SafeHtml {
  return html`<div class="field">${labelOf(ctx, o)}
<select id="${o.id}" name="${o.name}"${describedBy(o)}${o.attrs ?? ''}>${o.empty !== undefined ? html`<option value="">${o.empty}</option>` : ''}${o.options.map((opt) => html`<option value="${opt.value}"${opt.value === (o.value ?? '') ? html` selected` : ''}>${opt.label}</option>`)}</select>${tail(ctx, o)}</div>`;
}

/** Above a refused form: "check the marked fields" when fields are marked, else the server's reason. */
export function errorSummary(ctx: WebContext, errors: Readonly<Record<string, string>>, message: string | undefined): SafeHtml {
  const text = Object.keys(errors).length ? ctx.t('form.errors') : message ? say(ctx, message) : undefined;
  return text ? html`<p class="error" role="alert">${text}</p>` : html``;
}
