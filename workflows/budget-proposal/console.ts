import type { InstanceSectionInput } from '../../src/engine/package';
import type { WebDeps } from '../../src/web/deps';
import { html, type SafeHtml } from '../../src/web/html';
import { rupiah } from '../../src/web/format';
import { usedAmount } from './ceilings';

/** The rule TAPD's approval runs (index.ts `rules`). */
const CEILING_RULE = 'withinCeiling';

/**
 * Beside the approval that runs the ceiling rule, for whoever may give it now: the OPD's ceiling
 * for the proposal's year, what approved (and ratified) proposals already commit of it, and what
 * remains once this proposal is approved, computed as the rule computes it.
 */
export async function ceilingSection(deps: WebDeps, { ctx, actor, instanceId }: InstanceSectionInput): Promise<SafeHtml> {
  const { row, def, view } = await deps.engine.get(actor, instanceId);
  const steps = def.steps[row.state] ?? {};
  if (!view.allowedEvents.some((e) => steps[e]?.rule === CEILING_RULE)) return html``;
  const year = row.fiscal_year;
  const total = row.total ?? 0;
  if (year === null) return html``;
  const [ceiling, used, org] = await Promise.all([
    deps.db.selectFrom('ceilings').select('amount').where('fiscal_year', '=', year).where('org_id', '=', row.org_id).executeTakeFirst(),
    usedAmount(deps.db, year, row.org_id, row.id),
    deps.db.selectFrom('orgs').select('name').where('id', '=', row.org_id).executeTakeFirst(),
  ]);
  const text = (key: string, params?: Record<string, string | number>) => ctx.text(row.workflow, key, params);
  const heading = html`<h2 id="h-ceiling">${text('ceiling.heading', { org: org?.name ?? row.org_id, year })}</h2>`;
  if (!ceiling) {
    return html`<section class="ceiling over" aria-labelledby="h-ceiling">${heading}<p class="error">${text('ceiling.missing', { year })}</p></section>`;
  }
  const remaining = ceiling.amount - used - total;
  return html`<section class="ceiling${remaining < 0 ? ' over' : ''}" aria-labelledby="h-ceiling">${heading}
<dl class="summary">
  <div><dt>${text('ceiling.amount')}</dt><dd id="ceiling-amount">${rupiah(ceiling.amount)}</dd></div>
  <div><dt>${text('ceiling.committed')}</dt><dd id="ceiling-committed">${rupiah(used)}</dd></div>
  <div><dt>${text('ceiling.this')}</dt><dd>${rupiah(total)}</dd></div>
  <div><dt>${text('ceiling.remaining')}</dt><dd class="remaining" id="ceiling-remaining">${rupiah(remaining)}</dd></div>
</dl>
${remaining < 0 ? html`<p class="error">${text('ceiling.over', { amount: rupiah(-remaining) })}</p>` : ''}
</section>`;
}
