import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { describeBrowser, launchChromium, newPerson, signIn } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { proposal } from './support/proposals';
import { registerApplication } from './support/permits';
import { setPassword } from '../src/auth/passwords';

/**
 * The style policy without 'unsafe-inline', as Chromium applies it: pages keep their stylesheets'
 * look and the browser reports no violation (an inline style it refused would show up here).
 */
describeBrowser('style CSP in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let instance: string;
  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of ['perencana.dinkes', 'auditor.inspektorat', 'admin']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    instance = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A page that records every CSP violation from its first script on. */
  async function watchedPage(): Promise<{ page: Page; violations(): Promise<string[]>; close(): Promise<void> }> {
    const { context, page } = await newPerson(browser);
    // Browser code as text: this project compiles without the DOM types.
    await context.addInitScript(`window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));`);
    return {
      page,
      violations: () => page.evaluate<string[]>('window.cspViolations'),
      close: () => context.close(),
    };
  }

  test('the public permit status page is styled by its stylesheet, with no violation', async () => {
    const { registrationNumber, pin } = (await registerApplication(app)).body.receipt;
    const w = await watchedPage();
    try {
      await w.page.goto(`${app.url}/permits/status`);
      const look = await w.page.evaluate<{ bodyMaxWidth: string; labelDisplay: string }>(`({
        bodyMaxWidth: getComputedStyle(document.body).maxWidth,
        labelDisplay: getComputedStyle(document.querySelector('label')).display,
      })`);
      expect(look).toEqual({ bodyMaxWidth: '640px', labelDisplay: 'block' });
      await w.page.locator('#registrationNumber').fill(registrationNumber);
      await w.page.locator('#pin').fill(pin);
      await Promise.all([w.page.waitForLoadState('load'), w.page.getByRole('button', { name: 'Lihat status' }).click()]);
      await w.page.waitForSelector('table');
      expect(await w.page.evaluate<string>(`getComputedStyle(document.querySelector('th')).textAlign`)).toBe('left');
      expect(await w.violations()).toEqual([]);
    } finally {
      await w.close();
    }
  });

  test('console pages keep the console stylesheet\'s look, with no violation, for each kind of user', async () => {
    const pagesOf: Record<string, string[]> = {
      'perencana.dinkes': ['/inbox', '/new/budget-proposal', `/instances/${instance}`],
      'auditor.inspektorat': ['/audit', '/dashboard'],
      admin: ['/admin/users', '/admin/orgs'],
    };
    for (const [user, paths] of Object.entries(pagesOf)) {
      const w = await watchedPage();
      try {
        await signIn(w.page, app.url, user, TEST_PASSWORD);
        for (const path of paths) {
          await w.page.goto(`${app.url}${path}`);
          // main { max-width: 72rem } from console.css
          const mainMaxWidth = await w.page.evaluate<string>(`getComputedStyle(document.querySelector('main')).maxWidth`);
          expect({ user, path, mainMaxWidth, violations: await w.violations() }).toEqual({ user, path, mainMaxWidth: '1152px', violations: [] });
        }
      } finally {
        await w.close();
      }
    }
  });
});
