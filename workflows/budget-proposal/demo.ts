import type { Transaction } from 'kysely';
import type { Database } from '../../src/db/types';
import type { PackageDemo, SeedContext } from '../../src/engine/package';
import { recordCeilingEvent } from '../../src/audit/ceiling-events';
import { yearOf } from '../../src/clock';
import { writeNomenclature, type NomenclatureEntry } from '../../src/nomenclature';

/** The budget offices of the demo regency: a planner and a head per OPD, Bappeda, TAPD and PPKD. */
const users = [
  { username: 'perencana.dinkes', fullName: 'Sri Wahyuni, S.K.M.', position: 'Perencana Ahli Muda', nip: '198503122010012015', org: 'dinkes', roles: ['planner'] },
  { username: 'kadis.dinkes', fullName: 'dr. Bambang Suryanto, M.Kes.', position: 'Kepala Dinas Kesehatan', nip: '197205141998031004', org: 'dinkes', roles: ['opd_head'] },
  { username: 'perencana.pupr', fullName: 'Agus Setiawan, S.T.', position: 'Perencana Ahli Muda', nip: '198707092011011003', org: 'pupr', roles: ['planner'] },
  { username: 'kadis.pupr', fullName: 'Ir. Hendra Kusuma, M.T.', position: 'Kepala Dinas PUPR', nip: '197011231996031002', org: 'pupr', roles: ['opd_head'] },
  { username: 'verifikator.bappeda', fullName: 'Dewi Lestari, S.E., M.Si.', position: 'Verifikator Bappeda', nip: '198202172006042008', org: 'bappeda', roles: ['bappeda_verifier'] },
  { username: 'tapd.sekda', fullName: 'Drs. Joko Prasetyo, M.M.', position: 'Sekretaris Daerah selaku Ketua TAPD', nip: '196806151994031007', org: 'setda', roles: ['tapd'] },
  { username: 'ppkd.bpkad', fullName: 'Rina Marlina, S.E., Ak.', position: 'Kepala BPKAD selaku PPKD', nip: '197409262000032003', org: 'bpkad', roles: ['ppkd'] },
];

const CEILINGS = [
  { org: 'dinkes', amount: 25_000_000_000 },
  { org: 'pupr', amount: 150_000_000_000 },
];

/**
 * The nomenclature (Kepmendagri 050-5889/2021) of the demo proposals' codes: each sub kegiatan with
 * the urusan, bidang, program and kegiatan its code implies, and each account with its parents.
 */
export const DEMO_NOMENCLATURE: readonly NomenclatureEntry[] = [
  { kind: 'urusan', code: '1', name: 'URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR' },
  { kind: 'bidang', code: '1.02', name: 'URUSAN PEMERINTAHAN BIDANG KESEHATAN' },
  { kind: 'program', code: '1.02.02', name: 'PROGRAM PEMENUHAN UPAYA KESEHATAN PERORANGAN DAN UPAYA KESEHATAN MASYARAKAT' },
  { kind: 'kegiatan', code: '1.02.02.2.01', name: 'Penyediaan Fasilitas Pelayanan Kesehatan untuk UKM dan UKP Kewenangan Daerah Kabupaten/Kota' },
  { kind: 'kegiatan', code: '1.02.02.2.02', name: 'Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan Tingkat Daerah Kabupaten/Kota' },
  { kind: 'sub_kegiatan', code: '1.02.02.2.02.0001', name: 'Pengelolaan Pelayanan Kesehatan Ibu Hamil' },
  { kind: 'bidang', code: '1.03', name: 'URUSAN PEMERINTAHAN BIDANG PEKERJAAN UMUM DAN PENATAAN RUANG' },
  { kind: 'program', code: '1.03.10', name: 'PROGRAM PENYELENGGARAAN JALAN' },
  { kind: 'kegiatan', code: '1.03.10.2.01', name: 'Penyelenggaraan Jalan Kabupaten/Kota' },
  { kind: 'sub_kegiatan', code: '1.03.10.2.01.0017', name: 'Rekonstruksi Jalan' },
  { kind: 'akun', code: '5', name: 'BELANJA DAERAH' },
  { kind: 'akun', code: '5.1', name: 'BELANJA OPERASI' },
  { kind: 'akun', code: '5.1.02', name: 'Belanja Barang dan Jasa' },
  { kind: 'akun', code: '5.1.02.01', name: 'Belanja Barang' },
  { kind: 'akun', code: '5.1.02.01.01', name: 'Belanja Barang Pakai Habis' },
  { kind: 'akun', code: '5.1.02.01.01.0024', name: 'Belanja Alat/Bahan untuk Kegiatan Kantor-Alat Tulis Kantor' },
  { kind: 'akun', code: '5.1.02.01.01.0052', name: 'Belanja Makanan dan Minuman Rapat' },
  { kind: 'akun', code: '5.1.02.02', name: 'Belanja Jasa' },
  { kind: 'akun', code: '5.1.02.02.01', name: 'Belanja Jasa Kantor' },
  { kind: 'akun', code: '5.1.02.02.01.0003', name: 'Honorarium Narasumber atau Pembahas, Moderator, Pembawa Acara, dan Panitia' },
  { kind: 'akun', code: '5.2', name: 'BELANJA MODAL' },
  { kind: 'akun', code: '5.2.03', name: 'Belanja Modal Gedung dan Bangunan' },
  { kind: 'akun', code: '5.2.03.01.01.0001', name: 'Belanja Modal Bangunan Gedung Kantor' },
  { kind: 'akun', code: '5.2.04', name: 'Belanja Modal Jalan, Irigasi, dan Jaringan' },
  { kind: 'akun', code: '5.2.04.01.01.0012', name: 'Belanja Modal Jalan Kabupaten' },
];

/** Ceilings (pagu) set by TAPD, and the nomenclature, for this fiscal year and the next. */
async function reference(trx: Transaction<Database>, { year }: { year: number }): Promise<void> {
  for (const y of [year, year + 1]) {
    await writeNomenclature(trx, y, DEMO_NOMENCLATURE, 'admin');
    await trx.insertInto('ceilings').values(CEILINGS.map((c) => ({ fiscal_year: y, org_id: c.org, amount: c.amount, updated_by: 'tapd.sekda' }))).execute();
    for (const c of CEILINGS) await recordCeilingEvent(trx, { action: 'set_ceiling', fiscalYear: y, orgId: c.org, amount: c.amount, actor: 'tapd.sekda' });
  }
}

export const budgetProposalDemo: PackageDemo = { users, reference };

export function dinkesProposal(year: number, title: string) {
  return {
    fiscalYear: year,
    subKegiatan: { code: '1.02.02.2.02.0001', name: 'Pengelolaan Pelayanan Kesehatan Ibu Hamil' },
    title,
    output: { indicator: 'Jumlah ibu hamil yang mendapatkan pelayanan kesehatan sesuai standar', target: 12500, unit: 'orang' },
    fundingSource: 'DAU',
    location: 'Kecamatan Tembalang, Banyumanik dan Gunungpati',
    lines: [
      { account: '5.1.02.01.01.0024', description: 'Alat tulis kantor untuk kelas ibu hamil', volume: 250, unit: 'paket', unitPrice: 185000 },
      { account: '5.1.02.01.01.0052', description: 'Makanan tambahan ibu hamil kurang energi kronis', volume: 1200.5, unit: 'paket', unitPrice: 45750 },
      { account: '5.1.02.02.01.0003', description: 'Honorarium narasumber kelas ibu hamil', volume: 48, unit: 'OJ', unitPrice: 900000 },
    ],
  };
}

export function puprProposal(year: number, title: string) {
  return {
    fiscalYear: year,
    subKegiatan: { code: '1.03.10.2.01.0017', name: 'Rekonstruksi Jalan' },
    title,
    output: { indicator: 'Panjang jalan kabupaten yang direkonstruksi', target: 3.75, unit: 'km' },
    fundingSource: 'DAK',
    location: 'Ruas Jalan Gunungpati–Mijen, Kecamatan Gunungpati dan Mijen',
    lines: [
      { account: '5.2.04.01.01.0012', description: 'Rekonstruksi jalan Ruas Gunungpati–Mijen', volume: 3.75, unit: 'km', unitPrice: 2_350_000_000 },
      { account: '5.2.03.01.01.0001', description: 'Pembangunan gedung UPTD peralatan', volume: 1, unit: 'unit', unitPrice: 1_250_000_000 },
    ],
  };
}

/** Proposals in several states: a draft, one waiting for the head of Dinkes, a DPA, one at TAPD, one returned. */
export async function seedBudgetProposals({ engine, actor }: SeedContext): Promise<void> {
  const year = yearOf(engine.time);
  const fire = async (who: string, id: string, type: string, comment?: string) => engine.fire(await actor(who), id, { type, comment });

  // A draft still being written.
  await engine.create(await actor('perencana.dinkes'), 'budget-proposal', dinkesProposal(year + 1, 'Kelas Ibu Hamil Terpadu 2027'));
  // Waiting for the head of Dinkes.
  const waiting = await engine.create(await actor('perencana.dinkes'), 'budget-proposal', dinkesProposal(year, 'Pemberian Makanan Tambahan Ibu Hamil KEK'));
  await fire('perencana.dinkes', waiting.id, 'submit');
  // Ratified: the DPA.
  const ratified = await engine.create(await actor('perencana.dinkes'), 'budget-proposal', dinkesProposal(year, 'Pelayanan Kesehatan Ibu Hamil Sesuai Standar'));
  for (const [who, type] of [
    ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify'],
  ] as const) await fire(who, ratified.id, type);
  // Waiting for TAPD.
  const tapd = await engine.create(await actor('perencana.pupr'), 'budget-proposal', puprProposal(year, 'Rekonstruksi Jalan Gunungpati–Mijen'));
  for (const [who, type] of [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify']] as const) await fire(who, tapd.id, type);
  // Returned by Bappeda with a comment, back in draft.
  const returned = await engine.create(await actor('perencana.pupr'), 'budget-proposal', puprProposal(year + 1, 'Rekonstruksi Jalan Tahap II'));
  await fire('perencana.pupr', returned.id, 'submit');
  await fire('kadis.pupr', returned.id, 'approve');
  await fire('verifikator.bappeda', returned.id, 'return', `Indikator keluaran belum selaras dengan RKPD ${year + 1}; mohon diperbaiki.`);
}
