import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { appendAuditEvent, rowHash } from '../../src/audit';

/** A GRMS_KEY for tests. */
export const MASTER_KEY = crypto.randomBytes(32);

/** Inserts an org, a user and a workflow instance with plain SQL (no engine) and returns its id. */
export async function seedInstance(db: Kysely<Database>, title = 'RKA Dinas PUPR 2027'): Promise<string> {
  await sql`INSERT INTO orgs (id, name) VALUES ('pupr', 'Dinas PUPR') ON CONFLICT DO NOTHING`.execute(db);
  await sql`INSERT INTO users (username, full_name, org_id) VALUES ('budi', 'Budi Santoso', 'pupr') ON CONFLICT DO NOTHING`.execute(db);
  const id = crypto.randomUUID();
  await sql`
    INSERT INTO workflow_instances (id, workflow, workflow_version, state, version, snapshot, data, org_id, title, created_by)
    VALUES (${id}, 'budget', 1, 'draft', 0, '{}', '{}', 'pupr', ${title}, 'budi')`.execute(db);
  return id;
}

/** Appends events seq from..to to an instance's chain, one transaction each, the way the engine does. */
export async function appendEvents(db: Kysely<Database>, instanceId: string, from: number, to: number): Promise<string[]> {
  const hashes: string[] = [];
  for (let seq = from; seq <= to; seq++) {
    const r = await db.transaction().execute(async (trx) => {
      await trx.selectFrom('workflow_instances').select('id').where('id', '=', instanceId).forUpdate().execute();
      return appendAuditEvent(trx, {
        instanceId,
        seq,
        event: seq === 1 ? 'create' : 'submit',
        fromState: seq === 1 ? null : 'draft',
        toState: 'draft',
        actor: 'budi',
        actorRole: 'opd_staff',
        comment: seq % 2 === 0 ? `revisi ke-${seq}` : null,
      });
    });
    hashes.push(r.hash);
  }
  return hashes;
}

/** Runs `fn` with the append-only triggers of `table` off: how an attacker with DBA rights edits. */
export async function tamper(db: Kysely<Database>, fn: () => Promise<unknown>, table = 'audit_events'): Promise<void> {
  await sql.raw(`ALTER TABLE ${table} DISABLE TRIGGER USER`).execute(db);
  try {
    await fn();
  } finally {
    await sql.raw(`ALTER TABLE ${table} ENABLE TRIGGER USER`).execute(db);
  }
}

/**
 * Inserts a row that continues a chain correctly (right prev_hash, right hash) with a chosen
 * created_at: only a checkpoint can tell it was not appended at that time.
 */
export async function forgeRow(db: Kysely<Database>, instanceId: string, seq: number, createdAt: string): Promise<void> {
  const prev = seq === 1
    ? null
    : (await db.selectFrom('audit_events').select('hash').where('instance_id', '=', instanceId).where('seq', '=', seq - 1).executeTakeFirstOrThrow()).hash;
  const row = {
    instance_id: instanceId, seq, event: 'approve', from_state: 'draft', to_state: 'approved', actor: 'budi',
    actor_role: null, comment: null, payload_digest: null, created_at: createdAt, prev_hash: prev,
  };
  await sql`
    INSERT INTO audit_events (instance_id, seq, event, from_state, to_state, actor, created_at, prev_hash, hash)
    VALUES (${instanceId}, ${seq}, ${row.event}, ${row.from_state}, ${row.to_state}, ${row.actor},
            ${createdAt}::timestamptz, ${prev}, ${rowHash(row)})`.execute(db);
}
