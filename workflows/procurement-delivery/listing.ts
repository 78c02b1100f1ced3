import type { WorkflowListing } from '../../src/engine/listing';

/** Contracts are found by contract number, a document number (BAST, SPP) or title words. */
export const procurementDeliveryListing: WorkflowListing = {
  workflow: 'procurement-delivery',
  title: { id: 'Daftar kontrak', en: 'Procurement contracts' },
  searchHint: { id: 'Nomor kontrak, nomor dokumen atau kata dari judul', en: 'Contract number, document number or words of the title' },
  exactData: [['contractNumber']],
  numberTables: [],
};
