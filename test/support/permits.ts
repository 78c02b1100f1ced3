import type { Db } from '../../src/db/connect';
import { pbgApplication } from '../../workflows/permit/demo';
import { writeCounts, type Reply, type TestApp } from './app';

/** A valid PBG application naming Dinas PUPR as technical agency. */
export function permitData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return pbgApplication('Rina Kusumawati', '3374015708920001', overrides);
}

export type PermitStep = [user: string, type: string, extra?: Record<string, unknown>];

export const TO_ISSUED: PermitStep[] = [
  ['fo.dpmptsp', 'mark_complete'],
  ['timteknis.pupr', 'recommend', { comment: 'Memenuhi KRK; GSB 5 m' }],
  ['kadis.pupr', 'assess_fee', { data: { fee: 3_250_000 } }],
  ['kasir.dpmptsp', 'confirm_payment', { data: { paymentReference: 'BJTG-2026-000777' } }],
  ['kepala.dpmptsp', 'sign'],
];

/** Registers an application at the front desk; returns the created instance (with its receipt). */
export async function registerApplication(app: TestApp, data: Record<string, unknown> = permitData()): Promise<Reply> {
  const res = await app.call('fo.dpmptsp', 'POST', '/api/v1/instances', { workflow: 'permit', data });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${res.text}`);
  return res;
}

/** Fires each step in order, expecting 200 each time; returns the last reply. */
export async function firePermitSteps(app: TestApp, id: string, steps: PermitStep[]): Promise<Reply | undefined> {
  let last: Reply | undefined;
  for (const [user, type, extra] of steps) {
    last = await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, ...extra });
    if (last.status !== 200) throw new Error(`${user} ${type}: ${last.status} ${last.text}`);
  }
  return last;
}

/** writeCounts plus the tables a permit request may touch. */
export async function permitWriteCounts(db: Db): Promise<Record<string, number>> {
  const out = await writeCounts(db);
  for (const table of ['tracking_registrations', 'tracking_failures', 'documents', 'void_document_numbers'] as const) {
    const r = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  return out;
}

/** The PBG checklist's documents (workflows/permit/checklist.ts), one file each as the front desk attaches them. */
export const PBG_DOCUMENTS = ['identity', 'land_title', 'architecture_drawing', 'structure_drawing'] as const;

/**
 * In the browser, on the permit form: one attachment row per PBG checklist document, each with its
 * document chosen and a small file uploaded ("Tambah baris" adds the rows after the first).
 */
export async function attachPbgDocuments(page: import('playwright-core').Page): Promise<void> {
  for (const [i, document] of PBG_DOCUMENTS.entries()) {
    if (i > 0) await page.locator('button[data-add-row="/attachments"]').click();
    await page.selectOption(`#f-attachments-${i}-document`, document);
    await page.setInputFiles(`#f-attachments-${i}-sha256`, { name: `${document}.pdf`, mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4 ${document}`) });
  }
}
