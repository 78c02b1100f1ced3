import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { asPerson, describeBrowser, launchChromium, newPerson, screenshot, signIn } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { proposal } from './support/proposals';
import { setPassword } from '../src/auth/passwords';
import { CsvParser } from '../src/audit/csv';
import { integrateAll } from './support/log-fixtures';

/**
 * The auditor's and the administrator's pages in Chromium: the auditor checks the chain, downloads
 * a CSV export and opens the dashboard; the admin creates a user, grants a role and resets the
 * password, and the new user must change it at first sign-in.
 */
describeBrowser('web console audit, dashboard and admin in Chromium', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of ['auditor.inspektorat', 'admin']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Posyandu Melati' }) })).body.id;
    for (const [who, type] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify']]) {
      expect((await app.call(who, 'POST', `/api/v1/instances/${id}/events`, { type })).status).toBe(200);
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const as = <T>(username: string, work: (page: Page) => Promise<T>, opts: { phone?: boolean } = {}) =>
    asPerson(browser, app.url, username, TEST_PASSWORD, work, opts);

  test('an auditor checks the chain status (by keyboard) and downloads the export', async () => {
    // An export ends at the latest log checkpoint: every row is in the log and checkpointed first.
    await integrateAll(app.db.kysely);
    expect((await app.call('admin', 'POST', '/api/v1/log/checkpoint')).status).toBe(200);
    await as('auditor.inspektorat', async (page) => {
      await Promise.all([page.waitForURL(/\/audit$/), page.getByRole('link', { name: 'Audit', exact: true }).click()]);
      const check = page.getByRole('button', { name: 'Periksa rantai' });
      await check.focus();
      await Promise.all([page.waitForURL(/check=1/), page.keyboard.press('Enter')]);
      await expect(page.locator('#chain-status h3').textContent()).resolves.toBe('Rantai UTUH');
      await screenshot(page, 'audit');
      await page.getByLabel('Format').selectOption('csv');
      await page.getByLabel('Alur kerja').selectOption('budget-proposal');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Unduh ekspor' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^grms-audit-.+\.csv$/);
      const bytes = fs.readFileSync((await download.path())!);
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      const records = new CsvParser().push(bytes.toString('utf8'));
      expect(records[0]!.slice(0, 4)).toEqual(['\uFEFFJenis baris', 'ID proses', 'Urutan', 'Peristiwa']);
      const rows = await app.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(records.filter((r) => r[0] === 'event')).toHaveLength(Number(rows.n));
      expect(JSON.parse(records.at(-1)!.at(-1)!)).toEqual({ record: 'end', rows: Number(rows.n), leftOut: 0 });
    });
  });

  test('the dashboard on a laptop and on a phone', async () => {
    await as('auditor.inspektorat', async (page) => {
      await Promise.all([page.waitForURL(/\/dashboard$/), page.getByRole('link', { name: 'Dasbor' }).click()]);
      await expect(page.locator('svg.bar-chart title').first().textContent()).resolves.toMatch(/^Pagu, disetujui dan disahkan per OPD/);
      await expect(page.getByRole('row', { name: /Dinas Kesehatan/ }).first().isVisible()).resolves.toBe(true);
      await screenshot(page, 'dashboard');
    });
    await as('auditor.inspektorat', async (page) => {
      await page.goto(`${app.url}/dashboard`);
      // Nothing wider than the phone: no sideways scrolling of the whole page.
      const width = await page.evaluate('document.documentElement.scrollWidth');
      expect(width).toBeLessThanOrEqual(390);
      await screenshot(page, 'dashboard-phone');
    }, { phone: true });
  });

  test('an admin creates a user, grants a role and resets the password; the user must change it', async () => {
    const temporary = await as('admin', async (page) => {
      await Promise.all([page.waitForURL(/\/admin\/users$/), page.getByRole('link', { name: 'Administrasi' }).click()]);
      await page.getByLabel(/^Nama pengguna/).fill('staf.pupr');
      await page.getByLabel(/^Nama lengkap/).fill('Wahyu Hidayat, S.T.');
      await page.getByLabel(/^Jabatan/).fill('Pengawas Lapangan');
      await page.getByLabel(/^OPD/).selectOption('pupr');
      await Promise.all([page.waitForURL(/\/admin\/users\/staf\.pupr\?done=created/), page.getByRole('button', { name: 'Simpan pengguna' }).click()]);
      await page.getByRole('combobox', { name: /^Peran/ }).selectOption('technical_team');
      await page.getByRole('combobox', { name: /^Di OPD/ }).selectOption('pupr');
      await Promise.all([page.waitForURL(/done=granted/), page.getByRole('button', { name: 'Beri peran' }).click()]);
      await expect(page.locator('.notice').textContent()).resolves.toContain('Peran technical_team di pupr diberikan');
      await Promise.all([page.waitForURL(/done=reset$/), page.getByRole('button', { name: 'Atur ulang kata sandi' }).click()]);
      const shown = (await page.locator('#temporary-password').textContent())!;
      await screenshot(page, 'admin-user');
      // Shown once: a reload neither resets again nor shows it again.
      await page.reload();
      expect(await page.locator('#temporary-password').count()).toBe(0);
      await page.goto(`${app.url}/admin/users`);
      await expect(page.getByRole('row', { name: /staf\.pupr/ }).textContent()).resolves.toContain('tim teknis @ pupr');
      await screenshot(page, 'admin-users');
      return shown;
    });
    const { context, page } = await newPerson(browser);
    try {
      await page.goto(`${app.url}/signin`);
      await page.getByLabel('Nama pengguna').fill('staf.pupr');
      await page.getByLabel('Kata sandi').fill(temporary);
      await Promise.all([page.waitForURL(/\/password$/), page.getByRole('button', { name: 'Masuk' }).click()]);
    } finally {
      await context.close();
    }
  });
});
