import type { WorkflowPackage } from '../../src/engine/package';

/** Labels of the complaint workflow, as the complaint desk and the OPDs call things (SP4N-LAPOR practice). */
export const labels: WorkflowPackage['labels'] = {
  id: {
    states: {
      desk_review: 'Penelaahan pengaduan', awaiting_info: 'Menunggu keterangan pelapor', follow_up: 'Tindak lanjut OPD',
      preparing_answer: 'Penyusunan jawaban', awaiting_confirmation: 'Menunggu konfirmasi pelapor', resolved: 'Selesai',
      closed_silent: 'Selesai (tanpa tanggapan pelapor)', dismissed: 'Bukan pengaduan',
    },
    events: {
      dismiss: 'Bukan pengaduan', request_info: 'Minta keterangan', provide_info: 'Kirim keterangan', dispatch: 'Disposisi ke OPD',
      report_follow_up: 'Laporkan tindak lanjut', send_answer: 'Kirim jawaban akhir', confirm: 'Konfirmasi selesai', raise_objection: 'Ajukan keberatan',
      close_silent: 'Ditutup otomatis',
    },
    fields: {
      category: 'Kategori', location: 'Lokasi', text: 'Isi pengaduan', anonymous: 'Anonim', confidential: 'Rahasiakan identitas',
      reporter: 'Pelapor', name: 'Nama', phone: 'Telepon', email: 'Email', attachments: 'Lampiran', sha256: 'SHA-256 berkas',
      opd: 'OPD penanggung jawab', answerDays: 'Batas jawaban (hari kerja)', followUp: 'Tindak lanjut', answer: 'Jawaban akhir',
      objection: 'Keberatan', objections: 'Jumlah keberatan', reason: 'Alasan', registrationNumber: 'Nomor pengaduan', pin: 'PIN (simpan, tidak ditampilkan lagi)', registeredAt: 'Diterima', additionalInfo: 'Keterangan tambahan',
    },
    // A refusal the reporter may meet on the console's status page, by the error's code.
    texts: { 'problem.COMPLAINT_SECOND_OBJECTION': 'Keberatan atas jawaban hanya dapat diajukan satu kali.' },
  },
  en: {
    states: {
      desk_review: 'Verification', awaiting_info: 'Awaiting the reporter', follow_up: 'OPD follow-up', preparing_answer: 'Preparing the answer',
      awaiting_confirmation: 'Awaiting confirmation', resolved: 'Resolved', closed_silent: 'Closed (no reply from the reporter)',
      dismissed: 'Not a complaint',
    },
    events: {
      dismiss: 'Not a complaint', request_info: 'Ask for information', provide_info: 'Send information', dispatch: 'Dispatch to OPD',
      report_follow_up: 'Report follow-up', send_answer: 'Send final answer', confirm: 'Confirm resolved', raise_objection: 'Object',
      close_silent: 'Closed automatically',
    },
    fields: {
      category: 'Category', location: 'Location', text: 'Complaint', anonymous: 'Anonymous', confidential: 'Keep my identity confidential',
      reporter: 'Reporter', name: 'Name', phone: 'Phone', email: 'Email', attachments: 'Attachments', sha256: 'File SHA-256',
      opd: 'Responsible OPD', answerDays: 'Answer limit (working days)', followUp: 'Follow-up', answer: 'Final answer',
      objection: 'Objection', objections: 'Objections', reason: 'Reason', registrationNumber: 'Complaint number', pin: 'PIN (keep it, it is not shown again)', registeredAt: 'Received', additionalInfo: 'Additional information',
    },
    texts: { 'problem.COMPLAINT_SECOND_OBJECTION': 'An objection to the answer may be raised once only.' },
  },
};
