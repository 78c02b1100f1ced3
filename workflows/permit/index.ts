import type { WorkflowPackage } from '../../src/engine/package';
import { permitV1 } from './v1';
import { permitV2 } from './v2';
import { CHECKLIST_RULE, checklistComplete } from './checklist';
import { checklistFormSection, permitTexts } from './texts';
import { permitListing } from './listing';
import { permitDemo, seedPermits } from './demo';
import { permitRoutes } from './routes';
import { permitOpenApi } from './openapi';
import { permitInstanceSection } from './console';

/**
 * The permit workflow as one package: its versions, roles, labels and list page, its numbers (the
 * registration number a core tracking number, ./numbers.ts), the applicant's public status, the
 * front desk's receipt (API, console section and page) and their OpenAPI paths.
 */
export const permitPackage: WorkflowPackage = {
  name: 'permit',
  title: { id: 'Permohonan izin', en: 'Permit application' },
  versions: [{ definition: permitV1, source: 'v1' }, { definition: permitV2, source: 'v2' }],
  rules: { [CHECKLIST_RULE]: checklistComplete },
  roles: {
    frontdesk: { label: { id: 'petugas loket', en: 'front desk' } },
    technical_team: { label: { id: 'tim teknis', en: 'technical team' } },
    opd_head: { label: { id: 'kepala OPD', en: 'head of OPD' } },
    cashier: { label: { id: 'kasir', en: 'cashier' } },
    permit_head: { label: { id: 'kepala DPMPTSP', en: 'permit head' } },
  },
  labels: {
    id: {
      states: {
        completeness_check: 'Pemeriksaan kelengkapan', returned: 'Dikembalikan ke pemohon',
        technical_review: 'Kajian tim teknis', fee_assessment: 'Penetapan retribusi',
        awaiting_payment: 'Menunggu pembayaran', pending_signature: 'Menunggu tanda tangan',
        issued: 'Izin terbit', rejected: 'Ditolak'
      },
      events: {
        mark_complete: 'Berkas lengkap', mark_incomplete: 'Berkas belum lengkap', resubmit: 'Ajukan ulang',
        recommend: 'Rekomendasikan', reject: 'Tolak', assess_fee: 'Tetapkan retribusi',
        confirm_payment: 'Konfirmasi pembayaran', sign: 'Tanda tangani'
      },
      fields: {
        permitType: 'Jenis izin', applicant: 'Pemohon', name: 'Nama', nik: 'NIK (perorangan)', nib: 'NIB (badan usaha)',
        address: 'Alamat', object: 'Objek izin', document: 'Jenis dokumen', location: 'Lokasi', description: 'Uraian',
        floorArea: 'Luas lantai (m²)', technicalAgency: 'OPD tim teknis', attachments: 'Lampiran',
        sha256: 'Berkas', fee: 'Retribusi', paymentReference: 'Referensi pembayaran',
        registrationNumber: 'Nomor registrasi', pin: 'PIN (simpan, tidak ditampilkan lagi)',
        registeredAt: 'Terdaftar', permitNumber: 'Nomor izin'
      },
      values: permitTexts.id.values,
      texts: permitTexts.id.texts,
    },
    en: {
      states: {
        completeness_check: 'Completeness check', returned: 'Returned to applicant',
        technical_review: 'Technical review', fee_assessment: 'Fee assessment',
        awaiting_payment: 'Awaiting payment', pending_signature: 'Awaiting signature',
        issued: 'Permit issued', rejected: 'Rejected'
      },
      events: {
        mark_complete: 'Mark complete', mark_incomplete: 'Mark incomplete', resubmit: 'Resubmit',
        recommend: 'Recommend', reject: 'Reject', assess_fee: 'Assess fee',
        confirm_payment: 'Confirm payment', sign: 'Sign'
      },
      fields: {
        permitType: 'Permit type', applicant: 'Applicant', name: 'Name', nik: 'NIK (individual)', nib: 'NIB (business)',
        address: 'Address', object: 'Permit object', document: 'Document', location: 'Location', description: 'Description',
        floorArea: 'Floor area (m²)', technicalAgency: 'Technical agency (OPD)', attachments: 'Attachments',
        sha256: 'File', fee: 'Fee', paymentReference: 'Payment reference',
        registrationNumber: 'Registration number', pin: 'PIN (keep it, it is not shown again)',
        registeredAt: 'Registered', permitNumber: 'Permit number'
      },
      values: permitTexts.en.values,
      texts: permitTexts.en.texts,
    },
  },
  listing: permitListing,
  demo: permitDemo,
  seed: seedPermits,
  routes: permitRoutes,
  instanceSection: permitInstanceSection,
  formSection: checklistFormSection,
  openapi: permitOpenApi,
};

export default permitPackage;
