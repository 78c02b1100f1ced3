import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { asPerson, describeBrowser, launchChromium, screenshot } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { YEAR } from './support/proposals';
import { firePermitSteps, registerApplication, TO_ISSUED, attachPbgDocuments } from './support/permits';
import { award, contractData, fireSteps, isoDay, ratifiedPuprProposal, SIGN_AND_START } from './support/procurement';
import { setPassword } from '../src/auth/passwords';
import { demoUsernames } from '../src/seed/demo';

/**
 * Every number field of the console, in Chromium, reads "12.500" as twelve thousand five hundred
 * (and "12,5" as twelve and a half), in Indonesian and in English: creation forms of the three
 * workflows and the forms of events that carry numbers (fee, progress, termin, amendment). Where
 * a field's limit is below 12,500 (a year, a percentage, days), its refusal names that limit,
 * which 12.5 would have met. "12.5" and "1.25" are refused with how to write them, and what a
 * field shows is what it reads back.
 */
describeBrowser('number fields read the Indonesian way, in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let dpaId = '';

  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of demoUsernames()) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    dpaId = await ratifiedPuprProposal(app.db.kysely, app.engine);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const as = <T>(username: string, work: (page: Page) => Promise<T>, opts: { phone?: boolean } = {}) =>
    asPerson(browser, app.url, username, TEST_PASSWORD, work, opts);
  /** Sends the form and waits for the page that answers (the same URL when it is refused). */
  const save = async (page: Page) => {
    await page.evaluate('window.grmsBefore = true');
    await page.locator('form.data-form .buttons button').click();
    await page.waitForFunction('!window.grmsBefore && document.readyState === "complete"');
  };
  const dataOf = async (id: string) => (await app.db.kysely.selectFrom('workflow_instances').select(['data', 'version', 'total']).where('id', '=', id).executeTakeFirstOrThrow());

  /** Types `text` into every number field of the form; returns their ids. */
  async function fillNumbers(page: Page, text: string): Promise<string[]> {
    const ids: string[] = [];
    for (const input of await page.locator('form.data-form input[data-number]').all()) {
      await input.fill(text);
      ids.push((await input.getAttribute('id'))!);
    }
    return ids;
  }
  const errorOf = async (page: Page, id: string) => ((await page.locator(`#${id}-error`).count()) ? (await page.locator(`#${id}-error`).textContent())!.trim() : '');

  test('a budget proposal: 12.500 in every number field, shown and read back unchanged; 12.5 refused with how to write it', async () => {
    let id = '';
    await as('perencana.dinkes', async (page) => {
      await page.goto(`${app.url}/new/budget-proposal`);
      await page.fill('#f-subKegiatan-code', '1.02.02.2.02.0001');
      await page.fill('#f-subKegiatan-name', 'Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan');
      await page.fill('#f-title', 'Masker bedah untuk Puskesmas');
      await page.fill('#f-output-indicator', 'Masker tersedia');
      await page.fill('#f-output-unit', 'buah');
      await page.selectOption('#f-fundingSource', 'PAD');
      await page.fill('#f-location', 'Kecamatan Tembalang');
      await page.fill('#f-lines-0-account', '5.1.02.01.01.0024');
      await page.fill('#f-lines-0-description', 'Masker bedah');
      await page.fill('#f-lines-0-unit', 'buah');
      const numbers = await fillNumbers(page, '12.500');
      expect(numbers.sort()).toEqual(['f-fiscalYear', 'f-lines-0-unitPrice', 'f-lines-0-volume', 'f-output-target']);
      // Computed as typed: 12.500 × Rp 12.500.
      await expect(page.locator('output[data-total-of="/lines"]').textContent()).resolves.toBe('Rp 156.250.000');
      await save(page);
      // The year 12500 is past its limit (2100): read as twelve thousand five hundred, not 12,5.
      expect(await errorOf(page, 'f-fiscalYear')).toBe('maksimal 2100');
      // Quantities and rupiah show it grouped again; a whole-number field (a year) as plain digits.
      for (const n of numbers) expect(await page.inputValue(`#${n}`)).toBe(n === 'f-fiscalYear' ? '12500' : '12.500');
      for (const n of numbers.filter((x) => x !== 'f-fiscalYear')) expect(await errorOf(page, n)).toBe('');
      await page.fill('#f-fiscalYear', String(YEAR));
      await Promise.all([page.waitForURL(/\?done=create$/), page.locator('form.data-form .buttons button').click()]);
      id = /\/instances\/([0-9a-f-]{36})/.exec(page.url())![1]!;
      expect(await page.textContent('dl.data')).toContain('12.500');
    });
    const created = await dataOf(id);
    expect(created.data).toMatchObject({ fiscalYear: YEAR, output: { target: 12_500 }, lines: [{ volume: 12_500, unitPrice: 12_500, amount: 156_250_000 }] });
    expect(created.total).toBe(156_250_000);

    await as('perencana.dinkes', async (page) => {
      // The edit form shows what it reads back: saved untouched, the data stays the same.
      await page.goto(`${app.url}/instances/${id}/events/update`);
      expect(await page.inputValue('#f-output-target')).toBe('12.500');
      expect(await page.inputValue('#f-lines-0-volume')).toBe('12.500');
      expect(await page.inputValue('#f-lines-0-unitPrice')).toBe('12.500');
      expect(await page.inputValue('#f-fiscalYear')).toBe(String(YEAR));
      await Promise.all([page.waitForURL(/\?done=update$/), page.locator('form.data-form .buttons button').click()]);
      const same = await dataOf(id);
      expect(same.data).toEqual(created.data);
      expect(same.version).toBe(created.version + 1);

      // A dot that groups nothing is refused, with how to write it; the text stays as typed.
      await page.goto(`${app.url}/instances/${id}/events/update`);
      await page.fill('#f-lines-0-volume', '12.5');
      await page.fill('#f-output-target', '1.25');
      await page.fill('#f-lines-0-unitPrice', '12,5');
      await save(page);
      expect(await errorOf(page, 'f-lines-0-volume')).toBe('gunakan koma untuk desimal: 12,5 (titik hanya pemisah ribuan: 12.500)');
      expect(await errorOf(page, 'f-output-target')).toContain('gunakan koma untuk desimal');
      expect(await errorOf(page, 'f-lines-0-unitPrice')).toBe('rupiah bulat tanpa sen, mis. 1.250.000');
      expect(await page.inputValue('#f-lines-0-volume')).toBe('12.5');
      expect(await page.inputValue('#f-lines-0-unitPrice')).toBe('12,5');
      expect(await page.textContent('#error-summary')).toContain('gunakan koma untuk desimal');
      // The live amount does not guess either.
      await expect(page.locator('output[data-total-of="/lines"]').textContent()).resolves.toMatch(/…$/);
      await screenshot(page, 'numbers-refused');
      await page.fill('#f-lines-0-volume', '12,5');
      await page.fill('#f-output-target', '1.250');
      await page.fill('#f-lines-0-unitPrice', '1250000');
      expect(await page.inputValue('#f-lines-0-unitPrice')).toBe('1.250.000');
      await expect(page.locator('output[data-total-of="/lines"]').textContent()).resolves.toBe('Rp 15.625.000');
      await Promise.all([page.waitForURL(/\?done=update$/), page.locator('form.data-form .buttons button').click()]);
      await page.goto(`${app.url}/instances/${id}/events/update`);
      expect(await page.inputValue('#f-lines-0-volume')).toBe('12,5');
      expect(await page.inputValue('#f-output-target')).toBe('1.250');
    });
    expect((await dataOf(id)).data).toMatchObject({ output: { target: 1250 }, lines: [{ volume: 12.5, unitPrice: 1_250_000, amount: 15_625_000 }] });
  });

  test('a contract on a phone, in English: 12.500 is twelve thousand five hundred there too; so are progress, termin and amendment', async () => {
    let id = '';
    await as('ppk.pupr', async (page) => {
      await page.goto(`${app.url}/new/procurement-delivery?lang=en`);
      await page.fill('#f-packageName', 'Pengecatan marka jalan');
      await page.selectOption('#f-supplier', 'cv-maju');
      await page.fill('#f-startDate', isoDay(-10));
      await page.fill('#f-endDate', isoDay(90));
      await page.fill('#f-budget-proposalId', dpaId);
      await page.fill('#f-budget-subKegiatan', '1.03.10.2.01.0017');
      await page.fill('#f-budget-account', '5.2.04.01.01.0012');
      const numbers = await fillNumbers(page, '12.500');
      expect(numbers.sort()).toEqual(['f-maintenanceDays', 'f-retentionPercent', 'f-termins-0-percent', 'f-termins-0-threshold', 'f-value']);
      await save(page);
      // Each limit below 12,500 is named: the English console reads numbers the Indonesian way too.
      expect(await errorOf(page, 'f-maintenanceDays')).toBe('must be <= 3650');
      for (const n of ['f-retentionPercent', 'f-termins-0-percent', 'f-termins-0-threshold']) expect(await errorOf(page, n)).toBe('must be <= 100');
      expect(await errorOf(page, 'f-value')).toBe('');
      await page.fill('#f-retentionPercent', '2.5');
      await save(page);
      expect(await errorOf(page, 'f-retentionPercent')).toBe('use a comma for decimals: 12,5 (a dot only groups thousands: 12.500)');
      await screenshot(page, 'numbers-refused-en-phone');
      await page.fill('#f-maintenanceDays', '180');
      await page.fill('#f-retentionPercent', '2,5');
      await page.fill('#f-termins-0-percent', '100');
      await page.fill('#f-termins-0-threshold', '100');
      await Promise.all([page.waitForURL(/\?done=create$/), page.locator('form.data-form .buttons button').click()]);
      id = /\/instances\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    }, { phone: true });
    expect((await dataOf(id)).data).toMatchObject({ value: 12_500, maintenanceDays: 180, retentionPercent: 2.5, termins: [{ percent: 100, threshold: 100 }] });

    // A contract under way (made through the API), for the event forms that carry numbers.
    const running = await award(app, contractData(dpaId, { termins: [{ percent: 30, threshold: 30 }, { percent: 70, threshold: 100 }] }));
    await fireSteps(app, running, SIGN_AND_START);
    await as('penyedia.cvmaju', async (page) => {
      await page.goto(`${app.url}/instances/${running}/events/report_progress`);
      expect(await fillNumbers(page, '12.500')).toEqual(['f-percent']);
      await save(page);
      expect(await errorOf(page, 'f-percent')).toBe('maksimal 100');
      await page.fill('#f-percent', '32,5');
      await Promise.all([page.waitForURL(/\?done=report_progress$/), page.locator('form.data-form .buttons button').click()]);
      await page.goto(`${app.url}/instances/${running}/events/claim_termin`);
      expect(await fillNumbers(page, '12.500')).toEqual(['f-termin']);
      await save(page);
      // Read as twelve thousand five hundred, a whole number: no termin of that number (12,5 would be refused as not whole, beside the field).
      expect(await page.textContent('#error-summary')).toContain('Termin ini tidak ada dalam kontrak.');
      expect(await page.locator('#f-termin-error').count()).toBe(0);
    }, { phone: true });
    expect((await dataOf(running)).data.progress).toBe(32.5);
    await as('ppk.pupr', async (page) => {
      await page.goto(`${app.url}/instances/${running}/events/amend`);
      expect(await fillNumbers(page, '1.012.500')).toEqual(['f-value']);
      await page.fill('#f-reason', 'Tambah pekerjaan marka');
      await Promise.all([page.waitForURL(/\?done=amend$/), page.locator('form.data-form .buttons button').click()]);
    });
    expect((await dataOf(running)).data.value).toBe(1_012_500);
  });

  test('a permit: floor area and fee read 12.500 as twelve thousand five hundred', async () => {
    let id = '';
    await as('fo.dpmptsp', async (page) => {
      await page.goto(`${app.url}/new/permit`);
      await page.selectOption('#f-permitType', 'PBG');
      await page.fill('#f-applicant-name', 'PT Gudang Sejahtera');
      await page.fill('#f-applicant-nib', '9120001234567');
      await page.fill('#f-applicant-address', 'Jl. Industri 5, Semarang');
      await page.fill('#f-object-location', 'Kawasan Industri Candi');
      await page.fill('#f-object-description', 'Gudang');
      await page.selectOption('#f-technicalAgency', 'pupr');
      await attachPbgDocuments(page);
      expect(await fillNumbers(page, '12.500')).toEqual(['f-object-floorArea']);
      await Promise.all([page.waitForURL(/\?done=create$/), page.locator('form.data-form .buttons button').click()]);
      id = /\/instances\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    });
    expect(((await dataOf(id)).data.object as Record<string, unknown>).floorArea).toBe(12_500);
    await firePermitSteps(app, id, TO_ISSUED.slice(0, 2));
    await as('kadis.pupr', async (page) => {
      await page.goto(`${app.url}/instances/${id}/events/assess_fee`);
      expect(await fillNumbers(page, '12.500')).toEqual(['f-fee']);
      await Promise.all([page.waitForURL(/\?done=assess_fee$/), page.locator('form.data-form .buttons button').click()]);
    });
    expect((await dataOf(id)).data.fee).toBe(12_500);
    // The API, unchanged, still takes JSON numbers (the console's reading is the console's).
    expect((await registerApplication(app)).status).toBe(201);
  });
});
