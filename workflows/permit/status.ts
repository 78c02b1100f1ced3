import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { formatDateTimeId } from '../../src/documents/format';
import { heldLookup, type TrackedInstance } from '../../src/tracking/lookup';
import type { StatusRouteSpec } from '../../src/api/tracking-status';
import { PERMIT_TYPES, PUBLIC_STAGES } from './v1';
import { NEXT_STEPS } from './texts';

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
  /** What the applicant can expect next at this stage, in both languages. */
  nextStep: { id: string; en: string };
  /** Who handles the application: the government (GRMS_GOVERNMENT) and the owning office with its contacts. */
  office: { government: string; name: string; address: string | null; phone: string | null; email: string | null; website: string | null };
}

const FINAL = new Set(['issued', 'rejected']);

export function permitStatusOf(found: TrackedInstance, government = ''): PublicPermitStatus {
  const type = String(found.data.permitType);
  return {
    registrationNumber: found.registrationNumber,
    permitType: { code: type, label: PERMIT_TYPES[type] ?? type },
    stage: { code: found.state, label: PUBLIC_STAGES[found.state] ?? found.state, final: FINAL.has(found.state) },
    registeredAt: found.registeredAt,
    lastChangeAt: found.lastChangeAt,
    dueDate: found.dueDate,
    permitNumber: typeof found.data.permitNumber === 'string' ? found.data.permitNumber : null,
    nextStep: { id: NEXT_STEPS.id[found.state] ?? '', en: NEXT_STEPS.en[found.state] ?? '' },
    office: { government, ...found.office },
  };
}

/** The status for an official who holds the application (the front desk printing the receipt); see heldLookup. */
export async function heldPermitStatus(
  db: Kysely<Database>, q: { registrationNumber: unknown; pin: unknown }, holds: (instanceId: string) => Promise<boolean>,
): Promise<PublicPermitStatus> {
  return permitStatusOf(await heldLookup(db, 'permit', q, holds));
}

/**
 * The public status route: JSON at POST /api/v1/permits/status, the page at /permits/status, headed
 * by the government's name (`government`, GRMS_GOVERNMENT) and the office's.
 */
export const permitStatusRouteOf = (government: string): StatusRouteSpec<PublicPermitStatus> => ({
  workflow: 'permit',
  apiPath: '/api/v1/permits/status',
  pagePath: '/permits/status',
  view: (found) => permitStatusOf(found, government),
  header: (s) => (s ? [s.office.government, s.office.name] : [government]).filter((l) => l !== ''),
  sections: (s) => [
    ...(s.nextStep.id ? [{ heading: 'Langkah berikutnya', text: s.nextStep.id }] : []),
    {
      heading: 'Kontak',
      text: `Pertanyaan tentang permohonan ini: hubungi ${s.office.name} dengan menyebut nomor registrasi (jangan berikan PIN Anda kepada siapa pun).`,
      rows: ([['Kantor', s.office.name], ['Alamat', s.office.address], ['Telepon', s.office.phone], ['Email', s.office.email], ['Situs web', s.office.website]] as Array<[string, string | null]>)
        .filter((r): r is [string, string] => typeof r[1] === 'string' && r[1] !== ''),
    },
  ],
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
});

/** The route's paths and texts, whatever the government (./openapi.ts, tests). */
export const permitStatusRoute = permitStatusRouteOf('');
