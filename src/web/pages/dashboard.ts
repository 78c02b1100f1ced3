import { Router, type Request, type Response } from 'express';
import { dashboardOrgs, instancesPerState, overduePerOffice, type StateCount } from '../../engine/dashboard';
import type { DashboardFigure, WorkflowPackage } from '../../engine/package';
import { openingYear } from '../../engine/years';
import { badRequest, forbidden, notFound } from '../../errors';
import { saidInConsole } from '../i18n/problems';
import { html, raw, type SafeHtml } from '../html';
import { ctxOf, userOf, type WebContext } from '../context';
import { sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { rupiah } from '../format';
import { renderBarChart } from '../bar-chart';
import { inputField, selectField } from '../form-fields';
import { listHref } from './lists';
import { xlsxOf, type SheetCell, type SheetColumn } from '../xlsx';

interface Scope {
  /** The year asked for; without one each workflow (and its package's figures) shows in its opening year (openingYear). */
  year?: number;
  /** The OPD chosen in the form, if any. */
  org?: string;
  /** What the queries may count: undefined = every OPD. */
  orgs?: string[];
  /** The OPDs the form offers. */
  choices: Array<{ value: string; label: string }>;
  yearError?: string;
}

/** Year and OPD from the query, limited to what the user may read (403 for another OPD). */
async function scopeOf(deps: WebDeps, req: Request, res: Response): Promise<Scope> {
  const actor = userOf(res);
  const allowed = dashboardOrgs(actor);
  const asked = typeof req.query.year === 'string' && req.query.year !== '' ? req.query.year : undefined;
  const parsed = asked !== undefined && /^\d{4}$/.test(asked) ? Number(asked) : NaN;
  const yearOk = asked === undefined || (parsed >= 2000 && parsed <= 2100);
  const year = asked !== undefined && yearOk ? parsed : undefined;
  let q = deps.db.selectFrom('orgs').select(['id', 'name']).orderBy('name');
  if (allowed) q = q.where('id', 'in', allowed.length ? allowed : ['']);
  const choices = (await q.execute()).map((o) => ({ value: o.id, label: o.name }));
  const org = typeof req.query.org === 'string' && req.query.org !== '' ? req.query.org : undefined;
  if (org !== undefined && !choices.some((c) => c.value === org)) throw saidInConsole(forbidden(ctxOf(res).t('error.notFoundDetail')), ctxOf(res).t('error.notFoundDetail'));
  return { year, org, orgs: org ? [org] : allowed, choices, yearError: yearOk ? undefined : 'must be 2000..2100' };
}

function columns(ctx: WebContext) {
  const { t } = ctx;
  return {
    states: [{ header: t('col.org'), kind: 'text' }, { header: t('col.workflow'), kind: 'text', width: 24 }, { header: t('list.year'), kind: 'text', width: 8 }, { header: t('col.state'), kind: 'text', width: 28 }, { header: t('dash.count'), kind: 'integer', width: 12 }] as SheetColumn[],
    overdue: [{ header: t('col.org'), kind: 'text' }, { header: t('col.workflow'), kind: 'text', width: 24 }, { header: t('dash.step'), kind: 'text', width: 28 }, { header: t('dash.count'), kind: 'integer', width: 12 }] as SheetColumn[],
  };
}

/** A package's figure: its columns after the OPD's, and its rows. */
const figureColumns = (ctx: WebContext, f: DashboardFigure): SheetColumn[] =>
  [{ header: ctx.t('col.org'), kind: 'text' }, ...f.text[ctx.lang].columns.map((header) => ({ header, kind: f.kind }))];
const figureRows = async (deps: WebDeps, f: DashboardFigure, scope: { year: number; orgs?: string[] }): Promise<SheetCell[][]> =>
  (await f.rows(deps.db, scope)).map((r) => [r.orgName, ...r.values]);
const fill = (text: string, year: number) => text.replace(/\{year\}/g, String(year));
const countRows = (ctx: WebContext, rows: StateCount[]): SheetCell[][] =>
  rows.map((r) => [r.orgName, ctx.workflow(r.workflow), ...(r.year === undefined ? [] : [String(r.year)]), ctx.state(r.workflow, r.state), r.count]);

/** A package's figures, each with the year it shows: the one asked, else its package's opening year. */
interface Figure {
  f: DashboardFigure;
  year: number;
}

/** The year of every workflow the state counts cover: the one asked, else each workflow's opening year. */
const countYears = (deps: WebDeps, scope: Scope): number | Map<string, number> =>
  scope.year ?? new Map(deps.engine.registry.packages.map((p) => [p.name, openingYear(p.years, deps.engine.time)]));
const statesOf = (deps: WebDeps, scope: Scope) => instancesPerState(deps.db, scope, countYears(deps, scope), deps.timezone);

/** A table from the same columns and rows the .xlsx gets; numbers right-aligned, labelled for phones. */
function tableView(ctx: WebContext, cols: SheetColumn[], rows: SheetCell[][], caption: string, links?: string[], missing = ''): SafeHtml {
  if (rows.length === 0) return html`<p>${ctx.t('dash.empty')}</p>`;
  const cell = (c: SheetColumn, v: SheetCell) => (v === null ? missing : c.kind === 'rupiah' ? rupiah(v as number) : String(v));
  // The last cell of a row with a link opens the list of what it counts.
  const shown = (r: number, i: number, v: SheetCell) => (links?.[r] && i === cols.length - 1
    ? html`<a href="${links[r]!}" title="${ctx.t('dash.openList')}">${cell(cols[i]!, v)}</a>` : cell(cols[i]!, v));
  return html`<div class="table-wrap"><table><caption class="visually-hidden">${caption}</caption>
<thead><tr>${cols.map((c) => html`<th scope="col"${c.kind === 'text' ? '' : html` class="num"`}>${c.header}</th>`)}</tr></thead>
<tbody>${rows.map((r, n) => html`<tr>${r.map((v, i) => (i === 0
    ? html`<th scope="row" data-label="${cols[i]!.header}">${cell(cols[i]!, v)}</th>`
    : html`<td data-label="${cols[i]!.header}"${cols[i]!.kind === 'text' ? '' : html` class="num"`}>${shown(n, i, v)}</td>`))}</tr>`)}</tbody>
</table></div>`;
}

const SERIES_COLOURS = ['#5a6570', '#0b5394', '#1b6b2f', '#7a4f01', '#6b1b5a'];

/** A package's figure as a section: a bar chart, the table and its .xlsx link. */
function figureView(ctx: WebContext, f: DashboardFigure, year: number, rows: SheetCell[][], download: SafeHtml): SafeHtml {
  const text = f.text[ctx.lang];
  const format = (v: number) => (f.kind === 'rupiah' ? rupiah(v) : String(v));
  const chart = rows.length ? renderBarChart({
    id: `${f.id}-chart`, title: fill(text.chartTitle, year), desc: fill(text.description, year),
    series: text.columns.map((name, i) => ({ name, colour: SERIES_COLOURS[i % SERIES_COLOURS.length]! })),
    groups: rows.map(([label, ...values]) => ({ label: String(label), values: values as Array<number | null> })), format, missing: text.missing,
  }) : '';
  return html`<section aria-labelledby="h-${f.id}"><h2 id="h-${f.id}">${text.title}</h2>
<p>${fill(text.description, year)}</p>
${chart ? html`<div class="chart-wrap">${raw(chart)}</div>` : ''}
${tableView(ctx, figureColumns(ctx, f), rows, text.title, undefined, text.missing)}
${download}
</section>`;
}

/** The packages' figures (e.g. budget ceilings), instances per state, overdue tasks; each table as .xlsx too. */
export function dashboardPages(deps: WebDeps): Router {
  const r = Router();
  // Read per request: registering the routes reads nothing of deps.
  const figuresOf = (scope: Scope): Figure[] => deps.engine.registry.packages.flatMap((p: WorkflowPackage) =>
    (p.dashboard ?? []).map((f) => ({ f, year: scope.year ?? openingYear(p.years, deps.engine.time) })));

  r.get('/dashboard', async (req, res) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    const scope = await scopeOf(deps, req, res);
    const figures = figuresOf(scope);
    const [figureData, states, overdue] = await Promise.all([
      Promise.all(figures.map(({ f, year }) => figureRows(deps, f, { year, orgs: scope.orgs }))), statesOf(deps, scope), overduePerOffice(deps.db, scope, deps.engine.time.clock()),
    ]);
    const cols = columns(ctx);
    const qs = new URLSearchParams({ ...(scope.year !== undefined && { year: String(scope.year) }), ...(scope.org && { org: scope.org }) }).toString();
    const scopeNames = scope.orgs ? scope.choices.filter((c) => scope.orgs!.includes(c.value)).map((c) => c.label).join(', ') : t('dash.everyOrg');
    const download = (name: string) => html`<p><a href="/dashboard/${name}.xlsx${qs ? `?${qs}` : ''}" download>${t('dash.xlsx')}</a></p>`;
    sendPage(res, {
      status: scope.yearError ? 400 : 200,
      title: t('dash.title'),
      body: html`<form method="get" action="/dashboard" class="filters" aria-label="${t('dash.filters')}" novalidate>
${inputField(ctx, { id: 'dash-year', name: 'year', label: t('dash.year'), hint: t('dash.yearHint'), value: scope.yearError ? String(req.query.year ?? '') : scope.year === undefined ? '' : String(scope.year), error: scope.yearError, attrs: html` inputmode="numeric" maxlength="4" autocomplete="off"` })}
${selectField(ctx, { id: 'dash-org', name: 'org', label: t('col.org'), value: scope.org, empty: scope.choices.length > 1 ? t('dash.allOrgs') : undefined, options: scope.choices })}
<div class="field"><button type="submit">${t('dash.show')}</button></div>
</form>
<p>${t('dash.scope', { orgs: scopeNames })}</p>
${figures.map(({ f, year }, i) => figureView(ctx, f, year, figureData[i]!, download(f.id)))}
<section aria-labelledby="h-states"><h2 id="h-states">${t('dash.states')}</h2>
<p>${scope.year === undefined ? t('dash.statesIntroOpening') : t('dash.statesIntro', { year: scope.year })}</p>
${tableView(ctx, cols.states, countRows(ctx, states), t('dash.states'), states.map((c) => listHref(c.workflow, { state: c.state, org: c.org, year: String(c.year) })))}
${download('states')}
</section>
<section aria-labelledby="h-overdue"><h2 id="h-overdue">${t('dash.overdue')}</h2>
<p>${t('dash.overdueIntro')}</p>
${tableView(ctx, cols.overdue, countRows(ctx, overdue), t('dash.overdue'), overdue.map((c) => listHref(c.workflow, { state: c.state, org: c.org, overdue: 'true' })))}
${download('overdue')}
</section>`,
    });
  });

  const sheet = (name: string, figureId?: string) => async (req: Request, res: Response) => {
    const ctx = ctxOf(res);
    const scope = await scopeOf(deps, req, res);
    const figure = figureId === undefined ? undefined : figuresOf(scope).find((x) => x.f.id === figureId);
    if (scope.yearError) throw badRequest(`year ${scope.yearError}`, [{ path: '/year', message: scope.yearError }]);
    const { title, cols, rows } = figure
      ? { title: figure.f.text[ctx.lang].title, cols: figureColumns(ctx, figure.f), rows: await figureRows(deps, figure.f, { year: figure.year, orgs: scope.orgs }) }
      : name === 'states'
        ? { title: ctx.t('dash.states'), cols: columns(ctx).states, rows: countRows(ctx, await statesOf(deps, scope)) }
        : { title: ctx.t('dash.overdue'), cols: columns(ctx).overdue, rows: countRows(ctx, await overduePerOffice(deps.db, scope, deps.engine.time.clock())) };
    const file = await xlsxOf(title, cols, rows);
    // Named by the year shown: the one asked, a figure's own, else none (each workflow in its opening year).
    const year = figure?.year ?? scope.year;
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .set('Content-Disposition', `attachment; filename="grms-${name}${year === undefined ? '' : `-${year}`}${scope.org ? `-${scope.org.replace(/[^A-Za-z0-9_-]/g, '')}` : ''}.xlsx"`)
      .set('Cache-Control', 'no-store')
      .send(file);
  };
  r.get('/dashboard/states.xlsx', sheet('states'));
  r.get('/dashboard/overdue.xlsx', sheet('overdue'));
  // A workflow package's figure (WorkflowPackage.dashboard), by its id.
  r.get('/dashboard/:figure.xlsx', async (req, res) => {
    const id = req.params.figure;
    if (!deps.engine.registry.packages.some((p) => p.dashboard?.some((f) => f.id === id))) throw notFound(`No dashboard table ${id}`);
    await sheet(id, id)(req, res);
  });
  return r;
}
