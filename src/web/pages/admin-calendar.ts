import { yearOf as currentYear } from '../../clock';
import { Router, type Response } from 'express';
import { createDelegation, endDelegation, kindPrefix, listDelegations } from '../../auth/delegations';
import { listHolidays } from '../../sla/holidays';
import { addHoliday, deleteHoliday, isCalendarDay } from '../../sla/holiday-changes';
import { localYear } from '../../sla/calendar';
import { notFound } from '../../errors';
import { html } from '../html';
import { ctxOf, userWithRole } from '../context';
import { csrfField, sendPage } from '../layout';
import type { WebDeps } from '../deps';
import type { FieldErrors } from '../forms/errors';
import { errorSummary, inputField, selectField } from '../form-fields';
import { adminNav, formText, orgOptions, redirectOnce, refusal, roleOptions } from './admin-common';
import { formScope, formTokenField, submitOnce, submittedFormToken } from '../form-token';

interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
  message?: string;
  /** The form's token when it is shown again after a refusal (src/web/form-token.ts). */
  token?: string;
}

const empty = (): FormState => ({ values: {}, errors: {} });

/** Delegations (Plt/Plh) and the holiday calendar, for admins. */
export function calendarPages(deps: WebDeps): Router {
  const r = Router();

  const sendDelegations = async (res: Response, form: FormState = empty(), status = 200, notice?: string) => {
    const actor = userWithRole(res, 'admin');
    const ctx = ctxOf(res);
    const { t } = ctx;
    const [items, users, orgs] = await Promise.all([
      listDelegations(deps.db, actor),
      deps.db.selectFrom('users').select(['username', 'full_name', 'active']).orderBy('username').execute(),
      orgOptions(deps),
    ]);
    const people = users.filter((u) => u.active).map((u) => ({ value: u.username, label: `${u.full_name} (${u.username})` }));
    const name = new Map(users.map((u) => [u.username, u.full_name]));
    const v = form.values;
    const e = form.errors;
    sendPage(res, {
      status,
      notice,
      title: t('admin.title'),
      body: html`${adminNav(ctx, 'delegations')}
<h2 id="h-delegations">${t('admin.delegations')}</h2>
${items.length === 0 ? html`<p>${t('admin.none')}</p>` : html`<div class="table-wrap"><table aria-labelledby="h-delegations">
<thead><tr><th scope="col">${t('admin.kind')}</th><th scope="col">${t('admin.delegator')}</th><th scope="col">${t('admin.delegate')}</th><th scope="col">${t('admin.role')}</th><th scope="col">${t('admin.from')}</th><th scope="col">${t('admin.to')}</th><th scope="col">${t('admin.status')}</th><th scope="col"><span class="visually-hidden">${t('admin.end')}</span></th></tr></thead>
<tbody>${items.map((d) => html`<tr>
<td data-label="${t('admin.kind')}">${kindPrefix(d.kind)}</td>
<td data-label="${t('admin.delegator')}">${name.get(d.delegator) ?? d.delegator}</td>
<td data-label="${t('admin.delegate')}">${name.get(d.delegate) ?? d.delegate}</td>
<td data-label="${t('admin.role')}">${ctx.role(d.role)} @ ${d.org}</td>
<td data-label="${t('admin.from')}">${d.from}</td><td data-label="${t('admin.to')}">${d.to}</td>
<td data-label="${t('admin.status')}">${d.endedAt ? t('admin.ended') : t('admin.running')}</td>
<td>${d.endedAt ? '' : html`<form method="post" action="/admin/delegations/${d.id}/end" class="inline" data-once="/admin/delegations/${d.id}/end">${csrfField(ctx)}${formTokenField()}<button type="submit" class="secondary">${t('admin.end')}<span class="visually-hidden"> ${d.delegate} ${d.role}</span></button></form>`}</td>
</tr>`)}</tbody></table></div>`}
<section aria-labelledby="h-new-delegation"><h2 id="h-new-delegation">${t('admin.newDelegation')}</h2>
${errorSummary(ctx, form.errors, form.message)}
<form method="post" action="/admin/delegations" class="narrow" novalidate data-once="/admin/delegations">
${csrfField(ctx)}${formTokenField(form.token)}
${selectField(ctx, { id: 'del-kind', name: 'kind', label: t('admin.kind'), value: v.kind, error: e['/kind'], required: true, empty: t('admin.choose'), options: [{ value: 'plt', label: t('admin.kindPlt') }, { value: 'plh', label: t('admin.kindPlh') }] })}
${selectField(ctx, { id: 'del-delegator', name: 'delegator', label: t('admin.delegator'), value: v.delegator, error: e['/delegator'], required: true, empty: t('admin.choose'), options: people })}
${selectField(ctx, { id: 'del-role', name: 'role', label: t('admin.role'), value: v.role, error: e['/role'], required: true, empty: t('admin.choose'), options: roleOptions(ctx) })}
${selectField(ctx, { id: 'del-org', name: 'org', label: t('admin.roleOrg'), value: v.org, error: e['/org'], required: true, empty: t('admin.choose'), options: orgs })}
${selectField(ctx, { id: 'del-delegate', name: 'delegate', label: t('admin.delegate'), value: v.delegate, error: e['/delegate'], required: true, empty: t('admin.choose'), options: people })}
${inputField(ctx, { id: 'del-from', name: 'from', type: 'date', label: t('admin.from'), value: v.from, error: e['/from'], required: true })}
${inputField(ctx, { id: 'del-to', name: 'to', type: 'date', label: t('admin.to'), value: v.to, error: e['/to'], required: true })}
${inputField(ctx, { id: 'del-reason', name: 'reason', label: t('admin.reason'), value: v.reason, error: e['/reason'], attrs: html` maxlength="500" autocomplete="off"` })}
<button type="submit">${t('admin.save')}</button>
</form>
</section>`,
    });
  };

  r.get('/admin/delegations', async (req, res) => {
    const ctx = ctxOf(res);
    const done = req.query.done === 'created' ? ctx.t('admin.delegationCreated') : req.query.done === 'ended' ? ctx.t('admin.delegationEnded') : undefined;
    await sendDelegations(res, empty(), 200, done);
  });

  r.post('/admin/delegations', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values: Record<string, string> = {};
    for (const f of ['kind', 'delegator', 'delegate', 'role', 'org', 'from', 'to', 'reason']) values[f] = formText(req, f, 600);
    if (values.delegator === '') {
      // The API lets the delegator default to the caller; on this form the admin names them.
      await sendDelegations(res, { values, errors: { '/delegator': 'is required' }, token: submittedFormToken(req.body) }, 422);
      return;
    }
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        await createDelegation(db, actor, { ...values, ...(values.reason === '' && { reason: undefined }) });
        return '/admin/delegations?done=created';
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      await sendDelegations(res, { values, errors, message, token: submittedFormToken(req.body) }, (err as { status: number }).status);
    }
  });

  r.post('/admin/delegations/:id/end', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
      await endDelegation(db, actor, req.params.id);
      return '/admin/delegations?done=ended';
    }));
  });

  const sendHolidays = async (res: Response, year: number, form: FormState = empty(), status = 200, notice?: string) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    const items = await listHolidays(deps.db, year);
    const v = form.values;
    const e = form.errors;
    sendPage(res, {
      status,
      notice,
      title: t('admin.title'),
      body: html`${adminNav(ctx, 'holidays')}
<h2 id="h-holidays">${t('admin.holidays')} ${year}</h2>
<form method="get" action="/admin/holidays" class="filters">
${inputField(ctx, { id: 'hol-year', name: 'year', label: t('admin.year'), value: String(year), attrs: html` inputmode="numeric" maxlength="4" autocomplete="off"` })}
<div class="field"><button type="submit" class="secondary">${t('admin.show')}</button></div>
</form>
${items.length === 0 ? html`<p>${t('admin.none')}</p>` : html`<div class="table-wrap"><table aria-labelledby="h-holidays">
<thead><tr><th scope="col">${t('admin.date')}</th><th scope="col">${t('admin.holidayName')}</th><th scope="col"><span class="visually-hidden">${t('admin.remove')}</span></th></tr></thead>
<tbody>${items.map((h) => html`<tr><td data-label="${t('admin.date')}"><time datetime="${h.date}">${h.date}</time></td><td data-label="${t('admin.holidayName')}">${h.name}</td>
<td><form method="post" action="/admin/holidays/${h.date}/remove" class="inline" data-once="/admin/holidays/${h.date}/remove">${csrfField(ctx)}${formTokenField()}<button type="submit" class="secondary">${t('admin.remove')}<span class="visually-hidden"> ${h.date}</span></button></form></td></tr>`)}</tbody>
</table></div>`}
<section aria-labelledby="h-new-holiday"><h2 id="h-new-holiday">${t('admin.addHoliday')}</h2>
${errorSummary(ctx, form.errors, form.message)}
<form method="post" action="/admin/holidays" class="narrow" novalidate data-once="/admin/holidays">
${csrfField(ctx)}${formTokenField(form.token)}
${inputField(ctx, { id: 'hol-date', name: 'date', type: 'date', label: t('admin.date'), value: v.date, error: e['/date'], required: true })}
${inputField(ctx, { id: 'hol-name', name: 'name', label: t('admin.holidayName'), value: v.name, error: e['/name'], required: true, attrs: html` maxlength="200" autocomplete="off"` })}
<button type="submit">${t('admin.addHoliday')}</button>
</form>
</section>`,
    });
  };

  const yearOf = (value: unknown) => {
    const n = typeof value === 'string' && /^\d{4}$/.test(value) ? Number(value) : NaN;
    return n >= 2000 && n <= 2100 ? n : currentYear(deps.engine.time);
  };

  r.get('/admin/holidays', async (req, res) => {
    const ctx = ctxOf(res);
    const date = typeof req.query.date === 'string' && isCalendarDay(req.query.date) ? req.query.date : '';
    const notice = req.query.done === 'added' ? ctx.t('admin.holidayAdded', { date }) : req.query.done === 'removed' ? ctx.t('admin.holidayRemoved', { date }) : undefined;
    await sendHolidays(res, yearOf(req.query.year), empty(), 200, notice);
  });

  r.post('/admin/holidays', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const values = { date: formText(req, 'date', 20), name: formText(req, 'name', 300) };
    try {
      redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
        // Adds the day and reschedules open deadlines, exactly as PUT /api/v1/holidays/:date.
        await addHoliday(db, values.date, values.name, actor.username, deps.timezone);
        return `/admin/holidays?${new URLSearchParams({ year: values.date.slice(0, 4), done: 'added', date: values.date })}`;
      }));
    } catch (err) {
      const { errors, message } = refusal(ctxOf(res), err);
      await sendHolidays(res, yearOf(values.date.slice(0, 4)), { values, errors, message, token: submittedFormToken(req.body) }, (err as { status: number }).status);
    }
  });

  r.post('/admin/holidays/:date/remove', async (req, res) => {
    const actor = userWithRole(res, 'admin');
    const date = req.params.date;
    if (!isCalendarDay(date)) throw notFound(`No holiday on ${date}`);
    redirectOnce(res, await submitOnce(deps.db, formScope(req, actor.username), async (db) => {
      await deleteHoliday(db, date, deps.timezone);
      return `/admin/holidays?${new URLSearchParams({ year: date.slice(0, 4), done: 'removed', date })}`;
    }));
  });

  return r;
}
