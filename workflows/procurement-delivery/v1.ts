import { assign, setup } from 'xstate';
import schema from '../../schemas/procurement-delivery/v1.schema.json';
import type { DataProblem, NormalizedData, Step, StepEffectInput, WorkflowDefinition } from '../../src/engine/definition';
import { formatRupiah } from '../../src/documents/format';
import { alreadySigned } from './errors';
import { checkAward } from './award';
import { storedSchema } from './v1-stored';
import { stepsOf } from '../../src/engine/steps';
import {
  checkAmendedValue, checkMaintenanceOver, checkProgress, handoverPenalty, recordPayment, retentionClaim, terminClaim, terminPercentProblem,
  type Claim, type ContractData, type ReturnTo,
} from './money';

/** An object-valued field, or an empty object (kept out of the guards: see the definition hash). */
function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/**
 * Procurement delivery v1 (e-delivery): from the award the PPK registers after the tender, through
 * contract signatures, SPMK, progress and termin payments (SPP → SPM → SP2D), handover (BAST/PHO),
 * maintenance and FHO with the retention payment, to closed. Money rules: money.ts.
 */
type Event = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };
const returnTo = (context: { data: Record<string, unknown> }) => (context.data.claim as Claim | undefined)?.returnTo;
const ROOT = '#procurement-delivery';

const defs = schema.$defs;
const contract = (data: Record<string, unknown>) => data as unknown as ContractData & Record<string, unknown>;
const doc = (title: string) => ({ title, classification: '027' });
const payDoc = (title: string) => ({ title, classification: '900' });
const ppk: Pick<Step, 'roles' | 'scope' | 'task' | 'review'> = { roles: ['ppk'], scope: 'instance-org', task: true, review: false };
const provider: Pick<Step, 'roles' | 'scope' | 'orgField' | 'task' | 'review'> = { roles: ['provider'], scope: 'data-org', orgField: 'supplier', task: true, review: false };
const keep = (data: Record<string, unknown>) => data;

function claimTermin(from: ReturnTo): Step {
  return {
    ...provider,
    payload: { schema: defs.terminClaim, merge: keep },
    effect: ({ data, payload }) => ({ ...data, claim: terminClaim(contract(data), payload!.termin as number, from) }),
    document: payDoc('Surat Permohonan Pembayaran Termin'),
  };
}

const amend: Step = {
  ...ppk,
  payload: { schema: defs.amendment, merge: keep },
  effect: ({ data, payload, at, actor }) => {
    const c = contract(data);
    const value = (payload!.value as number | undefined) ?? c.value;
    checkAmendedValue(c, value);
    const endDate = (payload!.endDate as string | undefined) ?? c.endDate;
    const versions = data.versions as unknown[];
    // Every version of the contract terms stays in the data: the award is version 1.
    return { ...data, value, endDate, versions: [...versions, { version: versions.length + 1, value, endDate, reason: payload!.reason, at: at.toISOString(), by: actor }] };
  },
  document: doc('Adendum Kontrak'),
};

const terminate: Step = { ...ppk, requiresComment: true, document: doc('Surat Pemutusan Kontrak') };
const claimEffect = (status: Claim['status']) => ({ data }: StepEffectInput) => ({ ...data, claim: { ...(data.claim as Claim), status } });


// Both parties sign, in either order; each signature is its own signed document.
const signContract: Step = {
  roles: ['ppk', 'provider'], scope: 'instance-org', roleOrgFields: { provider: 'supplier' }, task: true, review: false,
  effect: ({ data, role, actor, at }) => {
    const signatures = data.signatures as Record<string, unknown>;
    if (signatures[role]) throw alreadySigned(`The ${role} has signed this contract already`);
    return { ...data, signatures: { ...signatures, [role]: { by: actor, at: at.toISOString() } } };
  },
  document: doc('Surat Perjanjian (Kontrak)'),
};

const reportProgress: Step = {
  ...provider,
  payload: { schema: defs.progress, merge: keep },
  effect: ({ data, payload, at }) => {
    const percent = payload!.percent as number;
    checkProgress(contract(data), percent);
    return { ...data, progress: percent, progressReports: [...(data.progressReports as unknown[]), { percent, at: at.toISOString() }] };
  },
  document: doc('Laporan Kemajuan Fisik Pekerjaan'),
};

// BUD pays every OPD's contracts: held at BPKAD, acting on any OPD's instance.
const issueSp2d: Step = {
  roles: ['bud'], scope: 'global', task: true, review: false,
  effect: ({ data, at }) => {
    // No parenthesised spreads: tsc keeps such parentheses and esbuild drops them, which would
    // change this function's text, and so the definition hash, between build tools.
    const closed = (data.claim as Claim).kind === 'retention' ? { closedAt: at.toISOString() } : {};
    return { ...data, ...recordPayment(contract(data), at), ...closed };
  },
  document: payDoc('Surat Perintah Pencairan Dana (SP2D)'),
};

const signFho: Step = {
  ...ppk,
  effect: ({ data, today }) => {
    checkMaintenanceOver(contract(data), today);
    return { ...data, fhoDate: today, claim: retentionClaim(contract(data)) };
  },
  document: doc('Berita Acara Serah Terima Akhir (FHO)'),
};

/** Each transition carries its step facts as `meta` (src/engine/steps.ts derives the steps table). */
export const machine = setup({
  types: { context: {} as { data: Record<string, unknown> }, events: {} as Event, input: {} as { data: Record<string, unknown> }, transitionMeta: {} as Step },
  guards: {
    bothSigned: ({ event }) => {
      const s = asRecord(event.data?.signatures);
      return s.ppk !== undefined && s.provider !== undefined;
    },
    toProgress: ({ context }) => returnTo(context) === 'in_progress',
    toMaintenance: ({ context }) => returnTo(context) === 'maintenance',
  },
  actions: { takeData: assign({ data: ({ context, event }) => event.data ?? context.data }) },
}).createMachine({
  id: 'procurement-delivery',
  initial: 'awarded',
  context: ({ input }) => ({ data: input.data }),
  on: {},
  states: {
    awarded: {
      on: {
        // One step, two branches: the second signature makes the contract active, the first does not.
        sign_contract: [{ target: 'contract_active', guard: 'bothSigned', actions: 'takeData', meta: signContract }, { actions: 'takeData' }],
        terminate: { target: 'terminated', meta: terminate },
      },
    },
    contract_active: {
      on: {
        issue_spmk: { target: 'in_progress', meta: { ...ppk, document: doc('Surat Perintah Mulai Kerja (SPMK)') } },
        amend: { actions: 'takeData', meta: amend },
        terminate: { target: 'terminated', meta: terminate },
      },
    },
    in_progress: {
      on: {
        report_progress: { actions: 'takeData', meta: reportProgress },
        claim_termin: { target: 'termin_review', actions: 'takeData', meta: claimTermin('in_progress') },
        request_handover: {
          target: 'inspection',
          actions: 'takeData',
          meta: {
            ...provider,
            effect: ({ data, today }) => ({ ...data, handoverRequested: today, penalty: handoverPenalty(contract(data), today) }),
            document: doc('Surat Permohonan Serah Terima Pekerjaan'),
          },
        },
        amend: { actions: 'takeData', meta: amend },
        terminate: { target: 'terminated', meta: terminate },
      },
    },
    termin_review: {
      on: {
        approve_termin: { target: 'payment', actions: 'takeData', meta: { ...ppk, effect: claimEffect('approved'), document: payDoc('Berita Acara Pembayaran Termin') } },
        reject_termin: [
          { target: 'in_progress', guard: 'toProgress', actions: 'takeData', meta: { ...ppk, requiresComment: true, effect: claimEffect('rejected'), document: payDoc('Surat Penolakan Tagihan Termin') } },
          { target: 'maintenance', actions: 'takeData' },
        ],
        terminate: { target: 'terminated', meta: terminate },
      },
    },
    payment: {
      initial: 'spp',
      // Every payment step (payment.spp, payment.spm, payment.sp2d) takes it.
      on: { terminate: { target: 'terminated', meta: terminate } },
      states: {
        spp: { on: { submit_spp: { target: 'spm', meta: { roles: ['bendahara'], scope: 'instance-org', task: true, review: false, document: payDoc('Surat Permintaan Pembayaran (SPP)') } } } },
        spm: { on: { issue_spm: { target: 'sp2d', meta: { roles: ['opd_head'], scope: 'instance-org', task: true, review: false, document: payDoc('Surat Perintah Membayar (SPM)') } } } },
        sp2d: {
          on: {
            issue_sp2d: [
              { target: `${ROOT}.in_progress`, guard: 'toProgress', actions: 'takeData', meta: issueSp2d },
              { target: `${ROOT}.maintenance`, guard: 'toMaintenance', actions: 'takeData' },
              { target: `${ROOT}.closed`, actions: 'takeData' },
            ],
          },
        },
      },
    },
    inspection: {
      on: {
        sign_bast: { target: 'maintenance', actions: 'takeData', meta: { ...ppk, effect: ({ data, today }) => ({ ...data, bastDate: today }), document: doc('Berita Acara Serah Terima Pertama (BAST/PHO)') } },
        reject_handover: { target: 'in_progress', meta: { ...ppk, requiresComment: true, document: doc('Berita Acara Penolakan Serah Terima') } },
        terminate: { target: 'terminated', meta: terminate },
      },
    },
    maintenance: {
      on: {
        claim_termin: { target: 'termin_review', actions: 'takeData', meta: claimTermin('maintenance') },
        sign_fho: { target: 'payment', actions: 'takeData', meta: signFho },
        terminate: { target: 'terminated', meta: terminate },
      },
    },
    closed: { type: 'final' },
    terminated: { type: 'final' },
  },
});

function normalize(input: Record<string, unknown>): NormalizedData | { problems: DataProblem[] } {
  const termins = input.termins as Array<{ percent: number; threshold: number }>;
  const problems: DataProblem[] = [];
  const sum = termins.reduce((s, t) => s + t.percent, 0);
  if (Math.abs(sum - 100) > 1e-9) problems.push({ path: '/termins', message: `percentages must sum to 100, not ${sum}` });
  termins.forEach((t, i) => {
    const percent = terminPercentProblem(input.value as number, t.percent);
    if (percent) problems.push({ path: `/termins/${i}/percent`, message: percent });
    if (i > 0 && t.threshold < termins[i - 1]!.threshold) problems.push({ path: `/termins/${i}/threshold`, message: 'must not be below the previous termin\'s' });
  });
  if ((input.endDate as string) < (input.startDate as string)) problems.push({ path: '/endDate', message: 'must not be before startDate' });
  if (problems.length) return { problems };
  // Defaults and the engine-kept parts of a contract, set once at the award.
  const data = {
    maintenanceDays: 180, retentionPercent: 5, progress: 0, progressReports: [], payments: [], signatures: {}, claim: null, penalty: null,
    versions: [{ version: 1, value: input.value, endDate: input.endDate, reason: 'award' }],
    ...input,
  };
  return { data, title: `${String(input.packageName)}`, fiscalYear: Number(String(input.startDate).slice(0, 4)), total: input.value as number };
}

function documentFields(data: Record<string, unknown>): Array<[string, string]> {
  const c = contract(data);
  const fields: Array<[string, string]> = [
    ['Paket pekerjaan', String(data.packageName)],
    ['Penyedia', String(data.supplier)],
    ['Nilai kontrak', formatRupiah(c.value)],
    ['Jangka waktu', `${String(data.startDate)} s.d. ${c.endDate}`],
    ['Kemajuan fisik', `${c.progress} %`],
  ];
  const claim = c.claim;
  if (claim && claim.status !== 'rejected') {
    fields.push([claim.kind === 'termin' ? 'Pembayaran' : 'Pembayaran', claim.kind === 'termin' ? `Termin ${claim.termin}` : 'Retensi']);
    fields.push(['Nilai bruto', formatRupiah(claim.gross)], ['Retensi ditahan', formatRupiah(claim.retention)]);
    if (claim.penalty > 0) fields.push(['Denda keterlambatan', formatRupiah(claim.penalty)]);
    fields.push(['Nilai dibayar', formatRupiah(claim.net)]);
  }
  if (c.penalty && c.penalty.amount > 0) fields.push(['Keterlambatan', `${c.penalty.days} hari, denda ${formatRupiah(c.penalty.amount)}`]);
  return fields;
}

export const procurementDeliveryV1: WorkflowDefinition = {
  name: 'procurement-delivery',
  version: 1,
  title: 'Pelaksanaan kontrak pengadaan (e-delivery)',
  machine,
  schema,
  storedSchema,
  creatorRoles: ['ppk'],
  normalize,
  // Working days per payment step (≈, keep configurable: GRMS SLA overrides apply).
  sla: { states: { 'payment.spp': 2, 'payment.spm': 2, 'payment.sp2d': 2 } },
  documentFields,
  onCreate: async (trx, { row }) => checkAward(trx, row),
  steps: stepsOf(machine),
};
