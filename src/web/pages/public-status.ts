import { serverMessage } from '../forms/messages';
import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { sql } from 'kysely';
import { GrmsError } from '../../errors';
import { html, type SafeHtml } from '../html';
import { ctxOf, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { renderFields } from '../forms/render';
import { parseFields, type FieldSchema, type NumberProblems } from '../forms/schema';
import { fieldError, toFieldErrors, type FieldErrors } from '../forms/errors';
import { formTokenField, sendAgain, submittedFormToken } from '../form-token';
import { NOTICE_MINUTES, seal, unseal } from '../notices';
import { problemText } from '../i18n/problems';
import { commentErrorText, MAX_COMMENT_LENGTH, typedComment } from '../comment-field';
import { withNumberProblems } from './forms';
import { when } from '../format';
import { citizenEvents } from '../../auth/permissions';
import { definitionOf } from '../../engine/view';
import { clientAddress } from '../../api/client-address';
import { provenLookup, publicLookup, TooManyAttempts, type TrackedInstance } from '../../tracking/lookup';
import { sqlstateOf, SQLSTATE } from '../../db/sqlstate';

/**
 * The console's public status page: a citizen gives a tracking number and PIN (in a POST body,
 * never in a URL) and sees the instance's state and the steps that are theirs now (steps with
 * scope 'tracking-pin', whatever the workflow calls them), each as a form built from the step's
 * payload schema, labelled by the workflow's package. A proven number is kept for this browser for
 * NOTICE_MINUTES (tracking_grants, migrations/0041: the instance sealed under a key derived from
 * the browser's CSRF cookie, never the PIN), so the lookup and each step answer with a redirect to
 * the status page (reload sends nothing again). Each step's form is taken once (its token recorded
 * in public_form_receipts in the step's own transaction); a refused step leaves nothing behind.
 * Under /lapor/: the client address is not logged.
 */
export const STATUS_LOOKUP = '/lapor/lacak';
export const STATUS_PAGE = '/lapor/lacak/status';
const STATUS_END = '/lapor/lacak/selesai';
/** Where a citizen's step lands once taken. */
const STEP_DONE = `${STATUS_PAGE}?done=1`;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

interface Grant { registrationNumber: string; instanceId: string }

/** A step's form on the page, refused and shown again (with what the citizen typed), or fresh. */
interface Refused { event: string; data: Record<string, unknown>; comment: string; errors: FieldErrors; problem?: string; token?: string }

export function publicStatusPages(deps: WebDeps): Router {
  const r = Router();
  const clientHash = (ctx: WebContext) => sha256(`tracking-grant\u0000${ctx.csrf}`);

  const grantOf = async (ctx: WebContext): Promise<Grant | undefined> => {
    const row = await deps.db.selectFrom('tracking_grants').select('sealed').where('client_hash', '=', clientHash(ctx))
      .where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
    const g = row && unseal(ctx.csrf, STATUS_PAGE, row.sealed);
    return g && typeof g.registrationNumber === 'string' && typeof g.instanceId === 'string' ? { registrationNumber: g.registrationNumber, instanceId: g.instanceId } : undefined;
  };

  const lookupForm = (res: Response, status = 200, message?: string, number = '') => {
    const ctx = ctxOf(res);
    sendPage(res, {
      status,
      title: ctx.t('track.title'),
      body: html`${message ? html`<p class="error" role="alert">${message}</p>` : ''}<p>${ctx.t('track.intro')}</p>
<form method="post" action="${STATUS_LOOKUP}" class="data-form">${csrfField(ctx)}
<div class="field"><label for="registrationNumber">${ctx.t('public.number')}</label><input id="registrationNumber" name="registrationNumber" value="${number}" required maxlength="64" autocomplete="off"></div>
<div class="field"><label for="pin">PIN</label><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required maxlength="32"></div>
<div class="buttons"><button type="submit">${ctx.t('track.look')}</button></div></form>`,
    });
  };

  /** The instance behind the grant, its definition and the citizen's steps now. */
  const current = async (grant: Grant) => {
    const found = await provenLookup(deps.db, grant.registrationNumber, grant.instanceId);
    if (!found) return undefined;
    const row = await deps.db.selectFrom('workflow_instances').select('workflow_version').where('id', '=', found.instanceId).executeTakeFirstOrThrow();
    const def = definitionOf(deps.engine.registry, { workflow: found.workflow, workflow_version: row.workflow_version });
    return { found, def, events: citizenEvents(def, found) };
  };

  const stepForm = (ctx: WebContext, found: TrackedInstance, event: string, step: { payload?: { schema: unknown }; requiresComment?: boolean }, refused: Refused | undefined): SafeHtml => {
    const mine = refused?.event === event ? refused : undefined;
    const schema = step.payload?.schema as FieldSchema | undefined;
    const commentId = `f-${event}-comment`;
    const commentError = mine?.errors[`/${event}/_comment`];
    return html`<section class="citizen-step"><h2>${ctx.event(found.workflow, event)}</h2>
${mine?.problem || (mine && Object.keys(mine.errors).length) ? html`<div class="error" role="alert"><p><strong>${mine.problem ?? ctx.t('form.errors')}</strong></p></div>` : ''}
<form method="post" action="${STATUS_PAGE}" novalidate class="data-form" data-once="${STATUS_PAGE}@${event}">
${csrfField(ctx)}${formTokenField(mine?.token)}<input type="hidden" name="event" value="${event}">
${schema ? renderFields(ctx, found.workflow, schema, mine?.data ?? {}, mine?.errors ?? {}, `/${event}`) : ''}
${step.requiresComment ? html`<div class="field"><label for="${commentId}">${ctx.t('instance.comment')}</label>
<textarea id="${commentId}" name="_comment" rows="3" maxlength="${MAX_COMMENT_LENGTH}" aria-required="true"${commentError ? html` aria-invalid="true" aria-describedby="${commentId}-error"` : ''}>${mine?.comment ?? ''}</textarea>${fieldError(commentId, commentError)}</div>` : ''}
<div class="buttons"><button type="submit">${ctx.event(found.workflow, event)}</button></div>
</form></section>`;
  };

  const statusPage = async (req: Request, res: Response, refused?: Refused & { status: number }) => {
    const ctx = ctxOf(res);
    const grant = await grantOf(ctx);
    const now = grant && (await current(grant));
    if (!now) return res.redirect(303, STATUS_LOOKUP);
    const { found, def, events } = now;
    const steps = def.steps[found.state] ?? {};
    const rows: Array<[string, string]> = [
      [ctx.t('public.number'), found.registrationNumber],
      [ctx.t('track.kind'), ctx.workflow(found.workflow)],
      [ctx.t('track.state'), ctx.state(found.workflow, found.state)],
      [ctx.t('track.registered'), when(found.registeredAt, ctx.timezone)],
      [ctx.t('track.changed'), when(found.lastChangeAt, ctx.timezone)],
      ...(found.dueDate ? [[ctx.t('track.due'), when(found.dueDate, ctx.timezone)] as [string, string]] : []),
    ];
    const notice = req.query.again === '1' ? ctx.t('public.again') : req.query.done === '1' ? ctx.t('track.done') : undefined;
    sendPage(res, {
      status: refused?.status,
      notice,
      title: ctx.t('track.statusTitle'),
      body: html`${refused && !events.includes(refused.event) ? html`<p class="error" role="alert">${refused.problem ?? ctx.t('form.errors')}</p>` : ''}<table class="status">${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</table>
${events.length ? events.map((e) => stepForm(ctx, found, e, steps[e]!, refused)) : html`<p>${ctx.t('track.noSteps')}</p>`}
<form method="post" action="${STATUS_END}">${csrfField(ctx)}<button type="submit" class="secondary">${ctx.t('track.end')}</button></form>`,
    });
  };

  r.get(STATUS_LOOKUP, (_req, res) => lookupForm(res));

  r.post(STATUS_LOOKUP, async (req, res) => {
    const ctx = ctxOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const number = typeof body.registrationNumber === 'string' ? body.registrationNumber.slice(0, 64) : '';
    let found: TrackedInstance;
    try {
      found = await publicLookup(deps.db, undefined, { registrationNumber: body.registrationNumber, pin: body.pin, clientIp: clientAddress(req) });
    } catch (err) {
      if (!(err instanceof GrmsError) || ![400, 404, 429].includes(err.status)) throw err;
      if (err instanceof TooManyAttempts) res.set('Retry-After', String(err.retryAfterSeconds));
      // One message for an unknown number and a wrong PIN: nothing to enumerate.
      const message = err instanceof TooManyAttempts ? ctx.t('track.tooMany', { minutes: Math.ceil(err.retryAfterSeconds / 60) })
        : err.status === 404 ? ctx.t('track.notFound') : ctx.t('track.missing');
      return lookupForm(res, err.status, message, number);
    }
    const sealed = seal(ctx.csrf, STATUS_PAGE, { registrationNumber: found.registrationNumber, instanceId: found.instanceId });
    // Real clock: how long a browser keeps a proven number, like a session (RULES.md, two clocks).
    const expires = new Date(Date.now() + NOTICE_MINUTES * 60_000);
    await deps.db.insertInto('tracking_grants').values({ client_hash: clientHash(ctx), sealed, expires_at: expires })
      .onConflict((oc) => oc.column('client_hash').doUpdateSet({ sealed, expires_at: expires })).execute();
    res.redirect(303, STATUS_PAGE);
  });

  r.get(STATUS_PAGE, (req, res) => statusPage(req, res));

  r.post(STATUS_PAGE, async (req, res) => {
    const ctx = ctxOf(res);
    const grant = await grantOf(ctx);
    const now = grant && (await current(grant));
    // No number proven in this browser (or no longer): nothing is fired; the lookup form, refused.
    if (!now) return lookupForm(res, 400, ctx.t('track.expired'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const event = typeof body.event === 'string' ? body.event : '';
    const token = submittedFormToken(body);
    const formHash = token ? sha256(`${ctx.csrf}\u0000${token}`) : undefined;
    // Sent before: to the first submission's result, marked (as every console form: form-token.ts).
    const again = () => sendAgain(res, STEP_DONE);
    if (formHash && (await deps.db.selectFrom('public_form_receipts').select('form_hash').where('form_hash', '=', formHash).executeTakeFirst())) return again();
    // Only the citizen's steps of the current state have a form here; anything else is the engine's to refuse.
    const step = now.events.includes(event) ? now.def.steps[now.found.state]?.[event] : undefined;
    const numbers: NumberProblems = {};
    const data = step?.payload ? parseFields(step.payload.schema as FieldSchema, body, `/${event}`, numbers) : undefined;
    const comment = typedComment(body._comment);
    try {
      await deps.engine.fireAsCitizen(now.found.instanceId, { type: event, comment: comment || undefined, data }, async (trx) => {
        if (!formHash) return;
        await trx.insertInto('public_form_receipts').values({
          form_hash: formHash, client_hash: sha256(ctx.csrf), page: STATUS_PAGE, sealed: null,
          expires_at: new Date(Date.now() + NOTICE_MINUTES * 60_000),
        }).execute();
      });
    } catch (err) {
      // Two submissions of one form at once: the second loses the race on the form's row.
      if (sqlstateOf(err) === SQLSTATE.uniqueViolation && /public_form_receipts/.test(String((err as Error).message) + String((err as { constraint?: string }).constraint))) return again();
      if (!(err instanceof GrmsError) || err.status >= 500) throw err;
      const errors = withNumberProblems(ctx, toFieldErrors((err.errors ?? []).map((p) => ({ ...p, path: p.path.replace(/^\/data(?=\/|$)/, `/${event}`) })), '', (m) => serverMessage(ctx, m)), numbers);
      if (errors['/comment'] || err.code === 'COMMENT_REQUIRED') {
        errors[`/${event}/_comment`] = commentErrorText(ctx, err, now.found.workflow, event);
        delete errors['/comment'];
      }
      // The workflow's own words for its own refusals (labels.texts 'problem.<CODE>'), else the core's.
      const problem = Object.keys(errors).length ? undefined : problemText(ctx, err, now.found.workflow);
      return statusPage(req, res, { status: err.status, event, data: (data ?? {}) as Record<string, unknown>, comment, errors, problem, token });
    }
    res.redirect(303, STEP_DONE);
  });

  r.post(STATUS_END, async (_req, res) => {
    await deps.db.deleteFrom('tracking_grants').where('client_hash', '=', clientHash(ctxOf(res))).execute();
    res.redirect(303, STATUS_LOOKUP);
  });
  return r;
}
