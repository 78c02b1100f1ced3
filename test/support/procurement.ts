import type { Engine } from '../../src/engine/engine';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { loadActor } from '../../src/auth/tokens';
import { fiscalYearOf } from '../../src/seed/demo';
import { puprProposal } from '../../workflows/budget-proposal/demo';
import type { Reply, TestApp } from './app';

/** A ratified PUPR budget proposal (a DPA) for contracts to link to; returns its id. */
export async function ratifiedPuprProposal(db: Kysely<Database>, engine: Engine): Promise<string> {
  const as = async (u: string) => (await loadActor(db, u, engine.time))!;
  const p = await engine.create(await as('perencana.pupr'), 'budget-proposal', puprProposal(fiscalYearOf(engine.time.clock(), engine.time.timeZone), 'Rekonstruksi Jalan Gunungpati–Mijen'));
  for (const [who, type] of [['perencana.pupr', 'submit'], ['kadis.pupr', 'approve'], ['verifikator.bappeda', 'verify'], ['tapd.sekda', 'approve'], ['ppkd.bpkad', 'ratify']]) {
    await engine.fire(await as(who!), p.id, { type: type! });
  }
  return p.id;
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** An award of CV Maju on the PUPR DPA's road-reconstruction account. */
export function contractData(proposalId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    packageName: 'Rekonstruksi Jalan Ruas Gunungpati–Mijen Seksi 1',
    contractNumber: 'HK.02.03/PUPR/2026/017',
    supplier: 'cv-maju',
    value: 1_000_000_000,
    startDate: isoDay(-120),
    endDate: isoDay(30),
    maintenanceDays: 180,
    termins: [{ percent: 30, threshold: 30 }, { percent: 40, threshold: 70 }, { percent: 30, threshold: 100 }],
    budget: { proposalId, subKegiatan: '1.03.10.2.01.0017', account: '5.2.04.01.01.0012' },
    ...overrides,
  };
}

export { isoDay };

export type ProcurementStep = [user: string, type: string, extra?: Record<string, unknown>];

export const SIGN_AND_START: ProcurementStep[] = [['penyedia.cvmaju', 'sign_contract'], ['ppk.pupr', 'sign_contract'], ['ppk.pupr', 'issue_spmk']];
export const PAY: ProcurementStep[] = [['ppk.pupr', 'approve_termin'], ['bendahara.pupr', 'submit_spp'], ['kadis.pupr', 'issue_spm'], ['bud.bpkad', 'issue_sp2d']];
export const PAY_RETENTION: ProcurementStep[] = PAY.slice(1);

export async function award(app: TestApp, data: Record<string, unknown>): Promise<string> {
  const res = await app.call('ppk.pupr', 'POST', '/api/v1/instances', { workflow: 'procurement-delivery', data });
  if (res.status !== 201) throw new Error(`award failed: ${res.status} ${res.text}`);
  return res.body.id;
}

/** Fires each step in order, expecting 200 each time; returns the last reply. */
export async function fireSteps(app: TestApp, id: string, steps: ProcurementStep[]): Promise<Reply> {
  let last: Reply | undefined;
  for (const [user, type, extra] of steps) {
    last = await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, ...extra });
    if (last.status !== 200) throw new Error(`${user} ${type}: ${last.status} ${last.text}`);
  }
  return last!;
}
