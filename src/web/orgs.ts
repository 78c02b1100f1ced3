import type { Kysely } from 'kysely';
import type { Database } from '../db/types';

/** Names of the given OPDs by id, in one query. */
export async function orgNames(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.selectFrom('orgs').select(['id', 'name']).where('id', 'in', unique).execute();
  return new Map(rows.map((o) => [o.id, o.name]));
}
