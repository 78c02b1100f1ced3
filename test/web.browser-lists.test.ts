import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import path from 'node:path';
import { ARTIFACTS, asPerson, describeBrowser, launchChromium, screenshot } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { proposal, YEAR } from './support/proposals';
import { permitData, registerApplication } from './support/permits';
import { award, contractData, ratifiedPuprProposal } from './support/procurement';
import { setPassword } from '../src/auth/passwords';

/**
 * The lists and the state diagram in Chromium, on a laptop and on a 390 px phone: a dashboard
 * count opens the filtered list, the filter form and the search find what they should, nothing
 * runs off the side of a phone; the diagram's text is at least 12 CSS px wherever it shows (on a
 * phone, as a list of steps).
 */
describeBrowser('lists and the state diagram in Chromium, laptop and phone', () => {
  let app: TestApp;
  let browser: Browser;
  let returnedId = '';
  let contractId = '';

  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of ['tapd.sekda', 'perencana.dinkes', 'fo.dpmptsp', 'auditor.inspektorat']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    const create = async (title: string, steps: Array<[string, string, string?]>) => {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) })).body.id as string;
      for (const [who, type, comment] of steps) expect((await app.call(who, 'POST', `/api/v1/instances/${id}/events`, { type, comment })).status).toBe(200);
      return id;
    };
    await create('Posyandu Melati', []);
    await create('Puskesmas keliling', [['perencana.dinkes', 'submit']]);
    await create('Ambulans desa', [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve']]);
    // Returned by Bappeda and sent again: the diagram has a path back and forth.
    returnedId = await create('Kelas ibu hamil', [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'return', 'Lengkapi indikator'],
      ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve']]);
    expect((await registerApplication(app, permitData())).status).toBe(201);
    // A contract: the widest drawing (nested payment steps, arcs back for each termin).
    contractId = await award(app, contractData(await ratifiedPuprProposal(app.db.kysely, app.engine)));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const as = <T>(username: string, work: (page: Page) => Promise<T>, opts: { phone?: boolean } = {}) =>
    asPerson(browser, app.url, username, TEST_PASSWORD, work, opts);
  const titles = (page: Page) => page.locator('table.list tbody td[data-label="Judul"] a').allTextContents();
  /** Nothing wider than the screen: no sideways scrolling of the page. */
  const fitsWidth = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

  for (const phone of [false, true]) {
    const size = phone ? 'phone' : 'laptop';

    test(`${size}: a dashboard count opens its list; the filter form and the search narrow it`, async () => {
      await as('tapd.sekda', async (page) => {
        await page.goto(`${app.url}/dashboard?year=${YEAR}`);
        // The count of Dinkes proposals at Bappeda's verification, as a link to exactly those.
        const link = page.locator('a[href^="/list/budget-proposal?state=bappeda_verification&org=dinkes"]');
        expect(await link.textContent()).toBe('2');
        await Promise.all([page.waitForURL(/\/list\/budget-proposal\?state=bappeda_verification/), link.click()]);
        expect(await page.locator('h1').textContent()).toBe('Daftar usulan');
        expect((await titles(page)).sort()).toEqual(['Ambulans desa', 'Kelas ibu hamil']);
        expect(await page.locator('#list-state').inputValue()).toBe('bappeda_verification');
        await screenshot(page, `list-${size}`);
        expect(await fitsWidth(page)).toBe(true);

        // Any state, searched by a word of the title, typed in the form.
        await page.selectOption('#list-state', '');
        await page.fill('#list-q', 'puskesmas');
        await Promise.all([page.waitForURL(/q=puskesmas/), page.getByRole('button', { name: 'Tampilkan' }).click()]);
        expect(await titles(page)).toEqual(['Puskesmas keliling']);
        // A refusal stays beside its field, the form keeps what was typed.
        await page.fill('#list-q', 'x');
        await Promise.all([page.waitForURL(/q=x/), page.getByRole('button', { name: 'Tampilkan' }).click()]);
        expect(await page.locator('#list-q-error').textContent()).toBe('tulis 2 sampai 100 karakter');
        expect(await page.locator('#list-q').inputValue()).toBe('x');
        // The error goes as the user corrects the field (the server checks again on sending).
        await page.locator('#list-q').pressSequentially('y');
        expect(await page.locator('#list-q-error').count()).toBe(0);
        expect(await page.locator('#list-q').getAttribute('aria-invalid')).toBeNull();
        expect(await page.locator('#list-q').getAttribute('aria-describedby')).toBe('list-q-hint');
        // The tabs lead to the other workflows' lists.
        await Promise.all([page.waitForURL(/\/list\/permit$/), page.getByRole('link', { name: 'Daftar permohonan' }).click()]);
        expect(await page.locator('table.list tbody tr').count()).toBe(1);
        expect(await fitsWidth(page)).toBe(true);
      }, { phone });
    });

    test(`${size}: every text of the state diagrams is at least 12 CSS px as shown (a list of steps on a phone)`, async () => {
      await as('auditor.inspektorat', async (page) => {
        for (const [name, id] of [['proposal', returnedId], ['contract', contractId]] as const) {
          await page.goto(`${app.url}/instances/${id}`);
          // Every visible text of the diagram section, SVG text scaled by the drawing's size on screen.
          const sizes = await page.evaluate<Array<{ text: string; px: number }>>(`(() => {
            const section = document.getElementById('h-diagram').closest('section');
            const out = [];
            const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
              const el = n.parentElement;
              const text = (n.textContent || '').trim();
              if (!text || el.closest('title, desc') || el.getClientRects().length === 0) continue;
              let px = parseFloat(getComputedStyle(el).fontSize);
              const svg = el.closest('svg');
              if (svg) px *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              out.push({ text, px: Math.round(px * 10) / 10 });
            }
            return out;
          })()`);
          expect({ name, many: sizes.length > 5 }).toEqual({ name, many: true });
          expect({ name, small: sizes.filter((s) => s.px < 12) }).toEqual({ name, small: [] });
          expect(await page.locator('svg.diagram').isVisible()).toBe(!phone);
          expect(await page.locator('ol.step-list').isVisible()).toBe(phone);
          // Nothing runs off the page: a drawing wider than the screen scrolls in its own box.
          expect(await fitsWidth(page)).toBe(true);
          if (phone && name === 'proposal') {
            // The step list says where the proposal is and what it passed, in words.
            expect(await page.locator('ol.step-list > li[aria-current="step"] .step-name').textContent()).toBe('Verifikasi Bappeda');
            expect(await page.locator('ol.step-list > li.visited .step-name').allTextContents()).toEqual(['Draf', 'Telaah Kepala OPD']);
          }
          if (name === 'proposal') await screenshot(page, `instance-${size}`);
          await page.locator('section:has(#h-diagram)').screenshot({ path: path.join(ARTIFACTS, `diagram-${name}-${size}.png`) });
        }
      }, { phone });
    });
  }
});
