/**
 * Terminology (English, used throughout grms):
 * - OPD: a regional agency (Dinas Kesehatan …); every instance belongs to one.
 * - pagu / ceiling: the budget ceiling TAPD sets per OPD and fiscal year.
 * - RKA: an OPD's work-and-budget plan; one budget proposal = one sub kegiatan's RKA lines.
 * - DPA: the ratified budget execution document (the budget proposal's final state).
 * - step: what the definition says about one event in one state: who may fire it, whether it is a
 *   task (puts the instance in someone's inbox), a review (segregation of duties applies), needs a
 *   comment, carries new data, runs a named rule, produces a document.
 */
import type { AnyStateMachine } from 'xstate';

export type RoleName = 'planner' | 'opd_head' | 'bappeda_verifier' | 'tapd' | 'ppkd' | 'auditor' | 'admin';

/** Whose role counts: one held at the instance's own OPD, one held anywhere, or the submitter. */
export type StepScope = 'instance-org' | 'global' | 'submitter';

export interface DocumentSpec {
  /** Title printed on the PDF, e.g. "Surat Pengantar RKA". */
  title: string;
}

export interface Step {
  roles: readonly RoleName[];
  scope: StepScope;
  task: boolean;
  review: boolean;
  requiresComment?: boolean;
  /** The event carries a full replacement of the instance data, validated by the data schema. */
  replacesData?: boolean;
  /** Named rule the engine runs inside the transition's transaction (e.g. the ceiling). */
  rule?: 'withinCeiling';
  document?: DocumentSpec;
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

export interface WorkflowDefinition {
  name: string;
  version: number;
  title: string;
  machine: AnyStateMachine;
  /** JSON Schema (2020-12) of the instance data. */
  schema: Record<string, unknown>;
  /** Roles allowed to create an instance; the instance belongs to the OPD where the role is held. */
  creatorRoles: readonly RoleName[];
  steps: Readonly<Record<string, Readonly<Record<string, Step>>>>;
  /** Computes derived values (amounts, totals) after schema validation; returns problems it finds. */
  normalize(data: Record<string, unknown>): NormalizedData | { problems: DataProblem[] };
}
