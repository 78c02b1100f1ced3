import { assign, setup } from 'xstate';
import type { Step, WorkflowDefinition } from '../../src/engine/definition';
import { stepsOf } from '../../src/engine/steps';
import type { WorkflowPackage } from '../../src/engine/package';

/**
 * A small test-only workflow package with the three SLA capabilities a public-complaint workflow
 * needs: an inquiry is answered by a clerk of the OPD that received it within as many working
 * days as the inquiry's own `answerDays` (data-dependent deadline); once that deadline is
 * escalated the head of the office the data names (`office`) may answer too (escalation scope);
 * an answer left unconfirmed for 2 working days closes itself (timer) unless the inquiry is on hold,
 * or the inquirer confirms or objects.
 */
export const INQUIRY = 'sla-inquiry';

type InquiryEvent = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };

const machine = setup({
  types: {
    context: {} as { data: Record<string, unknown> },
    events: {} as InquiryEvent,
    input: {} as { data: Record<string, unknown> },
  },
  // An inquiry on hold is not closed by silence (the timer escalates instead).
  guards: { notOnHold: ({ context }) => context.data.onHold !== true },
  actions: { takeData: assign({ data: ({ context, event }) => event.data ?? context.data }) },
}).createMachine({
  id: INQUIRY,
  initial: 'open',
  context: ({ input }) => ({ data: input.data }),
  // Each transition carries its step facts as meta (src/engine/steps.ts derives the table).
  states: {
    open: {
      on: {
        answer: {
          target: 'answered',
          meta: {
            roles: ['inquiry_clerk'], scope: 'instance-org', task: true, review: false,
            escalateTo: { roles: ['inquiry_head'], scope: 'data-org', orgField: 'office' },
          } satisfies Step,
        },
      },
    },
    answered: {
      on: {
        confirm: { target: 'closed', meta: { roles: ['inquirer'], scope: 'instance-org', task: true, review: false } satisfies Step },
        object: { target: 'open', meta: { roles: ['inquirer'], scope: 'instance-org', task: true, review: false, requiresComment: true } satisfies Step },
        close_silent: {
          target: 'closed', guard: 'notOnHold', actions: 'takeData',
          meta: { roles: [], scope: 'timer', task: false, review: false, effect: ({ data, actor }) => ({ ...data, closedBy: actor }) } satisfies Step,
        },
      },
    },
    closed: { type: 'final' },
  },
});

export const inquirySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'office', 'answerDays'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    office: { type: 'string', minLength: 1, maxLength: 64 },
    answerDays: { type: 'integer', minimum: 1, maximum: 60 },
    closedBy: { type: 'string' },
    onHold: { type: 'boolean' },
  },
};

export const inquiryV1: WorkflowDefinition = {
  name: INQUIRY,
  version: 1,
  title: 'Inquiry (SLA test package)',
  machine,
  schema: inquirySchema,
  creatorRoles: ['inquirer'],
  normalize: (data) => ({ data, title: String(data.title), fiscalYear: null, total: null }),
  sla: {
    states: {
      open: { days: { fromData: '/answerDays' } },
      answered: { days: 2, fire: 'close_silent' },
    },
  },
  steps: stepsOf(machine),
};

export const inquiryPackage: WorkflowPackage = {
  name: INQUIRY,
  title: { id: 'Pertanyaan (paket uji SLA)', en: 'Inquiry (SLA test package)' },
  versions: [{ definition: inquiryV1, source: 'test/support/sla-package.ts' }],
  roles: {
    inquirer: { label: { id: 'penanya', en: 'inquirer' } },
    inquiry_clerk: { label: { id: 'petugas jawaban', en: 'answer clerk' } },
    inquiry_head: { label: { id: 'kepala kantor', en: 'head of office' } },
  },
  labels: { id: {}, en: {} },
};
