import type { Kysely } from 'kysely';
import type { Database } from '../db/types';

/** Names of the given OPDs by id, in one query. */
export async function orgNames(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', unique).execute();
  return new Map(rows.map((o) => [o.id, o.name]));
}

/** Full names of the given users by username, in one query. */
export async function userNames(db: Kysely<Database>, usernames: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(usernames)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['username', 'full_name']).where('username', 'in', unique).execute();
  return new Map(rows.map((u) => [u.username, u.full_name]));
}

/**
 * Who submitted each instance and when: its creator (the planner, the front desk, the PPK) and
 * the time of the creator's latest step on it (a resubmission after a return counts, not the
 * first draft). From the audit trail, one query for a page of instances.
 */
export async function submissions(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, { by: string; at: Date }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('audit_events as e')
    .innerJoin('workflow_instances as w', (j) => j.onRef('w.id', '=', 'e.instance_id').onRef('w.created_by', '=', 'e.actor'))
    .distinctOn('e.instance_id')
    .select(['e.instance_id', 'e.actor', 'e.created_at'])
    .where('e.instance_id', 'in', [...new Set(ids)])
    .orderBy('e.instance_id')
    .orderBy('e.seq', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.instance_id, { by: r.actor, at: r.created_at }]));
}

/** Full names and positions of the given users by username, in one query. */
export async function userPositions(db: Kysely<Database>, usernames: readonly string[]): Promise<Map<string, { name: string; position: string }>> {
  const unique = [...new Set(usernames)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['username', 'full_name', 'position']).where('username', 'in', unique).execute();
  return new Map(rows.map((u) => [u.username, { name: u.full_name, position: u.position }]));
}
