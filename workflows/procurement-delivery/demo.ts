import type { PackageDemo, SeedContext } from '../../src/engine/package';
import { nextDay } from '../../src/sla/calendar';
import { todayOf, yearOf } from '../../src/clock';
import { puprProposal } from '../budget-proposal/demo';

/**
 * CV Maju's road and building contracts with Dinas PUPR, on one ratified DPA, each walked through
 * the engine to a different point, so the console and the OCDS publication show every state:
 * awarded (one signature so far), in progress with termins paid, amended after a payment,
 * terminated early, finished (retention paid), and in maintenance.
 */
type Step = [who: string, type: string, data?: Record<string, unknown>, comment?: string];

const PAY: Step[] = [['ppk.pupr', 'approve_termin'], ['bendahara.pupr', 'submit_spp'], ['kadis.pupr', 'issue_spm'], ['bud.bpkad', 'issue_sp2d']];
const START: Step[] = [['penyedia.cvmaju', 'sign_contract'], ['ppk.pupr', 'sign_contract'], ['ppk.pupr', 'issue_spmk']];
const progress = (percent: number): Step => ['penyedia.cvmaju', 'report_progress', { percent }];
const termin = (n: number): Step[] => [['penyedia.cvmaju', 'claim_termin', { termin: n }], ...PAY];

/** The contract offices of Dinas PUPR and BPKAD, and CV Maju's director (a supplier org of the demo). */
export const procurementDemo: PackageDemo = {
  orgs: [{ id: 'cv-maju', name: 'CV Maju Jaya Konstruksi', kind: 'supplier', npwp: '01.234.567.8-517.000', unitCode: 'CV-MAJU' }],
  users: [
    { username: 'ppk.pupr', fullName: 'Fajar Ramadhan, S.T.', position: 'Pejabat Pembuat Komitmen', nip: '198809142014021003', org: 'pupr', roles: ['ppk'] },
    { username: 'bendahara.pupr', fullName: 'Lina Marliana, A.Md.', position: 'Bendahara Pengeluaran', nip: '199104252017082002', org: 'pupr', roles: ['bendahara'] },
    // BUD is held at BPKAD; its SP2D step is global, so it pays (and reads) every OPD's contracts.
    { username: 'bud.bpkad', fullName: 'Hari Wibowo, S.E., M.Ak.', position: 'Kuasa Bendahara Umum Daerah', nip: '197907082003121003', org: 'bpkad', roles: ['bud'] },
    { username: 'penyedia.cvmaju', fullName: 'Slamet Riyadi', position: 'Direktur CV Maju Jaya Konstruksi', org: 'cv-maju', roles: ['provider'] },
  ],
};

/** A ratified PUPR DPA (a budget proposal walked to its end), and CV Maju's contracts on it in several states. */
export async function seedContracts(ctx: SeedContext): Promise<void> {
  const { engine, actor } = ctx;
  const dpa = await engine.create(await actor('perencana.pupr'), 'budget-proposal', puprProposal(yearOf(engine.time), 'Rekonstruksi Jalan Ruas Ngaliyan–Wonosari'));
  for (const [who, type] of [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify']] as const) {
    await engine.fire(await actor(who), dpa.id, { type });
  }
  await seedDemoContracts(ctx, dpa.id);
}

async function seedDemoContracts({ engine, actor }: SeedContext, dpaId: string): Promise<void> {
  const time = engine.time;
  const year = yearOf(time);
  const day = (offset: number) => nextDay(todayOf(time), offset);
  const road = { proposalId: dpaId, subKegiatan: '1.03.10.2.01.0017', account: '5.2.04.01.01.0012' };
  const building = { ...road, account: '5.2.03.01.01.0001' };
  const run = async (data: Record<string, unknown>, steps: Step[]) => {
    const created = await engine.create(await actor('ppk.pupr'), 'procurement-delivery', { supplier: 'cv-maju', ...data });
    for (const [who, type, payload, comment] of steps) {
      await engine.fire(await actor(who), created.id, { type, data: payload, comment });
    }
  };

  // Awarded: the provider has signed, the PPK has not yet.
  await run({
    packageName: 'Pembangunan Gedung UPTD Peralatan', contractNumber: `HK.02.03/PUPR/${year}/034`, value: 1_180_000_000,
    startDate: day(14), endDate: day(194), termins: [{ percent: 50, threshold: 50 }, { percent: 50, threshold: 100 }], budget: building,
  }, [['penyedia.cvmaju', 'sign_contract']]);
  // In progress, two of three termins paid.
  await run({
    packageName: 'Rekonstruksi Jalan Ruas Gunungpati–Mijen Seksi 2', contractNumber: `HK.02.03/PUPR/${year}/027`, value: 1_500_000_000,
    startDate: day(-90), endDate: day(90), termins: [{ percent: 30, threshold: 30 }, { percent: 30, threshold: 60 }, { percent: 40, threshold: 100 }], budget: road,
  }, [...START, progress(32), ...termin(1), progress(64), ...termin(2), progress(70)]);
  // Amended after the first termin was paid: that termin stays at what was paid (40 % of 850 million).
  await run({
    packageName: 'Peningkatan Jalan Ruas Cangkiran–Gunungpati', contractNumber: `HK.02.03/PUPR/${year}/029`, value: 850_000_000,
    startDate: day(-75), endDate: day(45), termins: [{ percent: 40, threshold: 40 }, { percent: 60, threshold: 100 }], budget: road,
  }, [...START, progress(45), ...termin(1),
    ['ppk.pupr', 'amend', { value: 900_000_000, endDate: day(75), reason: 'Adendum I: penambahan volume lapis perkerasan dan perpanjangan waktu 30 hari kalender' }],
    progress(60)]);
  // Terminated after one termin: the other two were never paid.
  await run({
    packageName: 'Rehabilitasi Saluran Drainase Jalan Kaligawe', contractNumber: `HK.02.03/PUPR/${year}/031`, value: 600_000_000,
    startDate: day(-100), endDate: day(20), termins: [{ percent: 30, threshold: 30 }, { percent: 30, threshold: 60 }, { percent: 40, threshold: 100 }], budget: road,
  }, [...START, progress(35), ...termin(1), progress(41),
    ['ppk.pupr', 'terminate', undefined, 'Wanprestasi: pekerjaan terhenti lebih dari 30 hari kalender setelah tiga surat teguran.']]);
  // Finished: both termins, handover, FHO (no maintenance period) and the retention paid.
  await run({
    packageName: 'Pemeliharaan Berkala Jalan Ruas Mangkang–Kendal', contractNumber: `HK.02.03/PUPR/${year}/012`, value: 950_000_000, maintenanceDays: 0,
    startDate: day(-160), endDate: day(5), termins: [{ percent: 50, threshold: 50 }, { percent: 50, threshold: 100 }], budget: road,
  }, [...START, progress(55), ...termin(1), progress(100), ...termin(2),
    ['penyedia.cvmaju', 'request_handover'], ['ppk.pupr', 'sign_bast'], ['ppk.pupr', 'sign_fho'], ...PAY.slice(1)]);
  // In maintenance after BAST, the first two termins paid (the third falls due at 100 % and is still claimable).
  await run({
    packageName: 'Rekonstruksi Jalan Ruas Ngaliyan–Wonosari Seksi 1', contractNumber: `HK.02.03/PUPR/${year}/021`, value: 2_350_000_000,
    startDate: day(-150), endDate: day(10), maintenanceDays: 180,
    termins: [{ percent: 30, threshold: 30 }, { percent: 40, threshold: 70 }, { percent: 30, threshold: 100 }], budget: road,
  }, [...START, progress(35), ...termin(1), progress(72), ...termin(2), progress(100), ['penyedia.cvmaju', 'request_handover'], ['ppk.pupr', 'sign_bast']]);
}
