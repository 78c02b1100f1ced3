import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { describeBrowser, expectAccessible, launchChromium, newPerson, signIn } from './support/browser';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { pageKind, walk } from './support/walk';
import { setPassword } from '../src/auth/passwords';
import { demoUsernames, seedDemo } from '../src/seed/demo';
import { LANG_COOKIE } from '../src/web/i18n';

/**
 * axe-core over every kind of console page the demo people and the public can reach (the pages
 * the other browser tests open are checked where they take their screenshots): each page in both
 * languages, on a laptop and on a 390 px phone, with zero violations. The pages are found over
 * HTTP first (test/support/walk.ts), one of each kind, so one browser visits each once per language.
 */
describeBrowser('axe-core on every kind of console page, both languages, laptop and phone', () => {
  let app: TestApp;
  let browser: Browser;
  /** Pages to check, by who opens them (undefined: anyone). */
  const pages = new Map<string | undefined, string[]>();

  beforeAll(async () => {
    app = await startTestApp('postgres', { seed: false });
    expect(await seedDemo(app.db.kysely, app.engine)).toEqual({ created: true });
    const kinds = new Set<string>();
    const take = (who: string | undefined, paths: string[]) => {
      const fresh = paths.filter((p) => !kinds.has(pageKind(p)));
      for (const p of fresh) kinds.add(pageKind(p));
      if (fresh.length) pages.set(who, fresh);
    };
    const anyone = new ConsoleClient(app.url);
    const doc = await app.db.kysely.selectFrom('documents').select('id').executeTakeFirstOrThrow();
    take(undefined, (await walk(anyone, ['/signin', '/verify', `/verify/${doc.id}`, '/lapor/complaint'], { perKind: 1 })).filter((v) => v.status < 400).map((v) => v.path));
    for (const username of demoUsernames()) {
      await setPassword(app.db.kysely, 'admin', username, TEST_PASSWORD);
      const person = new ConsoleClient(app.url);
      await person.signIn(username, TEST_PASSWORD);
      const visited = await walk(person, ['/inbox', '/list', '/new', '/dashboard', '/audit', '/admin', '/password'], { perKind: 1, max: 40 });
      take(username, visited.filter((v) => v.status < 400).map((v) => v.path));
    }
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const check = async (page: Page, paths: readonly string[]) => {
    const failures: string[] = [];
    for (const lang of ['id', 'en']) {
      await page.context().addCookies([{ name: LANG_COOKIE, value: lang, url: app.url }]);
      for (const path of paths) {
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.goto(`${app.url}${path}`);
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
          try {
            await expectAccessible(page, `${path} (${lang})`);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }
    }
    return failures;
  };

  test('every kind of page, each person and the public', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const [username, paths] of pages) {
      const { context, page } = await newPerson(browser);
      try {
        if (username) await signIn(page, app.url, username, TEST_PASSWORD);
        failures.push(...await check(page, paths));
        checked += paths.length;
      } finally {
        await context.close();
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  }, 900_000);
});
