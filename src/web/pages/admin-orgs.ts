import { Router, type Response } from 'express';
import { createOrg, listOrgs, updateOrg, type OrgKind } from '../../auth/orgs';
import { GrmsError, notFound } from '../../errors';
import { html, type SafeHtml } from '../html';
import { ctxOf, userWithRole, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import type { FieldErrors } from '../forms/errors';
import { errorSummary, inputField, say, selectField } from '../form-fields';
import { adminNav, formText, redirectOnce, refusal } from './admin-common';
import { formScope, formTokenField, submitOnce, submittedFormToken } from '../form-token';
import { csrfRefused } from '../csrf';
import { MULTIPART_OVERHEAD_BYTES, readMultipartFile } from '../multipart';
import { logoTypeOf, MAX_LOGO_BYTES } from '../../documents/logo';
import { serverMessage } from '../forms/messages';

const CONTACTS = ['address', 'phone', 'email', 'website'] as const;

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
  /** Why the logo upload was refused (the edit form keeps the stored values then). */
  logoError?: string;
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
${inputField(ctx, { id: 'org-unit-code', name: 'unitCode', label: t('admin.orgUnitCode'), value: v.unitCode, error: e['/unitCode'], hint: t('admin.orgUnitCodeHint'), attrs: html` maxlength="40" autocomplete="off" autocapitalize="characters"` })}
${inputField(ctx, { id: 'org-npwp', name: 'npwp', label: t('admin.orgNpwp'), value: v.npwp, error: e['/npwp'], hint: t('admin.orgNpwpHint'), attrs: html` maxlength="30" autocomplete="off" inputmode="numeric"` })}
<button type="submit">${t('admin.createOrg')}</button>
</form>
</section>`,
  });
}

async function sendOrg(deps: WebDeps, res: Response, id: string, form?: OrgForm, status = 200, notice?: string): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const org = (await listOrgs(deps.db, id))[0];
  if (!org) throw notFound(`No organisation "${id}"`);
  const stored: Record<string, string> = { name: org.name, code: org.code ?? '', unitCode: org.unitCode ?? '', npwp: org.npwp ?? '', ...Object.fromEntries(CONTACTS.map((k) => [k, org[k] ?? ''])) };
  const v = form?.logoError === undefined && form ? form.values : stored;
  const e = form?.logoError === undefined ? (form?.errors ?? {}) : {};
  const contact = (name: (typeof CONTACTS)[number], label: string, attrs: SafeHtml) =>
    inputField(ctx, { id: `edit-${name}`, name, label, value: v[name], error: e[`/${name}`], attrs });
  const logoError = form?.logoError;
  sendPage(res, {
    status,
    notice,
    title: t('admin.orgTitle', { name: org.name }),
    body: html`${adminNav(ctx, 'orgs')}
<dl class="summary">
  <div><dt>${t('admin.orgId')}</dt><dd>${org.id}</dd></div>
  <div><dt>${t('admin.orgKind')}</dt><dd>${kindLabel(ctx, org.kind)}</dd></div>
</dl>
${logoError === undefined ? errorSummary(ctx, e, form?.message) : ''}
<form method="post" action="${orgPath(org.id)}" class="narrow" novalidate data-once="${orgPath(org.id)}">
${csrfField(ctx)}${formTokenField(form?.token)}
${inputField(ctx, { id: 'edit-name', name: 'name', label: t('admin.orgName'), value: v.name, error: e['/name'], required: true, attrs: html` maxlength="200" autocomplete="off"` })}
${inputField(ctx, { id: 'edit-code', name: 'code', label: t('admin.orgCode'), value: v.code, error: e['/code'], hint: t('admin.orgCodeHint'), attrs: html` maxlength="50" autocomplete="off"` })}
${inputField(ctx, { id: 'edit-unit-code', name: 'unitCode', label: t('admin.orgUnitCode'), value: v.unitCode, error: e['/unitCode'], hint: t('admin.orgUnitCodeHint'), attrs: html` maxlength="40" autocomplete="off" autocapitalize="characters"` })}
${inputField(ctx, { id: 'edit-npwp', name: 'npwp', label: t('admin.orgNpwp'), value: v.npwp, error: e['/npwp'], required: org.kind === 'supplier', hint: t('admin.orgNpwpHint'), attrs: html` maxlength="30" autocomplete="off" inputmode="numeric"` })}
<fieldset><legend>${t('admin.letterhead')}</legend>
<p class="hint">${t('admin.letterheadNote')}</p>
${contact('address', t('admin.orgAddress'), html` maxlength="300" autocomplete="off"`)}
${contact('phone', t('admin.orgPhone'), html` maxlength="50" autocomplete="off" inputmode="tel"`)}
${contact('email', t('admin.orgEmail'), html` maxlength="254" autocomplete="off" inputmode="email"`)}
${contact('website', t('admin.orgWebsite'), html` maxlength="200" autocomplete="off" inputmode="url"`)}
</fieldset>
<div class="buttons"><button type="submit">${t('admin.save')}</button> <a class="button secondary" href="/admin/orgs">${t('admin.cancel')}</a></div>
</form>
<section aria-labelledby="h-logo"><h2 id="h-logo">${t('admin.orgLogo')}</h2>
<p>${org.logo ? t('admin.orgLogoCurrent', { type: org.logo.contentType.replace(/^image\//, '').toUpperCase(), bytes: String(org.logo.bytes), sha256: org.logo.sha256 }) : t('admin.orgLogoNone')}</p>
${logoError !== undefined ? html`<p class="error" role="alert">${logoError}</p>` : ''}
<form method="post" action="${orgPath(org.id)}/logo" enctype="multipart/form-data" class="narrow">
${csrfField(ctx)}
<div class="field"><label for="logo">${t('admin.orgLogo')}</label>
<p class="hint" id="logo-hint">${t('admin.orgLogoHint')}</p>
<input id="logo" name="logo" type="file" accept="image/png,image/jpeg" required aria-describedby="logo-hint${logoError !== undefined ? ' logo-error' : ''}"${logoError !== undefined ? html` aria-invalid="true"` : ''}>
${logoError !== undefined ? html`<p class="field-error" id="logo-error">${logoError}</p>` : ''}</div>
<button type="submit">${t('admin.uploadLogo')}</button>
</form>
${org.logo ? html`<form method="post" action="${orgPath(org.id)}/logo">${csrfField(ctx)}<input type="hidden" name="remove" value="1"><button type="submit" class="secondary">${t('admin.removeLogo')}</button></form>` : ''}
</section>`,
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
    const values = { id: formText(req, 'id', 100), name: formText(req, 'name', 300), kind: formText(req, 'kind', 20), code: formText(req, 'code', 100), unitCode: formText(req, 'unitCode', 100), npwp: formText(req, 'npwp', 100) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        // An empty optional field is no value, not an empty one.
        await createOrg(db, actor.username, {
          id: values.id, name: values.name, kind: values.kind as OrgKind, ...(values.code && { code: values.code }), ...(values.unitCode && { unitCode: values.unitCode }), ...(values.npwp && { npwp: values.npwp }),
        });
        return `/admin/orgs?${new URLSearchParams({ created: values.id })}`;
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if (err instanceof GrmsError && err.code === 'ORG_EXISTS') errors['/id'] = serverMessage(ctxOf(res), err.message);
      await sendOrgs(deps, res, { values, errors, message, token: submittedFormToken(req.body) }, (err as GrmsError).status);
    }
  });

  r.get('/admin/orgs/:id', async (req, res) => {
    const { t } = ctxOf(res);
    const done = { saved: 'admin.orgUpdated', logo: 'admin.logoSaved', 'logo-removed': 'admin.logoRemoved' } as const;
    const key = typeof req.query.done === 'string' && Object.hasOwn(done, req.query.done) ? done[req.query.done as keyof typeof done] : undefined;
    const notice = key && t(key, { id: req.params.id });
    await sendOrg(deps, res, req.params.id, undefined, 200, notice);
  });

  r.post('/admin/orgs/:id', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values: Record<string, string> = { name: formText(req, 'name', 300), code: formText(req, 'code', 100), unitCode: formText(req, 'unitCode', 100), npwp: formText(req, 'npwp', 100), ...Object.fromEntries(CONTACTS.map((k) => [k, formText(req, k, 400)])) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        // The form always carries every field: an emptied code, NPWP or contact clears it.
        await updateOrg(db, actor.username, req.params.id, {
          name: values.name!, code: values.code || null, unitCode: values.unitCode || null, npwp: values.npwp || null, ...Object.fromEntries(CONTACTS.map((k) => [k, values[k] || null])),
        });
        return `${orgPath(req.params.id)}?done=saved`;
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if ((err as GrmsError).status === 404) throw err;
      await sendOrg(deps, res, req.params.id, { values, errors, message, token: submittedFormToken(req.body) }, (err as GrmsError).status);
    }
  });

  /**
   * The letterhead logo: a file upload (multipart, its type taken from its bytes) or, from the
   * remove button, a plain form with remove=1. Checked and recorded by updateOrg as the API's PATCH.
   * Sending the same image twice records nothing, so no form token is needed.
   */
  r.post('/admin/orgs/:id/logo', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const { t } = ctxOf(res);
    const id = req.params.id;
    const refuse = (status: number, logoError: string) => sendOrg(deps, res, id, { values: {}, errors: {}, logoError }, status);
    let logo: { contentType: string; data: string } | null;
    if (req.is('multipart/form-data')) {
      if (Number(req.get('content-length') ?? 0) > MAX_LOGO_BYTES + MULTIPART_OVERHEAD_BYTES) return refuse(413, t('admin.logoTooLarge'));
      const { upload, problem, csrf } = await readMultipartFile(req, MAX_LOGO_BYTES);
      if (csrfRefused(res, csrf)) return undefined;
      if (problem === 'too-large') return refuse(413, t('admin.logoTooLarge'));
      if (!upload) return refuse(422, t('admin.logoNoFile'));
      const contentType = logoTypeOf(upload.bytes);
      if (!contentType) return refuse(422, t('admin.logoNotImage'));
      logo = { contentType, data: upload.bytes.toString('base64') };
    } else if (formText(req, 'remove', 10) === '1') {
      logo = null;
    } else {
      return refuse(422, t('admin.logoNoFile'));
    }
    try {
      await updateOrg(deps.db, actor.username, id, { logo });
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if ((err as GrmsError).status === 404) throw err;
      return refuse((err as GrmsError).status, say(ctxOf(res), Object.values(errors)[0] ?? message));
    }
    res.redirect(303, `${orgPath(id)}?done=${logo ? 'logo' : 'logo-removed'}`);
    return undefined;
  });
  return r;
}
