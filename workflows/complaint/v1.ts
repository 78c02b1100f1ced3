import { assign, setup } from 'xstate';
import schema from '../../schemas/complaint/v1.schema.json';
import type { NormalizedData, Step, WorkflowDefinition, WorkflowInstant } from '../../src/engine/definition';
import { GrmsError } from '../../src/errors';
import { withProperties } from '../../src/engine/stored-schema';
import { stepsOf } from '../../src/engine/steps';
import { localYear } from '../../src/sla/calendar';
import { PIN_DIGITS } from '../../src/tracking/pin';
import { CATEGORIES, defaultAnswerDays } from './categories';
// The steps' rules, imported here so the version's fingerprint covers their code.
export { complaintRules } from './rules';

/**
 * Complaint v1: a citizen's complaint (pengaduan masyarakat, the SP4N-LAPOR channel) from filing to
 * the citizen's confirmation. The complaint desk (pengelola pengaduan, regency-wide) verifies it and
 * dispatches it (disposisi) to the responsible OPD, named by `opd`; that OPD's liaison (penghubung)
 * reports a follow-up and signs the final answer; a missed deadline there reaches the head of that
 * OPD. The citizen confirms or objects once; silence closes it.
 *
 * The reporter's own steps (provide_info, confirm, raise_objection) are theirs alone: fired with the
 * tracking number and PIN through the public tracking routes, never by a signed-in user.
 */
type ComplaintEvent = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };

/** Archive classification codes (≈: from the regional archive classification, not checked item by item). */
export const CLASSIFICATION = { complaint: '065' } as const;

/** The stage a citizen sees on the public status page, per state. */
export const PUBLIC_STAGES: Readonly<Record<string, string>> = {
  desk_review: 'Pengaduan sedang diverifikasi',
  awaiting_info: 'Menunggu keterangan tambahan dari pelapor',
  follow_up: 'Ditindaklanjuti oleh OPD',
  preparing_answer: 'OPD menyusun jawaban',
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
// The reporter acts with the tracking number and PIN they got when filing (no account, no inbox).
const reporter = { roles: [], scope: 'tracking-pin', task: false, review: false } as const;
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
  initial: 'desk_review',
  context: ({ input }) => ({ data: input.data }),
  states: {
    desk_review: {
      on: {
        dismiss: { target: 'dismissed', meta: { ...desk, requiresComment: true, document: doc('Surat Pemberitahuan Hasil Verifikasi Pengaduan', true) } },
        // The question to the reporter is the comment, sent as a letter the reporter keeps.
        request_info: { target: 'awaiting_info', meta: { ...desk, requiresComment: true, document: doc('Surat Permintaan Keterangan Tambahan', true) } },
        dispatch: {
          target: 'follow_up',
          actions: 'takeData',
          meta: {
            ...desk,
            rule: 'dispatchesToAnOpd',
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
          target: 'desk_review',
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
          target: 'preparing_answer',
          actions: 'takeData',
          meta: { ...opd, payload: { schema: defs.followUp, merge: (data, p) => ({ ...data, followUp: p.text }) } },
        },
      },
    },
    preparing_answer: {
      on: {
        send_answer: {
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
        raise_objection: {
          target: 'preparing_answer',
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
  // The answer limit starts as the category's default (the filing schema has no such field: a
  // reporter does not choose their own deadline); after dispatch it is the desk's.
  const answerDays = typeof input.answerDays === 'number' ? input.answerDays : defaultAnswerDays(String(input.category));
  return { data: { ...input, answerDays }, title: `${category} — ${String(input.location)}`, fiscalYear: null, total: null };
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
  answerDays: { ...defs.dispatch.properties.answerDays, description: "Working days for the OPD's final answer: the category's default, or the desk's choice at dispatch" },
}, ['answerDays']);

/** The filing receipt: the core's tracking number in the complaint channel's format, and the PIN, shown once. */
const receiptSchema = {
  type: 'object', required: ['registrationNumber', 'pin', 'registeredAt'], additionalProperties: false,
  properties: {
    registrationNumber: { type: 'string', examples: ['ADU/2026/000042'] },
    pin: { type: 'string', pattern: `^[0-9]{${PIN_DIGITS}}$`, description: 'Only its hash is stored' },
    registeredAt: { type: 'string', format: 'date-time' },
  },
};

/** ADU/<local year>/<six-digit sequence>: the number a reporter follows the complaint by. */
export const trackingNumber = (seq: number, at: WorkflowInstant): string => `ADU/${localYear(at.instant, at.timeZone)}/${String(seq).padStart(6, '0')}`;

export const complaintV1: WorkflowDefinition = {
  name: 'complaint',
  version: 1,
  title: 'Pengaduan masyarakat',
  machine,
  schema,
  storedSchema,
  receiptSchema,
  creatorRoles: ['complaint_desk'],
  normalize,
  // The reporter follows the complaint by this number and PIN (src/tracking).
  // Working days (SP4N-LAPOR practice, Perpres 76/2013): desk_review 3, the OPD's follow-up 5,
  // the final answer per category (the data's answerDays), the reporter's confirmation 10, after
  // which silence closes the complaint. Asking the reporter for more stops the desk's clock: the
  // verification deadline starts again when the answer comes.
  sla: {
    states: {
      desk_review: 3,
      follow_up: 5,
      preparing_answer: { days: { fromData: '/answerDays' } },
      awaiting_confirmation: { days: 10, fire: 'close_silent' },
    },
  },
  documentFields,
  steps: stepsOf(machine),
};
