import type { Request, Response } from 'express';
import { againAt } from '../form-token';
import { allRoles } from '../../auth/roles';
import { GrmsError } from '../../errors';
import { html, type SafeHtml } from '../html';
import type { WebContext } from '../context';
import type { WebDeps } from '../deps';
import { toFieldErrors, type FieldErrors } from '../forms/errors';
import type { Option } from '../form-fields';
import { problemText } from '../i18n/problems';
import { serverMessage } from '../forms/messages';

/** What the admin pages share: their menu, the OPD and role choices, form reading. */
export type AdminSection = 'users' | 'orgs' | 'delegations' | 'holidays';

/** The admin area's own menu, above each admin page. */
export function adminNav(ctx: WebContext, current: AdminSection): SafeHtml {
  const { t } = ctx;
  const items: Array<[AdminSection, string]> = [['users', t('admin.users')], ['orgs', t('admin.orgs')], ['delegations', t('admin.delegations')], ['holidays', t('admin.holidays')]];
  return html`<nav aria-label="${t('admin.sections')}"><ul class="tabs">${items.map(([key, label]) => html`<li><a href="/admin/${key}"${key === current ? html` aria-current="true"` : ''}>${label}</a></li>`)}</ul></nav>`;
}

export async function orgOptions(deps: WebDeps): Promise<Option[]> {
  return (await deps.db.selectFrom('orgs').select(['id', 'name']).orderBy('name').execute()).map((o) => ({ value: o.id, label: `${o.name} (${o.id})` }));
}

export const roleOptions = (ctx: WebContext): Option[] => allRoles().map((r) => ({ value: r, label: ctx.role(r) }));

/** Text fields of a posted form, trimmed; anything else is absent. */
export function formText(req: Request, name: string, max = 1000): string {
  const v = (req.body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** The redirect after a form's change: to its result, marked when the form had been sent before. */
export function redirectOnce(res: Response, outcome: { location: string; again: boolean }): void {
  res.redirect(303, outcome.again ? againAt(outcome.location) : outcome.location);
}

/** A refused change's message and its field problems; anything else is rethrown. */
export function refusal(ctx: WebContext, err: unknown): { errors: FieldErrors; message: string } {
  if (!(err instanceof GrmsError) || err.status >= 500) throw err;
  return { errors: toFieldErrors(err.errors, '', (m) => serverMessage(ctx, m)), message: problemText(ctx, err) };
}
