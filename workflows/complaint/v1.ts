import { assign, setup } from 'xstate';
import schema from '../../schemas/complaint/v1.schema.json';
import type { NormalizedData, Step, WorkflowDefinition } from '../../src/engine/definition';
import { GrmsError } from '../../src/errors';
import { withProperties } from '../../src/engine/stored-schema';
import { stepsOf } from '../../src/engine/steps';
import { CATEGORIES, defaultAnswerDays } from './categories';

/**
 * Complaint v1: a citizen's complaint (pengaduan masyarakat, the SP4N-LAPOR channel) from filing to
 * the citizen's confirmation. The complaint desk (pengelola pengaduan, regency-wide) verifies it and
 * dispatches it (disposisi) to the responsible OPD, named by `opd`; that OPD's liaison (penghubung)
 * reports a follow-up and signs the final answer; a missed deadline there reaches the head of that
 * OPD. The citizen confirms or objects once; silence closes it.
 *
 * The reporter's own steps (provide_info, confirm, object) are recorded for now by the complaint
 * desk of the office where the complaint was filed: the reply the reporter gave by phone, SMS or at
 * the desk.
 */
type ComplaintEvent = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };

/** Archive classification codes (≈: from the regional archive classification, not checked item by item). */
export const CLASSIFICATION = { complaint: '065' } as const;

/** The stage a citizen sees on the public status page, per state. */
export const PUBLIC_STAGES: Readonly<Record<string, string>> = {
  verification: 'Pengaduan sedang diverifikasi',
  awaiting_info: 'Menunggu keterangan tambahan dari pelapor',
  follow_up: 'Ditindaklanjuti oleh OPD',
  answering: 'OPD menyusun jawaban',
  awaiting_confirmation: 'Jawaban terkirim: menunggu konfirmasi pelapor',
  resolved: 'Selesai',
  closed_silent: 'Selesai (tanpa tanggapan pelapor)',
  dismissed: 'Tidak dapat ditindaklanjuti sebagai pengaduan',
};

/** An objection after the first one: the citizen may object once (SP4N-LAPOR practice). */
export class SecondObjection extends GrmsError {
  constructor(objections: number) {
    super('COMPLAINT_SECOND_OBJECTION', 409, 'complaint-second-objection', 'Objected already',
      `The reporter may object to the answer once; this would be objection ${objections}`);
  }
}

const defs = schema.$defs;
const doc = (title: string, handedOut = false) => ({ title, classification: CLASSIFICATION.complaint, ...(handedOut && { public: true }) });
const desk = { roles: ['complaint_desk'], scope: 'global', task: true, review: false } as const;
// Until a reporter can act with the tracking PIN, the desk where it was filed records the reply.
const reporter = { roles: ['complaint_desk'], scope: 'instance-org', task: true, review: false } as const;
// Past its deadline a step of the OPD is also the head of that OPD's (escalation scope).
const opd: Pick<Step, 'roles' | 'scope' | 'orgField' | 'task' | 'review' | 'escalateTo'> = {
  roles: ['complaint_liaison'], scope: 'data-org', orgField: 'opd', task: true, review: false,
  escalateTo: { roles: ['opd_head'], scope: 'data-org', orgField: 'opd' },
};

/**
 * Each transition carries its step facts as `meta` (src/engine/steps.ts derives the steps table).
 * The hooks below count in the definition hash by their source text, which must print alike under
 * tsc and esbuild (src/engine/definition-source.ts): no casts in parentheses, no `new X` without
 * arguments (esbuild drops the empty parentheses).
 */
export const machine = setup({
  types: {
    context: {} as { data: Record<string, unknown> },
    events: {} as ComplaintEvent,
    input: {} as { data: Record<string, unknown> },
    transitionMeta: {} as Step,
  },
  actions: {
    // Payload events arrive with the instance's whole new data, computed by the engine.
    takeData: assign({ data: ({ context, event }) => event.data ?? context.data }),
  },
}).createMachine({
  id: 'complaint',
  initial: 'verification',
  context: ({ input }) => ({ data: input.data }),
  states: {
    verification: {
      on: {
        dismiss: { target: 'dismissed', meta: { ...desk, requiresComment: true, document: doc('Surat Pemberitahuan Hasil Verifikasi Pengaduan', true) } },
        // The question to the reporter is the comment, sent as a letter the reporter keeps.
        request_info: { target: 'awaiting_info', meta: { ...desk, requiresComment: true, document: doc('Surat Permintaan Keterangan Tambahan', true) } },
        dispatch: {
          target: 'follow_up',
          actions: 'takeData',
          meta: {
            ...desk,
            payload: {
              schema: defs.dispatch,
              merge: (data, p) => ({ ...data, opd: p.opd, answerDays: typeof p.answerDays === 'number' ? p.answerDays : defaultAnswerDays(String(data.category)) }),
            },
            document: doc('Lembar Disposisi Pengaduan'),
          },
        },
      },
    },
    awaiting_info: {
      on: {
        provide_info: {
          target: 'verification',
          actions: 'takeData',
          meta: {
            ...reporter,
            payload: { schema: defs.additionalInfo, merge: (data, p) => ({ ...data, additionalInfo: Array.isArray(data.additionalInfo) ? [...data.additionalInfo, p.text] : [p.text] }) },
          },
        },
      },
    },
    follow_up: {
      on: {
        report_follow_up: {
          target: 'answering',
          actions: 'takeData',
          meta: { ...opd, payload: { schema: defs.followUp, merge: (data, p) => ({ ...data, followUp: p.text }) } },
        },
      },
    },
    answering: {
      on: {
        answer: {
          target: 'awaiting_confirmation',
          actions: 'takeData',
          meta: {
            ...opd,
            payload: { schema: defs.answer, merge: (data, p) => ({ ...data, answer: p.text }) },
            document: doc('Surat Jawaban Pengaduan', true),
          },
        },
      },
    },
    awaiting_confirmation: {
      on: {
        confirm: { target: 'resolved', meta: reporter },
        object: {
          target: 'answering',
          actions: 'takeData',
          meta: {
            ...reporter,
            payload: { schema: defs.objection, merge: (data, p) => ({ ...data, objection: p.reason, objections: typeof data.objections === 'number' ? data.objections + 1 : 1 }) },
            effect: ({ data }) => {
              if (typeof data.objections === 'number' && data.objections > 1) throw new SecondObjection(data.objections);
              return data;
            },
          },
        },
        // "Silence closes it": the SLA scheduler fires this when the confirmation period ends.
        close_silent: { target: 'closed_silent', meta: { roles: [], scope: 'timer', task: false, review: false } },
      },
    },
    resolved: { type: 'final' },
    closed_silent: { type: 'final' },
    dismissed: { type: 'final' },
  },
});

function normalize(input: Record<string, unknown>): NormalizedData {
  const category = CATEGORIES[input.category as string]?.id ?? String(input.category);
  return { data: input, title: `${category} — ${String(input.location)}`, fiscalYear: null, total: null };
}

/** Who filed it, as a document may print it: never the identity of an anonymous or confidential reporter. */
export function reporterLine(data: Record<string, unknown>): string {
  if (data.anonymous === true) return 'Anonim';
  if (data.confidential === true) return 'Dirahasiakan';
  return (data.reporter as { name: string } | undefined)?.name ?? '-';
}

function documentFields(data: Record<string, unknown>): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ['Kategori', CATEGORIES[data.category as string]?.id ?? String(data.category)],
    ['Lokasi', String(data.location)],
    ['Pelapor', reporterLine(data)],
    ['Isi pengaduan', String(data.text)],
    ['Lampiran', String((data.attachments as unknown[]).length)],
  ];
  for (const info of (data.additionalInfo as string[] | undefined) ?? []) fields.push(['Keterangan tambahan', info]);
  if (typeof data.opd === 'string') fields.push(['OPD penanggung jawab', data.opd], ['Batas jawaban', `${String(data.answerDays)} hari kerja`]);
  if (typeof data.followUp === 'string') fields.push(['Tindak lanjut', data.followUp]);
  if (typeof data.objection === 'string') fields.push(['Keberatan pelapor', data.objection]);
  if (typeof data.answer === 'string') fields.push(['Jawaban', data.answer]);
  return fields;
}

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });

/** As stored: what the desk, the OPD and the reporter add with their events. */
const storedSchema = withProperties(schema, {
  opd: defs.dispatch.properties.opd,
  additionalInfo: { type: 'array', items: text(5000), description: "The reporter's answers to the desk's questions, in order" },
  followUp: text(5000),
  answer: text(10000),
  objection: text(5000),
  objections: { type: 'integer', minimum: 1, maximum: 1, description: 'At most one objection is taken' },
});

export const complaintV1: WorkflowDefinition = {
  name: 'complaint',
  version: 1,
  title: 'Pengaduan masyarakat',
  machine,
  schema,
  storedSchema,
  creatorRoles: ['complaint_desk'],
  normalize,
  // Working days (SP4N-LAPOR practice, Perpres 76/2013): verification 3, the OPD's follow-up 5,
  // the final answer per category (the data's answerDays), the reporter's confirmation 10, after
  // which silence closes the complaint. Asking the reporter for more stops the desk's clock: the
  // verification deadline starts again when the answer comes.
  sla: {
    states: {
      verification: 3,
      follow_up: 5,
      answering: { days: { fromData: '/answerDays' } },
      awaiting_confirmation: { days: 10, fire: 'close_silent' },
    },
  },
  documentFields,
  steps: stepsOf(machine),
};
