/**
 * Terminology (English, used throughout grms):
 * - OPD: a regional agency (Dinas Kesehatan …); every instance belongs to one.
 * - pagu / ceiling: the budget ceiling TAPD sets per OPD and fiscal year.
 * - RKA: an OPD's work-and-budget plan; one budget proposal = one sub kegiatan's RKA lines.
 * - DPA: the ratified budget execution document (the budget proposal's final state).
 * - DPMPTSP: the one-stop permit office that owns permits; SK Izin = the permit decree it signs.
 * - step: what the definition says about one event in one state: who may fire it, whether it is a
 *   task (puts the instance in someone's inbox), a review (segregation of duties applies), needs a
 *   comment, carries new data or a payload, runs a named rule, stamps a number, produces a document.
 * - hand: who stands behind an act: the user and, under a delegation (Plt/Plh), the official they
 *   act for. Duty checks compare hands, so a delegate and their principal count as one person.
 */
import type { SlaSpec } from '../sla/deadlines';
import type { AnyStateMachine } from 'xstate';
import type { Kysely, Transaction } from 'kysely';
import type { Database, InstanceRow } from '../db/types';
import type { Actor } from '../auth/roles';

/** A role id: the core's (admin, auditor) or one a workflow package declares. */
export type RoleName = string;

/**
 * Whose role counts: one held at the instance's own OPD, one held anywhere, the submitter, or one
 * held at the org named by a data property (`Step.orgField`, e.g. a permit's technical agency).
 * 'timer': no user's; the SLA scheduler fires it when its state's deadline names it (`fire`).
 * 'tracking-pin': no role at all: whoever proves the instance's tracking number and PIN fires it
 * (a citizen, through the public tracking routes); no signed-in user ever may, and it is never a
 * task in anyone's inbox. Such a step lists no roles, e.g.
 * `{ roles: [], scope: 'tracking-pin', task: false, review: false }`.
 */
export type StepScope = 'instance-org' | 'global' | 'submitter' | 'data-org' | 'timer' | 'tracking-pin';

/**
 * A second scope for a step whose state deadline was missed: while the scheduler has escalated it,
 * holders of these roles (e.g. the head of the OPD a complaint names) may act on the step too.
 */
export interface StepEscalation {
  roles: readonly RoleName[];
  scope: Exclude<StepScope, 'submitter' | 'timer' | 'tracking-pin'>;
  /** With scope 'data-org': the top-level data property holding the org id. */
  orgField?: string;
}

export interface DocumentSpec {
  /** Title printed on the PDF, e.g. "Surat Pengantar RKA". */
  title: string;
  /** Archive classification code at the head of the document number; 900 (finance) when absent. */
  classification?: string;
  /** The document carries this data property (set by a stamp) as its number instead of a new one. */
  numberFrom?: string;
  /** Handed to the applicant: printed without the process history and comments (internal). */
  public?: boolean;
}

/** A small per-event payload (not a replacement of the data), merged into the instance data. */
export interface PayloadSpec {
  /** JSON Schema (2020-12) of the event's `data`. */
  schema: Record<string, unknown>;
  merge(data: Record<string, unknown>, payload: Record<string, unknown>): Record<string, unknown>;
}

/**
 * A value taken just before a transition, after every check passed (e.g. a permit number from a
 * sequence), stored in the data under `field`. Taken outside the transaction so the document can
 * print it; a transition that then fails leaves a gap, never a reused value.
 */
/** An instant on the workflow clock with the deployment's zone, for what is dated by local day or year. */
export interface WorkflowInstant {
  instant: Date;
  timeZone: string;
}

export interface StampSpec {
  field: string;
  take(db: Kysely<Database>, instance: InstanceRow, at: WorkflowInstant): Promise<string>;
}

/** One step of a workflow: an event in a state. */
export interface StepRef {
  state: string;
  event: string;
}

/** The facts of one step, written once as the `meta` of its machine transition (src/engine/steps.ts). */
export interface Step {
  roles: readonly RoleName[];
  scope: StepScope;
  /** With scope 'data-org': the top-level data property holding the org id. */
  orgField?: string;
  /**
   * Per role, a data property naming the org where that role must be held, whatever the scope
   * (e.g. a contract signed by the PPK of the OPD and by a provider of the supplier it names).
   */
  roleOrgFields?: Partial<Readonly<Record<RoleName, string>>>;
  task: boolean;
  review: boolean;
  /** Firing it counts as submitting: the actor may not review this instance afterwards. */
  submits?: boolean;
  /**
   * Other review steps of this workflow that need a different hand on the same instance (both
   * ways, ever): e.g. TAPD's approval may not come from whoever verified at Bappeda.
   */
  separateFrom?: readonly StepRef[];
  requiresComment?: boolean;
  /** The event carries a full replacement of the instance data, validated by the data schema. */
  replacesData?: boolean;
  payload?: PayloadSpec;
  /** A rule of the package's `rules` the engine runs before the transition and inside its transaction. */
  rule?: string;
  stamp?: StampSpec;
  /**
   * Computes the data the transition leaves from the current data (after any payload merge), the
   * time and who fires it; throws a GrmsError to refuse (a rule of the workflow, e.g. money).
   */
  effect?(input: StepEffectInput): Record<string, unknown>;
  document?: DocumentSpec;
  /** Who else may act once the state's deadline is escalated (see StepEscalation). */
  escalateTo?: StepEscalation;
}

export interface StepEffectInput {
  data: Record<string, unknown>;
  /** The event's validated payload (steps with `payload`), else undefined. */
  payload: Record<string, unknown> | undefined;
  at: Date;
  /**
   * The calendar day (YYYY-MM-DD) of `at` in the deployment's time zone (GRMS_TIMEZONE): the date
   * officials write on the paper, e.g. the BAST date a maintenance period counts from.
   */
  today: string;
  role: string;
  actor: string;
}

/** Derived columns the engine stores beside the data, for queries and rules. */
export interface NormalizedData {
  data: Record<string, unknown>;
  title: string;
  fiscalYear: number | null;
  total: number | null;
}

export interface DataProblem {
  /** JSON Pointer relative to the data object, e.g. "/lines/0/volume". */
  path: string;
  message: string;
}

/** What a creation hook sees: the new row (inside the creating transaction) and its creator. */
export interface CreatedInstance {
  row: InstanceRow;
  actor: Actor;
  /** When it was created, on the workflow clock. */
  at: WorkflowInstant;
}

export interface WorkflowDefinition {
  name: string;
  version: number;
  title: string;
  machine: AnyStateMachine;
  /** JSON Schema (2020-12) of the instance data. */
  schema: Record<string, unknown>;
  /**
   * JSON Schema (2020-12) of the data an instance holds, as the API answers it: `schema` plus what
   * normalize, payloads, effects and stamps add (derived from `schema` in code, not copied). Absent
   * when `schema` describes the stored data exactly. Describes; never validates input, and is not
   * part of the definition hash.
   */
  storedSchema?: Record<string, unknown>;
  /** JSON Schema (2020-12) of what onCreate returns (the create answer's `receipt`). */
  receiptSchema?: Record<string, unknown>;
  /** Roles allowed to create an instance; the instance belongs to the OPD where the role is held. */
  creatorRoles: readonly RoleName[];
  /**
   * Step facts per state (nested ones as `parent.child`) and event: `stepsOf(machine)`, derived from
   * the transitions' meta; the registry refuses a table that does not match the machine.
   */
  steps: Readonly<Record<string, Readonly<Record<string, Step>>>>;
  /**
   * Tidies input before it is validated, the same for every caller (API, console, demo): e.g.
   * removes the spaces people type between the digits of an ID number. Returns the data to
   * validate; never refuses (validation does).
   */
  prepare?(data: unknown): unknown;
  /** Computes derived values (amounts, totals) after schema validation; returns problems it finds. */
  normalize(data: Record<string, unknown>): NormalizedData | { problems: DataProblem[] };
  /** Working-day deadlines per state, and optionally for the whole workflow (see src/sla). */
  sla?: SlaSpec;
  /**
   * Runs inside the creating transaction; what it returns is shown once, in the create response
   * (`receipt`), and never stored by the engine (e.g. a registration number and PIN).
   */
  onCreate?(trx: Transaction<Database>, created: CreatedInstance): Promise<Record<string, unknown>>;
  /** Label/value pairs printed on stage documents (for workflows without budget lines). */
  documentFields?(data: Record<string, unknown>): Array<[label: string, value: string]>;
}

/** Data properties that name an org (from 'data-org' steps): they must name an existing org. */
export function orgFieldsOf(def: WorkflowDefinition): string[] {
  const fields = new Set<string>();
  for (const events of Object.values(def.steps)) {
    for (const step of Object.values(events)) {
      if (step.scope === 'data-org' && step.orgField) fields.add(step.orgField);
      if (step.escalateTo?.scope === 'data-org' && step.escalateTo.orgField) fields.add(step.escalateTo.orgField);
      for (const field of Object.values(step.roleOrgFields ?? {})) if (field) fields.add(field);
    }
  }
  return [...fields];
}

/**
 * The steps that need a different hand than `state`/`event` on one instance: those it names in
 * `separateFrom` and those naming it (the rule holds both ways).
 */
export function separatedSteps(def: WorkflowDefinition, state: string, event: string): StepRef[] {
  const out = new Map<string, StepRef>();
  for (const ref of def.steps[state]?.[event]?.separateFrom ?? []) out.set(stepKey(ref.state, ref.event), ref);
  for (const [s, events] of Object.entries(def.steps)) {
    for (const [e, step] of Object.entries(events)) {
      if (step.separateFrom?.some((r) => r.state === state && r.event === event)) out.set(stepKey(s, e), { state: s, event: e });
    }
  }
  return [...out.values()];
}

/** How workflow_instances.step_hands names that `username` had a hand in firing `event` in `state`. */
export function stepKey(state: string, event: string, username?: string): string {
  return username === undefined ? `${state}:${event}` : `${state}:${event}:${username}`;
}

/** Refuses a definition whose `separateFrom` names a step it does not have, or a step that is not a review. */
export function checkSeparations(def: WorkflowDefinition): void {
  for (const [state, events] of Object.entries(def.steps)) {
    for (const [event, step] of Object.entries(events)) {
      for (const ref of step.separateFrom ?? []) {
        const other = def.steps[ref.state]?.[ref.event];
        if (!other || !other.review || !step.review) {
          throw new Error(`workflow ${def.name} v${def.version}: ${state}/${event} is kept apart from ${ref.state}/${ref.event}, but both must be review steps of the workflow`);
        }
      }
    }
  }
}
