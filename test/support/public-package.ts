import { assign, setup } from 'xstate';
import type { Step, WorkflowDefinition } from '../../src/engine/definition';
import { stepsOf } from '../../src/engine/steps';
import type { WorkflowPackage } from '../../src/engine/package';

/**
 * A small test-only package using the core's public capabilities: citizens create a "feedback"
 * without an account (publicIntake, optionally anonymous), its reporter is confidential when the
 * citizen asks, the desk answers, and the citizen confirms or objects by tracking number and PIN.
 */
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
// A step of whoever proves the tracking number and PIN: no roles, no inbox.
const citizen: Step = { roles: [], scope: 'tracking-pin', task: false, review: false };

const machine = setup({
  types: {
    context: {} as { data: Record<string, unknown> },
    events: {} as { type: string; actor: string; comment?: string; data?: Record<string, unknown> },
    input: {} as { data: Record<string, unknown> },
  },
  actions: { replaceData: assign({ data: ({ context, event }) => event.data ?? context.data }) },
}).createMachine({
  id: 'feedback',
  initial: 'received',
  context: ({ input }) => ({ data: input.data }),
  states: {
    received: {
      on: {
        answer: {
          target: 'answered', actions: 'replaceData',
          meta: {
            roles: ['feedback_desk'], scope: 'instance-org', task: true, review: false, document: { title: 'Jawaban atas Masukan' },
            payload: { schema: { type: 'object', additionalProperties: false, required: ['answer'], properties: { answer: text(2000) } }, merge: (d, p) => ({ ...d, ...p }) },
          } satisfies Step,
        },
        withdraw: { target: 'withdrawn', meta: citizen },
      },
    },
    answered: {
      on: {
        confirm: { target: 'closed', meta: citizen },
        object: {
          target: 'received', actions: 'replaceData',
          meta: {
            ...citizen, requiresComment: true,
            payload: { schema: { type: 'object', additionalProperties: false, required: ['objection'], properties: { objection: text(2000) } }, merge: (d, p) => ({ ...d, ...p }) },
          } satisfies Step,
        },
      },
    },
    closed: { type: 'final' },
    withdrawn: { type: 'final' },
  },
});

export const feedbackSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['topic', 'text'],
  properties: {
    topic: { enum: ['road', 'water', 'other'] },
    text: text(2000),
    anonymous: { type: 'boolean' },
    confidential: { type: 'boolean' },
    reporter: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: text(100), phone: text(20) } },
    answer: text(2000),
    objection: text(2000),
  },
};


export const feedbackV1: WorkflowDefinition = {
  name: 'feedback',
  version: 1,
  title: 'Feedback',
  machine,
  schema: feedbackSchema,
  creatorRoles: [],
  steps: stepsOf(machine),
  documentFields: (data) => [
    ['Topik', String(data.topic)],
    ['Pelapor', typeof data.reporter === 'object' && data.reporter !== null ? String((data.reporter as { name: unknown }).name) : String(data.reporter ?? '-')],
    ['Jawaban', String(data.answer ?? '-')],
  ],
  normalize: (data) => ({ data, title: `Feedback: ${String(data.topic)}`, fiscalYear: null, total: null }),
};

export const feedbackPackage: WorkflowPackage = {
  name: 'feedback',
  title: { id: 'Masukan warga', en: 'Citizen feedback' },
  versions: [{ definition: feedbackV1, source: 'v1' }],
  roles: {
    feedback_desk: { label: { id: 'petugas masukan', en: 'feedback desk' } },
    feedback_reader: { label: { id: 'pembaca masukan', en: 'feedback reader' } },
  },
  labels: {
    id: { states: { received: 'Diterima', answered: 'Dijawab', closed: 'Selesai', withdrawn: 'Ditarik' }, events: { confirm: 'Konfirmasi selesai', object: 'Ajukan keberatan', withdraw: 'Tarik' } },
    en: { states: { received: 'Received', answered: 'Answered', closed: 'Closed', withdrawn: 'Withdrawn' }, events: { confirm: 'Confirm', object: 'Object', withdraw: 'Withdraw' } },
  },
  publicIntake: {
    org: (settings) => String(settings.feedbackOrg ?? 'setda'),
    trackingNumber: (seq) => `FB/${String(seq).padStart(6, '0')}`,
    anonymous: { when: '/anonymous', identity: ['/reporter'] },
  },
  confidential: [{ pointer: '/reporter', when: '/confidential', visibleTo: ['feedback_desk'] }],
};
