import { Router } from 'express';
import { listTasks } from '../../engine/read';
import { html } from '../html';
import { ctxOf, userOf } from '../context';
import { sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { rupiah, when } from '../format';
import { orgNames, submissions, userNames } from '../orgs';
import { returnsOf, returnView } from '../returns';

/** The tasks waiting for the signed-in user (the same query as GET /api/v1/tasks). */
export function inboxPages(deps: WebDeps): Router {
  const r = Router();
  r.get('/inbox', async (req, res) => {
    const actor = userOf(res);
    const ctx = ctxOf(res);
    const { t } = ctx;
    const workflow = typeof req.query.workflow === 'string' && req.query.workflow ? req.query.workflow : undefined;
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const now = deps.engine.time.clock();
    const [page, all] = await Promise.all([
      listTasks(deps.db, deps.engine.registry, actor, { workflow, cursor }, now),
      // The filter tabs show every workflow's count, whichever one is selected.
      workflow ? listTasks(deps.db, deps.engine.registry, actor, { limit: '1' }, now) : undefined,
    ]);
    const counts = (all ?? page).counts;
    // Counts stop at the cap: a count equal to it means "that many or more".
    const shown = (n: number) => (n >= counts.cap ? `${counts.cap}+` : String(n));
    const [orgs, sent] = await Promise.all([orgNames(deps.db, page.items.map((i) => i.org)), submissions(deps.db, page.items.map((i) => i.id))]);
    const [people, returned] = await Promise.all([
      userNames(deps.db, [...sent.values()].map((s) => s.by)),
      // Sent back to its submitter: marked with who returned it, when, and their note.
      returnsOf(deps.db, deps.engine.registry, page.items.map((i) => ({ id: i.id, workflow: i.workflow, workflow_version: i.workflowVersion }))),
    ]);
    const returnMark = (id: string) => {
      const mark = returned.marks.get(id);
      return mark ? returnView(ctx, mark, returned.people) : '';
    };
    const submitted = (id: string) => {
      const s = sent.get(id);
      return s ? html`${people.get(s.by) ?? s.by}<br><small>${when(s.at, ctx.timezone)}</small>` : '';
    };
    const tab = (name: string | undefined, label: string, n: string) =>
      html`<li><a href="/inbox${name ? `?workflow=${encodeURIComponent(name)}` : ''}"${workflow === name ? html` aria-current="true"` : ''}>${label} <span class="count">${n}</span></a></li>`;
    const nextHref = page.nextCursor ? `/inbox?${new URLSearchParams({ ...(workflow && { workflow }), cursor: page.nextCursor })}` : undefined;
    sendPage(res, {
      title: t('inbox.title'),
      body: html`<p>${t('inbox.counts', { total: shown(counts.total), overdue: shown(counts.overdue) })}</p>
<nav aria-label="${t('inbox.filter')}"><ul class="tabs">
  ${tab(undefined, t('inbox.all'), shown(counts.total))}
  ${Object.entries(counts.byWorkflow).map(([name, n]) => tab(name, ctx.workflow(name), shown(n)))}
</ul></nav>
${page.items.length === 0
  ? html`<p>${t('inbox.empty')}</p>`
  : html`<div class="table-wrap"><table class="tasks">
  <thead><tr><th scope="col">${t('col.title')}</th><th scope="col">${t('col.workflow')}</th><th scope="col">${t('col.org')}</th><th scope="col" class="num">${t('col.amount')}</th><th scope="col">${t('col.state')}</th><th scope="col">${t('inbox.submitted')}</th><th scope="col">${t('col.due')}</th></tr></thead>
  <tbody>${page.items.map((i) => html`<tr${i.overdue ? html` class="overdue"` : ''}${returned.marks.has(i.id) ? html` data-returned="true"` : ''}>
    <td data-label="${t('col.title')}"><a href="/instances/${i.id}">${i.title}</a>${returnMark(i.id)}</td>
    <td data-label="${t('col.workflow')}">${ctx.workflow(i.workflow)}</td>
    <td data-label="${t('col.org')}">${orgs.get(i.org) ?? i.org}</td>
    <td data-label="${t('col.amount')}" class="num">${rupiah(i.total)}</td>
    <td data-label="${t('col.state')}">${ctx.state(i.workflow, i.state)}</td>
    <td data-label="${t('inbox.submitted')}">${submitted(i.id)}</td>
    <td data-label="${t('col.due')}">${when(i.dueAt, ctx.timezone)}${i.overdue ? html` <strong class="badge overdue">${t('overdue')}</strong>` : ''}${i.escalated ? html` <strong class="badge overdue">${t('escalated')}</strong>` : ''}</td>
  </tr>`)}</tbody>
</table></div>`}
${nextHref ? html`<p><a href="${nextHref}" rel="next">${t('inbox.more')}</a></p>` : ''}`,
    });
  });
  return r;
}
