import type { Request, Response } from 'express';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types';
import { sqlstateOf, SQLSTATE } from '../db/sqlstate';
import { findStoredResponse, requestHash, storeResponse, type IdempotencyScope } from '../engine/idempotency';
import type { IdempotentRequest } from '../engine/engine';
import type { InstanceView } from '../engine/view';
import { html, type SafeHtml } from './html';
import { randomToken } from './session';

/**
 * Every console form that creates or changes something carries a token of its own in `_form`,
 * made when the form is shown and kept when a refused form is shown again. The first submission
 * that succeeds records where its result is shown, in the same transaction as the change (in
 * idempotency_keys, as the API's Idempotency-Key does, scoped per user and route). A later
 * submission of the same form — a double click, a reload or Back that sends the POST again, Back
 * to the form and "Simpan" once more — changes nothing and is sent to that result, marked
 * `again=1` (the page says the form was already sent). The console script keeps a form's token
 * in its history entry, so Back to a form the browser fetches anew still carries it
 * (src/web/assets/console.js). A POST without the field (a client that is not the console's page)
 * is handled once per request, as an API call without Idempotency-Key.
 */
export const FORM_TOKEN_FIELD = '_form';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The hidden field a form carries: `token` when a refused form is shown again, else a new one. */
export function formTokenField(token?: string): SafeHtml {
  return html`<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${token && TOKEN.test(token) ? token : randomToken()}">`;
}

/** The token a submitted form carried, if it is one. */
export function submittedFormToken(body: unknown): string | undefined {
  const v = (body as Record<string, unknown> | undefined)?.[FORM_TOKEN_FIELD];
  return typeof v === 'string' && TOKEN.test(v) ? v : undefined;
}

/** Where a form's submission is recorded: the user, the route it was posted to, its token. */
export type FormScope = IdempotencyScope;

/** The scope of this POST, or undefined when it carries no form token. */
export function formScope(req: Request, username: string, body: unknown = req.body): FormScope | undefined {
  const key = submittedFormToken(body);
  // The request hash is not compared: the same form sent again with other values is still the same form.
  return key ? { username, route: `console ${req.method} ${req.path}`, key, requestHash: requestHash(null) } : undefined;
}

/** Where the first successful submission of this form was sent, if there was one. */
export async function earlierResult(db: Kysely<Database>, scope: FormScope | undefined): Promise<string | undefined> {
  if (!scope) return undefined;
  const stored = await findStoredResponse(db, scope);
  const location = (stored?.body as { location?: unknown } | undefined)?.location;
  return typeof location === 'string' ? location : undefined;
}

/** `location` with `again=1`: the page it shows says the form had been sent before. */
export function againAt(location: string): string {
  const url = new URL(location, 'http://x');
  url.searchParams.set('again', '1');
  return url.pathname + url.search;
}

/** Answers a submission of a form sent before: to the first result, changing nothing. */
export function sendAgain(res: Response, location: string): void {
  res.redirect(303, againAt(location));
}

const isFormRace = (err: unknown) => sqlstateOf(err) === SQLSTATE.uniqueViolation
  && /idempotency_keys/.test(String((err as Error).message) + String((err as { constraint?: string }).constraint));

/**
 * Runs `change` (which returns where its result is shown) once per form: in one transaction with
 * the record of its token, so a concurrent second submission waits for the first and is then
 * sent to its result. Without a scope it just runs. A refusal thrown by `change` rolls the record
 * back with it, so the corrected form may be sent again with the same token.
 */
export async function submitOnce(
  db: Kysely<Database>, scope: FormScope | undefined, change: (trx: Kysely<Database>) => Promise<string>,
): Promise<{ location: string; again: boolean }> {
  if (!scope) return { location: await change(db), again: false };
  const earlier = await earlierResult(db, scope);
  if (earlier) return { location: earlier, again: true };
  try {
    const location = await db.transaction().execute(async (trx) => {
      // First: a second submission of this form blocks here until the first commits or rolls back.
      await storeResponse(trx, scope, { status: 303, body: { location: null }, headers: {} });
      const at = await change(trx);
      await recordLocation(trx, scope, at);
      return at;
    });
    return { location, again: false };
  } catch (err) {
    const first = isFormRace(err) ? await earlierResult(db, scope) : undefined;
    if (first) return { location: first, again: true };
    throw err;
  }
}

async function recordLocation(trx: Transaction<Database>, scope: FormScope, location: string): Promise<void> {
  await trx.updateTable('idempotency_keys').set({ response: JSON.stringify({ location }) })
    .where('username', '=', scope.username).where('route', '=', scope.route).where('key', '=', scope.key).execute();
}

/**
 * The engine's own once-only mechanism for a form that creates an instance or fires an event:
 * `locate` says where the committed instance is shown; it is stored with the change.
 */
export function engineOnce(scope: FormScope | undefined, locate: (view: InstanceView) => string): IdempotentRequest | undefined {
  return scope && { ...scope, respond: (view) => ({ status: 303, body: { location: locate(view) }, headers: {} }) };
}
