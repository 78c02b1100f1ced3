import type { WorkflowPackage } from '../../src/engine/package';
import { procurementDeliveryV1 } from './v1';
import { procurementDeliveryListing } from './listing';
import { ocdsOpenApi, ocdsRoutes } from './ocds/mount';
import { procurementDemo, seedContracts } from './demo';

/**
 * The procurement-delivery workflow as one package: its versions, roles, labels and list page, its
 * money rules (money.ts, award.ts) and its OCDS publication (ocds/).
 */
export const procurementDeliveryPackage: WorkflowPackage = {
  name: 'procurement-delivery',
  title: { id: 'Kontrak pengadaan', en: 'Procurement contract' },
  versions: [{ definition: procurementDeliveryV1, source: 'v1' }],
  roles: {
    ppk: { label: { id: 'PPK', en: 'PPK' } },
    provider: { label: { id: 'penyedia', en: 'provider' } },
    bendahara: { label: { id: 'bendahara', en: 'treasurer' } },
    opd_head: { label: { id: 'kepala OPD', en: 'head of OPD' } },
    bud: { label: { id: 'BUD', en: 'BUD' } },
  },
  labels: {
    id: {
      states: {
        awarded: 'Penetapan pemenang', contract_active: 'Kontrak berlaku', in_progress: 'Pelaksanaan',
        termin_review: 'Pemeriksaan termin', payment: 'Pembayaran', 'payment.spp': 'Pembayaran — SPP',
        'payment.spm': 'Pembayaran — SPM', 'payment.sp2d': 'Pembayaran — SP2D', spp: 'SPP', spm: 'SPM',
        sp2d: 'SP2D', inspection: 'Serah terima', maintenance: 'Masa pemeliharaan', closed: 'Selesai',
        terminated: 'Diputus'
      },
      events: {
        sign_contract: 'Tanda tangani kontrak', terminate: 'Putus kontrak', issue_spmk: 'Terbitkan SPMK',
        amend: 'Adendum', report_progress: 'Laporkan kemajuan', claim_termin: 'Ajukan tagihan termin',
        request_handover: 'Ajukan serah terima', approve_termin: 'Setujui termin',
        reject_termin: 'Tolak termin', submit_spp: 'Ajukan SPP', issue_spm: 'Terbitkan SPM',
        issue_sp2d: 'Terbitkan SP2D', sign_bast: 'Tanda tangani BAST', reject_handover: 'Tolak serah terima',
        sign_fho: 'Tanda tangani FHO'
      },
      fields: {
        packageName: 'Nama paket', contractNumber: 'Nomor kontrak', supplier: 'Penyedia',
        value: 'Nilai kontrak', startDate: 'Tanggal mulai', endDate: 'Tanggal selesai',
        maintenanceDays: 'Masa pemeliharaan (hari)', retentionPercent: 'Retensi (%)', termins: 'Termin',
        percent: 'Persen', threshold: 'Ambang kemajuan (%)', budget: 'Anggaran', proposalId: 'ID usulan RKA',
        subKegiatan: 'Sub kegiatan', account: 'Kode rekening', termin: 'Termin ke', amount: 'Jumlah',
        reason: 'Alasan',
        // What the events record beside the award (v1-stored.ts).
        progress: 'Kemajuan (%)', progressReports: 'Laporan kemajuan', at: 'Waktu', payments: 'Pembayaran',
        kind: 'Jenis', gross: 'Nilai bruto', retention: 'Retensi', penalty: 'Denda', net: 'Nilai bersih',
        paidAt: 'Dibayar', signatures: 'Tanda tangan kontrak', ppk: 'PPK', provider: 'Penyedia', by: 'Oleh',
        claim: 'Tagihan', returnTo: 'Kembali ke tahap', status: 'Status', days: 'Hari keterlambatan',
        deducted: 'Dipotong', versions: 'Versi kontrak', version: 'Versi', handoverRequested: 'Serah terima diajukan',
        bastDate: 'Tanggal BAST', fhoDate: 'Tanggal FHO', closedAt: 'Ditutup'
      },
      texts: {
        'problem.TERMIN_THRESHOLD_NOT_REACHED': 'Kemajuan pekerjaan belum mencapai ambang termin ini.',
        'problem.TERMIN_ALREADY_PAID': 'Termin ini sudah dibayar.',
        'problem.UNKNOWN_TERMIN': 'Termin ini tidak ada dalam kontrak.',
        'problem.PROGRESS_DECREASED': 'Kemajuan pekerjaan tidak boleh turun dari laporan sebelumnya.',
        'problem.HANDOVER_INCOMPLETE': 'Pekerjaan belum selesai 100%: serah terima belum dapat diajukan.',
        'problem.MAINTENANCE_PERIOD_RUNNING': 'Masa pemeliharaan belum berakhir.',
        'problem.PAYMENT_EXCEEDS_CONTRACT_VALUE': 'Jumlah pembayaran melebihi nilai kontrak.',
        'problem.ALREADY_SIGNED': 'Kontrak sudah Anda tanda tangani.',
        'problem.INVALID_SUPPLIER': 'Penyedia bukan organisasi penyedia terdaftar yang ber-NPWP.',
        'problem.INVALID_BUDGET_LINK': 'Anggaran yang dirujuk bukan usulan RKA OPD ini yang sudah disahkan, atau tidak memuat sub kegiatan dan kode rekening itu.',
      },
    },
    en: {
      states: {
        awarded: 'Awarded', contract_active: 'Contract active', in_progress: 'In progress',
        termin_review: 'Termin review', payment: 'Payment', 'payment.spp': 'Payment — SPP',
        'payment.spm': 'Payment — SPM', 'payment.sp2d': 'Payment — SP2D', spp: 'SPP', spm: 'SPM',
        sp2d: 'SP2D', inspection: 'Handover', maintenance: 'Maintenance period', closed: 'Closed',
        terminated: 'Terminated'
      },
      events: {
        sign_contract: 'Sign contract', terminate: 'Terminate', issue_spmk: 'Issue SPMK (notice to proceed)',
        amend: 'Amend (addendum)', report_progress: 'Report progress', claim_termin: 'Claim termin',
        request_handover: 'Request handover', approve_termin: 'Approve termin',
        reject_termin: 'Reject termin', submit_spp: 'Submit SPP', issue_spm: 'Issue SPM',
        issue_sp2d: 'Issue SP2D', sign_bast: 'Sign BAST (handover)', reject_handover: 'Reject handover',
        sign_fho: 'Sign FHO (final handover)'
      },
      fields: {
        packageName: 'Package name', contractNumber: 'Contract number', supplier: 'Supplier',
        value: 'Contract value', startDate: 'Start date', endDate: 'End date',
        maintenanceDays: 'Maintenance period (days)', retentionPercent: 'Retention (%)', termins: 'Termins',
        percent: 'Percent', threshold: 'Progress threshold (%)', budget: 'Budget',
        proposalId: 'Budget proposal id', subKegiatan: 'Sub kegiatan', account: 'Account code',
        termin: 'Termin number', amount: 'Amount', reason: 'Reason',
        progress: 'Progress (%)', progressReports: 'Progress reports', at: 'Time', payments: 'Payments',
        kind: 'Kind', gross: 'Gross amount', retention: 'Retention', penalty: 'Penalty', net: 'Net amount',
        paidAt: 'Paid', signatures: 'Contract signatures', ppk: 'PPK', provider: 'Provider', by: 'By',
        claim: 'Claim', returnTo: 'Returns to', status: 'Status', days: 'Days late',
        deducted: 'Deducted', versions: 'Contract versions', version: 'Version', handoverRequested: 'Handover requested',
        bastDate: 'BAST date', fhoDate: 'FHO date', closedAt: 'Closed'
      },
      texts: {
        'problem.TERMIN_THRESHOLD_NOT_REACHED': 'Progress has not reached this termin\'s threshold.',
        'problem.TERMIN_ALREADY_PAID': 'This termin has been paid.',
        'problem.UNKNOWN_TERMIN': 'The contract has no such termin.',
        'problem.PROGRESS_DECREASED': 'Progress may not go down from the previous report.',
        'problem.HANDOVER_INCOMPLETE': 'The work is not 100% complete: handover cannot be requested yet.',
        'problem.MAINTENANCE_PERIOD_RUNNING': 'The maintenance period has not ended.',
        'problem.PAYMENT_EXCEEDS_CONTRACT_VALUE': 'The payment exceeds the contract value.',
        'problem.ALREADY_SIGNED': 'You have signed the contract already.',
        'problem.INVALID_SUPPLIER': 'The supplier is not a registered supplier organisation with an NPWP.',
        'problem.INVALID_BUDGET_LINK': 'The budget referred to is not a ratified RKA proposal of this OPD, or has no line for that sub kegiatan and account.',
      },
    },
  },
  // Counted in the fiscal year of the contract's start.
  years: { by: 'fiscal' },
  listing: procurementDeliveryListing,
  routes: ocdsRoutes,
  openapi: () => ocdsOpenApi,
  demo: procurementDemo,
  seed: seedContracts,
};

export default procurementDeliveryPackage;
