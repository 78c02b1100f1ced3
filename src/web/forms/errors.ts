import { html, type SafeHtml } from '../html';

/** Field problems by JSON Pointer (as problem+json `errors[].path` gives them), one message each. */
export type FieldErrors = Record<string, string>;

/** `say` puts the server's message into the page's language (forms/messages.ts serverMessage). */
export function toFieldErrors(problems: ReadonlyArray<{ path: string; message: string }> | undefined, strip: string, say: (message: string) => string): FieldErrors {
  // Keyed by paths that may quote the client's names: no prototype to reach.
  const out: FieldErrors = Object.create(null) as FieldErrors;
  for (const p of problems ?? []) {
    const path = strip && p.path.startsWith(strip) ? p.path.slice(strip.length) : p.path;
    const message = say(p.message);
    out[path] = out[path] ? `${out[path]}; ${message}` : message;
  }
  return out;
}

/** The message shown under an input whose id is `id`; the input points at it with aria-describedby. */
export function fieldError(id: string, message: string | undefined): SafeHtml {
  return message ? html`<p class="field-error" id="${id}-error">${message}</p>` : html``;
}
