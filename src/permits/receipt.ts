import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Actor } from '../auth/roles';
import type { Engine } from '../engine/engine';
import type { DocumentAuthority } from '../documents/authority';
import type { DocumentPool } from '../documents/pool';
import type { DocumentContent } from '../documents/content';
import { GrmsError } from '../errors';
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
  const reg = await db.selectFrom('permit_registrations').innerJoin('workflow_instances as w', 'w.id', 'permit_registrations.instance_id')
    .select(['w.id', 'w.title', 'w.data', 'w.org_id']).where('permit_registrations.registration_number', '=', status.registrationNumber).executeTakeFirstOrThrow();
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

/** The registration of a permit instance (number and time), or undefined for any other instance. */
export async function registrationOf(db: Kysely<Database>, instanceId: string): Promise<{ registrationNumber: string; registeredAt: Date } | undefined> {
  const row = await db.selectFrom('permit_registrations').select(['registration_number', 'created_at']).where('instance_id', '=', instanceId).executeTakeFirst();
  return row && { registrationNumber: row.registration_number, registeredAt: row.created_at };
}
