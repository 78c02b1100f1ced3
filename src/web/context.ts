import type { Response } from 'express';
import { hasRole, type Actor } from '../auth/roles';
import { forbidden } from '../errors';
import { saidInConsole } from './i18n/problems';
import type { I18n } from './i18n';
import type { WorkflowRegistry } from '../engine/registry';

/** What every console page knows about the request; set by the router on res.locals.web. */
export interface WebContext extends I18n {
  actor: Actor | undefined;
  /** The token every form of this page carries in `_csrf`. */
  csrf: string;
  /** The path and query of this page (for the language switch and sign-in redirects). */
  url: string;
  timezone: string;
  /** The loaded workflows (deps.engine.registry): the menu follows what they let the user do. */
  registry: WorkflowRegistry;
}

export function ctxOf(res: Response): WebContext {
  const ctx = res.locals.web as WebContext | undefined;
  if (!ctx) throw new Error('console context missing: the page is not mounted through src/web/router.ts');
  return ctx;
}

/** Raised by a page that needs a signed-in user; the router answers with a redirect to /signin. */
export class SignInRequired extends Error {
  readonly code = 'SIGN_IN_REQUIRED';
}

/** The signed-in user, or a redirect to the sign-in page. */
export function userOf(res: Response): Actor {
  const actor = ctxOf(res).actor;
  if (!actor) throw new SignInRequired();
  return actor;
}

/** The signed-in user if they hold one of `roles` (anywhere); a 403 page otherwise. */
export function userWithRole(res: Response, ...roles: string[]): Actor {
  const actor = userOf(res);
  if (!roles.some((r) => hasRole(actor, r))) {
    const ctx = ctxOf(res);
    const said = ctx.t('guard.needsRole', { roles: roles.map((r) => ctx.role(r)).join(', ') });
    throw saidInConsole(forbidden(said), said);
  }
  return actor;
}
