import { assign, setup } from 'xstate';
import schema from '../../schemas/permit/v1.schema.json';
import type { DataProblem, NormalizedData, Step, WorkflowDefinition } from '../../src/engine/definition';
import { formatRupiah } from '../../src/documents/format';
import { quantityProblem } from '../../src/engine/money';
import { registerPermit, takePermitNumber } from './numbers';
import { PIN_DIGITS } from '../../src/tracking/pin';
import { withProperties } from '../../src/engine/stored-schema';
import { stepsOf } from '../../src/engine/steps';

/**
 * Permit v1: an application for a regional permit (PBG building approval, SLF, izin reklame) at
 * the one-stop permit office (DPMPTSP), from registration by the front desk to the signed SK Izin.
 * The technical review and the fee assessment (retribusi) belong to the agency the application
 * names (`technicalAgency`, e.g. pupr): its technical team and its head.
 */
type PermitEvent = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };

/** Archive classification codes (≈: from the archive classification, not checked article by article). */
export const CLASSIFICATION = { permit: '503', stage: '500', retribution: '973' } as const;

/** The stage an applicant sees on the public status page, per state. */
export const PUBLIC_STAGES: Readonly<Record<string, string>> = {
  completeness_check: 'Pemeriksaan kelengkapan berkas',
  returned: 'Berkas dikembalikan untuk dilengkapi pemohon',
  technical_review: 'Pemeriksaan teknis oleh tim teknis',
  fee_assessment: 'Penetapan retribusi',
  awaiting_payment: 'Menunggu pembayaran retribusi',
  pending_signature: 'Penandatanganan Surat Keputusan Izin',
  issued: 'Izin telah terbit',
  rejected: 'Permohonan ditolak',
};

export const PERMIT_TYPES: Readonly<Record<string, string>> = {
  PBG: 'Persetujuan Bangunan Gedung (PBG)',
  SLF: 'Sertifikat Laik Fungsi (SLF)',
  REKLAME: 'Izin Penyelenggaraan Reklame',
};

const defs = schema.$defs;
const frontdesk = { roles: ['frontdesk'], scope: 'instance-org', task: true, review: false } as const;
const stageDoc = (title: string) => ({ title, classification: CLASSIFICATION.stage });
const technical: Pick<Step, 'roles' | 'scope' | 'orgField' | 'task'> = { roles: ['technical_team'], scope: 'data-org', orgField: 'technicalAgency', task: true };

/** Each transition carries its step facts as `meta` (src/engine/steps.ts derives the steps table). */
export const machine = setup({
  types: {
    context: {} as { data: Record<string, unknown> },
    events: {} as PermitEvent,
    input: {} as { data: Record<string, unknown> },
    transitionMeta: {} as Step,
  },
  actions: {
    // Events that carry data (resubmit, assess_fee, confirm_payment, the stamped permit number)
    // arrive with the instance's whole new data, computed by the engine.
    takeData: assign({ data: ({ context, event }) => event.data ?? context.data }),
  },
}).createMachine({
  id: 'permit',
  initial: 'completeness_check',
  context: ({ input }) => ({ data: input.data }),
  states: {
    completeness_check: {
      on: {
        mark_complete: { target: 'technical_review', meta: { ...frontdesk, document: stageDoc('Berita Acara Pemeriksaan Kelengkapan Berkas') } },
        mark_incomplete: { target: 'returned', meta: { ...frontdesk, requiresComment: true, document: stageDoc('Surat Pengembalian Berkas Permohonan') } },
      },
    },
    returned: {
      on: { resubmit: { target: 'completeness_check', actions: 'takeData', meta: { ...frontdesk, replacesData: true, document: stageDoc('Tanda Terima Perbaikan Berkas') } } },
    },
    technical_review: {
      on: {
        // The team's recommendation counts as submitting: whoever made it may not assess the fee or sign.
        recommend: { target: 'fee_assessment', meta: { ...technical, review: false, submits: true, document: stageDoc('Rekomendasi Teknis') } },
        reject: { target: 'rejected', meta: { ...technical, review: false, requiresComment: true, document: stageDoc('Surat Penolakan Permohonan Izin') } },
      },
    },
    fee_assessment: {
      on: {
        assess_fee: {
          target: 'awaiting_payment',
          actions: 'takeData',
          meta: {
            roles: ['opd_head'], scope: 'data-org', orgField: 'technicalAgency', task: true, review: true,
            payload: { schema: defs.feeAssessment, merge: (data, p) => ({ ...data, fee: p.fee }) },
            document: { title: 'Surat Ketetapan Retribusi Daerah (SKRD)', classification: CLASSIFICATION.retribution },
          },
        },
      },
    },
    awaiting_payment: {
      on: {
        confirm_payment: {
          target: 'pending_signature',
          actions: 'takeData',
          meta: {
            roles: ['cashier'], scope: 'instance-org', task: true, review: false,
            payload: { schema: defs.paymentConfirmation, merge: (data, p) => ({ ...data, paymentReference: p.paymentReference }) },
            document: { title: 'Tanda Bukti Pembayaran Retribusi', classification: CLASSIFICATION.retribution },
          },
        },
      },
    },
    pending_signature: {
      on: {
        sign: {
          target: 'issued',
          actions: 'takeData',
          meta: {
            roles: ['permit_head'], scope: 'instance-org', task: true, review: true,
            stamp: { field: 'permitNumber', take: (db, row, at) => takePermitNumber(db, row, at, CLASSIFICATION.permit) },
            document: { title: 'Surat Keputusan Izin', numberFrom: 'permitNumber', public: true },
          },
        },
      },
    },
    issued: { type: 'final' },
    rejected: { type: 'final' },
  },
});

function normalize(input: Record<string, unknown>): NormalizedData | { problems: DataProblem[] } {
  const applicant = input.applicant as { name: string };
  const floorArea = quantityProblem((input.object as Record<string, unknown> | undefined)?.floorArea);
  if (floorArea) return { problems: [{ path: '/object/floorArea', message: floorArea }] };
  return {
    data: input,
    title: `${PERMIT_TYPES[input.permitType as string] ?? String(input.permitType)} — ${applicant.name}`,
    fiscalYear: null,
    // The retribution once assessed; permits never count against a budget ceiling.
    total: typeof input.fee === 'number' ? input.fee : null,
  };
}

function documentFields(data: Record<string, unknown>): Array<[string, string]> {
  const applicant = data.applicant as { name: string; nik?: string; nib?: string; address: string };
  const object = data.object as { location: string; description: string; floorArea?: number };
  const fields: Array<[string, string]> = [
    ['Jenis izin', PERMIT_TYPES[data.permitType as string] ?? String(data.permitType)],
    ['Pemohon', applicant.name],
    [applicant.nik ? 'NIK' : 'NIB', applicant.nik ?? applicant.nib ?? '-'],
    ['Alamat pemohon', applicant.address],
    ['Lokasi', object.location],
    ['Uraian', object.description],
  ];
  if (object.floorArea !== undefined) fields.push(['Luas lantai', `${String(object.floorArea).replace('.', ',')} m²`]);
  fields.push(['Lampiran', String((data.attachments as unknown[]).length)]);
  if (typeof data.fee === 'number') fields.push(['Retribusi', formatRupiah(data.fee)]);
  if (typeof data.paymentReference === 'string') fields.push(['Referensi pembayaran', data.paymentReference]);
  if (typeof data.permitNumber === 'string') fields.push(['Nomor izin', data.permitNumber]);
  return fields;
}

/** As stored: the fee, the payment reference and the permit number arrive with their events. */
const storedSchema = withProperties(schema, {
  fee: schema.$defs.feeAssessment.properties.fee,
  paymentReference: schema.$defs.paymentConfirmation.properties.paymentReference,
  permitNumber: { type: 'string', description: 'SK Izin number, stamped when the permit head signs' },
});

/** The registration receipt (./numbers.ts, a core tracking number), shown once. */
const receiptSchema = {
  type: 'object', required: ['registrationNumber', 'pin', 'registeredAt'], additionalProperties: false,
  properties: {
    registrationNumber: { type: 'string', examples: ['REG/DPMPTSP/2026/000123'] },
    pin: { type: 'string', pattern: `^[0-9]{${PIN_DIGITS}}$`, description: 'Only its hash is stored' },
    registeredAt: { type: 'string', format: 'date-time' },
  },
};

export const permitV1: WorkflowDefinition = {
  name: 'permit',
  version: 1,
  title: 'Permohonan izin (DPMPTSP)',
  machine,
  schema,
  storedSchema,
  receiptSchema,
  creatorRoles: ['frontdesk'],
  normalize,
  // Working days per step (SiCantik practice); the applicant's turns pause the 15-day clock.
  sla: {
    states: { completeness_check: 1, technical_review: 10, fee_assessment: 1, pending_signature: 2 },
    overall: { days: 15, pausedIn: ['returned', 'awaiting_payment'], finalStates: ['issued', 'rejected'] },
  },
  documentFields,
  onCreate: async (trx, { row, at }) => ({ ...(await registerPermit(trx, row, at)) }),
  steps: stepsOf(machine),
};
