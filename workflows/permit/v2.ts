import { assign, setup } from 'xstate';
import schema from '../../schemas/permit/v2.schema.json';
import type { DataProblem, NormalizedData, Step, WorkflowDefinition } from '../../src/engine/definition';
import { formatRupiah } from '../../src/documents/format';
import { quantityProblem } from '../../src/engine/money';
import { registerPermit, takePermitNumber } from './numbers';
import { withProperties } from '../../src/engine/stored-schema';
import { stepsOf } from '../../src/engine/steps';
import { CLASSIFICATION, PERMIT_TYPES, permitV1 } from './v1';
import { CHECKLIST_RULE } from './checklist';

/**
 * Permit v2: v1 with a checklist of required documents per permit type (./checklist.ts). Each
 * attachment may name the checklist item it is; "mark complete" is refused (rule
 * `checklistComplete`, ./checklist.ts) until every item of the type's list has one (a document of
 * another type's list is kept, and not counted). Spaces typed in a NIK or NIB
 * (people write "3374 0157 0892 0001") are removed before validation. New applications take v2;
 * those registered under v1 finish under v1.
 */
type PermitEvent = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };

const defs = schema.$defs;
const frontdesk = { roles: ['frontdesk'], scope: 'instance-org', task: true, review: false } as const;
const stageDoc = (title: string) => ({ title, classification: CLASSIFICATION.stage });
const technical: Pick<Step, 'roles' | 'scope' | 'orgField' | 'task'> = { roles: ['technical_team'], scope: 'data-org', orgField: 'technicalAgency', task: true };

export const machine = setup({
  types: {
    context: {} as { data: Record<string, unknown> },
    events: {} as PermitEvent,
    input: {} as { data: Record<string, unknown> },
    transitionMeta: {} as Step,
  },
  actions: {
    takeData: assign({ data: ({ context, event }) => event.data ?? context.data }),
  },
}).createMachine({
  id: 'permit',
  initial: 'completeness_check',
  context: ({ input }) => ({ data: input.data }),
  states: {
    completeness_check: {
      on: {
        // Complete means every document of the permit type's checklist is attached.
        mark_complete: { target: 'technical_review', meta: { ...frontdesk, rule: CHECKLIST_RULE, document: stageDoc('Berita Acara Pemeriksaan Kelengkapan Berkas') } },
        mark_incomplete: { target: 'returned', meta: { ...frontdesk, requiresComment: true, document: stageDoc('Surat Pengembalian Berkas Permohonan') } },
      },
    },
    returned: {
      on: { resubmit: { target: 'completeness_check', actions: 'takeData', meta: { ...frontdesk, replacesData: true, document: stageDoc('Tanda Terima Perbaikan Berkas') } } },
    },
    technical_review: {
      on: {
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

/** A NIK or NIB as typed, without the spaces that group its digits. */
function prepare(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const applicant = (input as Record<string, unknown>).applicant;
  if (!applicant || typeof applicant !== 'object' || Array.isArray(applicant)) return input;
  const a = { ...(applicant as Record<string, unknown>) };
  for (const key of ['nik', 'nib']) if (typeof a[key] === 'string') a[key] = (a[key] as string).replace(/[\s\u00a0]+/g, '');
  return { ...(input as Record<string, unknown>), applicant: a };
}

function normalize(input: Record<string, unknown>): NormalizedData | { problems: DataProblem[] } {
  const applicant = input.applicant as { name: string };
  const floorArea = quantityProblem((input.object as Record<string, unknown> | undefined)?.floorArea);
  if (floorArea) return { problems: [{ path: '/object/floorArea', message: floorArea }] };
  return {
    data: input,
    title: `${PERMIT_TYPES[input.permitType as string] ?? String(input.permitType)} — ${applicant.name}`,
    fiscalYear: null,
    total: typeof input.fee === 'number' ? input.fee : null,
  };
}

/** As stored: the fee, the payment reference and the permit number arrive with their events. */
const storedSchema = withProperties(schema, {
  fee: schema.$defs.feeAssessment.properties.fee,
  paymentReference: schema.$defs.paymentConfirmation.properties.paymentReference,
  permitNumber: { type: 'string', description: 'SK Izin number, stamped when the permit head signs' },
});

export const permitV2: WorkflowDefinition = {
  name: 'permit',
  version: 2,
  title: 'Permohonan izin (DPMPTSP)',
  machine,
  schema,
  storedSchema,
  receiptSchema: permitV1.receiptSchema,
  creatorRoles: ['frontdesk'],
  prepare,
  normalize,
  sla: {
    states: { completeness_check: 1, technical_review: 10, fee_assessment: 1, pending_signature: 2 },
    overall: { days: 15, pausedIn: ['returned', 'awaiting_payment'], finalStates: ['issued', 'rejected'] },
  },
  documentFields: permitV1.documentFields,
  onCreate: async (trx, { row, at }) => ({ ...(await registerPermit(trx, row, at)) }),
  steps: stepsOf(machine),
};
