import { Router } from 'express';
import { hasRole } from '../../src/auth/roles';
import { GrmsError } from '../../src/errors';
import type { InstanceSectionInput } from '../../src/engine/package';
import { trackingOf } from '../../src/tracking/register';
import { html, type SafeHtml } from '../../src/web/html';
import { ctxOf, userWithRole } from '../../src/web/context';
import { csrfField } from '../../src/web/layout';
import type { WebDeps } from '../../src/web/deps';
import { when } from '../../src/web/format';
import { inputField } from '../../src/web/form-fields';
import { renderInstance } from '../../src/web/pages/instances';
import { permitReceiptPdf, receiptFilename } from './receipt';
import { checklistView } from './texts';

/**
 * The permit registration's receipt on its instance page, for the front desk: the registration
 * number, the PIN on the one page that shows it (right after registering; never again, it is not
 * stored), and "Cetak tanda terima", which prints the seal-signed tanda terima (./receipt.ts)
 * with the PIN carried in the form's body. Later, the applicant's PIN typed in prints it again.
 */
export async function receiptSection(deps: WebDeps, { ctx, actor, instanceId, created, typed, error }: InstanceSectionInput): Promise<SafeHtml> {
  if (!hasRole(actor, 'frontdesk')) return html``;
  const reg = await trackingOf(deps.db, instanceId);
  if (!reg) return html``;
  const { t } = ctx;
  const pin = typeof created?.pin === 'string' ? created.pin : undefined;
  return html`<section aria-labelledby="h-receipt" class="receipt"><h2 id="h-receipt">${t('receipt.title')}</h2>
<dl class="summary">
  <div><dt>${ctx.field('registrationNumber')}</dt><dd id="receipt-number">${reg.registrationNumber}</dd></div>
  <div><dt>${ctx.field('registeredAt')}</dt><dd>${when(reg.registeredAt, ctx.timezone)}</dd></div>
  ${pin ? html`<div><dt>${ctx.field('pin')}</dt><dd><code class="secret" id="receipt-pin">${pin}</code></dd></div>` : ''}
</dl>
<p>${pin ? t('receipt.pinOnce') : t('receipt.pinGone')}</p>
<form method="post" action="/instances/${instanceId}/receipt.pdf" class="narrow" novalidate>
${csrfField(ctx)}
${pin ? html`<input type="hidden" name="pin" value="${pin}">` : inputField(ctx, {
    id: 'receipt-pin-input', name: 'pin', label: 'PIN', value: typed, error, required: true,
    attrs: html` inputmode="numeric" autocomplete="off" maxlength="20"`,
  })}
<button type="submit">${t('receipt.print')}</button>
</form>
</section>`;
}

/** The permit's part of its instance page: the receipt for the front desk, and the checklist with its ticks (v2 on). */
export async function permitInstanceSection(deps: WebDeps, input: InstanceSectionInput): Promise<SafeHtml> {
  const { row } = await deps.engine.get(input.actor, input.instanceId);
  const receipt = await receiptSection(deps, input);
  return html`${receipt}${checklistView({ ctx: input.ctx, workflow: row.workflow, version: row.workflow_version, data: row.data })}`;
}

/** Printing the receipt: a PDF download, or the instance page again saying why not. */
export function receiptPages(deps: WebDeps): Router {
  const r = Router();
  r.post('/instances/:id/receipt.pdf', async (req, res) => {
    const actor = userWithRole(res, 'frontdesk');
    const { row } = await deps.engine.get(actor, req.params.id);
    const reg = row.workflow === 'permit' ? await trackingOf(deps.db, row.id) : undefined;
    const typed = typeof (req.body as Record<string, unknown>).pin === 'string' ? ((req.body as Record<string, unknown>).pin as string).replace(/\s/g, '') : '';
    try {
      if (!reg) throw new GrmsError('NOT_FOUND', 404, 'not-found', 'Not found', 'This instance has no permit registration');
      const receipt = await permitReceiptPdf(deps, actor, { registrationNumber: reg.registrationNumber, pin: typed });
      res.type('application/pdf').set('Content-Disposition', `attachment; filename="${receiptFilename(receipt.registrationNumber)}"`)
        .set('Cache-Control', 'no-store').send(receipt.pdf);
    } catch (err) {
      if (!(err instanceof GrmsError) || err.status >= 500 || !reg) throw err;
      // A wrong PIN and a malformed one alike: the same answer as the API's (nothing says which).
      await renderInstance(deps, res, actor, row.id, {}, 422, undefined, { typed, error: ctxOf(res).t('receipt.wrongPin') });
    }
  });
  return r;
}
