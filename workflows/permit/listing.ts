import type { WorkflowListing } from '../../src/engine/listing';

/** Permit applications are found by registration or permit number, the applicant's NIK/NIB, a document number or title words. */
export const permitListing: WorkflowListing = {
  workflow: 'permit',
  title: { id: 'Daftar permohonan', en: 'Permit applications' },
  searchHint: {
    id: 'Nomor registrasi, nomor izin, NIK atau NIB pemohon, nomor dokumen, atau kata dari judul',
    en: "Registration or permit number, the applicant's NIK or NIB, document number, or words of the title",
  },
  exactData: [['applicant', 'nik'], ['applicant', 'nib'], ['permitNumber']],
  numberTables: [{ table: 'tracking_registrations', column: 'registration_number' }],
};
