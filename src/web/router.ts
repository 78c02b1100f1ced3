import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { GrmsError, notFound } from '../errors';
import { problemText } from './i18n/problems';
import { loadActor } from '../auth/tokens';
import { checkFormBody } from '../api/request-guard';
import { html } from './html';
import { chooseLang, i18n } from './i18n';
import { SignInRequired, type WebContext } from './context';
import { sendPage } from './layout';
import { ANON_CSRF_COOKIE, loadSession, parseCookies, randomToken, SESSION_COOKIE } from './session';
import { csrfRefused, sendCsrfRefusal, takesMultipart } from './csrf';
import { assetsDir } from './assets';
import { safeUrl } from '../log';
import { cookieOptions, type PageModule, type WebDeps } from './deps';
import { authPages } from './pages/auth';
import { inboxPages } from './pages/inbox';
import { instancePages } from './pages/instances';
import { verifyPages } from './pages/verify';
import { formPages } from './pages/forms';
import { auditPages } from './pages/audit';
import { dashboardPages } from './pages/dashboard';
import { adminPages } from './pages/admin';
import { listPages } from './pages/lists';
import { hasPublicIntake, PUBLIC_FORM_PREFIX, publicIntakePages } from './pages/public-intake';
import { publicStatusPages } from './pages/public-status';
import { withoutClientAddress } from '../api/public-intake';
import { defaultRegistry, type WorkflowRegistry } from '../engine/registry';

/**
 * Every page area, in the order their routes are tried. To add one: export `somethingPages(deps)`
 * returning a Router from src/web/pages/something.ts and list it here (routes with their full
 * paths, no mount path: test/web.matrix.test.ts reads them through pageModules, with the workflow
 * packages' console routes, and wants a row for each);
 * put its menu entry (with the roles that see it) in src/web/nav.ts and its labels in both i18n
 * dictionaries (a workflow's own words come from its package: ctx.state(workflow, name) …). In a page:
 * `userOf(res)` / `userWithRole(res, 'auditor')` (redirect to sign-in / 403 page), build HTML with
 * `html\`…\`` (escapes), send it with `sendPage`, and put `csrfField(ctxOf(res))` in every form:
 * POSTs without the token never reach the page.
 */
export const PAGES: readonly PageModule[] = [authPages, inboxPages, listPages, formPages, instancePages, verifyPages,
  auditPages, dashboardPages, adminPages];

/**
 * The core's page areas, the citizens' pages when some package takes public submissions (the
 * status page first: /lapor/lacak is no workflow's form), then the workflow packages' console
 * pages (src/engine/package.ts `routes.console`).
 */
export function pageModules(registry: WorkflowRegistry): PageModule[] {
  return [...PAGES, ...(hasPublicIntake(registry) ? [publicStatusPages, publicIntakePages] : []), ...registry.packages.flatMap((pkg) => (pkg.routes?.console ? [pkg.routes.console] : []))];
}

/** Paths that belong to the API and the public endpoints around it, never to the console. */
const NOT_CONSOLE = /^\/(?:api\/|crl\/|healthz$|readyz$|metrics$|openapi\.json$)/;

/** The paths packages serve publicly outside /api/ (`routes.publicPaths`: exact, or a prefix ending in "/"). */
function packagePublicPath(registry: WorkflowRegistry): (path: string) => boolean {
  const paths = registry.packages.flatMap((pkg) => pkg.routes?.publicPaths ?? []);
  return (path) => paths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
}

/** Whether the console's pages (HTML for browsers, not in the OpenAPI document) answer `path`. */
export function isConsolePath(path: string, registry: WorkflowRegistry = defaultRegistry()): boolean {
  return !NOT_CONSOLE.test(path) && !packagePublicPath(registry)(path);
}

/** Sessions, language and CSRF for every console request, then the pages, then HTML error pages. */
export function webRouter(deps: WebDeps): Router {
  const pages = Router();
  pages.use(contextLoader(deps));
  // A proposal may hold up to 1,000 lines of six fields each.
  pages.use(express.urlencoded({ extended: false, limit: '2mb', parameterLimit: 10_000, verify: checkFormBody }));
  // The public form logs no client address, its refusals (CSRF) included.
  pages.use(PUBLIC_FORM_PREFIX, withoutClientAddress);
  pages.use(csrfCheck());
  for (const mount of pageModules(deps.engine.registry)) pages.use(mount(deps));
  // A browser asking for a page nobody serves gets the console's 404; API clients keep problem+json.
  pages.get(/.*/, (req, _res, next) => next(req.accepts(['application/json', 'text/html']) === 'text/html' ? notFound() : undefined));
  pages.use(errorPages(deps));

  const r = Router();
  r.use('/assets', express.static(assetsDir(), { maxAge: '1h', index: false, fallthrough: false }));
  const packagePublic = packagePublicPath(deps.engine.registry);
  r.use((req, res, next) => (NOT_CONSOLE.test(req.path) || packagePublic(req.path) ? next() : pages(req, res, next)));
  return r;
}

function contextLoader(deps: WebDeps): RequestHandler {
  return async (req, res, next) => {
    const cookies = parseCookies(req.get('cookie'));
    const session = await loadSession(deps.db, cookies[SESSION_COOKIE]);
    const actor = session ? await loadActor(deps.db, session.username, deps.engine.time) : undefined;
    let csrf = session?.csrf;
    if (!csrf || !actor) {
      csrf = cookies[ANON_CSRF_COOKIE] && /^[A-Za-z0-9_-]{43}$/.test(cookies[ANON_CSRF_COOKIE]) ? cookies[ANON_CSRF_COOKIE] : undefined;
      if (!csrf) {
        csrf = randomToken();
        res.cookie(ANON_CSRF_COOKIE, csrf, cookieOptions(req, deps));
      }
    }
    const ctx: WebContext = {
      ...i18n(chooseLang(req, res, cookies, deps.secureCookies), deps.engine.registry), actor, csrf, url: req.originalUrl, timezone: deps.timezone,
      registry: deps.engine.registry,
    };
    res.locals.web = ctx;
    if (actor) {
      res.locals.actor = actor; // the access log names the user
      res.locals.session = session; // the password page keeps this session and ends the others
    }
    // A password reset by an admin must be replaced before anything else.
    if (actor && session?.mustChange && req.path !== '/password' && req.path !== '/signout' && !req.path.startsWith('/assets')) {
      res.redirect(303, '/password');
      return;
    }
    next();
  };
}

/**
 * Every state-changing console request carries the page's token in the `_csrf` field of its body,
 * never in the URL (URLs end up in logs, histories and Referer headers). A multipart body is not
 * parsed here: only the pages takesMultipart names take one, and they check the field themselves
 * (csrfRefused) once their parser has read it; any other multipart POST is refused.
 */
function csrfCheck(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (req.is('multipart/form-data')) return takesMultipart(req.path) ? next() : sendCsrfRefusal(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (csrfRefused(res, body._csrf)) return undefined;
    next();
  };
}

function errorPages(deps: WebDeps): ErrorRequestHandler {
  return (err, req, res, next) => {
    const ctx = res.locals.web as WebContext | undefined;
    if (!ctx || res.headersSent) return next(err);
    const { t } = ctx;
    if (err instanceof SignInRequired) {
      res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    if (err instanceof GrmsError && err.status === 404) {
      sendPage(res, { status: 404, title: t('error.notFound'), body: html`<p>${t('error.notFoundDetail')}</p><p><a href="/inbox">${t('error.back')}</a></p>` });
      return;
    }
    // Refusals (GrmsError) and malformed requests (body-parser's 4xx errors, e.g. too many fields).
    const status = err instanceof GrmsError ? err.status : typeof err?.status === 'number' ? (err.status as number) : 500;
    if (status >= 400 && status < 500) {
      const detail = err instanceof GrmsError ? problemText(ctx, err) : t('error.badRequest');
      sendPage(res, { status, title: status === 403 ? t('error.forbidden') : t('error.title'), body: html`<p role="alert">${detail}</p><p><a href="/inbox">${t('error.back')}</a></p>` });
      return;
    }
    deps.logger.error({ err, requestId: res.locals.requestId, method: req.method, url: safeUrl(req.originalUrl) }, 'console page failed');
    sendPage(res, { status: 500, title: t('error.title'), body: html`<p role="alert">${t('error.internal', { id: String(res.locals.requestId ?? '') })}</p>` });
  };
}
