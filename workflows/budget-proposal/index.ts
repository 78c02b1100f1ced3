import type { WorkflowPackage } from '../../src/engine/package';
import { budgetProposalV1 } from './v1';
import { budgetProposalV2 } from './v2';
import { dpaContent } from './dpa';
import { budgetProposalListing } from './listing';
import { recordCeilingBaseline, withinCeiling } from './ceilings';
import { ceilingsRouter } from './ceilings-routes';
import { ceilingsOpenApi } from './openapi';
import { budgetFigure } from './dashboard';
import { ceilingSection } from './console';
import { budgetProposalDemo, seedBudgetProposals } from './demo';

/**
 * The register (document kind) and archive classification code of each stage document, by step:
 * numbered in the register of the office that issues it (Bappeda's berita acara in Bappeda's, the
 * DPA in BPKAD's). Codes ≈ under 900 (finance) of the archive classification, not checked article
 * by article; each kind has its own, so the default number format (without {kind}) keeps every
 * register's numbers apart.
 */
const BUDGET_DOCUMENT_NUMBERS = {
  'draft/submit': { kind: 'surat-pengantar', classification: '900.1.1' },
  'opd_review/approve': { kind: 'persetujuan', classification: '900.1.2' },
  'opd_review/return': { kind: 'nota-dinas', classification: '900.1.3' },
  'bappeda_verification/return': { kind: 'nota-dinas', classification: '900.1.3' },
  'tapd_review/return': { kind: 'nota-dinas', classification: '900.1.3' },
  'tapd_review/reject': { kind: 'nota-dinas', classification: '900.1.3' },
  'bappeda_verification/verify': { kind: 'berita-acara', classification: '900.1.4' },
  'tapd_review/approve': { kind: 'berita-acara', classification: '900.1.4' },
  'approved/ratify': { kind: 'dpa', classification: '900.1.5' },
} as const;

/**
 * The budget-proposal workflow as one package: its versions, roles, labels and list page, and the
 * budget ceiling (pagu): the rule TAPD's approval runs, its routes, and the dashboard's figures.
 */
export const budgetProposalPackage: WorkflowPackage = {
  name: 'budget-proposal',
  title: { id: 'Usulan RKA', en: 'Budget proposal' },
  versions: [{ definition: budgetProposalV1, source: 'v1' }, { definition: budgetProposalV2, source: 'v2' }],
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
        fundingSource: 'Sumber dana', location: 'Lokasi', lines: 'Rincian belanja', account: 'Kode rekening',
        description: 'Uraian', volume: 'Volume', unitPrice: 'Harga satuan', amount: 'Jumlah', total: 'Total'
      },
      texts: {
        'ceiling.heading': 'Pagu {org} tahun {year}',
        'ceiling.amount': 'Pagu',
        'ceiling.committed': 'Sudah disetujui (usulan lain)',
        'ceiling.this': 'Usulan ini',
        'ceiling.remaining': 'Sisa pagu setelah usulan ini disetujui',
        'ceiling.over': 'Usulan ini melebihi sisa pagu sebesar {amount}: persetujuan akan ditolak.',
        'ceiling.missing': 'Pagu tahun {year} untuk OPD ini belum ditetapkan: persetujuan akan ditolak.',
        'problem.CEILING_EXCEEDED': 'Jumlah usulan melebihi sisa pagu OPD untuk tahun anggaran ini.',
        'problem.CEILING_MISSING': 'Pagu OPD untuk tahun anggaran ini belum ditetapkan.',
        'problem.CEILING_BELOW_USED': 'Pagu tidak boleh lebih kecil dari jumlah yang sudah dipakai.',
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
        fundingSource: 'Funding source', location: 'Location', lines: 'Budget lines', account: 'Account code',
        description: 'Description', volume: 'Volume', unitPrice: 'Unit price', amount: 'Amount',
        total: 'Total'
      },
      texts: {
        'ceiling.heading': 'Ceiling of {org} for {year}',
        'ceiling.amount': 'Ceiling',
        'ceiling.committed': 'Already approved (other proposals)',
        'ceiling.this': 'This proposal',
        'ceiling.remaining': 'Remaining once this proposal is approved',
        'ceiling.over': 'This proposal exceeds the remaining ceiling by {amount}: approval will be refused.',
        'ceiling.missing': 'No ceiling is set for this OPD in {year}: approval will be refused.',
        'problem.CEILING_EXCEEDED': 'The proposal exceeds what is left of the OPD\'s ceiling for this fiscal year.',
        'problem.CEILING_MISSING': 'No ceiling is set for this OPD and fiscal year.',
        'problem.CEILING_BELOW_USED': 'A ceiling may not be below the amount already used.',
      },
    },
  },
  // Counted in the fiscal year proposed; the dashboard opens on the budget year being prepared.
  years: { by: 'fiscal', opensOn: 'next' },
  listing: budgetProposalListing,
  rules: { withinCeiling },
  routes: { api: ({ db }) => ceilingsRouter(db) },
  openapi: () => ceilingsOpenApi,
  dashboard: [budgetFigure],
  // TAPD sees the OPD's remaining ceiling beside "Setujui".
  instanceSection: ceilingSection,
  // Ceilings set before their chain existed get a baseline row, once.
  onStart: async (db) => {
    await recordCeilingBaseline(db);
  },
  // The DPA-SKPD ratification prints is laid out here (./dpa.ts), its names from the nomenclature.
  documentContent: dpaContent,
  demo: budgetProposalDemo,
  seed: seedBudgetProposals,
  documentNumbers: BUDGET_DOCUMENT_NUMBERS,
};

export default budgetProposalPackage;
