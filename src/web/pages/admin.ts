import { Router, type Response } from 'express';
import { createUser, deactivateUser, grantRole, removeRole } from '../../auth/people';
import { formatNip } from '../../documents/format';
import { generatePassword, setPassword, type PasswordSet } from '../../auth/passwords';
import { GrmsError, notFound } from '../../errors';
import { html } from '../html';
import { ctxOf, userWithRole, type WebContext } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import type { FieldErrors } from '../forms/errors';
import { errorSummary, inputField, selectField } from '../form-fields';
import { calendarPages } from './admin-calendar';
import { orgPages } from './admin-orgs';
import { adminNav, formText, orgOptions, redirectOnce, refusal, roleOptions } from './admin-common';
import { formScope, formTokenField, submitOnce, submittedFormToken } from '../form-token';
import { leaveNotice, takeNotice } from '../notices';

/**
 * Administration (admin only): users and their roles, passwords, deactivation; OPDs (admin-orgs.ts);
 * delegations and holidays (admin-calendar.ts). Every change goes through the same functions as
 * the API, so people_events records it the same way.
 */
interface NewUserForm {
  values: Record<string, string>;
  errors: FieldErrors;
  message?: string;
  /** The form's token when it is shown again after a refusal (src/web/form-token.ts). */
  token?: string;
}

async function sendUsers(deps: WebDeps, res: Response, form: NewUserForm = { values: {}, errors: {} }, status = 200): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const [users, grants, orgs] = await Promise.all([
    deps.db.selectFrom('users').select(['username', 'full_name', 'position', 'org_id', 'active']).orderBy('username').execute(),
    deps.db.selectFrom('user_roles').selectAll().orderBy('role').execute(),
    orgOptions(deps),
  ]);
  const v = form.values;
  const e = form.errors;
  sendPage(res, {
    status,
    title: t('admin.title'),
    body: html`${adminNav(ctx, 'users')}
<h2 id="h-users">${t('admin.users')}</h2>
<div class="table-wrap"><table aria-labelledby="h-users">
<thead><tr><th scope="col">${t('admin.username')}</th><th scope="col">${t('admin.fullName')}</th><th scope="col">${t('admin.org')}</th><th scope="col">${t('admin.roles')}</th><th scope="col">${t('admin.status')}</th></tr></thead>
<tbody>${users.map((u) => html`<tr${u.active ? '' : html` class="inactive"`}>
<td data-label="${t('admin.username')}"><a href="/admin/users/${encodeURIComponent(u.username)}">${u.username}</a></td>
<td data-label="${t('admin.fullName')}">${u.full_name}${u.position ? html`<br><small>${u.position}</small>` : ''}</td>
<td data-label="${t('admin.org')}">${u.org_id}</td>
<td data-label="${t('admin.roles')}">${grants.filter((g) => g.username === u.username).map((g) => `${ctx.role(g.role)} @ ${g.org_id}`).join(', ')}</td>
<td data-label="${t('admin.status')}">${u.active ? t('admin.active') : t('admin.inactive')}</td></tr>`)}</tbody>
</table></div>
<section aria-labelledby="h-new-user"><h2 id="h-new-user">${t('admin.newUser')}</h2>
${errorSummary(ctx, form.errors, form.message)}
<form method="post" action="/admin/users" class="narrow" novalidate data-once="/admin/users">
${csrfField(ctx)}${formTokenField(form.token)}
${inputField(ctx, { id: 'new-username', name: 'username', label: t('admin.username'), value: v.username, error: e['/username'], required: true, hint: t('admin.usernameHint'), attrs: html` maxlength="63" autocomplete="off" autocapitalize="none"` })}
${inputField(ctx, { id: 'new-fullName', name: 'fullName', label: t('admin.fullName'), value: v.fullName, error: e['/fullName'], required: true, attrs: html` maxlength="200" autocomplete="off"` })}
${inputField(ctx, { id: 'new-position', name: 'position', label: t('admin.position'), value: v.position, error: e['/position'], attrs: html` maxlength="200" autocomplete="off"` })}
${inputField(ctx, { id: 'new-nip', name: 'nip', label: t('admin.nip'), value: v.nip, error: e['/nip'], hint: t('admin.nipHint'), attrs: html` maxlength="21" inputmode="numeric" autocomplete="off"` })}
${selectField(ctx, { id: 'new-org', name: 'org', label: t('admin.org'), value: v.org, error: e['/org'], required: true, empty: t('admin.choose'), options: orgs })}
${selectField(ctx, { id: 'new-role', name: 'role', label: t('admin.initialRole'), value: v.role, error: e['/roles/0/role'] ?? e['/roles/0/org'], empty: t('admin.noRole'), options: roleOptions(ctx) })}
<button type="submit">${t('admin.create')}</button>
</form>
</section>`,
  });
}

interface UserPageState {
  notice?: string;
  grant?: { values: Record<string, string>; errors: FieldErrors; message?: string; token?: string };
  password?: { errors: FieldErrors; message?: string; token?: string };
  /** A fresh temporary password: shown on this one response only. */
  temporary?: string;
  /** What the reset ended besides the password. */
  ended?: PasswordSet;
  status?: number;
}

async function loadUser(deps: WebDeps, username: string) {
  const user = await deps.db.selectFrom('users as u').innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.username', 'u.full_name', 'u.position', 'u.nip', 'u.org_id', 'o.name as org_name', 'u.active', 'u.password_hash', 'u.password_must_change'])
    .where('u.username', '=', username).executeTakeFirst();
  if (!user) throw notFound(`No user "${username}"`);
  return user;
}

async function sendUser(deps: WebDeps, res: Response, username: string, state: UserPageState = {}): Promise<void> {
  const ctx = ctxOf(res);
  const { t } = ctx;
  const user = await loadUser(deps, username);
  const [grants, orgs] = await Promise.all([
    deps.db.selectFrom('user_roles').selectAll().where('username', '=', username).orderBy('role').execute(),
    orgOptions(deps),
  ]);
  const base = `/admin/users/${encodeURIComponent(user.username)}`;
  const g = state.grant ?? { values: { org: user.org_id }, errors: {} };
  const p = state.password ?? { errors: {} };
  sendPage(res, {
    status: state.status,
    notice: state.notice,
    title: t('admin.userTitle', { name: user.full_name }),
    body: html`${adminNav(ctx, 'users')}
${state.temporary ? html`<div class="notice" role="status"><p>${t('admin.resetDone', { username: user.username })}</p><p><code class="secret" id="temporary-password">${state.temporary}</code></p>
${state.ended ? html`<p id="reset-ended">${t('admin.resetEnded', { username: user.username, sessions: String(state.ended.endedSessions), tokens: String(state.ended.revokedTokens) })}</p>` : ''}</div>` : ''}
<dl class="summary">
  <div><dt>${t('admin.username')}</dt><dd>${user.username}</dd></div>
  <div><dt>${t('admin.position')}</dt><dd>${user.position || '—'}</dd></div>
  <div><dt>${t('admin.nip')}</dt><dd>${user.nip ? formatNip(user.nip) : '—'}</dd></div>
  <div><dt>${t('admin.org')}</dt><dd>${user.org_name}</dd></div>
  <div><dt>${t('admin.status')}</dt><dd>${user.active ? t('admin.active') : t('admin.inactive')}</dd></div>
</dl>
<section aria-labelledby="h-roles"><h2 id="h-roles">${t('admin.roles')}</h2>
${grants.length === 0 ? html`<p>${t('admin.noRoles')}</p>` : html`<div class="table-wrap"><table aria-labelledby="h-roles">
<thead><tr><th scope="col">${t('admin.role')}</th><th scope="col">${t('admin.roleOrg')}</th><th scope="col"><span class="visually-hidden">${t('admin.remove')}</span></th></tr></thead>
<tbody>${grants.map((gr) => html`<tr><td data-label="${t('admin.role')}">${ctx.role(gr.role)}</td><td data-label="${t('admin.roleOrg')}">${gr.org_id}</td>
<td><form method="post" action="${base}/roles/remove" class="inline" data-once="${base}/roles/remove ${gr.role}@${gr.org_id}">${csrfField(ctx)}${formTokenField()}<input type="hidden" name="role" value="${gr.role}"><input type="hidden" name="org" value="${gr.org_id}">
<button type="submit" class="secondary">${t('admin.remove')}<span class="visually-hidden"> ${ctx.role(gr.role)} — ${gr.org_id}</span></button></form></td></tr>`)}</tbody>
</table></div>`}
${user.active ? html`<h3 id="h-grant">${t('admin.grant')}</h3>
${errorSummary(ctx, state.grant?.errors ?? {}, state.grant?.message)}
<form method="post" action="${base}/roles" class="narrow" novalidate aria-labelledby="h-grant" data-once="${base}/roles">
${csrfField(ctx)}${formTokenField(state.grant?.token)}
${selectField(ctx, { id: 'grant-role', name: 'role', label: t('admin.role'), value: g.values.role, error: g.errors['/role'], required: true, empty: t('admin.choose'), options: roleOptions(ctx) })}
${selectField(ctx, { id: 'grant-org', name: 'org', label: t('admin.roleOrg'), value: g.values.org, error: g.errors['/org'], required: true, empty: t('admin.choose'), options: orgs })}
<button type="submit">${t('admin.grant')}</button>
</form>` : ''}
</section>
${user.active ? html`<section aria-labelledby="h-password"><h2 id="h-password">${t('admin.password')}</h2>
${errorSummary(ctx, p.errors, p.message)}
<form method="post" action="${base}/password" class="narrow" novalidate data-once="${base}/password">
${csrfField(ctx)}${formTokenField(p.token)}
${inputField(ctx, { id: 'set-password', name: 'password', type: 'password', label: t('admin.newPassword'), error: p.errors['/password'], required: true, hint: t('auth.newPasswordHint'), attrs: html` autocomplete="new-password" maxlength="200"` })}
<div class="field"><input type="checkbox" id="set-mustChange" name="mustChange" value="true" checked> <label for="set-mustChange" class="inline-label">${t('admin.mustChange')}</label></div>
<button type="submit">${t('admin.setPassword')}</button>
</form>
<p>${t('admin.resetIntro')}</p>
<form method="post" action="${base}/password-reset" class="narrow" data-once="${base}/password-reset">${csrfField(ctx)}${formTokenField(p.token)}<button type="submit" class="secondary">${t('admin.reset')}</button></form>
</section>
<section aria-labelledby="h-deactivate"><h2 id="h-deactivate">${t('admin.deactivate')}</h2>
<p><a class="button danger" href="${base}/deactivate">${t('admin.deactivate')}</a></p>
</section>` : ''}`,
  });
}

function doneNotice(ctx: WebContext, query: Record<string, unknown>, username: string): string | undefined {
  const role = typeof query.role === 'string' ? query.role : '';
  const org = typeof query.org === 'string' ? query.org : '';
  switch (query.done) {
    case 'created': return ctx.t('admin.created', { username });
    case 'granted': return ctx.t('admin.granted', { role, org });
    case 'held': return ctx.t('admin.alreadyHeld', { username, role, org });
    case 'removed': return ctx.t('admin.removed', { role, org });
    case 'password': return ctx.t('admin.passwordSet', { username });
    case 'deactivated': return ctx.t('admin.deactivated', { username });
    case 'reset': return ctx.t('admin.resetShownOnce', { username });
    default: return undefined;
  }
}

export function adminPages(deps: WebDeps): Router {
  const r = Router();
  // Every admin page and action: admins only, checked before anything is read.
  r.use('/admin', (_req, res, next) => {
    userWithRole(res, 'admin');
    next();
  });

  r.get('/admin', (_req, res) => res.redirect(303, '/admin/users'));
  r.get('/admin/users', (_req, res) => sendUsers(deps, res));

  r.post('/admin/users', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values = { username: formText(req, 'username', 100), fullName: formText(req, 'fullName', 300), position: formText(req, 'position', 300), nip: formText(req, 'nip', 40), org: formText(req, 'org', 100), role: formText(req, 'role', 100) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        await createUser(db, actor.username, {
          username: values.username, fullName: values.fullName, org: values.org, ...(values.position && { position: values.position }), ...(values.nip && { nip: values.nip }),
          ...(values.role && { roles: [{ role: values.role, org: values.org }] }),
        });
        return `/admin/users/${encodeURIComponent(values.username)}?done=created`;
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if (err instanceof GrmsError && err.code === 'USER_EXISTS') errors['/username'] = message;
      await sendUsers(deps, res, { values, errors, message, token: submittedFormToken(req.body) }, (err as GrmsError).status);
    }
  });

  r.get('/admin/users/:username', async (req, res) => {
    // A reset's temporary password, left by the POST for this one page view (src/web/notices.ts).
    const left = await takeNotice(deps.db, req, res, `/admin/users/${req.params.username}`);
    const temporary = typeof left?.temporary === 'string' ? left.temporary : undefined;
    const ended = left?.ended as PasswordSet | undefined;
    await sendUser(deps, res, req.params.username, temporary
      ? { temporary, ended }
      : { notice: doneNotice(ctxOf(res), req.query as Record<string, unknown>, req.params.username) });
  });

  const back = (username: string, done: string, extra: Record<string, string> = {}) =>
    `/admin/users/${encodeURIComponent(username)}?${new URLSearchParams({ done, ...extra })}`;

  r.post('/admin/users/:username/roles', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values = { role: formText(req, 'role', 100), org: formText(req, 'org', 100) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        const created = await grantRole(db, actor.username, req.params.username, values.role, values.org);
        return back(req.params.username, created ? 'granted' : 'held', values);
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if ((err as GrmsError).status === 404) throw err;
      await sendUser(deps, res, req.params.username, { grant: { values, errors, message, token: submittedFormToken(req.body) }, status: (err as GrmsError).status });
    }
  });

  r.post('/admin/users/:username/roles/remove', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values = { role: formText(req, 'role', 100), org: formText(req, 'org', 100) };
    redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
      await removeRole(db, actor.username, req.params.username, values.role, values.org);
      return back(req.params.username, 'removed', values);
    }));
  });

  r.post('/admin/users/:username/password', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const body = req.body as Record<string, unknown>;
    const password = typeof body.password === 'string' ? body.password : '';
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        await setPassword(db, actor.username, req.params.username, password, { mustChange: body.mustChange === 'true' });
        return back(req.params.username, 'password');
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if ((err as GrmsError).status === 404) throw err;
      await sendUser(deps, res, req.params.username, { password: { errors, message, token: submittedFormToken(body) }, status: (err as GrmsError).status });
    }
  });

  // The temporary password waits (sealed, server-side) for the page the redirect opens, which
  // shows it once: a reload or Back resets nothing again and shows it no more.
  r.post('/admin/users/:username/password-reset', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const page = `/admin/users/${req.params.username}`;
    try {
      if (req.params.username === actor.username) {
        // Resetting oneself ends this very session (and its notices): the password is shown on
        // this response, and a reload cannot send it again (the session's CSRF token is gone).
        const temporary = generatePassword();
        const ended = await setPassword(deps.db, actor.username, actor.username, temporary, { mustChange: true, reset: true });
        await sendUser(deps, res, actor.username, { temporary, ended });
        return;
      }
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        const temporary = generatePassword();
        const ended = await setPassword(db, actor.username, req.params.username, temporary, { mustChange: true, reset: true });
        await leaveNotice(db, req, res, page, { temporary, ended });
        return back(req.params.username, 'reset');
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      if ((err as GrmsError).status === 404) throw err;
      await sendUser(deps, res, req.params.username, { password: { errors, message }, status: (err as GrmsError).status });
    }
  });

  const confirmPage = async (res: Response, username: string, reason = '', error?: string, status = 200, token?: string) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    const user = await loadUser(deps, username);
    const base = `/admin/users/${encodeURIComponent(user.username)}`;
    sendPage(res, {
      status,
      title: t('admin.deactivateTitle', { name: user.full_name }),
      body: html`${adminNav(ctx, 'users')}
<p>${t('admin.deactivateIntro')}</p>
<form method="post" action="${base}/deactivate" class="narrow" novalidate data-once="${base}/deactivate">
${csrfField(ctx)}${formTokenField(token)}
${inputField(ctx, { id: 'deactivate-reason', name: 'reason', label: t('admin.reason'), value: reason, error, attrs: html` maxlength="1000" autocomplete="off"` })}
<div class="buttons"><button type="submit" class="danger">${t('admin.confirmDeactivate')}</button> <a class="button secondary" href="${base}">${t('admin.cancel')}</a></div>
</form>`,
    });
  };

  r.get('/admin/users/:username/deactivate', (req, res) => confirmPage(res, req.params.username));

  r.post('/admin/users/:username/deactivate', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const raw = (req.body as Record<string, unknown>).reason;
    if (raw !== undefined && (typeof raw !== 'string' || raw.length > 1000)) {
      await confirmPage(res, req.params.username, '', 'must be a string of at most 1000 characters', 422, submittedFormToken(req.body));
      return;
    }
    const reason = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
    redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
      await deactivateUser(db, actor.username, req.params.username, reason);
      return back(req.params.username, 'deactivated');
    }));
  });

  r.use(orgPages(deps));
  r.use(calendarPages(deps));
  return r;
}
