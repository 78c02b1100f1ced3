/** A cookie-keeping HTTP client for console pages (real requests to a running server, no browser). */
export interface PageReply {
  status: number;
  headers: Headers;
  text: string;
  /** Where a redirect points (redirects are not followed). */
  location: string | null;
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  private remember(headers: Headers): void {
    for (const c of headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, body?: string | FormData | URLSearchParams, headers: Record<string, string> = {}): Promise<PageReply> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.baseUrl + path, {
      method, body, redirect: 'manual',
      headers: { accept: 'text/html', ...(cookie && { cookie }), ...headers },
    });
    this.remember(res.headers);
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') };
  }

  get(path: string): Promise<PageReply> {
    return this.request('GET', path);
  }

  /** Posts a form; `_csrf` is taken from `page` (the page the form is on) unless given. */
  post(path: string, fields: Record<string, string>, page?: PageReply): Promise<PageReply> {
    const form = new URLSearchParams(fields);
    if (page && !('_csrf' in fields)) form.set('_csrf', csrfOf(page));
    return this.request('POST', path, form);
  }

  /** Posts a form with files as multipart/form-data (what a form that takes files sends); `_csrf` from `page`. */
  postFiles(path: string, fields: Record<string, string>, files: Record<string, { name: string; bytes: Buffer }>, page?: PageReply): Promise<PageReply> {
    const form = new FormData();
    if (page && !('_csrf' in fields)) form.append('_csrf', csrfOf(page));
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const [k, f] of Object.entries(files)) form.append(k, new Blob([f.bytes]), f.name);
    return this.request('POST', path, form);
  }

  async signIn(username: string, password: string): Promise<PageReply> {
    const page = await this.get('/signin');
    return this.post('/signin', { username, password }, page);
  }
}

export function csrfOf(page: PageReply): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page.text);
  if (!m) throw new Error(`no _csrf field on the page (status ${page.status})`);
  return m[1]!;
}

/** A password the policy accepts, the same for every demo user in a test. */
export const TEST_PASSWORD = 'kata-sandi-uji-2026';
