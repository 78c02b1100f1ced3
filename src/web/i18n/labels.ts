import type { Lang } from './index';

/**
 * Names of workflow states and events as officers know them. A state or event missing here is
 * shown by its name with spaces, so a new workflow works before it is translated.
 */
export const stateLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    draft: 'Draf', opd_review: 'Telaah Kepala OPD', bappeda_verification: 'Verifikasi Bappeda', tapd_review: 'Pembahasan TAPD',
    approved: 'Disetujui TAPD', ratified: 'Disahkan (DPA)', rejected: 'Ditolak',
    completeness_check: 'Pemeriksaan kelengkapan', returned: 'Dikembalikan ke pemohon', technical_review: 'Kajian tim teknis',
    fee_assessment: 'Penetapan retribusi', awaiting_payment: 'Menunggu pembayaran', pending_signature: 'Menunggu tanda tangan', issued: 'Izin terbit',
    awarded: 'Penetapan pemenang', contract_active: 'Kontrak berlaku', in_progress: 'Pelaksanaan', termin_review: 'Pemeriksaan termin',
    payment: 'Pembayaran', inspection: 'Serah terima', maintenance: 'Masa pemeliharaan', closed: 'Selesai', terminated: 'Diputus',
  },
  en: {
    draft: 'Draft', opd_review: 'OPD head review', bappeda_verification: 'Bappeda verification', tapd_review: 'TAPD review',
    approved: 'Approved by TAPD', ratified: 'Ratified (DPA)', rejected: 'Rejected',
    completeness_check: 'Completeness check', returned: 'Returned to applicant', technical_review: 'Technical review',
    fee_assessment: 'Fee assessment', awaiting_payment: 'Awaiting payment', pending_signature: 'Awaiting signature', issued: 'Permit issued',
    awarded: 'Awarded', contract_active: 'Contract active', in_progress: 'In progress', termin_review: 'Termin review',
    payment: 'Payment', inspection: 'Handover', maintenance: 'Maintenance period', closed: 'Closed', terminated: 'Terminated',
  },
};

export const eventLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    create: 'Dibuat', update: 'Ubah data', submit: 'Ajukan', withdraw: 'Tarik kembali', approve: 'Setujui', return: 'Kembalikan',
    verify: 'Verifikasi', reject: 'Tolak', ratify: 'Sahkan', escalated: 'Melewati batas waktu',
    mark_complete: 'Berkas lengkap', mark_incomplete: 'Berkas belum lengkap', resubmit: 'Ajukan ulang', recommend: 'Rekomendasikan',
    assess_fee: 'Tetapkan retribusi', confirm_payment: 'Konfirmasi pembayaran', sign: 'Tanda tangani',
  },
  en: {
    create: 'Created', update: 'Edit data', submit: 'Submit', withdraw: 'Withdraw', approve: 'Approve', return: 'Return',
    verify: 'Verify', reject: 'Reject', ratify: 'Ratify', escalated: 'Deadline missed',
    mark_complete: 'Mark complete', mark_incomplete: 'Mark incomplete', resubmit: 'Resubmit', recommend: 'Recommend',
    assess_fee: 'Assess fee', confirm_payment: 'Confirm payment', sign: 'Sign',
  },
};

export const workflowLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: { 'budget-proposal': 'Usulan RKA', permit: 'Permohonan izin', 'procurement-delivery': 'Kontrak pengadaan' },
  en: { 'budget-proposal': 'Budget proposal', permit: 'Permit application', 'procurement-delivery': 'Procurement contract' },
};
