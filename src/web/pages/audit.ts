import { Router, type Response } from 'express';
import { verifyAudit, type VerifyResult } from '../../audit/verify';
import { exportAudit } from '../../audit/export';
import { verifyPeopleChain, type PeopleChainResult } from '../../auth/people';
import { logStatus, type LogStatus } from '../../audit/log/service';
import { verifyCeilingChain } from '../../audit/ceiling-events';
import { verifyOrgChain } from '../../auth/orgs';
import type { SideChainResult } from '../../audit/side-chain';
import { parseExportFilters } from '../../api/audit';
import { auditReport } from '../../documents/audit-report';
import { GrmsError } from '../../errors';
import { html, type SafeHtml } from '../html';
import { ctxOf, userWithRole, type WebContext } from '../context';
import { sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { toFieldErrors, type FieldErrors } from '../forms/errors';
import { errorSummary, inputField, selectField } from '../form-fields';
import { serverMessage } from '../forms/messages';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILTERS = ['from', 'to', 'workflow', 'org', 'actor', 'instance'] as const;

interface AuditPageState {
  chain?: { audit: VerifyResult; people: PeopleChainResult; orgs: SideChainResult; ceilings: SideChainResult };
  /** The export form's values as submitted (kept when refused). */
  query: Record<string, string>;
  exportErrors?: FieldErrors;
  reportInstance?: string;
  reportError?: string;
}

function chainView(ctx: WebContext, chain: NonNullable<AuditPageState['chain']>): SafeHtml {
  const { t } = ctx;
  const ok = chain.audit.ok && chain.people.ok && chain.orgs.ok && chain.ceilings.ok;
  const first = chain.audit.broken[0];
  const person = chain.people.broken[0];
  const org = chain.orgs.broken[0];
  const ceiling = chain.ceilings.broken[0];
  return html`<section class="verdict ${ok ? 'valid' : 'invalid'}" role="status" aria-live="polite" id="chain-status">
<h3>${ok ? t('audit.ok') : t('audit.broken')}</h3>
<p>${t('audit.checked', { rows: chain.audit.checked, checkpoints: chain.audit.checkpoints, people: chain.people.checked })}</p>
<p class="hint" id="chain-trust">${t('audit.serverTrust')}</p>
${first ? html`<table class="facts"><caption>${t('audit.firstBroken')}</caption>
<tr><th scope="row">${t('audit.instance')}</th><td><a href="/instances/${first.instanceId}">${first.instanceId}</a></td></tr>
${first.seq !== undefined ? html`<tr><th scope="row">${t('audit.seq')}</th><td>${first.seq}</td></tr>` : ''}
${first.checkpointId !== undefined ? html`<tr><th scope="row">Checkpoint</th><td>#${first.checkpointId}</td></tr>` : ''}
<tr><th scope="row">${t('audit.reason')}</th><td>${first.reason}</td></tr></table>
${chain.audit.broken.length > 1 ? html`<p>+ ${chain.audit.broken.length - 1}</p>` : ''}` : ''}
${person ? html`<table class="facts"><caption>${t('audit.peopleChain')}</caption>
<tr><th scope="row">${t('audit.seq')}</th><td>${person.seq}</td></tr><tr><th scope="row">${t('audit.reason')}</th><td>${person.reason}</td></tr></table>` : ''}
${org ? html`<table class="facts"><caption>${t('audit.orgChain')}</caption>
<tr><th scope="row">${t('audit.seq')}</th><td>${org.seq}</td></tr><tr><th scope="row">${t('audit.reason')}</th><td>${org.reason}</td></tr></table>` : ''}
${ceiling ? html`<table class="facts"><caption>${t('audit.ceilingChain')}</caption>
<tr><th scope="row">${t('audit.seq')}</th><td>${ceiling.seq}</td></tr><tr><th scope="row">${t('audit.reason')}</th><td>${ceiling.reason}</td></tr></table>` : ''}
</section>`;
}

/**
 * The public log as the auditor should know it: its size and latest checkpoint, who witnesses it
 * (or, plainly, that nobody does) and a fatal alarm that stopped checkpointing.
 */
function logView(ctx: WebContext, log: LogStatus): SafeHtml {
  const { t } = ctx;
  return html`<section aria-labelledby="h-log" id="log-status"><h2 id="h-log">${t('audit.log')}</h2>
${log.halted ? html`<div class="verdict invalid" role="alert" id="log-halted"><p>${t('audit.logHalted', { reported: String(log.halted.reportedSize), size: String(log.size) })}</p>${ctx.lang === 'en' ? html`<p>${log.halted.detail}</p>` : ''}</div>` : ''}
<p>${t('audit.logSize', { size: String(log.size), checkpoint: log.checkpointSize === null ? '—' : String(log.checkpointSize) })}</p>
${log.witnesses.length
    ? html`<ul>${log.witnesses.map((w) => html`<li>${w.name}: ${w.cosignedSize === null ? t('audit.logNotCosigned') : t('audit.logCosigned', { size: String(w.cosignedSize) })}</li>`)}</ul>`
    : html`<p class="hint" id="log-unwitnessed">${t('audit.logUnwitnessed')}</p>`}
</section>`;
}

async function sendAuditPage(deps: WebDeps, res: Response, state: AuditPageState, status = 200): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const log = await logStatus(deps.log);
  const orgs = await deps.db.selectFrom('orgs').select(['id', 'name']).orderBy('name').execute();
  const workflows = [...new Set(deps.engine.registry.all().map((d) => d.name))];
  const q = state.query;
  const e = state.exportErrors ?? {};
  const reportId = 'report-instance';
  sendPage(res, {
    status,
    title: t('audit.title'),
    body: html`${logView(ctx, log)}
<section aria-labelledby="h-chain"><h2 id="h-chain">${t('audit.chain')}</h2>
<p>${t('audit.chainIntro')}</p>
${state.chain ? chainView(ctx, state.chain) : ''}
<form method="get" action="/audit" class="narrow"><input type="hidden" name="check" value="1"><button type="submit">${t('audit.check')}</button></form>
</section>
<section aria-labelledby="h-export"><h2 id="h-export">${t('audit.export')}</h2>
<p>${t('audit.exportIntro')}</p>
${errorSummary(ctx, {}, Object.keys(e).length ? t('audit.filtersInvalid') : undefined)}
<form method="get" action="/audit/export" class="narrow" novalidate>
${selectField(ctx, { id: 'export-format', name: 'format', label: t('audit.format'), value: q.format ?? 'csv', error: e['/format'], options: [{ value: 'csv', label: t('audit.formatCsv') }, { value: 'jsonl', label: t('audit.formatJsonl') }] })}
${inputField(ctx, { id: 'export-from', name: 'from', type: 'date', label: t('audit.from'), value: q.from, error: e['/from'] })}
${inputField(ctx, { id: 'export-to', name: 'to', type: 'date', label: t('audit.to'), value: q.to, error: e['/to'] })}
${selectField(ctx, { id: 'export-workflow', name: 'workflow', label: t('col.workflow'), value: q.workflow, error: e['/workflow'], empty: t('audit.any'), options: workflows.map((w) => ({ value: w, label: ctx.workflow(w) })) })}
${selectField(ctx, { id: 'export-org', name: 'org', label: t('col.org'), value: q.org, error: e['/org'], empty: t('audit.any'), options: orgs.map((o) => ({ value: o.id, label: o.name })) })}
${inputField(ctx, { id: 'export-actor', name: 'actor', label: t('audit.actor'), value: q.actor, error: e['/actor'], attrs: html` maxlength="200" autocomplete="off"` })}
${inputField(ctx, { id: 'export-instance', name: 'instance', label: t('audit.instance'), value: q.instance, error: e['/instance'], hint: t('audit.instanceHint'), attrs: html` maxlength="200" autocomplete="off"` })}
<button type="submit">${t('audit.download')}</button>
</form>
</section>
<section aria-labelledby="h-report"><h2 id="h-report">${t('audit.report')}</h2>
<p>${t('audit.reportIntro')}</p>
<p><a href="/list">${t('audit.pickFromList')}</a></p>
<form method="get" action="/audit/report" class="narrow" novalidate>
${inputField(ctx, { id: reportId, name: 'instance', label: t('audit.instance'), value: state.reportInstance, error: state.reportError, required: true, hint: t('audit.instanceHint'), attrs: html` maxlength="200" autocomplete="off"` })}
<button type="submit">${t('audit.reportDownload')}</button>
</form>
</section>`,
  });
}

function keptQuery(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['format', ...FILTERS]) if (typeof query[k] === 'string') out[k] = (query[k] as string).slice(0, 200);
  return out;
}

/** The auditor's page: chain status, the export download, an instance's audit report. */
export function auditPages(deps: WebDeps): Router {
  const r = Router();

  r.get('/audit', async (req, res) => {
    userWithRole(res, 'auditor');
    let chain: AuditPageState['chain'];
    if (req.query.check === '1') {
      // The same checks as GET /api/v1/audit/verify.
      // The server's own key (derived from its private key): this check trusts the operator, and the page says so.
      chain = { audit: await verifyAudit(deps.db, deps.checkpointKey.publicKeyPem), people: await verifyPeopleChain(deps.db), orgs: await verifyOrgChain(deps.db), ceilings: await verifyCeilingChain(deps.db) };
    }
    await sendAuditPage(deps, res, { chain, query: {} });
  });

  r.get('/audit/export', async (req, res) => {
    userWithRole(res, 'auditor');
    const query = req.query as Record<string, unknown>;
    const format = query.format === undefined || query.format === '' ? 'csv' : query.format;
    let filters;
    const errors: FieldErrors = format === 'csv' || format === 'jsonl' ? {} : { '/format': serverMessage(ctxOf(res), 'must be csv or jsonl') };
    try {
      filters = parseExportFilters(query);
    } catch (err) {
      if (!(err instanceof GrmsError) || err.status >= 500) throw err;
      Object.assign(errors, toFieldErrors(err.errors, '', (m) => serverMessage(ctxOf(res), m)));
    }
    if (!filters || (format !== 'csv' && format !== 'jsonl') || Object.keys(errors).length) {
      await sendAuditPage(deps, res, { query: keptQuery(query), exportErrors: errors }, 400);
      return;
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200)
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="grms-audit-${stamp}.${format}"`)
      .set('Cache-Control', 'no-store');
    await exportAudit(deps.db, { write: (text) => res.write(text), drain: () => new Promise((resolve) => res.once('drain', resolve)) }, {
      format, filters, policy: deps.logPolicy, timeZone: deps.timezone,
    });
    res.end();
  });

  r.get('/audit/report', async (req, res) => {
    const actor = userWithRole(res, 'auditor');
    const id = typeof req.query.instance === 'string' ? req.query.instance.trim() : '';
    if (!UUID.test(id)) {
      await sendAuditPage(deps, res, { query: {}, reportInstance: id.slice(0, 200), reportError: 'must be an instance id' }, 400);
      return;
    }
    let instance;
    try {
      instance = await deps.engine.get(actor, id);
    } catch (err) {
      if (!(err instanceof GrmsError) || err.status !== 404) throw err;
      await sendAuditPage(deps, res, { query: {}, reportInstance: id, reportError: ctxOf(res).t('error.notFoundDetail') }, 404);
      return;
    }
    // The same document as GET /api/v1/instances/:id/audit.pdf, including the link it prints
    // (on the configured public URL: the request's Host header is the client's to choose).
    const signed = await auditReport(deps.db, deps.authority, deps.pool, { ...instance, pkg: deps.engine.registry.package(instance.row.workflow) }, actor.fullName,
      `${deps.publicUrl}/api/v1/instances/${instance.row.id}/audit.pdf`, { place: deps.documentPlace, time: deps.engine.time });
    res.type('application/pdf')
      .set('Content-Disposition', `attachment; filename="audit-${instance.row.id}.pdf"`)
      .set('X-Content-SHA256', signed.sha256)
      .set('Cache-Control', 'no-store')
      .send(signed.pdf);
  });

  return r;
}
