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
    spp: 'SPP', spm: 'SPM', sp2d: 'SP2D', 'payment.spp': 'Pembayaran — SPP', 'payment.spm': 'Pembayaran — SPM', 'payment.sp2d': 'Pembayaran — SP2D',
  },
  en: {
    draft: 'Draft', opd_review: 'OPD head review', bappeda_verification: 'Bappeda verification', tapd_review: 'TAPD review',
    approved: 'Approved by TAPD', ratified: 'Ratified (DPA)', rejected: 'Rejected',
    completeness_check: 'Completeness check', returned: 'Returned to applicant', technical_review: 'Technical review',
    fee_assessment: 'Fee assessment', awaiting_payment: 'Awaiting payment', pending_signature: 'Awaiting signature', issued: 'Permit issued',
    awarded: 'Awarded', contract_active: 'Contract active', in_progress: 'In progress', termin_review: 'Termin review',
    payment: 'Payment', inspection: 'Handover', maintenance: 'Maintenance period', closed: 'Closed', terminated: 'Terminated',
    spp: 'SPP', spm: 'SPM', sp2d: 'SP2D', 'payment.spp': 'Payment — SPP', 'payment.spm': 'Payment — SPM', 'payment.sp2d': 'Payment — SP2D',
  },
};

export const eventLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    create: 'Dibuat', update: 'Ubah data', submit: 'Ajukan', withdraw: 'Tarik kembali', approve: 'Setujui', return: 'Kembalikan',
    verify: 'Verifikasi', reject: 'Tolak', ratify: 'Sahkan', escalated: 'Melewati batas waktu',
    mark_complete: 'Berkas lengkap', mark_incomplete: 'Berkas belum lengkap', resubmit: 'Ajukan ulang', recommend: 'Rekomendasikan',
    assess_fee: 'Tetapkan retribusi', confirm_payment: 'Konfirmasi pembayaran', sign: 'Tanda tangani',
    sign_contract: 'Tanda tangani kontrak', issue_spmk: 'Terbitkan SPMK', amend: 'Adendum', terminate: 'Putus kontrak',
    report_progress: 'Laporkan kemajuan', claim_termin: 'Ajukan tagihan termin', approve_termin: 'Setujui termin', reject_termin: 'Tolak termin',
    submit_spp: 'Ajukan SPP', issue_spm: 'Terbitkan SPM', issue_sp2d: 'Terbitkan SP2D', request_handover: 'Ajukan serah terima',
    sign_bast: 'Tanda tangani BAST', reject_handover: 'Tolak serah terima', sign_fho: 'Tanda tangani FHO',
  },
  en: {
    create: 'Created', update: 'Edit data', submit: 'Submit', withdraw: 'Withdraw', approve: 'Approve', return: 'Return',
    verify: 'Verify', reject: 'Reject', ratify: 'Ratify', escalated: 'Deadline missed',
    mark_complete: 'Mark complete', mark_incomplete: 'Mark incomplete', resubmit: 'Resubmit', recommend: 'Recommend',
    assess_fee: 'Assess fee', confirm_payment: 'Confirm payment', sign: 'Sign',
    sign_contract: 'Sign contract', issue_spmk: 'Issue SPMK (notice to proceed)', amend: 'Amend (addendum)', terminate: 'Terminate',
    report_progress: 'Report progress', claim_termin: 'Claim termin', approve_termin: 'Approve termin', reject_termin: 'Reject termin',
    submit_spp: 'Submit SPP', issue_spm: 'Issue SPM', issue_sp2d: 'Issue SP2D', request_handover: 'Request handover',
    sign_bast: 'Sign BAST (handover)', reject_handover: 'Reject handover', sign_fho: 'Sign FHO (final handover)',
  },
};

export const workflowLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: { 'budget-proposal': 'Usulan RKA', permit: 'Permohonan izin', 'procurement-delivery': 'Kontrak pengadaan' },
  en: { 'budget-proposal': 'Budget proposal', permit: 'Permit application', 'procurement-delivery': 'Procurement contract' },
};

/** Labels of data fields by property name (the schemas name fields in English camelCase). */
export const fieldLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    fiscalYear: 'Tahun anggaran', subKegiatan: 'Sub kegiatan', code: 'Kode', name: 'Nama', title: 'Judul', output: 'Keluaran',
    indicator: 'Indikator', target: 'Target', unit: 'Satuan', fundingSource: 'Sumber dana', lines: 'Rincian belanja',
    account: 'Kode rekening', description: 'Uraian', volume: 'Volume', unitPrice: 'Harga satuan', amount: 'Jumlah', total: 'Total',
    permitType: 'Jenis izin', applicant: 'Pemohon', nik: 'NIK', nib: 'NIB', address: 'Alamat', object: 'Objek izin',
    location: 'Lokasi', floorArea: 'Luas lantai (m²)', technicalAgency: 'OPD tim teknis', attachments: 'Lampiran', sha256: 'SHA-256 berkas',
    packageName: 'Nama paket', contractNumber: 'Nomor kontrak', supplier: 'Penyedia', value: 'Nilai kontrak', startDate: 'Tanggal mulai',
    endDate: 'Tanggal selesai', maintenanceDays: 'Masa pemeliharaan (hari)', retentionPercent: 'Retensi (%)', termins: 'Termin',
    percent: 'Persen', threshold: 'Ambang kemajuan (%)', budget: 'Anggaran', proposalId: 'ID usulan RKA', fee: 'Retribusi',
    paymentReference: 'Referensi pembayaran', termin: 'Termin ke', reason: 'Alasan',
    registrationNumber: 'Nomor registrasi', pin: 'PIN (simpan, tidak ditampilkan lagi)', registeredAt: 'Terdaftar',
  },
  en: {
    fiscalYear: 'Fiscal year', subKegiatan: 'Sub kegiatan', code: 'Code', name: 'Name', title: 'Title', output: 'Output',
    indicator: 'Indicator', target: 'Target', unit: 'Unit', fundingSource: 'Funding source', lines: 'Budget lines',
    account: 'Account code', description: 'Description', volume: 'Volume', unitPrice: 'Unit price', amount: 'Amount', total: 'Total',
    permitType: 'Permit type', applicant: 'Applicant', nik: 'NIK', nib: 'NIB', address: 'Address', object: 'Permit object',
    location: 'Location', floorArea: 'Floor area (m²)', technicalAgency: 'Technical agency (OPD)', attachments: 'Attachments', sha256: 'File SHA-256',
    packageName: 'Package name', contractNumber: 'Contract number', supplier: 'Supplier', value: 'Contract value', startDate: 'Start date',
    endDate: 'End date', maintenanceDays: 'Maintenance period (days)', retentionPercent: 'Retention (%)', termins: 'Termins',
    percent: 'Percent', threshold: 'Progress threshold (%)', budget: 'Budget', proposalId: 'Budget proposal id', fee: 'Fee',
    paymentReference: 'Payment reference', termin: 'Termin number', reason: 'Reason',
    registrationNumber: 'Registration number', pin: 'PIN (keep it, it is not shown again)', registeredAt: 'Registered',
  },
};

export const roleLabels: Readonly<Record<Lang, Readonly<Record<string, string>>>> = {
  id: {
    planner: 'perencana', opd_head: 'kepala OPD', bappeda_verifier: 'verifikator Bappeda', tapd: 'TAPD', ppkd: 'PPKD', auditor: 'auditor',
    admin: 'administrator', frontdesk: 'front office', technical_team: 'tim teknis', cashier: 'kasir', permit_head: 'kepala DPMPTSP',
    ppk: 'PPK', provider: 'penyedia', bendahara: 'bendahara', bud: 'BUD',
  },
  en: {
    planner: 'planner', opd_head: 'head of OPD', bappeda_verifier: 'Bappeda verifier', tapd: 'TAPD', ppkd: 'PPKD', auditor: 'auditor',
    admin: 'administrator', frontdesk: 'front desk', technical_team: 'technical team', cashier: 'cashier', permit_head: 'permit head',
    ppk: 'PPK', provider: 'provider', bendahara: 'treasurer', bud: 'BUD',
  },
};
