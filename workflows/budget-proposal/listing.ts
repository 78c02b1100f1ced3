import type { WorkflowListing } from '../../src/engine/listing';

/** Budget proposals are found by document number (nota, DPA) or title words. */
export const budgetProposalListing: WorkflowListing = {
  workflow: 'budget-proposal',
  title: { id: 'Daftar usulan', en: 'Budget proposals' },
  searchHint: { id: 'Nomor dokumen atau kata dari judul', en: 'Document number or words of the title' },
  exactData: [],
  numberTables: [],
};
