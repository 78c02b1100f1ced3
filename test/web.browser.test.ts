import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { describeBrowser, launchChromium, newPerson, screenshot, signIn, signOut } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { setPassword } from '../src/auth/passwords';
import { DEMO_USERNAMES } from '../src/seed/demo';

describeBrowser('web console in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of DEMO_USERNAMES) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  test('sign in, see the inbox, sign out', async () => {
    const { context, page } = await newPerson(browser);
    await page.goto(`${app.url}/signin`);
    await screenshot(page, 'signin');
    await signIn(page, app.url, 'kadis.dinkes', TEST_PASSWORD);
    await page.waitForURL(/\/inbox$/);
    await expectText(page, 'h1', 'Kotak tugas');
    await screenshot(page, 'inbox');
    await signOut(page);
    await page.goto(`${app.url}/inbox`);
    await page.waitForURL(/\/signin/);
    await context.close();
  });
});

async function expectText(page: import('playwright-core').Page, selector: string, text: string): Promise<void> {
  expect(await page.locator(selector).first().textContent()).toContain(text);
}
