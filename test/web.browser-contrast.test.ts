import type { Browser, CDPSession, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { asPerson, describeBrowser, launchChromium, screenshot } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { proposal } from './support/proposals';
import { registerApplication } from './support/permits';
import { setPassword } from '../src/auth/passwords';
import { demoUsernames } from '../src/seed/demo';

/**
 * Every button style of the console (primary, secondary, danger, the header's link button, links
 * styled as buttons), in every state a person puts it in — at rest, under the mouse, focused,
 * pressed — keeps its text readable: WCAG AA, 4.5:1, computed in Chromium from the colours the
 * page really has (axe does not look at these states). The states are forced through the
 * DevTools protocol (CSS.forcePseudoState), on a laptop and on a 390 px phone.
 */
type State = 'rest' | 'hover' | 'focus' | 'active';
const STATES: Record<State, string[]> = { rest: [], hover: ['hover'], focus: ['focus', 'focus-visible'], active: ['hover', 'active', 'focus'] };

interface Measured {
  style: string;
  label: string;
  color: string;
  background: string;
  ratio: number;
}

/**
 * Runs in the page on one element: its text colour, the colour behind it (its own background,
 * else the nearest ancestor's, each blended over what is behind it) and their contrast ratio.
 */
const MEASURE = `function () {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); const p = m ? m[1].split(',').map((x) => parseFloat(x)) : [0, 0, 0, 0]; return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, below) => { const a = top[3]; return [top[0] * a + below[0] * (1 - a), top[1] * a + below[1] * (1 - a), top[2] * a + below[2] * (1 - a), 1]; };
  const layers = [];
  for (let el = this; el; el = el.parentElement) layers.push(parse(getComputedStyle(el).backgroundColor));
  let bg = [255, 255, 255, 1];
  for (const layer of layers.reverse()) bg = over(layer, bg);
  const fg = over(parse(getComputedStyle(this).color), bg);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const style = this.tagName.toLowerCase() + [...this.classList].filter((c) => c !== 'visually-hidden').map((c) => '.' + c).join('');
  const box = this.getBoundingClientRect();
  return { style, label: (this.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40), color: getComputedStyle(this).color, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(', ') + ')', ratio: (hi + 0.05) / (lo + 0.05), visible: box.width > 1 && box.height > 1 };
}`;

/** Every visible button-like element of the page, measured in every state. */
async function measureButtons(page: Page): Promise<Array<Measured & { state: State }>> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'button, a.button, .tabs a, header.top a' });
  const out: Array<Measured & { state: State }> = [];
  for (const nodeId of nodeIds) {
    const { object } = await cdp.send('DOM.resolveNode', { nodeId });
    for (const [state, forced] of Object.entries(STATES) as Array<[State, string[]]>) {
      await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: forced });
      const { result } = await cdp.send('Runtime.callFunctionOn', { objectId: object.objectId!, functionDeclaration: MEASURE, returnByValue: true });
      const m = result.value as Measured & { visible: boolean };
      if (m.visible) out.push({ state, style: m.style, label: m.label, color: m.color, background: m.background, ratio: Math.round(m.ratio * 100) / 100 });
    }
    await cdp.send('CSS.forcePseudoState', { nodeId, forcedPseudoClasses: [] });
  }
  await cdp.detach();
  return out;
}

describeBrowser('button contrast in every state, in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let proposalId = '';
  let atTapd = '';
  let draftId = '';
  let permitId = '';

  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of demoUsernames()) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
    proposalId = created.body.id as string;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${proposalId}/events`, { type: 'submit' });
    atTapd = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Di meja TAPD' }) })).body.id as string;
    for (const [user, type] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify']] as const) {
      const r = await app.call(user, 'POST', `/api/v1/instances/${atTapd}/events`, { type });
      if (r.status !== 200) throw new Error(`${type}: ${r.status} ${r.text}`);
    }
    draftId = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Masih draf' }) })).body.id as string;
    permitId = (await registerApplication(app)).body.id as string;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  // Pages that together hold every button style, and the people who see them.
  const PAGES: Array<[user: string | undefined, path: () => string]> = [
    [undefined, () => '/signin'],
    ['perencana.dinkes', () => '/new/budget-proposal'],
    ['kadis.dinkes', () => `/instances/${proposalId}`],
    ['tapd.sekda', () => `/instances/${atTapd}`],
    ['perencana.dinkes', () => `/instances/${draftId}`],
    ['fo.dpmptsp', () => `/instances/${permitId}`],
    ['admin', () => '/admin/users/perencana.pupr'],
    ['admin', () => '/admin/users/perencana.pupr/deactivate'],
    ['admin', () => '/admin/holidays'],
  ];

  test.each([['laptop', false], ['phone (390 px)', true]])('%s: every button style meets 4.5:1 at rest, hovered, focused and pressed', async (_size, phone) => {
    const measured: Array<Measured & { state: State; page: string }> = [];
    for (const [user, path] of PAGES) {
      const work = async (page: Page) => {
        await page.goto(`${app.url}${path()}`);
        for (const m of await measureButtons(page)) measured.push({ ...m, page: path() });
      };
      if (user) await asPerson(browser, app.url, user, TEST_PASSWORD, work, { phone });
      else {
        const context = await browser.newContext(phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 900 } });
        try {
          await work(await context.newPage());
        } finally {
          await context.close();
        }
      }
    }
    const styles = new Set(measured.map((m) => m.style));
    // The styles the issue names (Kembalikan, Tolak, Tambah baris, Hapus baris, Cabut are secondary) and the others.
    for (const style of ['button', 'button.secondary', 'button.danger', 'button.link', 'a.button', 'a.button.secondary', 'a.button.danger']) expect(styles).toContain(style);
    for (const label of ['Kembalikan', 'Tolak', 'Tambah baris', 'Hapus baris', 'Cabut']) {
      expect(measured.filter((m) => m.label.startsWith(label) && m.state === 'hover').length).toBeGreaterThan(0);
    }
    const failing = measured.filter((m) => m.ratio < 4.5).map((m) => `${m.page} ${m.style} "${m.label}" ${m.state}: ${m.color} on ${m.background} = ${m.ratio}`);
    expect(failing).toEqual([]);
  });

  test('a secondary button under the mouse: dark with white text (screenshot)', async () => {
    await asPerson(browser, app.url, 'kadis.dinkes', TEST_PASSWORD, async (page) => {
      await page.goto(`${app.url}/instances/${proposalId}`);
      const back = page.getByRole('button', { name: 'Kembalikan', exact: true });
      await back.hover();
      const colours = await back.evaluate((el: unknown) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const s = (globalThis as any).getComputedStyle(el);
        return [s.color, s.backgroundColor];
      });
      expect(colours).toEqual(['rgb(255, 255, 255)', 'rgb(8, 61, 110)']);
      await screenshot(page, 'button-hover-secondary');
    });
  });
});
