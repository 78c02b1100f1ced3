import type { Kysely } from 'kysely';
import { ESCALATED_SQL } from '../auth/access';
import type { Database, InstanceRow } from '../db/types';
import type { Actor } from '../auth/roles';
import { allowedEvents } from '../auth/permissions';
import type { WorkflowDefinition } from './definition';
import type { WorkflowRegistry } from './registry';
import { hideConfidential } from './confidential';
import { CHAIN_HEAD_SQL, type ChainHead } from './history';

/** An instance as the API shows it to one caller. */
export interface InstanceView {
  id: string;
  workflow: string;
  workflowVersion: number;
  state: string;
  version: number;
  title: string;
  org: string;
  fiscalYear: number | null;
  total: number | null;
  data: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  allowedEvents: string[];
  /** Only in the response that created the instance, when the workflow gives one (never stored). */
  receipt?: Record<string, unknown>;
}

export function toView(row: InstanceRow, def: WorkflowDefinition, actor: Actor): InstanceView {
  return {
    id: row.id,
    workflow: row.workflow,
    workflowVersion: row.workflow_version,
    state: row.state,
    version: row.version,
    title: row.title,
    org: row.org_id,
    fiscalYear: row.fiscal_year,
    total: row.total,
    // Confidential values (a reporter's identity …) only for the roles the package names.
    data: hideConfidential(def, row.data, actor),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    allowedEvents: allowedEvents(actor, def, row),
  };
}

export function definitionOf(registry: WorkflowRegistry, row: Pick<InstanceRow, 'workflow' | 'workflow_version'>): WorkflowDefinition {
  const def = registry.get(row.workflow, row.workflow_version);
  if (!def) throw new Error(`instance uses ${row.workflow}@${row.workflow_version}, which is not registered`);
  return def;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An instance row with what access decisions read besides its columns (InstanceAccess.escalated). */
export type AccessRow = InstanceRow & { escalated: boolean };

export function loadInstance(db: Kysely<Database>, id: string): Promise<AccessRow | undefined>;
/** With `withHead`, also its audit chain's head, read in the same statement (what a transition is written after). */
export function loadInstance(db: Kysely<Database>, id: string, withHead: true): Promise<(AccessRow & { chain_head: ChainHead | null }) | undefined>;
export async function loadInstance(db: Kysely<Database>, id: string, withHead = false) {
  if (!UUID.test(id)) return undefined;
  const q = db.selectFrom('workflow_instances').selectAll().select(ESCALATED_SQL.as('escalated')).where('id', '=', id);
  return (withHead ? q.select(CHAIN_HEAD_SQL.as('chain_head')) : q).executeTakeFirst();
}
