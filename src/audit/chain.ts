import { sql, type QueryCreator, type Transaction } from 'kysely';
import type { Database } from '../db/types';
import { AuditEventInvalid, AuditSequenceError } from './errors';
import { canonicalJson, rowHash, sha256Hex } from './hash';

/** One audit event as the engine records it, inside the transaction that changes the instance. */
export interface AuditEventInput {
  instanceId: string;
  seq: number;
  event: string;
  fromState: string | null;
  toState: string;
  actor: string;
  actorRole?: string | null;
  comment?: string | null;
  payloadDigest?: string | null;
  /**
   * Columns added by later migrations (e.g. document_sha256; since 0026 the instance as the row
   * leaves it: instance_version, instance_org, instance_digest — see instanceColumns in
   * instance-digest.ts), by column name. Integer columns as numbers, every other column as its
   * PostgreSQL text form, so the hash verification recomputes from the database matches.
   */
  extra?: Record<string, string | number | null>;
}

/**
 * The seq the next row of an instance's chain takes: its head + 1. An instance's version counts
 * only its state and data changes, so comments (and escalations) make the chain longer than the
 * version; a chain shorter than the version has lost rows, and nothing more is appended to it.
 * The caller must hold the instance's row lock, as for appendAuditEvent.
 */
export async function nextAuditSeq(trx: Transaction<Database>, instanceId: string, version: number): Promise<number> {
  const head = await trx
    .selectFrom('audit_events')
    .select('seq')
    .where('instance_id', '=', instanceId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return seqAfter(instanceId, head?.seq ?? 0, version);
}

/** The seq after a chain head `headSeq` (0: no row yet) of an instance at `version`; see nextAuditSeq. */
export function seqAfter(instanceId: string, headSeq: number, version: number): number {
  const seq = headSeq + 1;
  if (seq <= version) {
    throw new AuditSequenceError(instanceId, seq, `audit chain of ${instanceId} ends at row ${seq - 1}, before the instance's version ${version}: rows are missing`);
  }
  return seq;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COLUMN = /^[a-z_][a-z0-9_]{0,62}$/;
const CORE_COLUMNS = new Set([
  'instance_id', 'seq', 'event', 'from_state', 'to_state', 'actor', 'actor_role', 'comment',
  'payload_digest', 'created_at', 'prev_hash', 'hash',
]);

/**
 * Appends row `seq` to the instance's chain inside the caller's transaction and returns its hash
 * and created_at (grms_ts text). The caller must hold the instance's row lock, so seq-1 is the
 * chain's head. Throws AuditSequenceError when row seq-1 is missing.
 *
 * Checkpoint protocol: ROW EXCLUSIVE on audit_events is taken BEFORE the clock is read, so a
 * checkpoint (SHARE lock) either waits for this transaction to commit or finishes before this
 * row's created_at — every row with created_at <= as_of is visible to the checkpoint.
 */
export async function appendAuditEvent(
  trx: Transaction<Database>,
  e: AuditEventInput,
): Promise<{ hash: string; createdAt: string }> {
  const { instanceId, extra } = checked(e);

  await sql`LOCK TABLE audit_events IN ROW EXCLUSIVE MODE`.execute(trx);
  // The clock and the chain's head in one round trip (row 0 never exists: a first row has none).
  const head = await sql<{ ts: string; prev_hash: string | null }>`
    SELECT grms_ts(clock_timestamp()) AS ts,
           (SELECT hash FROM audit_events WHERE instance_id = ${instanceId} AND seq = ${e.seq - 1}) AS prev_hash`.execute(trx);
  const createdAt = head.rows[0]!.ts;
  const prevHash = head.rows[0]!.prev_hash;
  if (e.seq > 1 && prevHash === null) {
    throw new AuditSequenceError(instanceId, e.seq, `audit chain of ${instanceId} has no row ${e.seq - 1}, cannot append row ${e.seq}`);
  }

  const row = { ...rowOf(e, instanceId, extra, prevHash), created_at: createdAt };
  const hash = rowHash(row);
  await trx
    .insertInto('audit_events')
    // Extra columns are not in the typed schema until their migration lands in src/db/types.ts.
    .values({ ...row, created_at: sql`${createdAt}::timestamptz`, hash } as never)
    .execute();
  return { hash, createdAt };
}

/** The event's instance id in the form PostgreSQL stores, and its extra columns, checked. */
function checked(e: AuditEventInput): { instanceId: string; extra: Record<string, string | number | null> } {
  // PostgreSQL stores uuids in lower case; hashing another spelling would never verify.
  const instanceId = e.instanceId.toLowerCase();
  if (!UUID.test(instanceId)) throw new AuditEventInvalid(`instanceId "${e.instanceId}" is not a uuid`);
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) throw new AuditEventInvalid(`seq must be an integer >= 1, got ${e.seq}`);
  const extra = e.extra ?? {};
  for (const [column, value] of Object.entries(extra)) {
    if (!COLUMN.test(column) || CORE_COLUMNS.has(column)) throw new AuditEventInvalid(`extra column "${column}" is not allowed`);
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new AuditEventInvalid(`extra column "${column}" must be an integer when numeric (got ${value})`);
    }
  }
  return { instanceId, extra };
}

/** The columns of an audit row but created_at and hash (both written when it is inserted). */
function rowOf(e: AuditEventInput, instanceId: string, extra: Record<string, string | number | null>, prevHash: string | null): Record<string, string | number | null> {
  return {
    ...extra,
    instance_id: instanceId,
    seq: e.seq,
    event: e.event,
    from_state: e.fromState,
    to_state: e.toState,
    actor: e.actor,
    actor_role: e.actorRole ?? null,
    comment: e.comment ?? null,
    payload_digest: e.payloadDigest ?? null,
    prev_hash: prevHash,
  };
}

/**
 * An audit row whose created_at is read by the statement that inserts it (insertAuditRow): every
 * other column, and the hashed text (rowHash's JCS form) cut around created_at's value, so the
 * statement hashes prefix + created_at + suffix.
 */
export interface PendingAuditRow {
  row: Record<string, string | number | null>;
  prefix: string;
  suffix: string;
}

const AT_SAMPLE = '2000-01-01T00:00:00.000000Z';

/**
 * Row `e.seq` of the chain after the row whose hash is `prevHash` (null: the first row), ready
 * for insertAuditRow. The caller must make the statement fail unless that row is still the head.
 */
export function pendingAuditRow(e: AuditEventInput, prevHash: string | null): PendingAuditRow {
  const { instanceId, extra } = checked(e);
  if (e.seq > 1 && prevHash === null) {
    throw new AuditSequenceError(instanceId, e.seq, `audit chain of ${instanceId} has no row ${e.seq - 1}, cannot append row ${e.seq}`);
  }
  const row = rowOf(e, instanceId, extra, prevHash);
  // RFC 8785 of a flat object: members sorted by name, nulls left out (as rowHash does).
  const members = Object.keys(row).filter((k) => row[k] !== null).concat('created_at').sort();
  const text = (keys: string[]) => keys.map((k) => `${canonicalJson(k)}:${canonicalJson(row[k])}`).join(',');
  const at = members.indexOf('created_at');
  const before = text(members.slice(0, at));
  const after = text(members.slice(at + 1));
  const cut = {
    row,
    prefix: `{${before}${before ? ',' : ''}"created_at":"`,
    suffix: `"${after ? ',' : ''}${after}}`,
  };
  // The cut must hash as the row does, whatever the time: checked on a sample time, in memory.
  if (sha256Hex(cut.prefix + AT_SAMPLE + cut.suffix) !== rowHash({ ...row, created_at: AT_SAMPLE })) {
    throw new AuditEventInvalid(`the audit row of ${instanceId} seq ${e.seq} cannot be cut around created_at`);
  }
  return cut;
}

/**
 * The INSERT of a pending row, for a data-modifying CTE: one row for each row of `source` (a CTE
 * that yields one row when the write applies, none otherwise), with created_at the time in
 * `clock` (a one-row CTE with the grms_ts text `ts` of clock_timestamp()) and the hash over it.
 * The statement holds ROW EXCLUSIVE on audit_events from its start, before the clock is read,
 * which keeps the checkpoint protocol of appendAuditEvent. Returns seq, hash and created_at (text).
 */
export function insertAuditRow(db: QueryCreator<Database>, p: PendingAuditRow, source: string, clock: string) {
  const columns = Object.keys(p.row);
  const at = sql.ref(`${clock}.ts`);
  return db
    .insertInto('audit_events')
    // Extra columns are not in the typed schema until their migration lands in src/db/types.ts.
    .columns([...columns, 'created_at', 'hash'] as never)
    .expression(sql`
      SELECT ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))}, ${at}::timestamptz,
             encode(sha256(convert_to(${p.prefix} || ${at} || ${p.suffix}, 'UTF8')), 'hex')
      FROM ${sql.table(source)}, ${sql.table(clock)}, jsonb_populate_record(NULL::audit_events, ${JSON.stringify(p.row)}::jsonb) AS r`)
    .returning(['seq', 'hash', sql<string>`grms_ts(created_at)`.as('created_at_text')]);
}
