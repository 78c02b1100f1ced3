/**
 * The one writer of instance history. Every row of an instance's audit chain — its creation, a
 * transition, a comment, an SLA escalation — is appended here, inside the caller's transaction,
 * under the instance's row lock: the row is read FOR UPDATE, the chain's next seq is taken, the
 * instance is changed, and the audit row records the instance as the change leaves it.
 *
 * The instance's version counts the changes a client acting with If-Match must see: state and
 * data (a transition) and the instance's deadlines (an escalation marks one overdue). A comment
 * leaves the version as it was, so the chain may be longer than the version, never shorter.
 */
import { sql, type Transaction, type Updateable } from 'kysely';
import type { Database, InstanceRow, NewInstanceRow, WorkflowInstancesTable } from '../db/types';
import { appendAuditEvent, nextAuditSeq } from '../audit/chain';
import { instanceColumns } from '../audit/instance-digest';

/** What the audit row says about the change (its states and instance columns are filled in here). */
export interface HistoryEntry {
  event: string;
  actor: string;
  actorRole?: string | null;
  comment?: string | null;
  payloadDigest?: string | null;
  /** Further audit columns of the change (document_sha256, acting_for); not the instance columns. */
  extra?: Record<string, string | null>;
}

/** The instance columns a transition writes; version and the instance's identity are not among them. */
export type InstanceUpdate = Omit<Updateable<WorkflowInstancesTable>, 'id' | 'version' | 'row_no' | 'workflow' | 'workflow_version' | 'created_by' | 'created_at'>;

export type HistoryChange =
  /** A new instance (version 1, chain row 1). */
  | { kind: 'create'; values: Omit<NewInstanceRow, 'version'>; entry: HistoryEntry }
  /** A new state and/or data, computed from the instance as locked. */
  | { kind: 'transition'; instanceId: string; update: (locked: InstanceRow) => InstanceUpdate; entry: HistoryEntry }
  /** A comment: the commenter joins the participants (who may read it later); nothing else changes. */
  | { kind: 'comment'; instanceId: string; entry: HistoryEntry }
  /** An SLA escalation: state and data unchanged, the deadline row is the caller's to mark. */
  | { kind: 'escalation'; instanceId: string; entry: HistoryEntry };

export type HistoryKind = HistoryChange['kind'];

/** Which changes take the next instance version (see the module comment). */
const TAKES_VERSION: Record<Exclude<HistoryKind, 'create'>, boolean> = {
  transition: true,
  escalation: true,
  comment: false,
};

export interface HistoryResult {
  /** The audit row's seq. */
  seq: number;
  /** The instance as locked before the change (undefined for a creation). */
  before: InstanceRow | undefined;
  /** The instance as the change leaves it. */
  after: InstanceRow;
}

/** Appends one history row for `change` and applies it to the instance; see the module comment. */
export async function appendHistory(trx: Transaction<Database>, change: HistoryChange): Promise<HistoryResult> {
  if (change.kind === 'create') {
    const after = await trx.insertInto('workflow_instances').values({ ...change.values, version: 1 }).returningAll().executeTakeFirstOrThrow();
    await append(trx, after, 1, null, change.entry);
    return { seq: 1, before: undefined, after };
  }
  const before = await trx.selectFrom('workflow_instances').selectAll().where('id', '=', change.instanceId).forUpdate().executeTakeFirstOrThrow();
  const seq = await nextAuditSeq(trx, before.id, before.version);
  const after = await applyChange(trx, change, before);
  await append(trx, after, seq, before.state, change.entry);
  return { seq, before, after };
}

async function applyChange(trx: Transaction<Database>, change: Exclude<HistoryChange, { kind: 'create' }>, before: InstanceRow): Promise<InstanceRow> {
  const version = TAKES_VERSION[change.kind] ? before.version + 1 : before.version;
  const update = trx.updateTable('workflow_instances').where('id', '=', before.id);
  if (change.kind === 'transition') {
    return update.set({ ...change.update(before), version, updated_at: sql<Date>`now()` }).returningAll().executeTakeFirstOrThrow();
  }
  // A comment or an escalation leaves state and data, and so updated_at, as they were.
  const joins = change.kind === 'comment' && !before.participants.includes(change.entry.actor);
  if (version === before.version && !joins) return before;
  return update
    .set({ version, ...(joins && { participants: [...before.participants, change.entry.actor] }) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function append(trx: Transaction<Database>, after: InstanceRow, seq: number, fromState: string | null, entry: HistoryEntry) {
  return appendAuditEvent(trx, {
    instanceId: after.id, seq, event: entry.event, fromState, toState: after.state, actor: entry.actor,
    actorRole: entry.actorRole ?? null, comment: entry.comment ?? null, payloadDigest: entry.payloadDigest ?? null,
    extra: { ...entry.extra, ...instanceColumns(after) },
  });
}
