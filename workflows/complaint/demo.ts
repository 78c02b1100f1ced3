import type { PackageDemo, SeedContext } from '../../src/engine/package';

/** The complaint desk at the regional secretariat and a liaison at each OPD complaints reach in the demo. */
export const complaintDemo: PackageDemo = {
  users: [
    { username: 'pengaduan.setda', fullName: 'Ratna Sari, S.Sos.', position: 'Pengelola Pengaduan', nip: '198906142014022003', org: 'setda', roles: ['complaint_desk'] },
    { username: 'penghubung.pupr', fullName: 'Wahyu Hidayat, S.T.', position: 'Penghubung Pengaduan', nip: '199002202015031004', org: 'pupr', roles: ['complaint_liaison'] },
    { username: 'penghubung.dinkes', fullName: 'Maya Puspita, S.K.M.', position: 'Penghubung Pengaduan', nip: '199107032016022001', org: 'dinkes', roles: ['complaint_liaison'] },
  ],
};

const HASH = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

/** A complaint as a citizen files it; `reporter` absent when anonymous. */
export function complaintData(category: string, location: string, text: string, reporter?: { name: string; phone?: string; email?: string }, confidential = false): Record<string, unknown> {
  return {
    category, location, text, anonymous: reporter === undefined, confidential,
    ...(reporter && { reporter }),
    attachments: [{ name: 'foto-lokasi.jpg', sha256: HASH }],
  };
}

/** Demo complaints in several states: waiting for the desk, for the reporter, at the OPDs, answered, resolved, dismissed. */
const REPORTER = '(reporter)';

export async function seedComplaints({ engine, actor }: SeedContext): Promise<void> {
  const run = async (data: Record<string, unknown>, steps: Array<[string, string, Record<string, unknown>?]>) => {
    const created = await engine.create(await actor('pengaduan.setda'), 'complaint', data);
    // The reporter's own acts go through the citizen path, as the tracking PIN would.
    for (const [who, type, extra] of steps) {
      if (who === REPORTER) await engine.fireAsCitizen(created.id, { type, ...extra });
      else await engine.fire(await actor(who), created.id, { type, ...extra });
    }
  };
  const toPupr: [string, string, Record<string, unknown>] = ['pengaduan.setda', 'dispatch', { data: { opd: 'pupr' } }];
  const followUp: [string, string, Record<string, unknown>] = ['penghubung.pupr', 'report_follow_up', { data: { text: 'Tim UPTD jalan sudah meninjau lokasi; penambalan dijadwalkan.' } }];
  const answer: [string, string, Record<string, unknown>] = ['penghubung.pupr', 'send_answer', { data: { text: 'Lubang jalan telah ditambal pada tanggal 3; terima kasih atas laporan Anda.' } }];
  const pothole = (who?: { name: string; phone?: string }) => complaintData('infrastruktur', 'Jl. Fatmawati depan SMPN 15, Pedurungan', 'Lubang jalan besar membahayakan pengendara motor, sudah dua minggu belum diperbaiki.', who);
  // Waiting for the desk.
  await run(complaintData('kebersihan', 'Pasar Johar sisi timur', 'Sampah menumpuk di TPS sementara sejak seminggu dan berbau.', { name: 'Siti Aminah', phone: '081234567890' }), []);
  // The desk asked the reporter for more.
  await run(complaintData('lainnya', 'Kel. Tlogosari Kulon', 'Lampu penerangan jalan mati di beberapa titik.'), [['pengaduan.setda', 'request_info', { comment: 'Mohon sebutkan nama jalan dan nomor tiang lampu.' }]]);
  // At Dinas Kesehatan, confidential: its liaison does not read the reporter.
  await run(complaintData('kesehatan', 'Puskesmas Kedungmundu', 'Antrean pendaftaran dibuka terlambat satu jam setiap pagi.', { name: 'Budi Santoso', email: 'budi@example.org' }, true),
    [['pengaduan.setda', 'dispatch', { data: { opd: 'dinkes' } }]]);
  // Answered by PUPR, waiting for the reporter's confirmation.
  await run(pothole({ name: 'Andreas Wijaya', phone: '081398765432' }), [toPupr, followUp, answer]);
  // Resolved.
  await run(pothole(), [toPupr, followUp, answer, [REPORTER, 'confirm']]);
  // Not a complaint.
  await run(complaintData('perizinan', 'Kec. Banyumanik', 'Bagaimana cara mengurus PBG untuk rumah tinggal?', { name: 'Rudi Hartono' }),
    [['pengaduan.setda', 'dismiss', { comment: 'Permintaan informasi, bukan pengaduan: diteruskan ke layanan informasi DPMPTSP.' }]]);
}
