import { Router, type Request } from 'express';
import { checkLogin, passwordProblems, setPassword } from '../../auth/passwords';
import { authBlockedFor, recordAuthFailure } from '../../auth/rate-limit';
import { html } from '../html';
import { ctxOf, userOf } from '../context';
import { csrfField, sendPage } from '../layout';
import { cookieOptions, type WebDeps } from '../deps';
import { createSession, endSession, parseCookies, SESSION_COOKIE, SESSION_HOURS } from '../session';
import { fieldError, type FieldErrors } from '../forms/errors';

/** Only a path on this site: `/inbox`, never `//evil.example` or `https://…`. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\\\s]*$/.test(value) && !value.startsWith('/signin') ? value : '/inbox';
}

const clientOf = (req: Request) => req.socket.remoteAddress ?? 'unknown';

/** Sign in, sign out, and the forced password change after an admin reset. */
export function authPages(deps: WebDeps): Router {
  const r = Router();

  r.get('/', (_req, res) => {
    res.redirect(303, ctxOf(res).actor ? '/inbox' : '/signin');
  });

  const signInForm = (res: Parameters<typeof ctxOf>[0], opts: { username?: string; next?: string; error?: string; status?: number; notice?: string }) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    sendPage(res, {
      status: opts.status,
      title: t('auth.signInTitle'),
      notice: opts.notice,
      body: html`<p>${t('auth.signInIntro')}</p>
${opts.error ? html`<p class="error" role="alert" id="signin-error">${opts.error}</p>` : ''}
<form method="post" action="/signin" class="narrow">
  ${csrfField(ctx)}
  <input type="hidden" name="next" value="${safeNext(opts.next)}">
  <div class="field"><label for="username">${t('auth.username')}</label>
  <input id="username" name="username" autocomplete="username" required maxlength="100" value="${opts.username ?? ''}"${opts.error ? html` aria-describedby="signin-error"` : ''}></div>
  <div class="field"><label for="password">${t('auth.password')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200"></div>
  <button type="submit">${t('auth.signIn')}</button>
</form>`,
    });
  };

  r.get('/signin', (req, res) => {
    if (ctxOf(res).actor) {
      res.redirect(303, safeNext(req.query.next));
      return;
    }
    signInForm(res, { next: typeof req.query.next === 'string' ? req.query.next : undefined, notice: req.query.out === '1' ? ctxOf(res).t('auth.signedOut') : undefined });
  });

  r.post('/signin', async (req, res) => {
    const { t } = ctxOf(res);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim().slice(0, 100) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const next = typeof body.next === 'string' ? body.next : undefined;
    // The same window and limit as bad bearer tokens: one budget of failures per address.
    const wait = await authBlockedFor(deps.db, clientOf(req));
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      signInForm(res, { username, next, status: 429, error: t('auth.tooMany', { seconds: wait }) });
      return;
    }
    const user = username && password ? await checkLogin(deps.db, username, password) : undefined;
    if (!user) {
      await recordAuthFailure(deps.db, clientOf(req));
      signInForm(res, { username, next, status: 401, error: t('auth.failed') });
      return;
    }
    // A new id at every sign-in: a session id planted before sign-in is never promoted.
    await endSession(deps.db, parseCookies(req.get('cookie'))[SESSION_COOKIE]);
    const session = await createSession(deps.db, user.username);
    res.cookie(SESSION_COOKIE, session.id, { ...cookieOptions(req, deps), maxAge: SESSION_HOURS * 3_600_000 });
    res.redirect(303, user.mustChange ? '/password' : safeNext(next));
  });

  r.post('/signout', async (req, res) => {
    await endSession(deps.db, parseCookies(req.get('cookie'))[SESSION_COOKIE]);
    res.clearCookie(SESSION_COOKIE, cookieOptions(req, deps));
    res.redirect(303, '/signin?out=1');
  });

  const changeForm = (res: Parameters<typeof ctxOf>[0], errors: FieldErrors = {}, status = 200) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    sendPage(res, {
      status,
      title: t('auth.changeTitle'),
      body: html`<p>${t('auth.changeIntro')}</p>
<form method="post" action="/password" class="narrow">
  ${csrfField(ctx)}
  <div class="field"><label for="password">${t('auth.newPassword')}</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="200" aria-describedby="password-hint${errors['/password'] ? ' password-error' : ''}"${errors['/password'] ? html` aria-invalid="true"` : ''}>
  <small id="password-hint">${t('auth.newPasswordHint')}</small>${fieldError('password', errors['/password'])}</div>
  <div class="field"><label for="repeat">${t('auth.repeatPassword')}</label>
  <input id="repeat" name="repeat" type="password" autocomplete="new-password" required maxlength="200"${errors['/repeat'] ? html` aria-invalid="true" aria-describedby="repeat-error"` : ''}>${fieldError('repeat', errors['/repeat'])}</div>
  <button type="submit">${t('auth.change')}</button>
</form>`,
    });
  };

  r.get('/password', (_req, res) => {
    userOf(res);
    changeForm(res);
  });

  r.post('/password', async (req, res) => {
    const actor = userOf(res);
    const { t } = ctxOf(res);
    const body = req.body as Record<string, unknown>;
    const problems = passwordProblems(body.password);
    if (problems.length) {
      changeForm(res, { '/password': problems[0]!.message }, 422);
      return;
    }
    if (body.repeat !== body.password) {
      changeForm(res, { '/repeat': t('auth.mismatch') }, 422);
      return;
    }
    await setPassword(deps.db, actor.username, actor.username, body.password as string);
    res.redirect(303, '/inbox');
  });

  return r;
}
