import { Router, type Response } from 'express';
import type { Actor } from '../../auth/roles';
import { hasRole } from '../../auth/roles';
import type { WorkflowDefinition } from '../../engine/definition';
import { forbidden, GrmsError, notFound } from '../../errors';
import { html, type SafeHtml } from '../html';
import { ctxOf, userOf, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import { renderFields, type FormOptions } from '../forms/render';
import { inputId, parseFields, takesFiles, type FieldSchema, type NumberProblems } from '../forms/schema';
import { orgFieldsOf } from '../../engine/definition';
import { escapePointer } from '../forms/schema';
import { readMultipartForm, type FormUploadLimits, type MultipartForm } from '../multipart';
import { csrfRefused } from '../csrf';
import { MAX_ATTACHMENT_BYTES } from '../../api/comments';
import type { Request } from 'express';
import { fieldError, toFieldErrors, type FieldErrors } from '../forms/errors';
import { errorMessage, serverMessage } from '../forms/messages';
import { applyRowAction } from '../forms/rows';
import { IdempotencyRace } from '../../engine/engine';
import { earlierResult, engineOnce, formScope, formTokenField, sendAgain, submittedFormToken, type FormScope } from '../form-token';
import { leaveNotice } from '../notices';
import { numberProblemKey } from '../forms/numbers';
import { problemText, saidInConsole } from '../i18n/problems';
import { returnsOf, returnView } from '../returns';
import { commentErrorText, MAX_COMMENT_LENGTH, typedComment } from '../comment-field';

/** Empty data for a new form: schema defaults, and the minimum number of rows of each list. */
export function initialData(schema: FieldSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.default !== undefined) out[name] = prop.default;
    else if (prop.properties) out[name] = initialData(prop);
    else if (prop.type === 'array' && prop.items?.properties) out[name] = Array.from({ length: Math.max(1, prop.minItems ?? 0) }, () => initialData(prop.items!));
  }
  return out;
}

export interface FormPage {
  /** The workflow whose fields the form shows (their labels are its package's). */
  workflow: string;
  title: string;
  action: string;
  schema: FieldSchema;
  data: Record<string, unknown>;
  errors: FieldErrors;
  /** For events: the comment box (and whether the event insists on one). */
  comment?: { value: string; required: boolean };
  version?: number;
  submitLabel: string;
  status?: number;
  problem?: string;
  /** The form's token (src/web/form-token.ts): the submitted one when a refused form is shown again. */
  token?: string;
  /** Org choices and file limits (formOptions). */
  options?: FormOptions;
  /** The workflow package's section of the form (its `formSection`), above the fields. */
  section?: SafeHtml;
  /** Shown above everything else: e.g. why the instance was returned to the one editing it. */
  lead?: SafeHtml;
}

/**
 * Files a data form takes: each at most the API's attachment size (src/api/comments.ts), so many at
 * once. Only their SHA-256 is kept (in the data's hash field): the bytes are hashed as they stream
 * in and dropped.
 */
export const FORM_UPLOAD_LIMITS: FormUploadLimits = { maxFileBytes: MAX_ATTACHMENT_BYTES, maxFiles: 10 };

/** What a data form of `def` needs beyond its schema: the orgs its org fields choose from (OPDs and suppliers), by name. */
export async function formOptions(deps: WebDeps, def: WorkflowDefinition): Promise<FormOptions> {
  const fields = orgFieldsOf(def);
  const options = fields.length
    ? await deps.db.selectFrom('orgs').select(['id', 'name', 'kind']).orderBy('name').execute()
    : [];
  return { orgs: { pointers: new Set(fields.map((f) => `/${escapePointer(f)}`)), options }, maxFileBytes: FORM_UPLOAD_LIMITS.maxFileBytes };
}

/** The package's form section for `def`, given the form's data. */
function formSection(deps: WebDeps, ctx: WebContext, def: WorkflowDefinition, data: Record<string, unknown>): SafeHtml | undefined {
  return deps.engine.registry.package(def.name)?.formSection?.({ ctx, workflow: def.name, version: def.version, data });
}

/**
 * A data form's fields: the urlencoded body, or a multipart one (a form that takes files) read and
 * bounded here, its token checked here (src/web/csrf.ts), each file replaced by its SHA-256 under
 * the file input's name; a row's empty `name` beside a file takes the file's name. Undefined when
 * the answer was sent (a refused token, files over the limits).
 */
async function formBody(req: Request, res: Response): Promise<Record<string, unknown> | undefined> {
  if (!req.is('multipart/form-data')) return req.body as Record<string, unknown>;
  let form: MultipartForm;
  try {
    form = await readMultipartForm(req, FORM_UPLOAD_LIMITS);
  } catch (err) {
    if (!(err instanceof GrmsError) || err.status !== 413) throw err;
    const ctx = ctxOf(res);
    res.set('Connection', 'close');
    sendPage(res, { status: 413, title: ctx.t('form.errors'), body: html`<p role="alert">${ctx.t('form.filesTooLarge', { files: FORM_UPLOAD_LIMITS.maxFiles, max: FORM_UPLOAD_LIMITS.maxFileBytes / 1024 / 1024 })}</p>` });
    return undefined;
  }
  if (csrfRefused(res, form.csrf)) return undefined;
  const fields: Record<string, unknown> = { ...form.fields };
  for (const [name, file] of Object.entries(form.files)) {
    fields[name] = file.sha256;
    const cut = name.lastIndexOf('/');
    const sibling = `${name.slice(0, cut)}/name`;
    if (cut > 0 && (typeof fields[sibling] !== 'string' || (fields[sibling] as string).trim() === '') && file.filename) fields[sibling] = file.filename;
  }
  return fields;
}

/** "Rincian belanja › Kode rekening (Baris 2)" for "/lines/1/account". */
function fieldPath(ctx: WebContext, workflow: string, path: string): string {
  const names = path.split('/').filter((p) => p !== '' && !/^\d+$/.test(p)).map((p) => ctx.field(workflow, p)).join(' › ') || '—';
  const row = /\/(\d+)(?:\/|$)/.exec(path);
  return row ? `${names} (${ctx.t('form.row', { n: Number(row[1]) + 1 })})` : names;
}

/** Every problem at the top of the form, each linking to its field. */
function errorSummary(ctx: WebContext, workflow: string, errors: FieldErrors, problem: string | undefined): SafeHtml {
  const entries = Object.entries(errors);
  if (!entries.length && !problem) return html``;
  return html`<div class="error" role="alert" id="error-summary"><p><strong>${problem ?? ctx.t('form.errors')}</strong></p>
${entries.length ? html`<ul>${entries.map(([path, message]) => html`<li><a href="#${inputId(path || '/')}">${fieldPath(ctx, workflow, path)}: ${errorMessage(ctx, message)}</a></li>`)}</ul>` : ''}</div>`;
}

/**
 * The form page. Its first submit button is a hidden "save": Enter in a field submits with the
 * first button, which would otherwise be a row's remove button.
 */
export function sendForm(res: Response, page: FormPage): void {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const commentError = page.errors['/comment'];
  sendPage(res, {
    status: page.status,
    title: page.title,
    body: html`${page.lead ?? ''}${errorSummary(ctx, page.workflow, page.errors, page.problem)}
${page.section ?? ''}
<form method="post" action="${page.action}"${takesFiles(page.schema) ? html` enctype="multipart/form-data"` : ''} novalidate class="data-form" data-once="${page.action}${page.version !== undefined ? `@${page.version}` : ''}">
${csrfField(ctx)}${formTokenField(page.token)}
<button type="submit" name="_action" value="save" class="visually-hidden" tabindex="-1" aria-hidden="true">${page.submitLabel}</button>
${page.version !== undefined ? html`<input type="hidden" name="_version" value="${page.version}">` : ''}
<p class="hint">${t('form.allRequired')}</p>
${renderFields(ctx, page.workflow, page.schema, page.data, page.errors, '', page.options)}
${page.comment ? html`<div class="field"><label for="f-comment">${t('instance.comment')}${page.comment.required ? '' : html` <span class="opt">(${t('form.optional')})</span>`}</label>
<textarea id="f-comment" name="_comment" rows="3" maxlength="${MAX_COMMENT_LENGTH}"${page.comment.required ? html` aria-required="true"` : ''}${commentError ? html` aria-invalid="true" aria-describedby="f-comment-error"` : ''}>${page.comment.value}</textarea>${fieldError('f-comment', commentError)}</div>` : ''}
<div class="buttons"><button type="submit" name="_action" value="save">${page.submitLabel}</button></div>
</form>`,
  });
}

const needsRole = (ctx: WebContext, roles: readonly string[]) => ctx.t('guard.needsRole', { roles: roles.map((r) => ctx.role(r)).join(', ') });

const creatable = (actor: Actor, defs: WorkflowDefinition[]) => defs.filter((d) => d.creatorRoles.some((r) => hasRole(actor, r)));

/** A refusal's field errors, with a refused number's own reason in place of the schema's "must be number". */
export function withNumberProblems(ctx: WebContext, errors: FieldErrors, numbers: NumberProblems): FieldErrors {
  for (const [pointer, problem] of Object.entries(numbers)) errors[pointer] = ctx.t(numberProblemKey(problem));
  return errors;
}

/** New proposals, permits and contracts, and events that carry data, as forms built from the JSON Schemas. */
export function formPages(deps: WebDeps): Router {
  const r = Router();

  /**
   * After a refusal or a race: when another submission of the same form has committed meanwhile
   * (a double click; its transaction went first), where it was sent.
   */
  const firstResult = async (scope: FormScope | undefined, err: unknown) =>
    scope && (err instanceof IdempotencyRace || err instanceof GrmsError) ? earlierResult(deps.db, scope) : undefined;
  const latest = () => [...new Set(deps.engine.registry.all().map((d) => d.name))].map((n) => deps.engine.registry.latest(n)!);

  r.get('/new', (_req, res) => {
    const ctx = ctxOf(res);
    const defs = creatable(userOf(res), latest());
    if (defs.length === 1) {
      res.redirect(303, `/new/${defs[0]!.name}`);
      return;
    }
    sendPage(res, {
      title: ctx.t('nav.new'),
      body: defs.length ? html`<p>${ctx.t('form.pickWorkflow')}</p><ul>${defs.map((d) => html`<li><a href="/new/${d.name}">${ctx.workflow(d.name)}</a></li>`)}</ul>` : html`<p>${ctx.t('form.noCreate')}</p>`,
    });
  });

  const creatableDef = (res: Response, name: string) => {
    const actor = userOf(res);
    const def = latest().find((d) => d.name === name);
    if (!def) throw notFound(`No workflow "${name}"`);
    // As POST /api/v1/instances: a known workflow the user may not start is refused, not hidden.
    if (!creatable(actor, [def]).length) throw saidInConsole(forbidden(needsRole(ctxOf(res), def.creatorRoles)), needsRole(ctxOf(res), def.creatorRoles));
    return def;
  };

  r.get('/new/:workflow', async (req, res) => {
    const ctx = ctxOf(res);
    const def = creatableDef(res, req.params.workflow);
    const schema = def.schema as FieldSchema;
    const data = initialData(schema);
    sendForm(res, {
      workflow: def.name, title: ctx.t('form.newTitle', { workflow: ctx.workflow(def.name) }), action: `/new/${def.name}`, schema, data, errors: {}, submitLabel: ctx.t('form.save'),
      options: await formOptions(deps, def), section: formSection(deps, ctx, def, data),
    });
  });

  r.post('/new/:workflow', async (req, res) => {
    const actor = userOf(res);
    const ctx = ctxOf(res);
    const def = creatableDef(res, req.params.workflow);
    const schema = def.schema as FieldSchema;
    const body = await formBody(req, res);
    if (!body) return;
    const numbers: NumberProblems = {};
    const data = parseFields(schema, body, '', numbers);
    const page = {
      workflow: def.name, title: ctx.t('form.newTitle', { workflow: ctx.workflow(def.name) }), action: `/new/${def.name}`, schema, data, submitLabel: ctx.t('form.save'), token: submittedFormToken(body),
      options: await formOptions(deps, def), section: formSection(deps, ctx, def, data),
    };
    if (applyRowAction(schema, data, body._action)) {
      sendForm(res, { ...page, errors: {} });
      return;
    }
    const scope = formScope(req, actor.username, body);
    const earlier = await earlierResult(deps.db, scope);
    if (earlier) {
      sendAgain(res, earlier);
      return;
    }
    try {
      const view = await deps.engine.create(actor, def.name, data, engineOnce(scope, (v) => `/instances/${v.id}?done=create`));
      // Shown once on the page the redirect opens (a PIN is never stored in the clear, nor put in a URL).
      if (view.receipt) await leaveNotice(deps.db, req, res, `/instances/${view.id}`, { receipt: view.receipt });
      res.redirect(303, `/instances/${view.id}?done=create`);
    } catch (err) {
      const first = await firstResult(scope, err);
      if (first) {
        sendAgain(res, first);
        return;
      }
      if (!(err instanceof GrmsError) || err.status >= 500) throw err;
      sendForm(res, { ...page, status: err.status, errors: withNumberProblems(ctx, toFieldErrors(err.errors, '/data', (m) => serverMessage(ctx, m)), numbers), problem: err.errors?.length ? undefined : problemText(ctx, err, def.name) });
    }
  });

  const eventStep = async (res: Response, id: string, event: string) => {
    const { row, def, view } = await deps.engine.get(userOf(res), id);
    const step = def.steps[row.state]?.[event];
    if (!step || !(step.replacesData || step.payload)) throw notFound(`No form for "${event}" here`);
    // The user reads the instance (engine.get) but may not fire this event: refused, as the API refuses it.
    if (!view.allowedEvents.includes(event)) throw saidInConsole(forbidden(needsRole(ctxOf(res), step.roles)), needsRole(ctxOf(res), step.roles));
    const schema = (step.replacesData ? def.schema : step.payload!.schema) as FieldSchema;
    // A returned instance's form opens with the return note: what the reviewer asked to change.
    const returned = await returnsOf(deps.db, deps.engine.registry, [row]);
    const mark = returned.marks.get(row.id);
    const lead = mark ? returnView(ctxOf(res), mark, returned.people, 'h2') : undefined;
    return { row, def, step, schema, lead };
  };

  r.get('/instances/:id/events/:event', async (req, res) => {
    const ctx = ctxOf(res);
    const { row, def, step, schema, lead } = await eventStep(res, req.params.id, req.params.event);
    const data = step.replacesData ? structuredClone(row.data) : initialData(schema);
    sendForm(res, {
      lead, options: await formOptions(deps, def), section: step.replacesData ? formSection(deps, ctx, def, data) : undefined,
      workflow: row.workflow, title: `${ctx.event(row.workflow, req.params.event)}: ${row.title}`, action: `/instances/${row.id}/events/${req.params.event}`, schema,
      data, errors: {}, version: row.version,
      comment: { value: '', required: Boolean(step.requiresComment) }, submitLabel: ctx.event(row.workflow, req.params.event),
    });
  });

  r.post('/instances/:id/events/:event', async (req, res) => {
    const actor = userOf(res);
    const ctx = ctxOf(res);
    const event = req.params.event;
    // Before anything about the step: once fired, the event is no longer offered, and a second
    // submission of its form is sent to what the first did.
    const body = await formBody(req, res);
    if (!body) return;
    const scope = formScope(req, actor.username, body);
    const earlier = await earlierResult(deps.db, scope);
    if (earlier) {
      sendAgain(res, earlier);
      return;
    }
    const { row, def, step, schema, lead } = await eventStep(res, req.params.id, event);
    const numbers: NumberProblems = {};
    const data = parseFields(schema, body, '', numbers);
    const comment = typedComment(body._comment);
    const version = typeof body._version === 'string' && /^\d{1,9}$/.test(body._version) ? Number(body._version) : undefined;
    const page = {
      workflow: row.workflow, title: `${ctx.event(row.workflow, event)}: ${row.title}`, action: `/instances/${row.id}/events/${event}`, schema, data, version,
      comment: { value: comment, required: Boolean(step.requiresComment) }, submitLabel: ctx.event(row.workflow, event), token: submittedFormToken(body), lead,
      options: await formOptions(deps, def), section: step.replacesData ? formSection(deps, ctx, def, data) : undefined,
    };
    if (applyRowAction(schema, data, body._action)) {
      sendForm(res, { ...page, errors: {} });
      return;
    }
    const done = `/instances/${row.id}?done=${encodeURIComponent(event)}`;
    try {
      const view = await deps.engine.fire(actor, row.id, { type: event, comment: comment.trim() === '' ? null : comment, data }, version, engineOnce(scope, () => done));
      deps.metrics.transitions.inc({ workflow: view.workflow, event });
    } catch (err) {
      const first = await firstResult(scope, err);
      if (first) {
        sendAgain(res, first);
        return;
      }
      if (!(err instanceof GrmsError) || err.status === 404 || err.status >= 500) throw err;
      const errors = withNumberProblems(ctx, toFieldErrors(err.errors, '/data', (m) => serverMessage(ctx, m)), numbers);
      if (errors['/comment']) errors['/comment'] = commentErrorText(ctx, err, row.workflow, event);
      sendForm(res, { ...page, status: err.status, errors, problem: err.errors?.length ? undefined : problemText(ctx, err, row.workflow) });
      return;
    }
    res.redirect(303, done);
  });

  return r;
}
