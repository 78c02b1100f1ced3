import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { appendAuditEvent, nextAuditSeq } from '../../src/audit';
import { enterState, leaveState, type SlaSpec } from '../../src/sla/deadlines';

/** The permit SLA table from the issue (DPMPTSP service standard). */
export const PERMIT_SLA: SlaSpec = {
  states: { completeness: 1, technical_review: 10, fee_assessment: 1, signature: 2 },
  overall: { days: 15, pausedIn: ['returned', 'awaiting_payment'], finalStates: ['issued', 'rejected'] },
};

export const TZ = 'Asia/Jakarta';

/** An instant given as Jakarta wall-clock time, e.g. wib('2026-11-27 10:00'). */
export function wib(local: string): Date {
  return new Date(`${local.replace(' ', 'T')}+07:00`);
}

/**
 * Creates a permit instance in `completeness` the way the engine does: version 1, audit row 1,
 * deadlines entered, in one transaction. Returns its id.
 */
export async function seedPermit(db: Kysely<Database>, at: Date, holidays: ReadonlySet<string> = new Set()): Promise<string> {
  await sql`INSERT INTO orgs (id, name, unit_code) VALUES ('dpmptsp', 'DPMPTSP', 'DPMPTSP') ON CONFLICT DO NOTHING`.execute(db);
  await sql`INSERT INTO users (username, full_name, org_id) VALUES ('fo.sari', 'Sari (front office)', 'dpmptsp') ON CONFLICT DO NOTHING`.execute(db);
  const id = crypto.randomUUID();
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO workflow_instances (id, workflow, workflow_version, state, version, snapshot, data, org_id, title, created_by)
      VALUES (${id}, 'permit', 1, 'completeness', 1, '{"value":"completeness"}', '{}', 'dpmptsp', 'PBG Ruko Jl. Pemuda', 'fo.sari')`.execute(trx);
    await appendAuditEvent(trx, { instanceId: id, seq: 1, event: 'create', fromState: null, toState: 'completeness', actor: 'fo.sari' });
    await enterState(trx, { instanceId: id, workflow: 'permit', state: 'completeness', sla: PERMIT_SLA, at, holidays, timeZone: TZ });
  });
  return id;
}

/** A transition as the engine writes it: row lock, version + 1, audit row at the chain's head, leave and enter. */
export async function moveTo(
  db: Kysely<Database>,
  id: string,
  to: string,
  at: Date,
  holidays: ReadonlySet<string> = new Set(),
  sla: SlaSpec = PERMIT_SLA,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('workflow_instances').select(['state', 'version']).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
    const seq = await nextAuditSeq(trx, id, row.version);
    await trx.updateTable('workflow_instances').set({ state: to, version: row.version + 1, snapshot: JSON.stringify({ value: to }) }).where('id', '=', id).execute();
    await appendAuditEvent(trx, { instanceId: id, seq, event: `to_${to}`, fromState: row.state, toState: to, actor: 'fo.sari' });
    await leaveState(trx, { instanceId: id, state: row.state });
    await enterState(trx, { instanceId: id, workflow: 'permit', state: to, sla, at, holidays, timeZone: TZ });
  });
}

/** The open deadline of one kind, or undefined. */
export async function deadlineOf(db: Kysely<Database>, id: string, kind: 'state' | 'overall') {
  return db.selectFrom('deadlines').selectAll().where('instance_id', '=', id).where('kind', '=', kind).executeTakeFirst();
}

/** The escalation rows of an instance, in order. */
export async function escalations(db: Kysely<Database>, id: string) {
  return db.selectFrom('audit_events').selectAll().where('instance_id', '=', id).where('event', '=', 'escalated').orderBy('seq').execute();
}
