import type { WorkflowListing } from '../../src/engine/listing';

/**
 * Complaints are found by words of their title (category and location), a document number, or the
 * reporter's name or phone (exact). A confidential reporter is matched only for those who may read
 * them (the desk, auditors): the search leaves out what the view hides.
 */
export const complaintListing: Omit<WorkflowListing, 'workflow'> = {
  title: { id: 'Daftar pengaduan', en: 'Complaints' },
  searchHint: {
    id: 'Nomor dokumen, nama atau telepon pelapor, atau kata dari kategori atau lokasi',
    en: "Document number, the reporter's name or phone, or words of the category or location",
  },
  exactData: [['reporter', 'name'], ['reporter', 'phone']],
  numberTables: [],
};
