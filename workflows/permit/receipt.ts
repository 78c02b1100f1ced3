import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import type { Actor } from '../../src/auth/roles';
import type { Engine } from '../../src/engine/engine';
import type { DocumentAuthority } from '../../src/documents/authority';
import type { DocumentPool } from '../../src/documents/pool';
import type { DocumentContent } from '../../src/documents/content';
import { GrmsError } from '../../src/errors';
import { heldPermitStatus } from './status';

export interface ReceiptDeps {
  db: Kysely<Database>;
  engine: Engine;
  authority: DocumentAuthority;
  pool: DocumentPool;
  publicUrl: string;
  documentPlace: string;
}

/**
 * The tanda terima the front desk prints right after registration (API and console alike):
 * registration number and PIN, the PIN checked against the stored hash (the PIN itself is never
 * stored), signed with the deployment's seal; nothing is written. Only for an application `actor`
 * may read; a wrong PIN, an unknown number and an application not held are the same 404.
 */
export async function permitReceiptPdf(deps: ReceiptDeps, actor: Actor, q: { registrationNumber: unknown; pin: unknown }): Promise<{ pdf: Buffer; registrationNumber: string }> {
  const { db, engine, authority, pool, publicUrl, documentPlace } = deps;
  const holds = (instanceId: string) => engine.get(actor, instanceId).then(() => true, (err: unknown) => {
    if (err instanceof GrmsError && err.status === 404) return false;
    throw err;
  });
  const status = await heldPermitStatus(db, { registrationNumber: q.registrationNumber, pin: q.pin }, holds);
  const reg = await db.selectFrom('tracking_registrations as r').innerJoin('workflow_instances as w', 'w.id', 'r.instance_id')
    .select(['w.id', 'w.title', 'w.data', 'w.org_id']).where('r.registration_number', '=', status.registrationNumber).executeTakeFirstOrThrow();
  const org = await db.selectFrom('orgs').select('name').where('id', '=', reg.org_id).executeTakeFirstOrThrow();
  const applicant = (reg.data.applicant ?? {}) as Record<string, unknown>;
  const statusUrl = `${publicUrl}/permits/status`;
  const content: DocumentContent = {
    government: authority.seal.org || 'grms', orgName: org.name, title: 'Tanda Terima Permohonan Izin', number: status.registrationNumber,
    documentId: crypto.randomUUID(), verifyUrl: statusUrl, place: documentPlace, issuedAt: engine.time.clock(), timezone: engine.time.timeZone,
    workflow: status.permitType.label, instanceTitle: reg.title,
    fields: [
      ['Nomor registrasi', status.registrationNumber], ['PIN', String(q.pin)], ['Pemohon', String(applicant.name ?? '')],
      ['Jenis izin', status.permitType.label], ['Didaftarkan', status.registeredAt], ['Batas waktu layanan', status.dueDate ?? '-'],
      ['Cek status', `${statusUrl} (nomor registrasi + PIN)`],
    ],
    history: [],
    comment: 'Simpan PIN ini: PIN tidak disimpan oleh sistem dan tidak dapat ditampilkan lagi.',
    signer: { name: authority.seal.name, position: 'Segel elektronik sistem', orgName: authority.seal.org },
  };
  const signed = await pool.renderAndSign(content, authority.seal);
  return { pdf: signed.pdf, registrationNumber: status.registrationNumber };
}

/** `tanda-terima-REG-….pdf` */
export function receiptFilename(registrationNumber: string): string {
  return `tanda-terima-${registrationNumber.replace(/[^A-Za-z0-9.-]/g, '-')}.pdf`;
}
