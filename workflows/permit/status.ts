import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { formatDateTimeId } from '../../src/documents/format';
import { heldLookup, type TrackedInstance } from '../../src/tracking/lookup';
import type { StatusRouteSpec } from '../../src/api/tracking-status';
import { PERMIT_TYPES, PUBLIC_STAGES } from './v1';

/**
 * The public status of a permit application, for the applicant holding the registration number
 * and PIN of the receipt (no login), over the core's tracking lookup (src/tracking/lookup.ts, which
 * limits wrong PINs). It shows the stage, dates and the permit number: never comments, other data
 * or the names of officials.
 */
export interface PublicPermitStatus {
  registrationNumber: string;
  permitType: { code: string; label: string };
  stage: { code: string; label: string; final: boolean };
  registeredAt: string;
  lastChangeAt: string;
  /** The SLA due date when the deadlines module has one; null otherwise. */
  dueDate: string | null;
  permitNumber: string | null;
}

const FINAL = new Set(['issued', 'rejected']);

export function permitStatusOf(found: TrackedInstance): PublicPermitStatus {
  const type = String(found.data.permitType);
  return {
    registrationNumber: found.registrationNumber,
    permitType: { code: type, label: PERMIT_TYPES[type] ?? type },
    stage: { code: found.state, label: PUBLIC_STAGES[found.state] ?? found.state, final: FINAL.has(found.state) },
    registeredAt: found.registeredAt,
    lastChangeAt: found.lastChangeAt,
    dueDate: found.dueDate,
    permitNumber: typeof found.data.permitNumber === 'string' ? found.data.permitNumber : null,
  };
}

/** The status for an official who holds the application (the front desk printing the receipt); see heldLookup. */
export async function heldPermitStatus(
  db: Kysely<Database>, q: { registrationNumber: unknown; pin: unknown }, holds: (instanceId: string) => Promise<boolean>,
): Promise<PublicPermitStatus> {
  return permitStatusOf(await heldLookup(db, 'permit', q, holds));
}

/** The public status route: JSON at POST /api/v1/permits/status, the page at /permits/status. */
export const permitStatusRoute: StatusRouteSpec<PublicPermitStatus> = {
  workflow: 'permit',
  apiPath: '/api/v1/permits/status',
  pagePath: '/permits/status',
  view: permitStatusOf,
  rows(s, timeZone) {
    const when = (iso: string) => formatDateTimeId(new Date(iso), timeZone);
    return [
      ['Nomor registrasi', s.registrationNumber],
      ['Jenis izin', s.permitType.label],
      ['Tahap', s.stage.label],
      ['Terdaftar', when(s.registeredAt)],
      ['Perubahan terakhir', when(s.lastChangeAt)],
      ['Batas waktu', s.dueDate ? when(s.dueDate) : '-'],
      ...(s.permitNumber ? [['Nomor izin', s.permitNumber] as [string, string]] : []),
    ];
  },
  texts: {
    lang: 'id',
    title: 'Status Permohonan Izin',
    intro: 'Masukkan nomor registrasi dan PIN yang tercetak pada tanda terima.',
    numberLabel: 'Nomor registrasi',
    numberPlaceholder: 'REG/DPMPTSP/2026/000123',
    pinLabel: 'PIN (pada tanda terima)',
    submit: 'Lihat status',
    notFound: 'Nomor registrasi atau PIN tidak cocok.',
    missing: 'Isi nomor registrasi dan PIN.',
    tooMany: (minutes) => `Terlalu banyak percobaan PIN yang salah. Coba lagi dalam ${minutes} menit.`,
  },
};
