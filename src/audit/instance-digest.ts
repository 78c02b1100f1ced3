import type { InstanceRow } from '../db/types';
import { canonicalJson, sha256Hex } from './hash';

/**
 * What an audit row records of its instance as the row leaves it (audit_events.instance_version,
 * instance_org, instance_digest, since migrations/0026): verification recomputes the digest from
 * the live workflow_instances row and compares it with the instance's last leaf, so a total, a
 * state, an OPD or a submitter changed in place is caught.
 */
export type DigestedInstance = Pick<
  InstanceRow,
  'id' | 'workflow' | 'workflow_version' | 'state' | 'version' | 'org_id' | 'title' | 'fiscal_year' | 'total' | 'data' | 'snapshot' | 'submitters' | 'step_hands' | 'created_by'
>;

/**
 * SHA-256 (hex) of the JCS of the instance's business columns, format 1: {"v":1, id, workflow,
 * workflow_version, state, version, org_id, title, fiscal_year, total, data, snapshot, submitters,
 * step_hands, created_by} — jsonb columns as their JSON, arrays in stored order, nulls as null.
 * Left out: participants (who may read it, grown by comments), row_no and the times (bookkeeping).
 */
export function instanceDigest(row: DigestedInstance): string {
  return sha256Hex(canonicalJson({
    v: 1,
    id: row.id,
    workflow: row.workflow,
    workflow_version: row.workflow_version,
    state: row.state,
    version: row.version,
    org_id: row.org_id,
    title: row.title,
    fiscal_year: row.fiscal_year,
    total: row.total,
    data: row.data,
    snapshot: row.snapshot,
    submitters: row.submitters,
    step_hands: row.step_hands,
    created_by: row.created_by,
  }));
}

/** The audit row's instance columns (for appendAuditEvent's `extra`), from the row as the transaction leaves it. */
export function instanceColumns(row: DigestedInstance): { instance_version: number; instance_org: string; instance_digest: string } {
  return { instance_version: row.version, instance_org: row.org_id, instance_digest: instanceDigest(row) };
}
