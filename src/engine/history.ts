/**
 * The one writer of instance history. Every row of an instance's audit chain — its creation, a
 * transition, a comment, an SLA escalation — is appended here, inside the caller's transaction,
 * under the instance's row lock: the row is read FOR UPDATE, the chain's next seq is taken, the
 * instance is changed, and the audit row records the instance as the change leaves it.
 *
 * The instance's version counts the changes a client acting with If-Match must see: state and
 * data (a transition) and the instance's deadlines (an escalation marks one overdue). A comment
 * leaves the version as it was, so the chain may be longer than the version, never shorter.
 *
 * A transition is written from the instance and chain head the caller read (`read`), in one
 * statement that applies only if neither moved meanwhile: the UPDATE requires the version read,
 * and the audit row takes the seq after the head read, which the chain's primary key refuses if
 * another row took it. The statement holds the row lock and ROW EXCLUSIVE on audit_events before
 * it reads the clock for created_at, as appendAuditEvent does in three.
 */
import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import type { Database, InstanceRow, NewInstanceRow, WorkflowInstancesTable } from '../db/types';
import { appendAuditEvent, insertAuditRow, nextAuditSeq, pendingAuditRow, seqAfter } from '../audit/chain';
import { rowHash } from '../audit/hash';
import { instanceColumns, instanceDigest } from '../audit/instance-digest';
import { sqlstateOf, SQLSTATE } from '../db/sqlstate';

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
const TAKES_VERSION: Record<Exclude<HistoryKind, 'create' | 'transition'>, boolean> = {
  escalation: true,
  comment: false,
};
const TAKES_VERSION_TRANSITION = 1;

export interface HistoryResult {
  /** The audit row's seq. */
  seq: number;
  /** The instance as locked before the change (undefined for a creation). */
  before: InstanceRow | undefined;
  /** The instance as the change leaves it. */
  after: InstanceRow;
}

/** The last row of an instance's audit chain; null before its first. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** What a writer read before writing: the instance and its chain head (read together, or under the instance's lock). */
export interface InstanceRead {
  row: InstanceRow;
  head: ChainHead | null;
}

/** The instance (`version`) or its chain (`chain`: a comment) moved since it was read: nothing was written. */
export class InstanceMoved extends Error {
  readonly code = 'INSTANCE_MOVED';
  constructor(readonly what: 'version' | 'chain') {
    super(what === 'version' ? 'the instance took another version since it was read' : 'the audit chain grew since it was read');
  }
}

/** SQL for the chain head of the (unaliased) workflow_instances row, as JSON ({ seq, hash } or null). */
export const CHAIN_HEAD_SQL = sql<ChainHead | null>`(select json_build_object('seq', a.seq, 'hash', a.hash) from audit_events a where a.instance_id = workflow_instances.id order by a.seq desc limit 1)`;

/** The chain head of an instance, for a caller that holds its row lock. */
export async function readChainHead(trx: Transaction<Database>, instanceId: string): Promise<ChainHead | null> {
  const head = await trx.selectFrom('audit_events').select(['seq', 'hash']).where('instance_id', '=', instanceId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return head ?? null;
}

/**
 * Appends one history row for `change` and applies it to the instance; see the module comment.
 * A transition needs `read`; `q` need not be a transaction when the statement is all the caller writes.
 */
export async function appendHistory(q: Kysely<Database>, change: HistoryChange, read?: InstanceRead): Promise<HistoryResult> {
  if (change.kind === 'transition') {
    if (!read) throw new Error('appendHistory: a transition is written from the instance it was decided on');
    return writeTransition(q, change, read);
  }
  if (!q.isTransaction) throw new Error(`appendHistory: a ${change.kind} is written inside a transaction`);
  const trx = q as Transaction<Database>;
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

/** The UPDATE of the instance and the INSERT of its audit row as one statement (see the module comment). */
async function writeTransition(q: Kysely<Database>, change: Extract<HistoryChange, { kind: 'transition' }>, read: InstanceRead): Promise<HistoryResult> {
  const before = read.row;
  const seq = seqAfter(before.id, read.head?.seq ?? 0, before.version);
  const version = before.version + TAKES_VERSION_TRANSITION;
  const { participants, ...columns } = change.update(before);
  // Participants grow with comments, which take no version: the statement adds to the row's own list.
  const joining = (participants ?? before.participants).filter((p) => !before.participants.includes(p));
  if (participants && participants.slice(0, before.participants.length).some((p, i) => p !== before.participants[i])) {
    throw new Error('appendHistory: a transition only adds participants');
  }
  // The instance as the statement leaves it, for its audit row (jsonb columns as the database gives them back).
  const parsed = (v: unknown, old: unknown) => (v === undefined ? old : typeof v === 'string' ? JSON.parse(v) : v);
  const expected = { ...before, ...columns, data: parsed(columns.data, before.data), snapshot: parsed(columns.snapshot, before.snapshot), version } as InstanceRow;
  const pending = pendingAuditRow(auditInput(expected, seq, before.state, change.entry), read.head?.hash ?? null);
  let written;
  try {
    written = await q
      .with('inst', (db) => db
        .updateTable('workflow_instances')
        .set({
          ...columns, version, updated_at: sql<Date>`now()`,
          participants: joining.length === 0 ? sql<string[]>`participants`
            : sql<string[]>`participants || array(select p from unnest(${joining}::text[]) with ordinality as j(p, n) where p <> all (participants) order by n)`,
        })
        .where('id', '=', before.id)
        .where('version', '=', before.version)
        .returningAll())
      .with((cte) => cte('clock').materialized(), (db) => db.selectNoFrom(sql<string>`grms_ts(clock_timestamp())`.as('ts')))
      .with('ins', (db) => insertAuditRow(db, pending, 'inst', 'clock'))
      .selectFrom(['inst', 'ins'])
      .selectAll('inst')
      .select(['ins.seq as audit_seq', 'ins.hash as audit_hash', 'ins.created_at_text as audit_created_at'])
      .executeTakeFirst();
  } catch (err) {
    if (sqlstateOf(err) === SQLSTATE.uniqueViolation && /audit_events_pkey/.test(`${(err as { constraint?: string }).constraint} ${(err as Error).message}`)) {
      throw new InstanceMoved('chain');
    }
    throw err;
  }
  if (!written) throw new InstanceMoved('version');
  const { audit_seq, audit_hash, audit_created_at, ...after } = written;
  // What was hashed is what was stored: the row as written, the instance as updated.
  if (audit_seq !== seq || audit_hash !== rowHash({ ...pending.row, created_at: audit_created_at }) || instanceDigest(after) !== pending.row.instance_digest) {
    throw new Error(`appendHistory: the audit row ${before.id}/${seq} does not match the instance as written`);
  }
  return { seq, before, after };
}

function auditInput(after: InstanceRow, seq: number, fromState: string | null, entry: HistoryEntry) {
  return {
    instanceId: after.id, seq, event: entry.event, fromState, toState: after.state, actor: entry.actor,
    actorRole: entry.actorRole ?? null, comment: entry.comment ?? null, payloadDigest: entry.payloadDigest ?? null,
    extra: { ...entry.extra, ...instanceColumns(after) },
  };
}

async function applyChange(trx: Transaction<Database>, change: Exclude<HistoryChange, { kind: 'create' | 'transition' }>, before: InstanceRow): Promise<InstanceRow> {
  const version = TAKES_VERSION[change.kind] ? before.version + 1 : before.version;
  const update = trx.updateTable('workflow_instances').where('id', '=', before.id);
  // A comment or an escalation leaves state and data, and so updated_at, as they were.
  const joins = change.kind === 'comment' && !before.participants.includes(change.entry.actor);
  if (version === before.version && !joins) return before;
  return update
    .set({ version, ...(joins && { participants: [...before.participants, change.entry.actor] }) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function append(trx: Transaction<Database>, after: InstanceRow, seq: number, fromState: string | null, entry: HistoryEntry) {
  return appendAuditEvent(trx, auditInput(after, seq, fromState, entry));
}
