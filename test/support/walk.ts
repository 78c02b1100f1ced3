import type { ConsoleClient } from './web';

/** One console page a walk opened. */
export interface Visited {
  path: string;
  status: number;
  html: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Links a walk does not follow: downloads, signing out, the language switch, machine answers. */
const SKIP = [/^\/signout/, /\/documents\//, /\/export/, /\/evidence/, /\.(pdf|csv|xlsx|json|svg|png|css|js)(\?|$)/, /[?&]lang=/, /^\/api\//, /^\/assets\//, /\/ocds/, /\/logo/, /[?&](format|download)=/];

/** A page's kind: its path with ids and numbers taken out, and its query's keys. */
export function pageKind(href: string): string {
  const u = new URL(href, 'http://x');
  const pathKind = u.pathname.replace(UUID, ':id').replace(/\/\d+(?=\/|$)/g, '/:n');
  return `${pathKind}?${[...u.searchParams.keys()].sort().join('&')}`;
}

/** Same-origin links of a page (not downloads), as paths with their query. */
export function linksOf(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<a\s([^>]*)>/g)) {
    const attrs = m[1]!;
    if (/\sdownload\b|^download\b/.test(attrs)) continue;
    const href = /href="([^"]*)"/.exec(attrs)?.[1]?.replace(/&amp;/g, '&');
    if (!href || !href.startsWith('/') || href.startsWith('//')) continue;
    const path = href.replace(/#.*$/, '');
    if (path && !SKIP.some((re) => re.test(path))) out.push(path);
  }
  return out;
}

/**
 * Opens `starts` and the console pages their links lead to, breadth first, with `client`'s
 * session: at most `perKind` pages of one kind (a path with its ids taken out), `max` in all.
 */
export async function walk(client: ConsoleClient, starts: readonly string[], opts: { perKind?: number; max?: number } = {}): Promise<Visited[]> {
  const perKind = opts.perKind ?? 2;
  const max = opts.max ?? 120;
  const seen = new Set<string>();
  const kinds = new Map<string, number>();
  const queue = [...starts];
  const out: Visited[] = [];
  while (queue.length && out.length < max) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const kind = pageKind(path);
    if ((kinds.get(kind) ?? 0) >= perKind && !starts.includes(path)) continue;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    const reply = await client.get(path);
    // A redirect's own body is never shown: where it leads is.
    if (reply.status >= 300 && reply.status < 400) {
      if (reply.location?.startsWith('/')) queue.unshift(reply.location);
      continue;
    }
    if (!(reply.headers.get('content-type') ?? '').startsWith('text/html')) continue;
    out.push({ path, status: reply.status, html: reply.text });
    for (const link of linksOf(reply.text)) if (!seen.has(link)) queue.push(link);
  }
  return out;
}
