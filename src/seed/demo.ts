import { demoLogoColumns } from './demo-logo';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { loadActor } from '../auth/tokens';
import { localYear } from '../sla/calendar';
import { DEFAULT_TIMEZONE, workflowTime, yearOf, type WorkflowTime } from '../clock';
import type { Actor } from '../auth/roles';
import { recordCeilingEvent } from '../audit/ceiling-events';
import { seedDemoContracts } from './demo-contracts';

/** The demo regency: OPDs, one user per role, ceilings and proposals in several states. */
export const DEMO_ORGS = [
  { id: 'dinkes', name: 'Dinas Kesehatan', code: '1.02.0.00.0.00.01.0000', address: 'Jalan Pandanaran No. 79, Semarang 50241', phone: '(024) 8415269', email: 'dinkes@semarangkota.go.id', website: 'dinkes.semarangkota.go.id' },
  { id: 'pupr', name: 'Dinas Pekerjaan Umum dan Penataan Ruang', code: '1.03.0.00.0.00.01.0000', address: 'Jalan Madukoro Blok AA-BB, Semarang 50144', phone: '(024) 7607512', email: 'dpu@semarangkota.go.id', website: 'dpu.semarangkota.go.id' },
  { id: 'bappeda', name: 'Badan Perencanaan Pembangunan Daerah', code: '5.01.0.00.0.00.01.0000', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3513366', email: 'bappeda@semarangkota.go.id', website: 'bappeda.semarangkota.go.id' },
  { id: 'bpkad', name: 'Badan Pengelolaan Keuangan dan Aset Daerah', code: '5.02.0.00.0.00.01.0000', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3541095', email: 'bpkad@semarangkota.go.id', website: 'bpkad.semarangkota.go.id' },
  { id: 'inspektorat', name: 'Inspektorat Daerah', code: '6.01.0.00.0.00.01.0000', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3549446', email: 'inspektorat@semarangkota.go.id', website: 'inspektorat.semarangkota.go.id' },
  { id: 'dpmptsp', name: 'Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu', code: '2.18.0.00.0.00.01.0000', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3549446', email: 'dpmptsp@semarangkota.go.id', website: 'dpmptsp.semarangkota.go.id' },
  // The regional secretariat: the Sekda chairs TAPD, and a Plt TAPD comes from here.
  { id: 'setda', name: 'Sekretariat Daerah', code: '4.01.0.00.0.00.01.0000', address: 'Jalan Pemuda No. 148, Semarang 50132', phone: '(024) 3513366', email: 'setda@semarangkota.go.id', website: 'semarangkota.go.id' },
] as const;

export const DEMO_USERS = [
  { username: 'perencana.dinkes', fullName: 'Sri Wahyuni, S.K.M.', position: 'Perencana Ahli Muda', nip: '198503122010012015', org: 'dinkes', roles: ['planner'] },
  { username: 'kadis.dinkes', fullName: 'dr. Bambang Suryanto, M.Kes.', position: 'Kepala Dinas Kesehatan', nip: '197205141998031004', org: 'dinkes', roles: ['opd_head'] },
  { username: 'perencana.pupr', fullName: 'Agus Setiawan, S.T.', position: 'Perencana Ahli Muda', nip: '198707092011011003', org: 'pupr', roles: ['planner'] },
  { username: 'kadis.pupr', fullName: 'Ir. Hendra Kusuma, M.T.', position: 'Kepala Dinas PUPR', nip: '197011231996031002', org: 'pupr', roles: ['opd_head'] },
  { username: 'verifikator.bappeda', fullName: 'Dewi Lestari, S.E., M.Si.', position: 'Verifikator Bappeda', nip: '198202172006042008', org: 'bappeda', roles: ['bappeda_verifier'] },
  { username: 'tapd.sekda', fullName: 'Drs. Joko Prasetyo, M.M.', position: 'Sekretaris Daerah selaku Ketua TAPD', nip: '196806151994031007', org: 'setda', roles: ['tapd'] },
  { username: 'ppkd.bpkad', fullName: 'Rina Marlina, S.E., Ak.', position: 'Kepala BPKAD selaku PPKD', nip: '197409262000032003', org: 'bpkad', roles: ['ppkd'] },
  { username: 'auditor.inspektorat', fullName: 'Teguh Santoso, S.H.', position: 'Auditor Ahli Madya', nip: '197812052005011006', org: 'inspektorat', roles: ['auditor'] },
  { username: 'admin', fullName: 'Administrator grms', position: 'Administrator Sistem', org: 'bappeda', roles: ['admin'] },
  { username: 'fo.dpmptsp', fullName: 'Nur Aini, A.Md.', position: 'Petugas Front Office', nip: '199001082015032001', org: 'dpmptsp', roles: ['frontdesk'] },
  { username: 'kasir.dpmptsp', fullName: 'Yusuf Hidayat, S.E.', position: 'Bendahara Penerimaan', nip: '198611302012121002', org: 'dpmptsp', roles: ['cashier'] },
  { username: 'kepala.dpmptsp', fullName: 'Dra. Siti Rahayu, M.Si.', position: 'Kepala DPMPTSP', nip: '197103211997032004', org: 'dpmptsp', roles: ['permit_head'] },
  { username: 'timteknis.pupr', fullName: 'Bayu Nugroho, S.T., M.T.', position: 'Ketua Tim Teknis Bangunan Gedung', nip: '198405192009011005', org: 'pupr', roles: ['technical_team'] },
  { username: 'ppk.pupr', fullName: 'Fajar Ramadhan, S.T.', position: 'Pejabat Pembuat Komitmen', nip: '198809142014021003', org: 'pupr', roles: ['ppk'] },
  { username: 'bendahara.pupr', fullName: 'Lina Marliana, A.Md.', position: 'Bendahara Pengeluaran', nip: '199104252017082002', org: 'pupr', roles: ['bendahara'] },
  // BUD is held at BPKAD; its SP2D step is global, so it pays (and reads) every OPD's contracts.
  { username: 'bud.bpkad', fullName: 'Hari Wibowo, S.E., M.Ak.', position: 'Kuasa Bendahara Umum Daerah', nip: '197907082003121003', org: 'bpkad', roles: ['bud'] },
  { username: 'penyedia.cvmaju', fullName: 'Slamet Riyadi', position: 'Direktur CV Maju Jaya Konstruksi', org: 'cv-maju', roles: ['provider'] },
] as const;

/** Suppliers (orgs of kind 'supplier'): their providers sign and run the contracts they won. */
export const DEMO_SUPPLIERS = [{ id: 'cv-maju', name: 'CV Maju Jaya Konstruksi', kind: 'supplier', npwp: '01.234.567.8-517.000' }] as const;

export const DEMO_USERNAMES = DEMO_USERS.map((u) => u.username);

/** The fiscal year a date falls in (Indonesian fiscal years are calendar years, WIB). */
export function fiscalYearOf(date: Date, timeZone = DEFAULT_TIMEZONE): number {
  return localYear(date, timeZone);
}

export function dinkesProposal(year: number, title: string) {
  return {
    fiscalYear: year,
    subKegiatan: { code: '1.02.02.2.02.0001', name: 'Pengelolaan Pelayanan Kesehatan Ibu Hamil' },
    title,
    output: { indicator: 'Jumlah ibu hamil yang mendapatkan pelayanan kesehatan sesuai standar', target: 12500, unit: 'orang' },
    fundingSource: 'DAU',
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
    lines: [
      { account: '5.2.04.01.01.0012', description: 'Rekonstruksi jalan Ruas Gunungpati–Mijen', volume: 3.75, unit: 'km', unitPrice: 2_350_000_000 },
      { account: '5.2.03.01.01.0001', description: 'Pembangunan gedung UPTD peralatan', volume: 1, unit: 'unit', unitPrice: 1_250_000_000 },
    ],
  };
}

/** A PBG (building approval) application reviewed by Dinas PUPR. */
export function pbgApplication(name: string, nik: string, overrides: Record<string, unknown> = {}) {
  return {
    permitType: 'PBG',
    applicant: { name, nik, address: 'Jl. Pandanaran No. 12, Kel. Mugassari, Kec. Semarang Selatan' },
    object: { location: 'Jl. Setiabudi No. 45, Kel. Srondol Wetan, Kec. Banyumanik', description: 'Rumah tinggal dua lantai', floorArea: 186.5 },
    technicalAgency: 'pupr',
    attachments: [
      { name: 'Gambar arsitektur.pdf', sha256: 'a3f1c2d4e5b6978812ab34cd56ef7890a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      { name: 'Sertifikat tanah.pdf', sha256: '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0' },
    ],
    ...overrides,
  };
}

export interface SeedResult {
  created: boolean;
}

/** Inserts the demo regency unless it is there already; proposals go through the engine. */
export async function seedDemo(db: Kysely<Database>, engine: Engine): Promise<SeedResult> {
  const time = engine.time;
  if (!(await seedDemoPeople(db, time)).created) return { created: false };
  await seedDemoProposals(db, engine, time);
  await seedDemoPermits(db, engine);
  await seedDemoContract(db, engine, time);
  return { created: true };
}

/** OPDs, one user per role, and ceilings for this fiscal year and the next. */
export async function seedDemoPeople(db: Kysely<Database>, time: WorkflowTime = workflowTime()): Promise<SeedResult> {
  const existing = await db.selectFrom('users').select('username').where('username', '=', 'perencana.dinkes').executeTakeFirst();
  if (existing) return { created: false };
  const year = yearOf(time);
  await db.transaction().execute(async (trx) => {
    // Every demo office prints the demo government's logo in its letterhead.
    const logo = demoLogoColumns();
    await trx.insertInto('orgs').values(DEMO_ORGS.map((o) => ({ ...o, ...logo }))).onConflict((oc) => oc.column('id').doNothing()).execute();
    await trx.insertInto('orgs').values(DEMO_SUPPLIERS.map((o) => ({ ...o }))).onConflict((oc) => oc.column('id').doNothing()).execute();
    await trx
      .insertInto('users')
      .values(DEMO_USERS.map((u) => ({ username: u.username, full_name: u.fullName, position: u.position, nip: 'nip' in u ? u.nip : null, org_id: u.org })))
      .execute();
    await trx.insertInto('user_roles').values(DEMO_USERS.flatMap((u) => u.roles.map((role) => ({ username: u.username, role, org_id: u.org })))).execute();
    const ceilings = [
      { org: 'dinkes', amount: 25_000_000_000 },
      { org: 'pupr', amount: 150_000_000_000 },
    ];
    for (const y of [year, year + 1]) {
      await trx
        .insertInto('ceilings')
        .values(ceilings.map((c) => ({ fiscal_year: y, org_id: c.org, amount: c.amount, updated_by: 'tapd.sekda' })))
        .execute();
      for (const c of ceilings) await recordCeilingEvent(trx, { action: 'set_ceiling', fiscalYear: y, orgId: c.org, amount: c.amount, actor: 'tapd.sekda' });
    }
  });
  return { created: true };
}

async function seedDemoProposals(db: Kysely<Database>, engine: Engine, time: WorkflowTime): Promise<void> {
  const year = yearOf(time);
  const actors = new Map<string, Actor>();
  for (const u of DEMO_USERS) actors.set(u.username, (await loadActor(db, u.username, time))!);
  const as = (username: string) => actors.get(username)!;
  const fire = (who: string, id: string, type: string, comment?: string) => engine.fire(as(who), id, { type, comment });

  // A draft still being written.
  await engine.create(as('perencana.dinkes'), 'budget-proposal', dinkesProposal(year + 1, 'Kelas Ibu Hamil Terpadu 2027'));
  // Waiting for the head of Dinkes.
  const waiting = await engine.create(as('perencana.dinkes'), 'budget-proposal', dinkesProposal(year, 'Pemberian Makanan Tambahan Ibu Hamil KEK'));
  await fire('perencana.dinkes', waiting.id, 'submit');
  // Ratified: the DPA.
  const ratified = await engine.create(as('perencana.dinkes'), 'budget-proposal', dinkesProposal(year, 'Pelayanan Kesehatan Ibu Hamil Sesuai Standar'));
  for (const [who, type] of [
    ['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify'],
  ] as const) await fire(who, ratified.id, type);
  // Waiting for TAPD.
  const tapd = await engine.create(as('perencana.pupr'), 'budget-proposal', puprProposal(year, 'Rekonstruksi Jalan Gunungpati–Mijen'));
  for (const [who, type] of [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify']] as const) await fire(who, tapd.id, type);
  // Returned by Bappeda with a comment, back in draft.
  const returned = await engine.create(as('perencana.pupr'), 'budget-proposal', puprProposal(year + 1, 'Rekonstruksi Jalan Tahap II'));
  await fire('perencana.pupr', returned.id, 'submit');
  await fire('kadis.pupr', returned.id, 'approve');
  await fire('verifikator.bappeda', returned.id, 'return', `Indikator keluaran belum selaras dengan RKPD ${year + 1}; mohon diperbaiki.`);
}

/** Permit applications at DPMPTSP in several states, one of them issued (with its SK Izin). */
async function seedDemoPermits(db: Kysely<Database>, engine: Engine): Promise<void> {
  const as = async (username: string) => (await loadActor(db, username, engine.time))!;
  const run = async (data: Record<string, unknown>, steps: Array<[string, string, Record<string, unknown>?]>) => {
    const created = await engine.create(await as('fo.dpmptsp'), 'permit', data);
    for (const [who, type, extra] of steps) await engine.fire(await as(who), created.id, { type, ...extra });
  };
  const complete: [string, string] = ['fo.dpmptsp', 'mark_complete'];
  const recommend: [string, string, Record<string, unknown>] = ['timteknis.pupr', 'recommend', { comment: 'Sesuai KRK dan hasil survei lapangan.' }];
  const fee: [string, string, Record<string, unknown>] = ['kadis.pupr', 'assess_fee', { data: { fee: 4_875_000 } }];
  const paid: [string, string, Record<string, unknown>] = ['kasir.dpmptsp', 'confirm_payment', { data: { paymentReference: 'BJTG-2026-0001842' } }];
  // Issued: the SK Izin with its permit number.
  await run(pbgApplication('Hadi Purnomo', '3374011203780004'), [complete, recommend, fee, paid, ['kepala.dpmptsp', 'sign']]);
  // Waiting for the applicant's payment.
  await run(pbgApplication('CV Sinar Abadi', '', { applicant: { name: 'CV Sinar Abadi', nib: '9120301234567', address: 'Jl. Majapahit No. 201, Semarang' } }), [complete, recommend, fee]);
  // With the technical team.
  await run(pbgApplication('Lestari Widodo', '3374064507850002'), [complete]);
  // Returned to the applicant, incomplete.
  await run(pbgApplication('Bambang Hartono', '3374021011690001'), [['fo.dpmptsp', 'mark_incomplete', { comment: 'Gambar struktur belum dilampirkan.' }]]);
  // Just registered.
  await run({ ...pbgApplication('PT Media Reklame Jaya', ''), permitType: 'REKLAME',
    applicant: { name: 'PT Media Reklame Jaya', nib: '8120001122334', address: 'Jl. Pemuda No. 88, Semarang' },
    object: { location: 'Simpang Lima, sisi utara', description: 'Papan reklame 4 x 8 m' } }, []);
  // Rejected after the site survey.
  await run(pbgApplication('Andi Saputra', '3374031505900003'), [complete, ['timteknis.pupr', 'reject', { comment: 'Lokasi berada di sempadan sungai.' }]]);
}

/** A ratified PUPR DPA, and CV Maju's contracts on it in several states (demo-contracts.ts). */
async function seedDemoContract(db: Kysely<Database>, engine: Engine, time: WorkflowTime): Promise<void> {
  const as = async (u: string) => (await loadActor(db, u, time))!;
  const dpa = await engine.create(await as('perencana.pupr'), 'budget-proposal', puprProposal(yearOf(time), 'Rekonstruksi Jalan Ruas Ngaliyan–Wonosari'));
  for (const [who, type] of [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify']] as const) {
    await engine.fire(await as(who), dpa.id, { type });
  }
  await seedDemoContracts(db, engine, time, dpa.id);
}
