import type { WorkflowPackage } from '../../src/engine/package';
import { budgetProposalV1 } from './v1';
import { budgetProposalListing } from './listing';

/** The budget-proposal workflow as one package: its versions, roles, labels and list page. */
export const budgetProposalPackage: WorkflowPackage = {
  name: 'budget-proposal',
  title: { id: 'Usulan RKA', en: 'Budget proposal' },
  versions: [{ definition: budgetProposalV1, source: 'v1' }],
  roles: {
    planner: { label: { id: 'perencana', en: 'planner' } },
    opd_head: { label: { id: 'kepala OPD', en: 'head of OPD' } },
    bappeda_verifier: { label: { id: 'verifikator Bappeda', en: 'Bappeda verifier' }, global: true },
    tapd: { label: { id: 'TAPD', en: 'TAPD' }, global: true },
    ppkd: { label: { id: 'PPKD', en: 'PPKD' }, global: true },
  },
  labels: {
    id: {
      states: {
        draft: 'Draf', opd_review: 'Telaah Kepala OPD', bappeda_verification: 'Verifikasi Bappeda',
        tapd_review: 'Pembahasan TAPD', approved: 'Disetujui TAPD', ratified: 'Disahkan (DPA)',
        rejected: 'Ditolak'
      },
      events: {
        update: 'Ubah data', submit: 'Ajukan', withdraw: 'Tarik kembali', approve: 'Setujui',
        return: 'Kembalikan', verify: 'Verifikasi', reject: 'Tolak', ratify: 'Sahkan'
      },
      fields: {
        fiscalYear: 'Tahun anggaran', subKegiatan: 'Sub kegiatan', code: 'Kode', name: 'Nama',
        title: 'Judul', output: 'Keluaran', indicator: 'Indikator', target: 'Target', unit: 'Satuan',
        fundingSource: 'Sumber dana', lines: 'Rincian belanja', account: 'Kode rekening',
        description: 'Uraian', volume: 'Volume', unitPrice: 'Harga satuan', amount: 'Jumlah', total: 'Total'
      },
      // The dashboard's budget section.
      texts: {
        'dashboard.budget': 'Pagu, disetujui dan disahkan',
        'dashboard.budgetDesc': 'Per OPD untuk tahun anggaran {year}: pagu, jumlah usulan RKA yang disetujui TAPD (termasuk yang sudah disahkan) dan yang disahkan menjadi DPA.',
        'dashboard.chartTitle': 'Pagu, disetujui dan disahkan per OPD, {year}',
        'dashboard.ceiling': 'Pagu', 'dashboard.approved': 'Disetujui', 'dashboard.ratified': 'Disahkan',
        'dashboard.noCeiling': 'belum ditetapkan',
      },
    },
    en: {
      states: {
        draft: 'Draft', opd_review: 'OPD head review', bappeda_verification: 'Bappeda verification',
        tapd_review: 'TAPD review', approved: 'Approved by TAPD', ratified: 'Ratified (DPA)',
        rejected: 'Rejected'
      },
      events: {
        update: 'Edit data', submit: 'Submit', withdraw: 'Withdraw', approve: 'Approve', return: 'Return',
        verify: 'Verify', reject: 'Reject', ratify: 'Ratify'
      },
      fields: {
        fiscalYear: 'Fiscal year', subKegiatan: 'Sub kegiatan', code: 'Code', name: 'Name', title: 'Title',
        output: 'Output', indicator: 'Indicator', target: 'Target', unit: 'Unit',
        fundingSource: 'Funding source', lines: 'Budget lines', account: 'Account code',
        description: 'Description', volume: 'Volume', unitPrice: 'Unit price', amount: 'Amount',
        total: 'Total'
      },
      texts: {
        'dashboard.budget': 'Ceiling, approved and ratified',
        'dashboard.budgetDesc': 'Per OPD for fiscal year {year}: the ceiling, the budget proposals approved by TAPD (including those already ratified) and those ratified as DPA.',
        'dashboard.chartTitle': 'Ceiling, approved and ratified per OPD, {year}',
        'dashboard.ceiling': 'Ceiling', 'dashboard.approved': 'Approved', 'dashboard.ratified': 'Ratified',
        'dashboard.noCeiling': 'not set',
      },
    },
  },
  listing: budgetProposalListing,
};

export default budgetProposalPackage;
