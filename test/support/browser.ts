import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import axe from 'axe-core';
import { postgresAvailable } from './db';

/**
 * Browser tests drive Debian's Chromium through playwright-core (which downloads no browser).
 * They run on PostgreSQL; without Chromium they are a loud skip locally and a failure with
 * CI=true (.ci/run installs the chromium package).
 */
export const CHROMIUM = process.env.GRMS_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '..', 'artifacts');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync',
];

export function chromiumAvailable(): boolean {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A browser suite: PostgreSQL and Chromium both required (see above for what happens without). */
export function describeBrowser(name: string, fn: () => void): void {
  const hasChromium = chromiumAvailable();
  if (hasChromium && postgresAvailable()) {
    describe(`${name} [postgres]`, fn);
    return;
  }
  const why = hasChromium
    ? 'no PostgreSQL (CI provides it through .ci/run)'
    : `Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set GRMS_CHROMIUM)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs Chromium and PostgreSQL', () => {
        throw new Error(`${why}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`!! SKIPPED: "${name}" — ${why}; CI fails instead of skipping`);
  // Reported as skipped (a file without any test would fail as empty instead).
  describe.skip(name, () => {
    test(`needs ${why}`, () => undefined);
  });
}

/**
 * Launches Chromium headless. playwright gives every launch a new temporary profile
 * (user-data-dir) and removes it on close, so no state leaks between runs.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A fresh context (its own cookies) per person, phone-sized when asked. */
export async function newPerson(browser: Browser, opts: { phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(opts.phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 900 } });
  return { context, page: await context.newPage() };
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel(/Nama pengguna|Username/).fill(username);
  await page.getByLabel(/^(Kata sandi|Password)$/).fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.getByRole('button', { name: /^(Masuk|Sign in)$/ }).click()]);
}

export async function signOut(page: Page): Promise<void> {
  await Promise.all([page.waitForURL(/\/signin/), page.getByRole('button', { name: /^(Keluar|Sign out)$/ }).click()]);
}

/**
 * Runs axe-core in the page and fails on any violation, naming the rule and the elements. axe is
 * injected as a script through page.evaluate (a DevTools evaluation, which the page's CSP does
 * not govern); the app's CSP stays as it is. `where` names the page in the failure.
 */
export async function expectAccessible(page: Page, where = page.url()): Promise<void> {
  const injected = await page.evaluate<boolean>("typeof window.axe === 'object'");
  if (!injected) await page.evaluate(axe.source);
  // A page function as a string: this project compiles without the DOM types.
  const violations = await page.evaluate<Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>>(
    "window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
  );
  const said = violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', ')}`);
  if (said.length) throw new Error(`axe-core found ${said.length} violation(s) on ${where} [${page.viewportSize()?.width ?? '?'} px]:\n${said.join('\n')}`);
}

/**
 * Saves a full-page screenshot to test/artifacts/<name>.png for a person to look at, after axe-core
 * has checked the page (every page a browser test shows is checked, at the size it is shown).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await expectAccessible(page, name);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs `work` as `username`, signed in with `password` in a fresh browser context closed afterwards. */
export async function asPerson<T>(
  browser: Browser, url: string, username: string, password: string, work: (page: Page) => Promise<T>, opts: { phone?: boolean } = {},
): Promise<T> {
  const { context, page } = await newPerson(browser, opts);
  try {
    await signIn(page, url, username, password);
    return await work(page);
  } finally {
    await context.close();
  }
}
