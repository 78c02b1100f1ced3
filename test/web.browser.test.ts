import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { asPerson, describeBrowser, launchChromium, newPerson, screenshot, signIn, signOut } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { proposal, YEAR } from './support/proposals';
import { setPassword } from '../src/auth/passwords';
import { demoUsernames } from '../src/seed/demo';

/**
 * The budget proposal's whole path in the console, as the people in workflows/budget-proposal/v1.ts
 * would walk it in Chromium: create with two lines (after one refused attempt), OPD head approves,
 * Bappeda returns with a comment, the planner edits and resubmits, then approve, verify, TAPD
 * approves, PPKD ratifies. Then the verify page on a signed PDF and on a tampered copy.
 */
describeBrowser('web console in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let instanceUrl = '';

  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of demoUsernames()) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const as = <T>(username: string, work: (page: Page) => Promise<T>, opts: { phone?: boolean } = {}) =>
    asPerson(browser, app.url, username, TEST_PASSWORD, work, opts);

  const fire = async (page: Page, event: string, comment?: string) => {
    await page.goto(instanceUrl);
    if (comment !== undefined) await page.locator('#comment').fill(comment);
    await Promise.all([page.waitForURL(/\?done=/), page.getByRole('button', { name: event, exact: true }).click()]);
  };
  const stateOf = async (page: Page) => (await page.locator('dl.summary strong').textContent())?.trim();

  test('the sign-in page, and a wrong password', async () => {
    const { context, page } = await newPerson(browser);
    await page.goto(`${app.url}/signin`);
    await screenshot(page, 'signin');
    await page.getByLabel('Nama pengguna').fill('perencana.dinkes');
    await page.getByLabel('Kata sandi').fill('salah-sekali-123');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await expect(page.locator('[role="alert"]').textContent()).resolves.toContain('Nama pengguna atau kata sandi salah');
    await context.close();
  });

  // Page functions run in the browser; they are given as strings because this project compiles without the DOM types.
  test('keyboard only: the skip link comes first, and signing in works without a mouse', async () => {
    const { context, page } = await newPerson(browser);
    await page.goto(`${app.url}/signin`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate("document.activeElement?.getAttribute('href')")).toBe('#main');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    // The focused element is visibly marked (:focus-visible draws an outline).
    await page.keyboard.press('Tab');
    while (await page.evaluate('document.activeElement?.id') !== 'username') await page.keyboard.press('Tab');
    expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe('solid');
    await page.keyboard.type('kadis.pupr');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_PASSWORD);
    await Promise.all([page.waitForURL(/\/inbox$/), page.keyboard.press('Enter')]);
    await context.close();
  });

  test('a planner creates a proposal with two lines; the server\'s error shows beside the field, values kept', async () => {
    await as('perencana.dinkes', async (page) => {
      await page.getByRole('link', { name: 'Buat baru' }).click();
      await page.waitForURL(/\/new\/budget-proposal$/);
      await page.fill('#f-fiscalYear', String(YEAR));
      await page.fill('#f-subKegiatan-code', '1.02.02.2.02.0001');
      await page.fill('#f-subKegiatan-name', 'Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan');
      await page.fill('#f-title', 'Pengadaan alat kesehatan Puskesmas');
      await page.fill('#f-output-indicator', 'Puskesmas dengan alat lengkap');
      await page.fill('#f-output-target', '2');
      await page.fill('#f-output-unit', 'Puskesmas');
      await page.selectOption('#f-fundingSource', 'DAK');
      await page.fill('#f-location', 'Kecamatan Gunungpati');
      await page.fill('#f-lines-0-account', '5.2.02.05.01.0001');
      await page.fill('#f-lines-0-description', 'Alat kesehatan umum');
      await page.fill('#f-lines-0-volume', '2');
      await page.fill('#f-lines-0-unit', 'paket');
      await page.fill('#f-lines-0-unitPrice', '500000000');
      expect(await page.inputValue('#f-lines-0-unitPrice')).toBe('500.000.000');
      await page.getByRole('button', { name: 'Tambah baris' }).click();
      await page.fill('#f-lines-1-account', '5.2.02'); // not a full account code: the server refuses it
      await page.fill('#f-lines-1-description', 'Pelatihan tenaga kesehatan');
      await page.fill('#f-lines-1-volume', '10');
      await page.fill('#f-lines-1-unit', 'orang');
      await page.fill('#f-lines-1-unitPrice', '25000000');
      await expect(page.locator('output[data-total-of="/lines"]').textContent()).resolves.toBe('Rp 1.250.000.000');
      await page.getByRole('button', { name: 'Simpan' }).click();
      await page.waitForSelector('#error-summary');
      expect(await page.getAttribute('#f-lines-1-account', 'aria-invalid')).toBe('true');
      expect(await page.textContent('#f-lines-1-account-error')).toContain('format tidak sesuai');
      expect(await page.inputValue('#f-lines-1-description')).toBe('Pelatihan tenaga kesehatan');
      expect(await page.inputValue('#f-lines-0-unitPrice')).toBe('500.000.000');
      await screenshot(page, 'form-with-error');
      await page.fill('#f-lines-1-account', '5.1.02.02.01.0026');
      await Promise.all([page.waitForURL(/\/instances\/[0-9a-f-]{36}\?done=create$/), page.getByRole('button', { name: 'Simpan' }).click()]);
      instanceUrl = page.url().replace(/\?.*$/, '');
      expect(await stateOf(page)).toBe('Draf');
      expect(await page.textContent('dl.summary')).toContain('Rp 1.250.000.000');
      await fire(page, 'Ajukan');
      expect(await stateOf(page)).toBe('Telaah Kepala OPD');
    });
    const row = await app.db.kysely.selectFrom('workflow_instances').select(['total', 'data']).where('title', '=', 'Pengadaan alat kesehatan Puskesmas').executeTakeFirstOrThrow();
    expect(row.total).toBe(1_250_000_000);
    expect((row.data.lines as unknown[]).length).toBe(2);
  });

  test('the OPD head finds it in the inbox and approves', async () => {
    await as('kadis.dinkes', async (page) => {
      await page.goto(`${app.url}/inbox`);
      const link = page.getByRole('link', { name: 'Pengadaan alat kesehatan Puskesmas' });
      expect(await page.locator('table.tasks').textContent()).toContain('Rp 1.250.000.000');
      await screenshot(page, 'inbox');
      await link.click();
      await fire(page, 'Setujui');
      expect(await stateOf(page)).toBe('Verifikasi Bappeda');
    });
  });

  test('Bappeda cannot return without a comment, then returns it with one', async () => {
    await as('verifikator.bappeda', async (page) => {
      await page.goto(instanceUrl);
      await page.getByRole('button', { name: 'Kembalikan', exact: true }).click();
      await page.waitForSelector('#comment-error');
      expect(await page.getAttribute('#comment', 'aria-invalid')).toBe('true');
      expect(await stateOf(page)).toBe('Verifikasi Bappeda');
      await fire(page, 'Kembalikan', 'Harga satuan alat kesehatan terlalu tinggi, sesuaikan dengan e-katalog.');
      expect(await stateOf(page)).toBe('Draf');
    });
  });

  test('the planner reads the comment, fixes the price and resubmits', async () => {
    await as('perencana.dinkes', async (page) => {
      await page.goto(instanceUrl);
      expect(await page.textContent('ol.timeline')).toContain('terlalu tinggi');
      await page.getByRole('link', { name: 'Ubah data' }).click();
      expect(await page.inputValue('#f-lines-0-unitPrice')).toBe('500.000.000');
      await page.fill('#f-lines-0-unitPrice', '450000000');
      await expect(page.locator('output[data-total-of="/lines"]').textContent()).resolves.toBe('Rp 1.150.000.000');
      // Enter in a field saves (it must not fire the first row's remove button).
      await Promise.all([page.waitForURL(/\?done=update$/), page.press('#f-lines-0-unitPrice', 'Enter')]);
      expect(await page.textContent('dl.summary')).toContain('Rp 1.150.000.000');
      await fire(page, 'Ajukan');
      expect(await stateOf(page)).toBe('Telaah Kepala OPD');
    });
  });

  test('approve, verify, TAPD approves, PPKD ratifies', async () => {
    await as('kadis.dinkes', (page) => fire(page, 'Setujui'));
    await as('verifikator.bappeda', (page) => fire(page, 'Verifikasi'));
    await as('tapd.sekda', (page) => fire(page, 'Setujui'));
    await as('ppkd.bpkad', async (page) => {
      await fire(page, 'Sahkan');
      expect(await stateOf(page)).toBe('Disahkan (DPA)');
      expect(await page.locator('svg.diagram .node.current text').textContent()).toBe('Disahkan (DPA)');
      // The return to draft was taken, so that arc is drawn as part of the path.
      expect(await page.locator('svg.diagram .edge.taken title').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Verifikasi Bappeda → Draf')]));
      // submit, approve, return, submit, approve, verify, approve, ratify: one signed document each.
      expect(await page.locator('table a[download]').count()).toBe(8);
      await screenshot(page, 'instance');
    });
  });

  test('the verify page: a signed PDF is valid, a tampered copy is not', async () => {
    const doc = await app.db.kysely.selectFrom('documents').innerJoin('workflow_instances as w', 'w.id', 'documents.instance_id')
      .select(['documents.id', 'documents.bytes', 'documents.signer_name']).where('w.title', '=', 'Pengadaan alat kesehatan Puskesmas')
      .where('documents.event', '=', 'ratify').executeTakeFirstOrThrow();
    const pdf = Buffer.from(doc.bytes);
    const tampered = Buffer.from(pdf);
    // A byte inside the first signed range (before the signature's hex contents).
    const [start, length] = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)/.exec(pdf.toString('latin1'))!.slice(1).map(Number) as [number, number];
    const at = start + Math.floor(length / 2);
    tampered[at] = tampered[at]! ^ 0x01;
    const { context, page } = await newPerson(browser, { phone: true });
    await page.goto(`${app.url}/verify/${doc.id}`);
    expect(await page.textContent('table.facts')).toContain(doc.signer_name);
    await page.setInputFiles('#pdf', { name: 'dpa.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('button', { name: 'Periksa' }).click();
    await page.waitForSelector('.verdict');
    expect(await page.textContent('.verdict h2')).toBe('Tanda tangan SAH');
    // The stage a document belongs to is the state its event left (ratify fires in "approved").
    expect(await page.textContent('.verdict')).toContain('Disetujui TAPD');
    await screenshot(page, 'verify-valid-phone');
    await page.setInputFiles('#pdf', { name: 'dpa-diubah.pdf', mimeType: 'application/pdf', buffer: tampered });
    await page.getByRole('button', { name: 'Periksa' }).click();
    await page.waitForSelector('.verdict.invalid');
    expect(await page.textContent('.verdict h2')).toBe('Tanda tangan TIDAK SAH');
    // Said as what happened to the file, in Indonesian: not "not registered", not the check's English.
    expect(await page.textContent('.verdict')).toContain('Isi berkas telah diubah setelah ditandatangani');
    expect(await page.textContent('.verdict')).not.toContain('tidak terdaftar');
    await screenshot(page, 'verify-invalid');
    await context.close();
  });

  test('the inbox on a phone, in English, with an overdue task; signing out ends the session', async () => {
    const created = await app.call('perencana.pupr', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Rehabilitasi saluran drainase' }) });
    await app.call('perencana.pupr', 'POST', `/api/v1/instances/${created.body.id}/events`, { type: 'submit' });
    await app.db.kysely.updateTable('deadlines').set({ due_at: new Date(Date.now() - 86_400_000) }).where('instance_id', '=', created.body.id).execute();
    await as('kadis.pupr', async (page) => {
      await page.goto(`${app.url}/inbox?lang=en`);
      expect(await page.textContent('h1')).toBe('Inbox');
      expect(await page.textContent('tr.overdue .badge')).toBe('Overdue');
      await screenshot(page, 'inbox-phone-en');
      await signOut(page);
      await page.goto(`${app.url}/inbox`);
      expect(new URL(page.url()).pathname).toBe('/signin');
    }, { phone: true });
  });
});
