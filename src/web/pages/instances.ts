import { hideConfidential } from '../../engine/confidential';
import { Router, type Response } from 'express';
import { sql, type Kysely } from 'kysely';
import type { Database, InstanceRow } from '../../db/types';
import { hasRole, type Actor } from '../../auth/roles';
import type { WorkflowDefinition } from '../../engine/definition';
import { instanceHistory, type HistoryItem } from '../../engine/read';
import { kindPrefix } from '../../auth/delegation-kind';
import { GrmsError } from '../../errors';
import { html, raw, type SafeHtml } from '../html';
import { ctxOf, userOf, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { rupiah, when } from '../format';
import { orgNames, userNames } from '../orgs';
import { diagramModel, renderDiagram, renderStepList } from '../diagram';
import { fieldError } from '../forms/errors';
import { renderData } from '../forms/view';
import type { FieldSchema } from '../forms/schema';
import { problemText } from '../i18n/problems';
import { orgFieldsOf } from '../../engine/definition';
import { commentErrorText, MAX_COMMENT_LENGTH, typedComment } from '../comment-field';
import { IdempotencyRace } from '../../engine/engine';
import { earlierResult, engineOnce, formScope, formTokenField, sendAgain, submittedFormToken } from '../form-token';
import { takeNotice } from '../notices';
import type { InstanceSectionInput } from '../../engine/package';
import { lastSubmissions } from '../../engine/submissions';
import { diffData } from '../../engine/data-diff';
import { renderDiff } from '../forms/diff-view';
import { returnsOf, returnView } from '../returns';
import { CITIZEN_ROLE, PUBLIC_ACTOR } from '../../auth/roles';

/** Every transition of an instance (the history API pages by 200). */
async function fullHistory(db: Kysely<Database>, id: string): Promise<HistoryItem[]> {
  const out: HistoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await instanceHistory(db, id, { limit: '200', cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** A one-line message above the page, or one made from the instance's workflow (an event's label). */
type Notice = string | ((workflow: string) => string);

interface ActionState {
  /** The event the user tried and the comment they wrote, kept when it was refused. */
  event?: string;
  comment?: string;
  commentError?: string;
  error?: string;
  /** The action form's token, kept when a refused action is shown again. */
  token?: string;
}

/**
 * Events fired with just a button (and a comment); events that carry data open a form instead.
 * An event that needs a reason (a return, a refusal) is the quieter, secondary button.
 */
function actionsView(ctx: WebContext, def: WorkflowDefinition, row: InstanceRow, allowed: string[], state: ActionState): SafeHtml {
  const { t } = ctx;
  const label = (e: string) => ctx.event(row.workflow, e);
  const steps = def.steps[row.state] ?? {};
  const withData = allowed.filter((e) => steps[e]?.replacesData || steps[e]?.payload);
  const plain = allowed.filter((e) => !withData.includes(e));
  if (allowed.length === 0) return html`<p>${t('instance.noActions')}</p>`;
  const needsComment = plain.filter((e) => steps[e]?.requiresComment);
  return html`${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
${withData.length ? html`<ul class="actions">${withData.map((e) => html`<li><a class="button" href="/instances/${row.id}/events/${e}">${label(e)}</a></li>`)}</ul>` : ''}
${plain.length ? html`<form method="post" action="/instances/${row.id}/events" class="event-form" data-once="/instances/${row.id}/events@${row.version}">
  ${csrfField(ctx)}${formTokenField(state.token)}
  <input type="hidden" name="version" value="${row.version}">
  <div class="field"><label for="comment">${t('instance.comment')}</label>
  <textarea id="comment" name="comment" rows="3" maxlength="${MAX_COMMENT_LENGTH}" aria-describedby="comment-hint${state.commentError ? ' comment-error' : ''}"${state.commentError ? html` aria-invalid="true"` : ''}>${state.comment ?? ''}</textarea>
  <small id="comment-hint">${needsComment.length ? `${t('instance.commentRequired')}: ${needsComment.map(label).join(', ')}` : ''}</small>
  ${fieldError('comment', state.commentError)}</div>
  <div class="buttons">${plain.map((e) => html`<button type="submit" name="event" value="${e}"${steps[e]?.requiresComment ? html` class="secondary"` : ''}>${label(e)}</button>`)}</div>
</form>` : ''}`;
}

/**
 * A returned instance: who returned it and their note. A resubmitted one: what changed since the
 * submission before (the two latest stored submissions, each as its reader may see it).
 */
async function returnAndChanges(deps: WebDeps, ctx: WebContext, actor: Actor, def: WorkflowDefinition, row: InstanceRow): Promise<SafeHtml> {
  const returned = await returnsOf(deps.db, deps.engine.registry, [row]);
  const mark = returned.marks.get(row.id);
  if (mark) return returnView(ctx, mark, returned.people, 'h2');
  const [latest, previous] = await lastSubmissions(deps.db, row.id);
  if (!latest || !previous) return html``;
  const entries = diffData(hideConfidential(def, previous.data, actor), hideConfidential(def, latest.data, actor), def.schema as FieldSchema);
  return html`<section class="changes" aria-labelledby="h-changes"><h2 id="h-changes">${ctx.t('diff.title')}</h2>
<p>${ctx.t('diff.intro', { now: when(latest.at, ctx.timezone), before: when(previous.at, ctx.timezone) })}</p>
${renderDiff(ctx, row.workflow, def.schema as FieldSchema, entries)}
</section>`;
}

/** What the instance page hands its workflow package's section (src/engine/package.ts `instanceSection`). */
export type SectionState = Pick<InstanceSectionInput, 'created' | 'typed' | 'error'>;

/**
 * Sends the instance page; `state` keeps a refused action's input and says why it was refused,
 * `section` what the workflow package's own section shows (a refused form of it, once a receipt).
 */
export async function renderInstance(
  deps: WebDeps, res: Response, actor: Actor, id: string, state: ActionState = {}, status = 200, notice?: Notice, section: SectionState = {},
): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const { row, def, view } = await deps.engine.get(actor, id);
  const pkg = deps.engine.registry.package(row.workflow);
  const [history, docs, orgs, sectionPart, changes] = await Promise.all([
    fullHistory(deps.db, row.id),
    deps.db.selectFrom('documents').select(['id', 'seq', 'number', 'title', 'stage', 'signer_name', 'created_at'])
      // Whether a checkpoint covers the document's leaf yet: only then is there an evidence bundle to download.
      .select(sql<boolean>`EXISTS (SELECT 1 FROM log_leaves l WHERE l.source = 'documents' AND l.source_key = documents.id::text
        AND l.idx < (SELECT coalesce(max(size), 0) FROM log_checkpoints))`.as('logged'))
      .where('instance_id', '=', row.id).orderBy('seq').execute(),
    orgNames(deps.db, [row.org_id, ...orgFieldsOf(def).map((f) => row.data[f]).filter((v): v is string => typeof v === 'string')]),
    pkg?.instanceSection ? pkg.instanceSection(deps, { ctx, actor, instanceId: row.id, ...section }) : html``,
    returnAndChanges(deps, ctx, actor, def, row),
  ]);
  const names = await userNames(deps.db, history.map((h) => h.actor));
  const stateLabel = (s: string) => ctx.state(row.workflow, s);
  const eventLabel = (e: string) => ctx.event(row.workflow, e);
  const model = diagramModel(def.machine);
  const svg = renderDiagram(model, {
    current: row.state, taken: history, label: stateLabel, eventLabel, title: t('instance.diagram'), desc: t('instance.diagramDesc'),
  });
  // Narrow screens show the steps as a list instead (console.css): the drawing's labels would be too small.
  const steps = renderStepList(model, {
    current: row.state, taken: history, label: stateLabel, eventLabel,
    words: { current: t('instance.stepNow'), visited: t('instance.stepPassed'), title: t('instance.steps') },
  });
  sendPage(res, {
    status,
    notice: typeof notice === 'function' ? notice(row.workflow) : notice,
    title: row.title,
    body: html`<dl class="summary">
  <div><dt>${t('col.workflow')}</dt><dd>${ctx.workflow(row.workflow)} v${row.workflow_version}</dd></div>
  <div><dt>${t('col.org')}</dt><dd>${orgs.get(row.org_id) ?? row.org_id}</dd></div>
  <div><dt>${t('instance.state')}</dt><dd><strong>${stateLabel(row.state)}</strong></dd></div>
  ${row.total !== null ? html`<div><dt>${t('col.amount')}</dt><dd>${rupiah(row.total)}</dd></div>` : ''}
  <div><dt>${t('instance.version')}</dt><dd>${row.version}</dd></div>
</dl>
${changes}
${sectionPart}
<section aria-labelledby="h-actions"><h2 id="h-actions">${t('instance.actions')}</h2>
${actionsView(ctx, def, row, view.allowedEvents, state)}
</section>
<section aria-labelledby="h-data"><h2 id="h-data">${t('instance.data')}</h2>
${renderData(ctx, row.workflow, def.schema as FieldSchema, hideConfidential(def, row.data, actor), new Map([...orgs].filter(([id]) => orgFieldsOf(def).some((f) => row.data[f] === id))))}
</section>
<section aria-labelledby="h-diagram"><h2 id="h-diagram">${t('instance.diagram')}</h2>
<div class="diagram-wrap" tabindex="0" role="group" aria-labelledby="h-diagram">${raw(svg)}</div>
${raw(steps)}
</section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">${t('instance.timeline')}</h2>
<ol class="timeline">${history.map((h) => html`<li>
  <p class="when"><time datetime="${h.at}">${when(h.at, ctx.timezone)}</time></p>
  <p><strong>${eventLabel(h.event)}</strong>${h.from ? html` — ${stateLabel(h.from)} → ${stateLabel(h.to)}` : html` — ${stateLabel(h.to)}`}</p>
  <p class="actor">${names.get(h.actor) ?? (h.actor === PUBLIC_ACTOR.username ? t('instance.publicActor') : h.actor)}${h.actorRole ? ` (${h.actorRole === CITIZEN_ROLE ? t('instance.citizenRole') : ctx.role(h.actorRole)})` : ''}${h.actingFor ? ` — ${kindPrefix(h.actingKind ?? 'plt')} ${names.get(h.actingFor) ?? h.actingFor}` : ''}</p>
  ${h.comment ? html`<blockquote>${h.comment}</blockquote>` : ''}
</li>`)}</ol>
</section>
<section aria-labelledby="h-docs"><h2 id="h-docs">${t('instance.documents')}</h2>
${docs.length === 0 ? html`<p>${t('instance.noDocuments')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('col.number')}</th><th scope="col">${t('col.document')}</th><th scope="col">${t('col.signer')}</th><th scope="col">${t('col.when')}</th><th scope="col"><span class="visually-hidden">${t('instance.download')}</span></th></tr></thead>
<tbody>${docs.map((d) => html`<tr><td data-label="${t('col.number')}">${d.number}</td><td data-label="${t('col.document')}">${d.title}</td><td data-label="${t('col.signer')}">${d.signer_name}</td><td data-label="${t('col.when')}">${when(d.created_at, ctx.timezone)}</td>
<td><a href="/instances/${row.id}/documents/${d.id}" download>${t('instance.download')}<span class="visually-hidden"> ${d.number}</span></a> · <a href="/verify/${d.id}">${t('instance.verify')}<span class="visually-hidden"> ${d.number}</span></a>${d.logged ? html` · <a href="/verify/${d.id}/evidence" download>${t('instance.evidence')}<span class="visually-hidden"> ${d.number}</span></a>` : ''}</td></tr>`)}</tbody>
</table></div>`}
${hasRole(actor, 'auditor') ? html`<p><a href="/audit/report?instance=${row.id}">${t('audit.report')}</a></p>` : ''}
</section>`,
  });
}

/** An instance's page (diagram, timeline, documents, the events the user may fire) and firing them. */
export function instancePages(deps: WebDeps): Router {
  const r = Router();

  r.get('/instances/:id', async (req, res) => {
    const actor = userOf(res);
    const ctx = ctxOf(res);
    const done = typeof req.query.done === 'string' ? req.query.done : undefined;
    // What the creating form left to be shown once (a receipt with a PIN), for this session only.
    const left = await takeNotice(deps.db, req, res, `/instances/${req.params.id}`);
    const created = left?.receipt && typeof left.receipt === 'object' ? left.receipt as Record<string, unknown> : undefined;
    // The event's label is its workflow's: known once the instance is loaded.
    const message = done === 'create' ? ctx.t('instance.created') : done ? (workflow: string) => ctx.t('instance.done', { event: ctx.event(workflow, done) }) : undefined;
    await renderInstance(deps, res, actor, req.params.id, {}, 200, message, { created });
  });

  // The language switch on a refused action's page links here: show the instance again.
  r.get('/instances/:id/events', (req, res) => {
    userOf(res);
    res.redirect(303, `/instances/${encodeURIComponent(req.params.id)}`);
  });

  r.post('/instances/:id/events', async (req, res) => {
    const actor = userOf(res);
    const body = req.body as Record<string, unknown>;
    const type = typeof body.event === 'string' ? body.event : '';
    const typed = typedComment(body.comment);
    const comment = typed.trim() !== '' ? typed : undefined;
    const version = typeof body.version === 'string' && /^\d{1,9}$/.test(body.version) ? Number(body.version) : undefined;
    const { row } = await deps.engine.get(actor, req.params.id);
    const scope = formScope(req, actor.username);
    const earlier = await earlierResult(deps.db, scope);
    if (earlier) {
      sendAgain(res, earlier);
      return;
    }
    const done = `/instances/${row.id}?done=${encodeURIComponent(type)}`;
    // Every check (role, version, comment, rules) is the engine's, in the API's order.
    try {
      const view = await deps.engine.fire(actor, row.id, { type, comment: comment ?? null }, version, engineOnce(scope, () => done));
      deps.metrics.transitions.inc({ workflow: view.workflow, event: type });
    } catch (err) {
      // A second click that lost the race to the first: sent where the first went.
      const first = scope && (err instanceof IdempotencyRace || err instanceof GrmsError) ? await earlierResult(deps.db, scope) : undefined;
      if (first) {
        sendAgain(res, first);
        return;
      }
      if (!(err instanceof GrmsError) || err.status === 404 || err.status >= 500) throw err;
      const commentProblem = err.errors?.find((e) => e.path === '/comment');
      await renderInstance(deps, res, actor, row.id, {
        event: type, comment, token: submittedFormToken(body),
        ...(commentProblem ? { commentError: commentErrorText(ctxOf(res), err, row.workflow, type) } : { error: problemText(ctxOf(res), err, row.workflow) }),
      }, err.status);
      return;
    }
    res.redirect(303, done);
  });

  // Downloads through the console session (the API's route wants a bearer token).
  r.get('/instances/:id/documents/:doc', async (req, res) => {
    const { row } = await deps.engine.get(userOf(res), req.params.id);
    const doc = await deps.db.selectFrom('documents').select(['number', 'bytes']).where('instance_id', '=', row.id)
      .where('id', '=', /^[0-9a-f-]{36}$/i.test(req.params.doc) ? req.params.doc : '00000000-0000-0000-0000-000000000000').executeTakeFirst();
    if (!doc) throw new GrmsError('NOT_FOUND', 404, 'not-found', 'Not found', 'No such document');
    res.type('application/pdf').set('Content-Disposition', `attachment; filename="${doc.number.replace(/[^A-Za-z0-9.-]/g, '-')}.pdf"`).send(Buffer.from(doc.bytes));
  });

  return r;
}
