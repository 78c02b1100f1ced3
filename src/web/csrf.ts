import type { Response } from 'express';
import { html } from './html';
import type { WebContext } from './context';
import { sendPage } from './layout';
import { csrfMatches } from './session';

/**
 * Console pages that take a multipart body and check its `_csrf` field themselves: the verify page,
 * an organisation's logo, and the data forms (a new instance, an event with data), whose schema may
 * hold a file's hash (src/web/pages/forms.ts).
 */
export function takesMultipart(path: string): boolean {
  return path === '/verify' || /^\/admin\/orgs\/[^/]+\/logo$/.test(path) || /^\/new\/[^/]+$/.test(path) || /^\/instances\/[^/]+\/events\/[^/]+$/.test(path);
}

/** The console's answer to a POST without the page's token: 403, nothing done. */
export function sendCsrfRefusal(res: Response): void {
  const ctx = res.locals.web as WebContext;
  sendPage(res, { status: 403, title: ctx.t('error.forbidden'), body: html`<p role="alert">${ctx.t('error.csrf')}</p>` });
}

/** Refuses the request (and says so) unless `given`, taken from the body, is this page's token. */
export function csrfRefused(res: Response, given: unknown): boolean {
  if (csrfMatches(given, (res.locals.web as WebContext).csrf)) return false;
  sendCsrfRefusal(res);
  return true;
}
