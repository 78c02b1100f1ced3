import type { Response } from 'express';
import { html, type SafeHtml } from './html';
import { ctxOf, type WebContext } from './context';
import { navFor } from './nav';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  status?: number;
  /** A one-line message above the page (after a successful action). */
  notice?: string;
}

/** The current URL with `?lang=` set to the other language. */
function switchLangHref(ctx: WebContext): string {
  const url = new URL(ctx.url, 'http://x');
  url.searchParams.delete('_csrf'); // a token in a URL is refused; a link must not repeat one
  url.searchParams.set('lang', ctx.lang === 'id' ? 'en' : 'id');
  return url.pathname + url.search;
}

/** A hidden `_csrf` field: every console form carries one. */
export function csrfField(ctx: WebContext): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

export function layout(ctx: WebContext, { title, body, notice }: PageOptions): SafeHtml {
  const { t, actor } = ctx;
  const here = new URL(ctx.url, 'http://x');
  const current = here.pathname;
  // A form sent a second time lands on the first submission's result (src/web/form-token.ts).
  const again = here.searchParams.get('again') === '1';
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — ${t('app.name')}</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t('skip.toMain')}</a>
<header class="top">
  <a class="brand" href="${actor ? '/inbox' : '/signin'}">${t('app.name')}<span class="tagline">${t('app.tagline')}</span></a>
  <nav aria-label="${t('nav.main')}">
    <ul>${navFor(actor, ctx.registry).map((e) => html`<li><a href="${e.href}"${current === e.href || current.startsWith(`${e.href}/`) ? html` aria-current="page"` : ''}>${t(e.label)}</a></li>`)}</ul>
  </nav>
  <div class="who">
    <a href="${switchLangHref(ctx)}" lang="${ctx.lang === 'id' ? 'en' : 'id'}" aria-label="${t('lang.switchLabel')}">${t('lang.switch')}</a>
    ${actor
      ? html`<span class="user">${t('auth.signedInAs', { name: actor.fullName })}</span>
    <form method="post" action="/signout" class="inline">${csrfField(ctx)}<button type="submit" class="link">${t('auth.signOut')}</button></form>`
      : current === '/signin' ? '' : html`<a href="/signin">${t('auth.signIn')}</a>`}
  </div>
</header>
<main id="main" tabindex="-1">
${again ? html`<p class="notice" role="status" id="form-again">${t('form.again')}</p>` : ''}
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** Sends a full console page. */
export function sendPage(res: Response, options: PageOptions): void {
  res.status(options.status ?? 200).type('html').set('Cache-Control', 'no-store').send(layout(ctxOf(res), options).value);
}
