import fs from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { startTestApp, type TestApp } from './support/app';
import { asPerson, describeBrowser, launchChromium, newPerson, screenshot } from './support/browser';
import { complaintData, fileComplaintWithReceipt } from './support/complaints';
import { TEST_PASSWORD } from './support/web';
import { YEAR } from './support/proposals';
import { firePermitSteps, TO_ISSUED, attachPbgDocuments } from './support/permits';
import { isoDay, ratifiedPuprProposal } from './support/procurement';
import { againOf, consoleWrites, formFields } from './support/resubmit';
import { missingPdfTools, pdftotext } from './support/pdf-tools';
import { setPassword } from '../src/auth/passwords';
import { verifyPdf } from '../src/documents/verify';
import { demoUsernames } from '../src/seed/demo';

/**
 * Every console form that creates or changes something, in Chromium: submitted once it writes;
 * then a reload of the result, Back and Forward, the same form sent again as a double click or a
 * re-sent POST sends it, and (for the forms that create) Back to the form and "Simpan" again,
 * write nothing more, and the second submission lands on the first result, marked as sent before.
 * The permit's PIN is shown once, through the server (never in a URL), and its receipt prints.
 */
describeBrowser('console forms in Chromium: nothing is done twice', () => {
  let app: TestApp;
  let browser: Browser;
  let proposalId = '';
  let permitId = '';
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
  const writes = () => consoleWrites(app.db);
  const pathOf = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };

  interface FormCase {
    /** The form, on the page open now. */
    form: (page: Page) => Locator;
    /** Fills the form (again, after Back, for a second submission from the browser). */
    fill?: (page: Page) => Promise<void>;
    submit: (page: Page) => Locator;
    /** Where the first submission lands. */
    result: RegExp;
    /** Back to the form and "Simpan" again in the browser (forms that create). */
    againFromBack?: boolean;
    /** Checked on the first result, before anything reloads it. */
    onResult?: (page: Page) => Promise<void>;
    /** A screenshot of the page a second submission from the browser lands on. */
    shot?: string;
  }

  /** The whole check for one form; returns the first result's path. */
  async function onlyOnce(page: Page, c: FormCase): Promise<string> {
    await c.fill?.(page);
    const form = c.form(page);
    const fields = await formFields(form);
    expect(fields._form).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const action = (await form.getAttribute('action'))!;
    const before = await writes();
    await Promise.all([page.waitForURL(c.result), c.submit(page).click()]);
    const first = await writes();
    expect(first).not.toEqual(before);
    const result = pathOf(page.url());
    expect(result).not.toContain('again=1');
    await c.onResult?.(page);

    await page.reload();
    expect(await writes()).toEqual(first);
    await page.goBack();
    expect(await writes()).toEqual(first);
    await page.goForward();
    expect(await writes()).toEqual(first);
    expect(pathOf(page.url())).toBe(result);

    // The same form sent again, as a double click or a browser re-sending the POST sends it.
    const again = await page.request.post(app.url + action, { form: fields, maxRedirects: 0 });
    expect(again.status()).toBe(303);
    expect(again.headers().location).toBe(againOf(result));
    expect(await writes()).toEqual(first);

    if (c.againFromBack) {
      // Back to the form (fetched anew: pages are not cached): it still carries the token it was sent with.
      await page.goBack();
      await page.waitForLoadState('load');
      expect(await c.form(page).locator('input[name="_form"]').inputValue()).toBe(fields._form);
      await c.fill?.(page);
      await Promise.all([page.waitForURL((u) => u.search.includes('again=1')), c.submit(page).click()]);
      expect(pathOf(page.url())).toBe(againOf(result));
      await expect(page.locator('#form-again').textContent()).resolves.toContain('sudah dikirim sebelumnya');
      expect(await writes()).toEqual(first);
      if (c.shot) await screenshot(page, c.shot);
    }
    return result;
  }

  const fillPermit = (name: string, nik: string) => async (page: Page) => {
    await page.selectOption('#f-permitType', 'PBG');
    await page.fill('#f-applicant-name', name);
    await page.fill('#f-applicant-nik', nik);
    await page.fill('#f-applicant-address', 'Jl. Pemuda 1, Semarang');
    await page.fill('#f-object-location', 'Jl. Pandanaran 10');
    await page.fill('#f-object-description', 'Rumah tinggal 2 lantai');
    await page.fill('#f-object-floorArea', '180,5');
    await page.selectOption('#f-technicalAgency', 'pupr');
    await attachPbgDocuments(page);
  };
  const dataForm = (page: Page) => page.locator('form.data-form');
  const saveButton = (page: Page) => page.locator('form.data-form .buttons button');

  test('the front desk registers on a phone: the PIN shows once (never in a URL), the receipt prints, nothing is registered twice', async () => {
    await as('fo.dpmptsp', async (page) => {
      const urls: string[] = [];
      page.on('request', (r) => urls.push(r.url()));
      let pin = '';
      await page.goto(`${app.url}/new/permit`);
      const result = await onlyOnce(page, {
        form: dataForm, fill: fillPermit('Rina Kusumawati', '3374015708920001'), submit: saveButton, result: /\/instances\/[0-9a-f-]{36}\?done=create$/, againFromBack: true, shot: 'permit-sent-again-phone',
        onResult: async (p) => {
          pin = (await p.locator('#receipt-pin').textContent())!.trim();
          expect(pin).toMatch(/^\d{8}$/);
          await screenshot(p, 'permit-receipt-phone');
          // Cetak tanda terima: the signed PDF, with the PIN, from the page that shows it.
          const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Cetak tanda terima' }).click()]);
          const pdf = await fs.promises.readFile((await download.path())!);
          const ca = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
          expect(verifyPdf(pdf, [ca])).toMatchObject({ valid: true });
          if (!missingPdfTools().length) expect(pdftotext(pdf).replace(/\s+/g, ' ')).toContain(pin);
        },
      });
      permitId = /\/instances\/([0-9a-f-]{36})/.exec(result)![1]!;
      // Shown once: after the reload and the second submission, the receipt without the PIN, which may be typed to print again.
      await page.goto(`${app.url}${result}`);
      expect(await page.locator('#receipt-pin').count()).toBe(0);
      expect(await page.locator('#receipt-number').textContent()).toMatch(/^REG\//);
      await page.fill('#receipt-pin-input', '00000000');
      await page.getByRole('button', { name: 'Cetak tanda terima' }).click();
      await expect(page.locator('#receipt-pin-input-error').textContent()).resolves.toContain('PIN tidak cocok');
      await page.fill('#receipt-pin-input', pin);
      const [again] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Cetak tanda terima' }).click()]);
      expect(again.suggestedFilename()).toMatch(/^tanda-terima-REG-.+\.pdf$/);
      await screenshot(page, 'permit-receipt-again-phone');
      expect(urls.filter((u) => u.includes(pin))).toEqual([]);
    }, { phone: true });
    const rows = await app.db.kysely.selectFrom('workflow_instances').select('id').where('workflow', '=', 'permit').execute();
    expect(rows.map((r) => r.id)).toEqual([permitId]);
  });

  test('a double click on "Simpan" registers once', async () => {
    await as('fo.dpmptsp', async (page) => {
      await page.goto(`${app.url}/new/permit`);
      await fillPermit('Budi Santoso', '3374011203780004')(page);
      const before = Number((await app.db.kysely.selectFrom('workflow_instances').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      // The second click may abort the first navigation (ERR_ABORTED), so wait for the page that
      // finally shows rather than for one navigation; a locator wait survives navigations.
      await saveButton(page).dblclick();
      await page.locator('#receipt-number').waitFor();
      expect(page.url()).toMatch(/\/instances\//);
      const after = Number((await app.db.kysely.selectFrom('workflow_instances').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      expect(after).toBe(before + 1);
      // Whichever response the browser showed, the PIN is on it once (the double click did not lose it).
      expect(await page.locator('#receipt-number').textContent()).toMatch(/^REG\//);
    });
  });

  test('a planner\'s proposal (after a refusal), its submission and its edit: each once', async () => {
    await as('perencana.dinkes', async (page) => {
      await page.goto(`${app.url}/new/budget-proposal`);
      const fill = async (p: Page) => {
        await p.fill('#f-fiscalYear', String(YEAR));
        await p.fill('#f-subKegiatan-code', '1.02.02.2.02.0001');
        await p.fill('#f-subKegiatan-name', 'Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan');
        await p.fill('#f-title', 'Alat kesehatan Puskesmas Bandarharjo');
        await p.fill('#f-output-indicator', 'Puskesmas dengan alat lengkap');
        await p.fill('#f-output-target', '1');
        await p.fill('#f-output-unit', 'Puskesmas');
        await p.selectOption('#f-fundingSource', 'DAK');
        await p.fill('#f-location', 'Kecamatan Gunungpati');
        await p.fill('#f-lines-0-account', '5.2.02.05.01.0001');
        await p.fill('#f-lines-0-description', 'Alat kesehatan umum');
        await p.fill('#f-lines-0-volume', '2');
        await p.fill('#f-lines-0-unit', 'paket');
        await p.fill('#f-lines-0-unitPrice', '25.000.000');
      };
      // Refused first (the account is cut short): the form comes back with the same token.
      await fill(page);
      const token = await dataForm(page).locator('input[name="_form"]').inputValue();
      await page.fill('#f-lines-0-account', '5.2.02');
      await saveButton(page).click();
      await page.waitForSelector('#error-summary');
      expect(await dataForm(page).locator('input[name="_form"]').inputValue()).toBe(token);
      const created = await onlyOnce(page, { form: dataForm, fill, submit: saveButton, result: /\/instances\/[0-9a-f-]{36}\?done=create$/, againFromBack: true, shot: 'proposal-sent-again' });
      proposalId = /\/instances\/([0-9a-f-]{36})/.exec(created)![1]!;
      expect(await app.db.kysely.selectFrom('workflow_instances').select('id').where('title', '=', 'Alat kesehatan Puskesmas Bandarharjo').execute()).toHaveLength(1);

      // Its data form (the draft's edit), then the plain "Ajukan" button.
      await page.goto(`${app.url}/instances/${proposalId}/events/update`);
      await onlyOnce(page, {
        form: dataForm, fill: async (p) => p.fill('#f-title', 'Alat kesehatan Puskesmas Bandarharjo (revisi)'), submit: saveButton, result: /\?done=update$/,
      });
      await page.goto(`${app.url}/instances/${proposalId}`);
      await onlyOnce(page, { form: (p) => p.locator('form.event-form'), submit: (p) => p.getByRole('button', { name: 'Ajukan', exact: true }), result: /\?done=submit$/ });
    });
    const row = await app.db.kysely.selectFrom('workflow_instances').select(['state', 'version']).where('id', '=', proposalId).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'opd_review', version: 3 });
  });

  test('a contract award and a fee assessment: each once', async () => {
    await as('ppk.pupr', async (page) => {
      await page.goto(`${app.url}/new/procurement-delivery`);
      const fill = async (p: Page) => {
        await p.fill('#f-packageName', 'Rehabilitasi Jembatan Kaligarang');
        await p.fill('#f-contractNumber', 'HK.02.03/PUPR/2026/031');
        await p.selectOption('#f-supplier', 'cv-maju');
        await p.fill('#f-value', '750.000.000');
        await p.fill('#f-startDate', isoDay(-10));
        await p.fill('#f-endDate', isoDay(90));
        await p.fill('#f-termins-0-percent', '100');
        await p.fill('#f-termins-0-threshold', '100');
        await p.fill('#f-budget-proposalId', dpaId);
        await p.fill('#f-budget-subKegiatan', '1.03.10.2.01.0017');
        await p.fill('#f-budget-account', '5.2.04.01.01.0012');
      };
      await onlyOnce(page, { form: dataForm, fill, submit: saveButton, result: /\/instances\/[0-9a-f-]{36}\?done=create$/, againFromBack: true });
    });
    await firePermitSteps(app, permitId, TO_ISSUED.slice(0, 2));
    await as('kadis.pupr', async (page) => {
      await page.goto(`${app.url}/instances/${permitId}/events/assess_fee`);
      await onlyOnce(page, { form: dataForm, fill: async (p) => p.fill('#f-fee', '3.250.000'), submit: saveButton, result: /\?done=assess_fee$/ });
    });
    const fee = await app.db.kysely.selectFrom('workflow_instances').select('data').where('id', '=', permitId).executeTakeFirstOrThrow();
    expect(fee.data.fee).toBe(3_250_000);
  });

  test('administration: people, roles, passwords, organisations, delegations and holidays, each once', async () => {
    await as('admin', async (page) => {
      const users = `${app.url}/admin/users`;
      await page.goto(users);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action="/admin/users"]'),
        fill: async (p) => {
          await p.fill('#new-username', 'staf.bapenda');
          await p.fill('#new-fullName', 'Rahmat Hidayat');
          await p.selectOption('#new-org', 'dinkes');
        },
        submit: (p) => p.getByRole('button', { name: 'Simpan pengguna' }), result: /\/admin\/users\/staf\.bapenda\?done=created$/, againFromBack: true,
      });
      const user = `${app.url}/admin/users/staf.bapenda`;
      await page.goto(user);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action$="/roles"]'),
        fill: async (p) => {
          await p.selectOption('#grant-role', 'planner');
          await p.selectOption('#grant-org', 'dinkes');
        },
        submit: (p) => p.getByRole('button', { name: 'Beri peran' }), result: /done=granted/,
      });
      await page.goto(user);
      await onlyOnce(page, { form: (p) => p.locator('form[action$="/roles/remove"]'), submit: (p) => p.getByRole('button', { name: /^Cabut/ }), result: /done=removed/ });
      await page.goto(user);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action$="/password"]'), fill: async (p) => p.fill('#set-password', 'Sandi-Awal-Bapenda-2026'),
        submit: (p) => p.getByRole('button', { name: 'Tetapkan kata sandi' }), result: /done=password$/,
      });
      await page.goto(user);
      let temporary = '';
      await onlyOnce(page, {
        form: (p) => p.locator('form[action$="/password-reset"]'), submit: (p) => p.getByRole('button', { name: 'Atur ulang kata sandi' }), result: /done=reset$/,
        onResult: async (p) => {
          temporary = (await p.locator('#temporary-password').textContent())!;
        },
      });
      // Shown once: the reload and the second submission above show it no more.
      expect(temporary).toMatch(/^[A-Za-z2-9]{20}$/);
      await page.goto(user);
      expect(await page.content()).not.toContain(temporary);
      await page.goto(`${user}/deactivate`);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action$="/deactivate"]'), fill: async (p) => p.fill('#deactivate-reason', 'Pindah tugas'),
        submit: (p) => p.getByRole('button', { name: 'Ya, nonaktifkan' }), result: /done=deactivated$/,
      });

      await page.goto(`${app.url}/admin/orgs`);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action="/admin/orgs"]'),
        fill: async (p) => {
          await p.fill('#org-id', 'disarpus');
          await p.fill('#org-name', 'Dinas Arsip dan Perpustakaan');
          await p.selectOption('#org-kind', 'opd');
        },
        submit: (p) => p.getByRole('button', { name: 'Simpan organisasi' }), result: /created=disarpus$/, againFromBack: true,
      });
      await page.goto(`${app.url}/admin/orgs/disarpus`);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action="/admin/orgs/disarpus"]'), fill: async (p) => p.fill('#edit-name', 'Dinas Kearsipan dan Perpustakaan'),
        submit: (p) => p.getByRole('button', { name: 'Simpan', exact: true }), result: /done=saved$/,
      });

      await page.goto(`${app.url}/admin/delegations`);
      await onlyOnce(page, {
        form: (p) => p.locator('form[action="/admin/delegations"]'),
        fill: async (p) => {
          await p.selectOption('#del-kind', 'plh');
          await p.selectOption('#del-delegator', 'kadis.dinkes');
          await p.selectOption('#del-role', 'opd_head');
          await p.selectOption('#del-org', 'dinkes');
          await p.selectOption('#del-delegate', 'perencana.dinkes');
          await p.fill('#del-from', isoDay(0));
          await p.fill('#del-to', isoDay(7));
          await p.fill('#del-reason', 'Dinas luar');
        },
        submit: (p) => p.getByRole('button', { name: 'Simpan', exact: true }), result: /done=created$/, againFromBack: true,
      });
      await page.goto(`${app.url}/admin/delegations`);
      await onlyOnce(page, { form: (p) => p.locator('form[action$="/end"]').first(), submit: (p) => p.getByRole('button', { name: /^Akhiri/ }).first(), result: /done=ended$/ });

      const day = `${YEAR + 1}-08-17`;
      await page.goto(`${app.url}/admin/holidays?year=${YEAR + 1}`);
      await onlyOnce(page, {
        form: (p) => p.locator('form[method="post"][action="/admin/holidays"]'),
        fill: async (p) => {
          await p.fill('#hol-date', day);
          await p.fill('#hol-name', 'Hari Kemerdekaan');
        },
        submit: (p) => p.getByRole('button', { name: 'Simpan hari libur' }), result: /done=added/, againFromBack: true,
      });
      await page.goto(`${app.url}/admin/holidays?year=${YEAR + 1}`);
      await onlyOnce(page, { form: (p) => p.locator(`form[action="/admin/holidays/${day}/remove"]`), submit: (p) => p.getByRole('button', { name: `Cabut ${day}` }), result: /done=removed/ });
    });
    const people = await app.db.kysely.selectFrom('people_events').select(['action']).where('username', '=', 'staf.bapenda').orderBy('seq').execute();
    expect(people.map((e) => e.action)).toEqual(['create_user', 'grant_role', 'remove_role', 'set_password', 'reset_password', 'deactivate']);
    expect(await app.db.kysely.selectFrom('delegations').select('id').where('reason', '=', 'Dinas luar').execute()).toHaveLength(1);
  });

  test('a citizen on a phone answers the desk on the public status page: once, whatever the browser sends again; the PIN in no URL', async () => {
    const filed = await fileComplaintWithReceipt(app, complaintData('infrastruktur', 'Jl. Kartini', 'Lampu lalu lintas mati.', { name: 'Wulan' }));
    expect((await app.call('pengaduan.setda', 'POST', `/api/v1/instances/${filed.id}/events`, { type: 'request_info', comment: 'Persimpangan yang mana?' })).status).toBe(200);
    const { context, page } = await newPerson(browser, { phone: true });
    try {
      const urls: string[] = [];
      page.on('request', (r) => urls.push(r.url()));
      await page.goto(`${app.url}/lapor/lacak`);
      await page.fill('#registrationNumber', filed.registrationNumber);
      await page.fill('#pin', filed.pin);
      await Promise.all([page.waitForURL(/\/lapor\/lacak\/status$/), page.getByRole('button', { name: 'Lihat status' }).click()]);
      const form = (p: Page) => p.locator('form[data-once="/lapor/lacak/status@provide_info"]');
      await onlyOnce(page, {
        form, fill: (p) => p.fill('#f-provide_info-text', 'Simpang Kartini–Dr. Cipto.'), submit: (p) => form(p).locator('.buttons button'),
        result: /\/lapor\/lacak\/status\?done=1$/, onResult: async (p) => {
          await screenshot(p, 'citizen-step-done-phone');
        },
      });
      expect(urls.filter((u) => u.includes(filed.pin))).toEqual([]);
    } finally {
      await context.close();
    }
    const steps = await app.db.kysely.selectFrom('audit_events').select('event').where('instance_id', '=', filed.id).orderBy('seq').execute();
    expect(steps.map((e) => e.event)).toEqual(['create', 'request_info', 'provide_info']);
  });
});
