import crypto from 'node:crypto';
import { Router, type RequestHandler, type Response } from 'express';
import { sql } from 'kysely';
import { GrmsError, notFound, payloadTooLarge } from '../../errors';
import { html } from '../html';
import { ctxOf } from '../context';
import { sendPage } from '../layout';
import type { WebDeps } from '../deps';
import type { FieldSchema, NumberProblems } from '../forms/schema';
import { parseFields } from '../forms/schema';
import { toFieldErrors } from '../forms/errors';
import { applyRowAction } from '../forms/rows';
import { submittedFormToken } from '../form-token';
import { NOTICE_MINUTES, seal, unseal } from '../notices';
import { problemText } from '../i18n/problems';
import { initialData, sendForm, withNumberProblems } from './forms';
import { publicRateLimit } from '../../api/public-rate';
import { PUBLIC_INTAKE_ROUTE } from '../../api/public-purge';
import { attachmentCapProblem } from '../../api/public-intake';
import { loadConfig } from '../../config';
import { sqlstateOf, SQLSTATE } from '../../db/sqlstate';
import type { WorkflowRegistry } from '../../engine/registry';
import { STATUS_LOOKUP } from './public-status';
import { serverMessage } from '../forms/messages';

/**
 * The console's form for creating an instance without an account (a package's `publicIntake`),
 * built from the workflow's data schema by the console's form renderer: CSRF-checked with the
 * browser's anonymous token, once per form (a form sent again creates nothing), limited per client
 * address as the API's public route is (one budget), and answered by a redirect to a receipt page
 * that shows the tracking number and PIN once (sealed server-side, never in a URL). The client
 * address is not logged.
 */
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Where the public form and its receipt page are (the console's router marks them: no client address logged). */
export const PUBLIC_FORM_PREFIX = '/lapor/';

/** Only registered when some package takes public submissions (the console matrix lists routes that exist). */
export function hasPublicIntake(registry: WorkflowRegistry): boolean {
  return registry.packages.some((p) => p.publicIntake);
}

export function publicIntakePages(deps: WebDeps): Router {
  const r = Router();
  // Read at the first request, not while routes are registered (the route listing reads no deps).
  const limits = () => deps.publicIntake ?? loadConfig({}).publicIntake;
  let limiter: RequestHandler | undefined;
  const limit: RequestHandler = (req, res, next) => (limiter ??= publicRateLimit(deps.db, PUBLIC_INTAKE_ROUTE, limits().rate, true))(req, res, next);
  const intake = (name: string) => {
    const pkg = deps.engine.registry.package(name);
    const def = deps.engine.registry.latest(name);
    if (!pkg?.publicIntake || !def) throw notFound(`No workflow "${name}" takes public submissions`);
    return { spec: pkg.publicIntake, def, schema: def.schema as FieldSchema };
  };
  const receiptPage = (name: string) => `/lapor/${name}/tanda-terima`;
  const formPage = (res: Response, name: string) => {
    const ctx = ctxOf(res);
    return { workflow: name, title: ctx.t('public.newTitle', { workflow: ctx.workflow(name) }), action: `/lapor/${name}`, submitLabel: ctx.t('public.send') };
  };

  r.get('/lapor/:workflow', (req, res) => {
    const { def, schema } = intake(String(req.params.workflow));
    sendForm(res, { ...formPage(res, def.name), schema, data: initialData(schema), errors: {}, problem: undefined });
  });

  r.post('/lapor/:workflow', (req, res, next) => {
    const { spec, def, schema } = intake(String(req.params.workflow));
    if (Number(req.get('content-length') ?? 0) > limits().maxBodyBytes) throw payloadTooLarge(`A public submission takes at most ${limits().maxBodyBytes} bytes`);
    // Before the limit's row: an over-long list of attachments is refused in place, nothing written
    // (adding or removing a row is no submission yet).
    const body = req.body as Record<string, unknown>;
    const numbers: NumberProblems = {};
    const data = parseFields(schema, body, '', numbers);
    const over = body._action === 'save' || body._action === undefined ? attachmentCapProblem(spec, data, limits().maxAttachments, '') : undefined;
    if (over) {
      const ctx = ctxOf(res);
      sendForm(res, { ...formPage(res, def.name), schema, data, token: submittedFormToken(body), status: over.status, errors: withNumberProblems(ctx, toFieldErrors(over.errors, '', (m) => serverMessage(ctx, m)), numbers), problem: undefined });
      return;
    }
    next();
  }, limit, async (req, res) => {
    const ctx = ctxOf(res);
    const { def, schema } = intake(String(req.params.workflow));
    const body = req.body as Record<string, unknown>;
    const numbers: NumberProblems = {};
    const data = parseFields(schema, body, '', numbers);
    const token = submittedFormToken(body);
    const page = { ...formPage(res, def.name), schema, data, token };
    if (applyRowAction(schema, data, body._action)) {
      sendForm(res, { ...page, errors: {} });
      return;
    }
    const client = sha256(ctx.csrf);
    const formHash = token ? sha256(`${ctx.csrf}\u0000${token}`) : undefined;
    const sent = () => res.redirect(303, `${receiptPage(def.name)}?again=1`);
    if (formHash && (await deps.db.selectFrom('public_form_receipts').select('form_hash').where('form_hash', '=', formHash).executeTakeFirst())) return sent();
    await deps.db.deleteFrom('public_form_receipts').where('expires_at', '<', sql<Date>`now()`).execute();
    try {
      await deps.engine.createPublic(def.name, data, deps.settings ?? {}, async (trx, row, receipt) => {
        await trx.insertInto('public_form_receipts').values({
          form_hash: formHash ?? sha256(crypto.randomUUID()), client_hash: client, page: receiptPage(def.name),
          sealed: seal(ctx.csrf, receiptPage(def.name), { registrationNumber: String(receipt.registrationNumber), pin: String(receipt.pin) }),
          // Real clock: how long a one-time notice is kept, like a session (RULES.md, two clocks).
          expires_at: new Date(Date.now() + NOTICE_MINUTES * 60_000),
        }).execute();
      });
    } catch (err) {
      // Two submissions of one form at once: the second loses the race on the form's row.
      if (sqlstateOf(err) === SQLSTATE.uniqueViolation && /public_form_receipts/.test(String((err as Error).message) + String((err as { constraint?: string }).constraint))) return sent();
      if (!(err instanceof GrmsError) || err.status >= 500) throw err;
      sendForm(res, { ...page, status: err.status, errors: withNumberProblems(ctx, toFieldErrors(err.errors, '/data', (m) => serverMessage(ctx, m)), numbers), problem: err.errors?.length ? undefined : problemText(ctx, err, def.name) });
      return;
    }
    res.redirect(303, receiptPage(def.name));
  });

  r.get('/lapor/:workflow/tanda-terima', async (req, res) => {
    const ctx = ctxOf(res);
    const { def } = intake(String(req.params.workflow));
    const at = receiptPage(def.name);
    // Taken as it is shown: the sealed receipt is cleared in the same statement that reads it.
    const taken = await sql<{ sealed: string }>`
      UPDATE public_form_receipts t SET sealed = NULL FROM (
        SELECT form_hash, sealed FROM public_form_receipts
         WHERE client_hash = ${sha256(ctx.csrf)} AND page = ${at} AND sealed IS NOT NULL AND expires_at > now()
         ORDER BY expires_at DESC LIMIT 1 FOR UPDATE) o
       WHERE t.form_hash = o.form_hash RETURNING o.sealed`.execute(deps.db);
    const receipt = taken.rows[0] && unseal(ctx.csrf, at, taken.rows[0].sealed);
    const again = req.query.again === '1' ? html`<p role="status">${ctx.t('public.again')}</p>` : html``;
    const track = html`<p><a href="${STATUS_LOOKUP}">${ctx.t('track.link')}</a></p>`;
    sendPage(res, {
      title: ctx.t('public.receiptTitle'),
      body: receipt
        ? html`${again}<dl class="receipt"><dt>${ctx.t('public.number')}</dt><dd>${String(receipt.registrationNumber)}</dd><dt>${ctx.t('public.pin')}</dt><dd>${String(receipt.pin)}</dd></dl>${track}`
        : html`${again}<p>${ctx.t('public.shownOnce')}</p>${track}`,
    });
  });
  return r;
}
