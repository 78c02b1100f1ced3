import crypto from 'node:crypto';
import axe from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { asPerson, describeBrowser, launchChromium, screenshot } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { attachPbgDocuments, PBG_DOCUMENTS } from './support/permits';
import { setPassword } from '../src/auth/passwords';

/** axe-core's violations on the page as it stands (injected as a script: the app's CSP is left as it is). */
async function axeViolations(page: Page): Promise<Array<{ id: string; nodes: string[] }>> {
  await page.evaluate(axe.source);
  const result = (await page.evaluate('axe.run()')) as axe.AxeResults;
  return result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => String(n.target)) }));
}

/**
 * The front desk's permit form in Chromium, on a laptop and on a 390 px phone: OPDs by name, files
 * uploaded (the server hashes them), the checklist ticked; "Berkas lengkap" is refused until every
 * document is attached. Screenshots in test/artifacts.
 */
describeBrowser('the permit form at the counter, in Chromium', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp('postgres');
    await setPassword(app.db.kysely, 'admin', 'fo.dpmptsp', TEST_PASSWORD);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  for (const phone of [false, true]) {
    const size = phone ? 'phone' : 'laptop';
    test(`on a ${size}: registers with uploaded files; "Berkas lengkap" waits for the whole checklist`, async () => {
      await asPerson(browser, app.url, 'fo.dpmptsp', TEST_PASSWORD, async (page) => {
        await page.goto(`${app.url}/new/permit`);
        expect(await axeViolations(page)).toEqual([]);
        await page.selectOption('#f-permitType', 'PBG');
        await page.fill('#f-applicant-name', 'Rina Kusumawati');
        await page.fill('#f-applicant-nik', '3374 0157 0892 0001');
        await page.fill('#f-applicant-address', 'Jl. Pemuda 1, Semarang');
        await page.fill('#f-object-location', 'Jl. Pandanaran 10');
        await page.fill('#f-object-description', 'Rumah tinggal 2 lantai');
        // The OPD is chosen by its name.
        const pupr = (await app.db.kysely.selectFrom('orgs').select('name').where('id', '=', 'pupr').executeTakeFirstOrThrow()).name;
        await page.selectOption('#f-technicalAgency', { label: pupr });
        await page.selectOption('#f-attachments-0-document', 'identity');
        const ktp = Buffer.from('%PDF-1.4 KTP Rina Kusumawati');
        await page.setInputFiles('#f-attachments-0-sha256', { name: 'KTP Rina.pdf', mimeType: 'application/pdf', buffer: ktp });
        await screenshot(page, `permit-form-${size}`);
        await Promise.all([page.waitForURL(/\?done=create$/), page.locator('form.data-form .buttons button').click()]);
        const id = /\/instances\/([0-9a-f-]{36})/.exec(page.url())![1]!;
        const data = (await app.db.kysely.selectFrom('workflow_instances').select('data').where('id', '=', id).executeTakeFirstOrThrow()).data;
        expect(data.technicalAgency).toBe('pupr');
        expect((data.applicant as Record<string, unknown>).nik).toBe('3374015708920001');
        expect(data.attachments).toEqual([{ document: 'identity', name: 'KTP Rina.pdf', sha256: crypto.createHash('sha256').update(ktp).digest('hex') }]);
        expect(await page.locator('[data-checklist="identity"]').getAttribute('class')).toBe('done');
        expect(await page.locator('[data-checklist="land_title"]').getAttribute('class')).toBe('missing');
        // Incomplete: "Berkas lengkap" is refused, saying why, and the file stays where it was.
        await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Berkas lengkap' }).click()]);
        await page.waitForSelector('.error[role="alert"]');
        expect(await page.locator('.error[role="alert"]').first().textContent()).toContain('Berkas belum lengkap');
        expect((await app.db.kysely.selectFrom('workflow_instances').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state).toBe('completeness_check');
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, `permit-checklist-${size}`);
      }, { phone });
    });
  }

  test('with every document attached, "Berkas lengkap" passes', async () => {
    await asPerson(browser, app.url, 'fo.dpmptsp', TEST_PASSWORD, async (page) => {
      await page.goto(`${app.url}/new/permit`);
      await page.selectOption('#f-permitType', 'PBG');
      await page.fill('#f-applicant-name', 'CV Maju Jaya');
      await page.fill('#f-applicant-nib', '9120 3012 34567');
      await page.fill('#f-applicant-address', 'Jl. Majapahit 201, Semarang');
      await page.fill('#f-object-location', 'Jl. Setiabudi 45');
      await page.fill('#f-object-description', 'Kantor dua lantai');
      await page.selectOption('#f-technicalAgency', 'pupr');
      await attachPbgDocuments(page);
      await Promise.all([page.waitForURL(/\?done=create$/), page.locator('form.data-form .buttons button').click()]);
      for (const d of PBG_DOCUMENTS) expect(await page.locator(`[data-checklist="${d}"]`).getAttribute('class')).toBe('done');
      await Promise.all([page.waitForURL(/\?done=mark_complete$/), page.getByRole('button', { name: 'Berkas lengkap' }).click()]);
    }, { phone: true });
  });
});
