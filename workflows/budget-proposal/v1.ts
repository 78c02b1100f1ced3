import { assign, setup } from 'xstate';
import schema from '../../schemas/budget-proposal/v1.schema.json';
import type { DataProblem, NormalizedData, Step, WorkflowDefinition } from '../../src/engine/definition';
import { stepsOf } from '../../src/engine/steps';
import { hundredths, lineAmount, quantityProblem, toSafeNumber } from '../../src/engine/money';
import { requiring, withProperties } from '../../src/engine/stored-schema';

// The ceiling rule TAPD's approval names: re-exported so that v1's fingerprint covers its code.
export { withinCeiling } from './ceilings';

/** The event shape every grms machine receives: the engine adds the acting user. */
type BudgetEvent = { type: string; actor: string; comment?: string; data?: Record<string, unknown> };
interface BudgetContext {
  data: Record<string, unknown>;
  /** Who submitted last: only they may withdraw. */
  submittedBy?: string;
}

const planner = { roles: ['planner'], scope: 'instance-org', review: false } as const;
const returnStep = (role: 'opd_head' | 'bappeda_verifier' | 'tapd', scope: 'instance-org' | 'global') =>
  ({ roles: [role], scope, task: true, review: true, requiresComment: true, document: { title: 'Nota Pengembalian' } }) as const;

/** Each transition carries its step facts as `meta` (src/engine/steps.ts derives the steps table). */
export const machine = setup({
  types: {
    context: {} as BudgetContext,
    events: {} as BudgetEvent,
    input: {} as { data: Record<string, unknown> },
    transitionMeta: {} as Step,
  },
  actions: {
    replaceData: assign({ data: ({ context, event }) => event.data ?? context.data }),
    recordSubmitter: assign({ submittedBy: ({ event }) => event.actor }),
  },
}).createMachine({
  id: 'budget-proposal',
  initial: 'draft',
  context: ({ input }) => ({ data: input.data }),
  states: {
    draft: {
      on: {
        update: { actions: 'replaceData', meta: { ...planner, task: false, replacesData: true } },
        submit: { target: 'opd_review', actions: 'recordSubmitter', meta: { ...planner, task: true, submits: true, document: { title: 'Surat Pengantar RKA' } } },
      },
    },
    opd_review: {
      on: {
        // Scope 'submitter': only whoever submitted last (context.submittedBy) may withdraw.
        withdraw: { target: 'draft', meta: { roles: ['planner'], scope: 'submitter', task: false, review: false } },
        approve: {
          target: 'bappeda_verification',
          meta: { roles: ['opd_head'], scope: 'instance-org', task: true, review: true, document: { title: 'Lembar Persetujuan Kepala OPD' } },
        },
        return: { target: 'draft', meta: returnStep('opd_head', 'instance-org') },
      },
    },
    bappeda_verification: {
      on: {
        verify: { target: 'tapd_review', meta: { roles: ['bappeda_verifier'], scope: 'global', task: true, review: true, document: { title: 'Berita Acara Verifikasi Bappeda' } } },
        return: { target: 'draft', meta: returnStep('bappeda_verifier', 'global') },
      },
    },
    tapd_review: {
      on: {
        // Four eyes: whoever verified at Bappeda (or acted for the verifier) does not approve at TAPD.
        approve: {
          target: 'approved',
          meta: {
            roles: ['tapd'], scope: 'global', task: true, review: true, rule: 'withinCeiling', separateFrom: [{ state: 'bappeda_verification', event: 'verify' }],
            document: { title: 'Berita Acara Persetujuan TAPD' },
          },
        },
        return: { target: 'draft', meta: returnStep('tapd', 'global') },
        reject: { target: 'rejected', meta: { roles: ['tapd'], scope: 'global', task: true, review: true, requiresComment: true, document: { title: 'Nota Penolakan' } } },
      },
    },
    approved: { on: { ratify: { target: 'ratified', meta: { roles: ['ppkd'], scope: 'global', task: true, review: true, document: { title: 'DPA-SKPD' } } } } },
    ratified: { type: 'final' },
    rejected: { type: 'final' },
  },
});

function normalize(input: Record<string, unknown>): NormalizedData | { problems: DataProblem[] } {
  const problems: DataProblem[] = [];
  const lines = input.lines as Array<Record<string, unknown>>;
  let total = 0n;
  const target = quantityProblem((input.output as Record<string, unknown> | undefined)?.target);
  if (target) problems.push({ path: '/output/target', message: target });
  const normalizedLines = lines.map((line, i) => {
    const tooSmall = quantityProblem(line.volume);
    if (tooSmall) {
      problems.push({ path: `/lines/${i}/volume`, message: tooSmall });
      return line;
    }
    const h = hundredths(line.volume as number);
    if (h === null) {
      problems.push({ path: `/lines/${i}/volume`, message: 'must have at most 2 decimals' });
      return line;
    }
    const amount = lineAmount(h, line.unitPrice as number);
    if (amount < 1n) problems.push({ path: `/lines/${i}/amount`, message: 'volume × unitPrice must come to at least Rp 1' });
    else if (line.amount !== undefined && BigInt(line.amount as number) !== amount) {
      problems.push({ path: `/lines/${i}/amount`, message: `does not match volume × unitPrice (${amount})` });
    }
    total += amount;
    const safe = toSafeNumber(amount);
    if (safe === null) problems.push({ path: `/lines/${i}`, message: 'amount is too large' });
    return { ...line, amount: safe ?? 0 };
  });
  const safeTotal = toSafeNumber(total);
  if (safeTotal === null) problems.push({ path: '/lines', message: 'total is too large' });
  if (input.total !== undefined && safeTotal !== null && input.total !== safeTotal) {
    problems.push({ path: '/total', message: `does not match the sum of the lines (${safeTotal})` });
  }
  if (problems.length > 0) return { problems };
  return {
    data: { ...input, lines: normalizedLines, total: safeTotal },
    title: input.title as string,
    fiscalYear: input.fiscalYear as number,
    total: safeTotal,
  };
}

/** As stored: normalize computes every line's amount and the total. */
const lines = schema.properties.lines;
const storedSchema = requiring(withProperties(schema, { lines: { ...lines, items: requiring(lines.items, ['amount']) } }), ['total']);

/** Budget proposal v1: one sub kegiatan's RKA lines for one OPD and fiscal year, draft to DPA. */
export const budgetProposalV1: WorkflowDefinition = {
  name: 'budget-proposal',
  version: 1,
  title: 'Usulan RKA (budget proposal)',
  machine,
  schema,
  storedSchema,
  creatorRoles: ['planner'],
  normalize,
  // Defaults; a deployment sets its own with GRMS_SLA_BUDGET_PROPOSAL (e.g. "tapd_review=15").
  sla: { states: { opd_review: 5, bappeda_verification: 10, tapd_review: 10, approved: 5 } },
  steps: stepsOf(machine),
};
