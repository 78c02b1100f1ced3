import type { WorkflowListing } from '../../src/engine/listing';

/** Complaints are found by words of their title (category and location) or a document number. */
export const complaintListing: Omit<WorkflowListing, 'workflow'> = {
  title: { id: 'Daftar pengaduan', en: 'Complaints' },
  searchHint: { id: 'Nomor dokumen, atau kata dari kategori atau lokasi', en: 'Document number, or words of the category or location' },
  exactData: [],
  numberTables: [],
};
