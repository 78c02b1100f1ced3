import { Router, type Request, type Response } from 'express';
import { listInstances, type ListFilters, type Page } from '../../engine/read';
import { listingOf, listings } from '../../engine/listing';
import type { InstanceView } from '../../engine/view';
import { GrmsError, notFound } from '../../errors';
import { hasRole } from '../../auth/roles';
import { html, type SafeHtml } from '../html';
import { ctxOf, userOf, type WebContext } from '../context';
import { sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { rupiah, when } from '../format';
import { orgNames } from '../orgs';
import { inputField, selectField } from '../form-fields';
import { fieldError } from '../forms/errors';
import { serverMessage } from '../forms/messages';

/** The filters a list page reads from its query (each a single short value, else ignored). */
const FILTER_KEYS = ['q', 'state', 'org', 'year', 'overdue'] as const;
type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;

function filtersOf(req: Request): Filters {
  const out: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = req.query[k];
    if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim().slice(0, 200);
  }
  return out;
}

/** The path of a list with these filters (and a page cursor). */
export function listHref(workflow: string | undefined, filters: Filters & { limit?: string; cursor?: string }): string {
  const qs = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== undefined && v !== '') as Array<[string, string]>).toString();
  return `/list${workflow ? `/${encodeURIComponent(workflow)}` : ''}${qs ? `?${qs}` : ''}`;
}

interface StateNode {
  states?: Record<string, StateNode>;
}

/**
 * The states an instance of a workflow's versions (or of any workflow) can be in, in the order
 * their machines declare them: a nested state by its path ("payment.spp"), as instances store it,
 * each with the workflows that have it.
 */
function statesOf(deps: WebDeps, workflow: string | undefined): Map<string, Set<string>> {
  const states = new Map<string, Set<string>>();
  const walk = (name: string, nodes: Record<string, StateNode>, prefix: string) => {
    for (const [state, node] of Object.entries(nodes)) {
      if (node.states && Object.keys(node.states).length) walk(name, node.states, `${prefix}${state}.`);
      else states.set(`${prefix}${state}`, (states.get(`${prefix}${state}`) ?? new Set()).add(name));
    }
  };
  for (const def of deps.engine.registry.all()) {
    if (!workflow || def.name === workflow) walk(def.name, (def.machine.config as StateNode).states ?? {}, '');
  }
  return states;
}

/**
 * A state filter's label: the state as each workflow having it labels it ("Ditolak"), the
 * different labels side by side when workflows name one state alike but label it apart.
 */
const filterLabel = (ctx: WebContext, state: string, workflows: Set<string>) =>
  [...new Set([...workflows].map((w) => ctx.state(w, state)))].join(' / ');

/** Field errors of a refused filter, in the page's language, by the query key they belong to. */
function filterErrors(ctx: WebContext, err: GrmsError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of err.errors ?? []) {
    const key = e.path.replace(/^\//, '');
    if (key === 'q') out.q = ctx.t('list.qError');
    else if (key === 'year') out.year = serverMessage(ctx, e.message);
    else if (key === 'cursor' || key === 'limit') out.cursor = ctx.t('list.badCursor');
    else out[key] = serverMessage(ctx, e.message);
  }
  return out;
}

function resultsTable(ctx: WebContext, items: InstanceView[], orgs: Map<string, string>, allWorkflows: boolean, auditor: boolean): SafeHtml {
  const { t } = ctx;
  if (items.length === 0) return html`<p role="status">${t('list.empty')}</p>`;
  return html`<div class="table-wrap"><table class="list">
<caption class="visually-hidden">${t('list.shown', { n: items.length })}</caption>
<thead><tr><th scope="col">${t('col.title')}</th>${allWorkflows ? html`<th scope="col">${t('col.workflow')}</th>` : ''}<th scope="col">${t('col.org')}</th><th scope="col">${t('list.year')}</th><th scope="col" class="num">${t('col.amount')}</th><th scope="col">${t('col.state')}</th><th scope="col">${t('list.updated')}</th>${auditor ? html`<th scope="col">${t('nav.audit')}</th>` : ''}</tr></thead>
<tbody>${items.map((i) => html`<tr>
  <td data-label="${t('col.title')}"><a href="/instances/${i.id}">${i.title}</a></td>
  ${allWorkflows ? html`<td data-label="${t('col.workflow')}">${ctx.workflow(i.workflow)}</td>` : ''}
  <td data-label="${t('col.org')}">${orgs.get(i.org) ?? i.org}</td>
  <td data-label="${t('list.year')}">${i.fiscalYear ?? ''}</td>
  <td data-label="${t('col.amount')}" class="num">${rupiah(i.total)}</td>
  <td data-label="${t('col.state')}">${ctx.state(i.workflow, i.state)}</td>
  <td data-label="${t('list.updated')}">${when(i.updatedAt, ctx.timezone)}</td>
  ${auditor ? html`<td data-label="${t('nav.audit')}"><a href="/audit/report?instance=${i.id}">${t('list.auditReport')}</a><br><a href="/audit/export?format=csv&amp;instance=${i.id}">${t('list.auditExport')}</a></td>` : ''}
</tr>`)}</tbody>
</table></div>`;
}

/**
 * "Daftar usulan", "Daftar permohonan", "Daftar kontrak" (titles from each workflow's listing)
 * and the list of everything: the instances the user may read, filtered by state, OPD, year and
 * overdue and searched by number, registration, NIK/NIB or title, paged. The same query as
 * GET /api/v1/instances (listInstances); the search text is blanked in request logs (it may be a NIK).
 */
export function listPages(deps: WebDeps): Router {
  const r = Router();

  const show = async (req: Request, res: Response, workflow: string | undefined) => {
    const actor = userOf(res);
    const ctx = ctxOf(res);
    const { t } = ctx;
    if (workflow !== undefined && !deps.engine.registry.latest(workflow)) throw notFound();
    const listing = workflow ? listingOf(workflow, deps.engine.registry) : undefined;
    const filters = filtersOf(req);
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    // 25 a page unless the link asks for another size (1..200, as the API).
    const limit = typeof req.query.limit === 'string' && req.query.limit !== '' ? req.query.limit.slice(0, 10) : undefined;
    const query: ListFilters = { ...filters, workflow, cursor, limit: limit ?? '25' };
    let page: Page<InstanceView> = { items: [], nextCursor: null };
    let errors: Record<string, string> = {};
    try {
      page = await listInstances(deps.db, deps.engine.registry, actor, query, deps.engine.time);
    } catch (err) {
      if (!(err instanceof GrmsError) || err.status !== 400) throw err;
      errors = filterErrors(ctx, err);
    }
    const [orgs, opds] = await Promise.all([
      orgNames(deps.db, page.items.map((i) => i.org)),
      deps.db.selectFrom('orgs').select(['id', 'name']).where('kind', '=', 'opd').orderBy('name').execute(),
    ]);
    const title = listing ? listing.title[ctx.lang] : t('list.title');
    const here = listHref(workflow, {});
    const tab = (w: string | undefined, label: string) => html`<li><a href="${listHref(w, {})}"${w === workflow ? html` aria-current="page"` : ''}>${label}</a></li>`;
    const workflows = new Set(deps.engine.registry.all().map((d) => d.name));
    const auditor = hasRole(actor, 'auditor');
    const e = (k: string) => errors[k];
    sendPage(res, {
      status: Object.keys(errors).length ? 400 : 200,
      title,
      body: html`<nav aria-label="${t('list.tabs')}"><ul class="tabs">
  ${tab(undefined, t('list.all'))}
  ${listings(deps.engine.registry).filter((l) => workflows.has(l.workflow)).map((l) => tab(l.workflow, l.title[ctx.lang]))}
</ul></nav>
<form method="get" action="${here}" class="filters" aria-label="${t('list.filters')}" novalidate>
${inputField(ctx, { id: 'list-q', name: 'q', label: t('list.q'), value: filters.q, error: e('q'), hint: listing ? listing.searchHint[ctx.lang] : t('list.qHint'), attrs: html` maxlength="100" autocomplete="off"` })}
${selectField(ctx, { id: 'list-state', name: 'state', label: t('list.state'), value: filters.state, error: e('state'), empty: t('list.anyState'), options: [...statesOf(deps, workflow)].map(([s, ws]) => ({ value: s, label: filterLabel(ctx, s, ws) })) })}
${selectField(ctx, { id: 'list-org', name: 'org', label: t('list.org'), value: filters.org, error: e('org'), empty: t('list.anyOrg'), options: opds.map((o) => ({ value: o.id, label: o.name })) })}
${inputField(ctx, { id: 'list-year', name: 'year', label: t('list.year'), value: filters.year, error: e('year'), hint: t('list.yearHint'), attrs: html` inputmode="numeric" maxlength="4" autocomplete="off"` })}
<div class="field check"><input type="checkbox" id="list-overdue" name="overdue" value="true"${filters.overdue === 'true' ? html` checked` : ''}${e('overdue') ? html` aria-invalid="true" aria-describedby="list-overdue-error"` : ''}><label for="list-overdue">${t('list.overdue')}</label>${fieldError('list-overdue', e('overdue'))}</div>
<div class="field actions"><button type="submit">${t('list.show')}</button> <a href="${here}">${t('list.reset')}</a></div>
</form>
${e('cursor') ? html`<p class="error" role="alert">${e('cursor')} <a href="${listHref(workflow, filters)}">${t('list.first')}</a></p>` : ''}
${Object.keys(errors).length ? '' : resultsTable(ctx, page.items, orgs, workflow === undefined, auditor)}
${page.nextCursor ? html`<p><a href="${listHref(workflow, { ...filters, limit, cursor: page.nextCursor })}" rel="next">${t('list.more')}</a></p>` : ''}
${cursor && !e('cursor') ? html`<p><a href="${listHref(workflow, filters)}">${t('list.first')}</a></p>` : ''}`,
    });
  };

  r.get('/list', (req, res) => show(req, res, undefined));
  r.get('/list/:workflow', (req, res) => show(req, res, req.params.workflow));
  return r;
}
