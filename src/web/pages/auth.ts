import { Router, type Request, type Response } from 'express';
import { changeOwnPassword, checkLogin } from '../../auth/passwords';
import { beginPasswordAttempt, TooManyFailedAuthentications } from '../../auth/rate-limit';
import { GrmsError } from '../../errors';
import { clientAddress } from '../../api/client-address';
import { html } from '../html';
import { ctxOf, userOf } from '../context';
import { csrfField, sendPage } from '../layout';
import { cookieOptions, type WebDeps } from '../deps';
import { createSession, endSession, parseCookies, SESSION_COOKIE, SESSION_HOURS, type Session } from '../session';
import { DEVICE_COOKIE, DEVICE_DAYS, knownDevice, rememberDevice } from '../devices';
import { fieldError, type FieldErrors } from '../forms/errors';
import { serverMessage } from '../forms/messages';

/** Only a path on this site: `/inbox`, never `//evil.example` or `https://…`. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\\\s]*$/.test(value) && !value.startsWith('/signin') ? value : '/inbox';
}

/** The console session of this request (set by the router's context loader). */
const sessionOf = (res: Response) => res.locals.session as Session | undefined;

/** Sign in, sign out, changing one's own password (forced after an admin reset). */
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
    const cookies = parseCookies(req.get('cookie'));
    // Recorded before the password is looked at, then counted: per client address and per
    // username, or only per browser when this browser signed in as this user before.
    const device = await knownDevice(deps.db, cookies[DEVICE_COOKIE], username);
    const attempt = await beginPasswordAttempt(deps.db, { client: clientAddress(req), username, device });
    if (attempt.retryAfter > 0) {
      res.set('Retry-After', String(attempt.retryAfter));
      signInForm(res, { username, next, status: 429, error: t('auth.tooMany', { seconds: attempt.retryAfter }) });
      return;
    }
    const user = username && password ? await checkLogin(deps.db, username, password) : undefined;
    if (!user) {
      signInForm(res, { username, next, status: 401, error: t('auth.failed') });
      return;
    }
    await attempt.forget();
    // A new id at every sign-in: a session id planted before sign-in is never promoted.
    await endSession(deps.db, cookies[SESSION_COOKIE]);
    const session = await createSession(deps.db, user.username, new Date(), { temporaryPassword: user.mustChange });
    res.cookie(SESSION_COOKIE, session.id, { ...cookieOptions(req, deps), maxAge: SESSION_HOURS * 3_600_000 });
    res.cookie(DEVICE_COOKIE, await rememberDevice(deps.db, cookies[DEVICE_COOKIE], user.username), { ...cookieOptions(req, deps), maxAge: DEVICE_DAYS * 86_400_000 });
    res.redirect(303, user.mustChange ? '/password' : safeNext(next));
  });

  r.post('/signout', async (req, res) => {
    await endSession(deps.db, parseCookies(req.get('cookie'))[SESSION_COOKIE]);
    res.clearCookie(SESSION_COOKIE, cookieOptions(req, deps));
    res.redirect(303, '/signin?out=1');
  });

  const changeForm = (res: Response, errors: FieldErrors = {}, status = 200) => {
    const ctx = ctxOf(res);
    const { t } = ctx;
    // The session that signed in with a temporary password is not asked for it again.
    const askCurrent = !sessionOf(res)?.temporaryPassword;
    const invalid = (name: string, hint?: string) => {
      const ids = [hint, errors[`/${name}`] ? `${name}-error` : undefined].filter(Boolean).join(' ');
      return html`${ids ? html` aria-describedby="${ids}"` : ''}${errors[`/${name}`] ? html` aria-invalid="true"` : ''}`;
    };
    sendPage(res, {
      status,
      title: t('auth.changeTitle'),
      body: html`<p>${askCurrent ? t('auth.changeOwnIntro') : t('auth.changeIntro')}</p>
<form method="post" action="/password" class="narrow">
  ${csrfField(ctx)}
  ${askCurrent ? html`<div class="field"><label for="current">${t('auth.currentPassword')}</label>
  <input id="current" name="current" type="password" autocomplete="current-password" required maxlength="200"${invalid('current')}>${fieldError('current', errors['/current'])}</div>` : ''}
  <div class="field"><label for="password">${t('auth.newPassword')}</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="200"${invalid('password', 'password-hint')}>
  <small id="password-hint">${t('auth.newPasswordHint')}</small>${fieldError('password', errors['/password'])}</div>
  <div class="field"><label for="repeat">${t('auth.repeatPassword')}</label>
  <input id="repeat" name="repeat" type="password" autocomplete="new-password" required maxlength="200"${invalid('repeat')}>${fieldError('repeat', errors['/repeat'])}</div>
  <button type="submit">${t('auth.change')}</button>
</form>`,
    });
  };

  r.get('/password', (_req, res) => {
    userOf(res);
    changeForm(res);
  });

  // The same rules as PUT /api/v1/me/password: the current password (limited like a sign-in),
  // and every other session of the user ends.
  r.post('/password', async (req, res) => {
    const actor = userOf(res);
    const { t } = ctxOf(res);
    const session = sessionOf(res);
    const body = req.body as Record<string, unknown>;
    if (body.repeat !== body.password && typeof body.password === 'string' && body.password !== '') {
      changeForm(res, { '/repeat': t('auth.mismatch') }, 422);
      return;
    }
    const temporarySession = session?.temporaryPassword ?? false;
    const current = temporarySession ? undefined : typeof body.current === 'string' && body.current !== '' ? body.current : null;
    try {
      await changeOwnPassword(deps.db, actor.username, current, body.password, {
        client: clientAddress(req), device: await knownDevice(deps.db, parseCookies(req.get('cookie'))[DEVICE_COOKIE], actor.username),
        keepSession: session?.idHash, temporarySession,
      });
    } catch (err) {
      if (err instanceof TooManyFailedAuthentications) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        changeForm(res, { '/current': t('auth.tooMany', { seconds: err.retryAfterSeconds }) }, 429);
        return;
      }
      if (!(err instanceof GrmsError) || ![403, 422].includes(err.status)) throw err;
      const errors: FieldErrors = {};
      if (err.code === 'WRONG_PASSWORD') errors['/current'] = t('auth.wrongCurrent');
      for (const p of err.errors ?? []) {
        if (p.path === '/currentPassword') errors['/current'] = t('auth.currentRequired');
        else if (p.path === '/newPassword') errors['/password'] = serverMessage(ctxOf(res), p.message);
      }
      changeForm(res, errors, err.status);
      return;
    }
    res.redirect(303, '/inbox');
  });

  return r;
}
