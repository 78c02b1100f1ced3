import type { Browser, Page } from 'playwright-core';
import axe from 'axe-core';
import path from 'node:path';
import { sql } from 'kysely';
import { startTestApp, type TestApp } from './support/app';
import { ARTIFACTS, asPerson, describeBrowser, launchChromium, screenshot } from './support/browser';
import { TEST_PASSWORD } from './support/web';
import { proposal, YEAR } from './support/proposals';
import { firstVersion, secondVersion, SECOND_TOTAL } from './support/returned';
import { setPassword } from '../src/auth/passwords';
import { formatRupiah } from '../src/documents/format';

/**
 * A returned proposal in Chromium, on a laptop and on a 390 px phone: the planner's inbox marks it
 * with the note and so does its edit form; after it is sent again the head of the OPD reads the
 * changes row by row; TAPD reads the remaining ceiling above "Setujui". Nothing runs off the side
 * of a phone, axe finds nothing, and the screenshots land in test/artifacts/returned-*.png.
 */
describeBrowser('a returned proposal in Chromium, laptop and phone', () => {
  let app: TestApp;
  let browser: Browser;
  let id = '';
  const NOTE = 'Harga satuan ATK di atas standar biaya; baris makanan tambahan dipindah ke sub kegiatan gizi.';

  const call = async (who: string, type: string, extra: Record<string, unknown> = {}) =>
    expect((await app.call(who, 'POST', `/api/v1/instances/${id}/events`, { type, ...extra })).status).toBe(200);

  beforeAll(async () => {
    app = await startTestApp('postgres');
    for (const u of ['perencana.dinkes', 'kadis.dinkes', 'tapd.sekda']) await setPassword(app.db.kysely, 'admin', u, TEST_PASSWORD);
    // Approved by TAPD already: it takes part of the Dinkes ceiling.
    const other = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Posyandu Melati' }) })).body.id as string;
    for (const [who, type] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve']]) {
      expect((await app.call(who, 'POST', `/api/v1/instances/${other}/events`, { type })).status).toBe(200);
    }
    id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: firstVersion() })).body.id as string;
    await call('perencana.dinkes', 'submit');
    await call('kadis.dinkes', 'return', { comment: NOTE });
    // Edited, not yet sent again: still returned.
    await call('perencana.dinkes', 'update', { data: secondVersion() });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const as = <T>(username: string, work: (page: Page) => Promise<T>, opts: { phone?: boolean } = {}) =>
    asPerson(browser, app.url, username, TEST_PASSWORD, work, opts);
  const fitsWidth = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
  /** axe-core's WCAG A and AA rules, run inside the page (injected, the app's CSP untouched). */
  const violations = async (page: Page) => {
    await page.evaluate(axe.source);
    const result = await page.evaluate<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }>(
      'axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })',
    );
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };
  const sizes = [['laptop', false], ['phone', true]] as const;

  test('the inbox marks it "Dikembalikan oleh …" with the note, and the edit form opens with the note', async () => {
    for (const [size, phone] of sizes) {
      await as('perencana.dinkes', async (page) => {
        await page.goto(`${app.url}/inbox`);
        const row = page.locator(`tr[data-returned="true"]:has(a[href="/instances/${id}"])`);
        expect(await row.locator('.returned-by').textContent()).toMatch(/^Dikembalikan oleh dr\. Bambang Suryanto, M\.Kes\., Kepala Dinas Kesehatan — \d{1,2} \w+ \d{4} \d{2}\.\d{2} WIB$/);
        expect(await row.locator('.return-note').textContent()).toBe(NOTE);
        expect(await row.locator('.return-note').isVisible()).toBe(true);
        expect(await page.locator('tr[data-returned]').count()).toBe(1);
        expect(await fitsWidth(page)).toBe(true);
        expect(await violations(page)).toEqual([]);
        await screenshot(page, `returned-inbox-${size}`);

        await page.goto(`${app.url}/instances/${id}/events/update`);
        const note = page.locator('section.returned .return-note');
        expect(await note.textContent()).toBe(NOTE);
        // On top: above the first field of the form.
        const noteBox = (await note.boundingBox())!;
        const formBox = (await page.locator('form.data-form').boundingBox())!;
        expect(noteBox.y + noteBox.height).toBeLessThanOrEqual(formBox.y);
        expect(await fitsWidth(page)).toBe(true);
        expect(await violations(page)).toEqual([]);
        await page.locator('main').screenshot({ path: path.join(ARTIFACTS, `returned-form-${size}.png`) });
      }, { phone });
    }
  });

  test('sent again, the head of the OPD reads the changes row by row', async () => {
    await call('perencana.dinkes', 'submit');
    for (const [size, phone] of sizes) {
      await as('kadis.dinkes', async (page) => {
        await page.goto(`${app.url}/instances/${id}`);
        expect(await page.locator('#h-changes').textContent()).toBe('Perubahan sejak pengajuan sebelumnya');
        const rows = page.locator('table.diff tbody tr');
        expect(await rows.count()).toBe(7);
        expect(await page.locator('tr.diff-removed').count()).toBe(1);
        expect(await page.locator('tr.diff-added').count()).toBe(1);
        expect(await rows.nth(2).locator('del').textContent()).toBe('Rp 185.000');
        expect(await rows.nth(2).locator('ins').textContent()).toBe('Rp 175.000');
        expect(await rows.nth(6).locator('ins').textContent()).toBe(formatRupiah(SECOND_TOTAL));
        expect(await page.locator('section.changes').isVisible()).toBe(true);
        expect(await fitsWidth(page)).toBe(true);
        expect(await violations(page)).toEqual([]);
        await page.locator('section.changes').screenshot({ path: path.join(ARTIFACTS, `returned-diff-${size}.png`) });
        await screenshot(page, `returned-instance-${size}`);
      }, { phone });
    }
  });

  test('TAPD reads the OPD\'s remaining ceiling above "Setujui"', async () => {
    await call('kadis.dinkes', 'approve');
    await call('verifikator.bappeda', 'verify');
    const { ceiling, committed } = (await sql<{ ceiling: string; committed: string }>`
      SELECT (SELECT amount FROM ceilings WHERE org_id = 'dinkes' AND fiscal_year = ${YEAR}) AS ceiling,
        (SELECT coalesce(sum(total), 0) FROM workflow_instances WHERE workflow = 'budget-proposal' AND org_id = 'dinkes'
          AND fiscal_year = ${YEAR} AND state IN ('approved', 'ratified') AND id <> ${id}) AS committed`.execute(app.db.kysely)).rows[0]!;
    expect(Number(committed)).toBeGreaterThan(0);
    for (const [size, phone] of sizes) {
      await as('tapd.sekda', async (page) => {
        await page.goto(`${app.url}/instances/${id}`);
        expect(await page.locator('#ceiling-remaining').textContent()).toBe(formatRupiah(Number(ceiling) - Number(committed) - SECOND_TOTAL));
        const ceilingBox = (await page.locator('section.ceiling').boundingBox())!;
        const approveBox = (await page.getByRole('button', { name: 'Setujui' }).boundingBox())!;
        expect(ceilingBox.y).toBeLessThan(approveBox.y);
        expect(await fitsWidth(page)).toBe(true);
        expect(await violations(page)).toEqual([]);
        // From the ceiling down to the approve button, as TAPD reads it.
        const top = Math.max(0, ceilingBox.y - 8);
        await page.screenshot({
          path: path.join(ARTIFACTS, `returned-ceiling-${size}.png`), fullPage: true,
          clip: { x: 0, y: top, width: page.viewportSize()!.width, height: approveBox.y + approveBox.height + 16 - top },
        });
      }, { phone });
    }
  });
});
