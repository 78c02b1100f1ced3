import { Router, type Response } from 'express';
import { createOrg, listOrgs, updateOrg, type OrgKind } from '../../auth/orgs';
import { GrmsError, notFound } from '../../errors';
import { html } from '../html';
import { ctxOf, userWithRole, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import type { FieldErrors } from '../forms/errors';
import { errorSummary, inputField, selectField } from '../form-fields';
import { adminNav, formText, redirectOnce, refusal } from './admin-common';
import { formScope, formTokenField, submitOnce, submittedFormToken } from '../form-token';

/**
 * The admin area's OPD page: the list, a create form, and an edit page per organisation, through
 * the same functions as the API (src/auth/orgs.ts), so org_events records them the same way.
 */
interface OrgForm {
  values: Record<string, string>;
  errors: FieldErrors;
  message?: string;
  /** The form's token when it is shown again after a refusal (src/web/form-token.ts). */
  token?: string;
}

const kindLabel = (ctx: WebContext, kind: string) => (kind === 'supplier' ? ctx.t('admin.orgKindSupplier') : ctx.t('admin.orgKindOpd'));
const orgPath = (id: string) => `/admin/orgs/${encodeURIComponent(id)}`;

async function sendOrgs(deps: WebDeps, res: Response, form: OrgForm = { values: {}, errors: {} }, status = 200, notice?: string): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const orgs = await listOrgs(deps.db);
  const v = form.values;
  const e = form.errors;
  sendPage(res, {
    status,
    notice,
    title: t('admin.title'),
    body: html`${adminNav(ctx, 'orgs')}
<h2 id="h-orgs">${t('admin.orgs')}</h2>
<p>${t('admin.orgsNote')}</p>
<div class="table-wrap"><table aria-labelledby="h-orgs">
<thead><tr><th scope="col">${t('admin.orgId')}</th><th scope="col">${t('admin.orgName')}</th><th scope="col">${t('admin.orgCode')}</th><th scope="col">${t('admin.orgKind')}</th><th scope="col">${t('admin.orgNpwp')}</th><th scope="col"><span class="visually-hidden">${t('admin.editOrg')}</span></th></tr></thead>
<tbody>${orgs.map((o) => html`<tr><td data-label="${t('admin.orgId')}">${o.id}</td><td data-label="${t('admin.orgName')}">${o.name}</td><td data-label="${t('admin.orgCode')}">${o.code ?? '—'}</td><td data-label="${t('admin.orgKind')}">${kindLabel(ctx, o.kind)}</td><td data-label="${t('admin.orgNpwp')}">${o.npwp ?? '—'}</td>
<td><a href="${orgPath(o.id)}">${t('admin.editOrg')}<span class="visually-hidden"> ${o.name}</span></a></td></tr>`)}</tbody>
</table></div>
<section aria-labelledby="h-new-org"><h2 id="h-new-org">${t('admin.newOrg')}</h2>
${errorSummary(ctx, e, form.message)}
<form method="post" action="/admin/orgs" class="narrow" novalidate data-once="/admin/orgs">
${csrfField(ctx)}${formTokenField(form.token)}
${inputField(ctx, { id: 'org-id', name: 'id', label: t('admin.orgId'), value: v.id, error: e['/id'], required: true, hint: t('admin.orgIdHint'), attrs: html` maxlength="40" autocomplete="off" autocapitalize="none"` })}
${inputField(ctx, { id: 'org-name', name: 'name', label: t('admin.orgName'), value: v.name, error: e['/name'], required: true, attrs: html` maxlength="200" autocomplete="off"` })}
${selectField(ctx, { id: 'org-kind', name: 'kind', label: t('admin.orgKind'), value: v.kind, error: e['/kind'], required: true, empty: t('admin.choose'), options: [{ value: 'opd', label: t('admin.orgKindOpd') }, { value: 'supplier', label: t('admin.orgKindSupplier') }] })}
${inputField(ctx, { id: 'org-code', name: 'code', label: t('admin.orgCode'), value: v.code, error: e['/code'], hint: t('admin.orgCodeHint'), attrs: html` maxlength="50" autocomplete="off"` })}
${inputField(ctx, { id: 'org-npwp', name: 'npwp', label: t('admin.orgNpwp'), value: v.npwp, error: e['/npwp'], hint: t('admin.orgNpwpHint'), attrs: html` maxlength="30" autocomplete="off" inputmode="numeric"` })}
<button type="submit">${t('admin.createOrg')}</button>
</form>
</section>`,
  });
}

async function sendOrg(deps: WebDeps, res: Response, id: string, form?: OrgForm, status = 200, notice?: string): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const org = await deps.db.selectFrom('orgs').select(['id', 'name', 'kind', 'code', 'npwp']).where('id', '=', id).executeTakeFirst();
  if (!org) throw notFound(`No organisation "${id}"`);
  const v = form?.values ?? { name: org.name, code: org.code ?? '', npwp: org.npwp ?? '' };
  const e = form?.errors ?? {};
  sendPage(res, {
    status,
    notice,
    title: t('admin.orgTitle', { name: org.name }),
    body: html`${adminNav(ctx, 'orgs')}
<dl class="summary">
  <div><dt>${t('admin.orgId')}</dt><dd>${org.id}</dd></div>
  <div><dt>${t('admin.orgKind')}</dt><dd>${kindLabel(ctx, org.kind)}</dd></div>
</dl>
${errorSummary(ctx, e, form?.message)}
<form method="post" action="${orgPath(org.id)}" class="narrow" novalidate data-once="${orgPath(org.id)}">
${csrfField(ctx)}${formTokenField(form?.token)}
${inputField(ctx, { id: 'edit-name', name: 'name', label: t('admin.orgName'), value: v.name, error: e['/name'], required: true, attrs: html` maxlength="200" autocomplete="off"` })}
${inputField(ctx, { id: 'edit-code', name: 'code', label: t('admin.orgCode'), value: v.code, error: e['/code'], hint: t('admin.orgCodeHint'), attrs: html` maxlength="50" autocomplete="off"` })}
${inputField(ctx, { id: 'edit-npwp', name: 'npwp', label: t('admin.orgNpwp'), value: v.npwp, error: e['/npwp'], required: org.kind === 'supplier', hint: t('admin.orgNpwpHint'), attrs: html` maxlength="30" autocomplete="off" inputmode="numeric"` })}
<div class="buttons"><button type="submit">${t('admin.save')}</button> <a class="button secondary" href="/admin/orgs">${t('admin.cancel')}</a></div>
</form>`,
  });
}

export function orgPages(deps: WebDeps): Router {
  const r = Router();
  r.get('/admin/orgs', async (req, res) => {
    const done = typeof req.query.created === 'string' ? ctxOf(res).t('admin.orgCreated', { id: req.query.created }) : undefined;
    await sendOrgs(deps, res, undefined, 200, done);
  });

  r.post('/admin/orgs', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values = { id: formText(req, 'id', 100), name: formText(req, 'name', 300), kind: formText(req, 'kind', 20), code: formText(req, 'code', 100), npwp: formText(req, 'npwp', 100) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        // An empty optional field is no value, not an empty one.
        await createOrg(db, actor.username, {
          id: values.id, name: values.name, kind: values.kind as OrgKind, ...(values.code && { code: values.code }), ...(values.npwp && { npwp: values.npwp }),
        });
        return `/admin/orgs?${new URLSearchParams({ created: values.id })}`;
      }));
    } catch (err) {
      const { errors, message } = refusal(err);
      if (err instanceof GrmsError && err.code === 'ORG_EXISTS') errors['/id'] = message;
      await sendOrgs(deps, res, { values, errors, message, token: submittedFormToken(req.body) }, (err as GrmsError).status);
    }
  });

  r.get('/admin/orgs/:id', async (req, res) => {
    const notice = req.query.done === 'saved' ? ctxOf(res).t('admin.orgUpdated', { id: req.params.id }) : undefined;
    await sendOrg(deps, res, req.params.id, undefined, 200, notice);
  });

  r.post('/admin/orgs/:id', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values = { name: formText(req, 'name', 300), code: formText(req, 'code', 100), npwp: formText(req, 'npwp', 100) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        // The form always carries all three: an emptied code or NPWP clears it.
        await updateOrg(db, actor.username, req.params.id, { name: values.name, code: values.code || null, npwp: values.npwp || null });
        return `${orgPath(req.params.id)}?done=saved`;
      }));
    } catch (err) {
      const { errors, message } = refusal(err);
      if ((err as GrmsError).status === 404) throw err;
      await sendOrg(deps, res, req.params.id, { values, errors, message, token: submittedFormToken(req.body) }, (err as GrmsError).status);
    }
  });
  return r;
}
