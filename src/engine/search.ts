import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../db/types';
import type { Actor } from '../auth/roles';
import { badRequest } from '../errors';
import type { WorkflowRegistry } from './registry';
import { parseLimit, visibility } from './read';
import { definitionOf, toView, type InstanceView } from './view';
import { invalidTextProblems } from './validate';

/**
 * Finds instances the actor may read by what people quote on the phone: a document number, a
 * registration or permit number, a contract number, an applicant's NIK/NIB (exact), or words of
 * the title (substring, case-insensitive). Newest first.
 */
export async function searchInstances(db: Kysely<Database>, registry: WorkflowRegistry, actor: Actor, q: unknown, limit?: string): Promise<{ items: InstanceView[] }> {
  if (typeof q !== 'string' || q.trim().length < 2 || q.length > 100) {
    throw badRequest('q must be 2 to 100 characters', [{ path: '/q', message: 'must be 2..100 characters' }]);
  }
  const problems = invalidTextProblems(q, '/q');
  if (problems.length) throw badRequest('q is not valid text', problems);
  const term = q.trim();
  const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .selectFrom('workflow_instances')
    .selectAll()
    .where((eb) => visibility(eb, actor, registry))
    .where((eb) =>
      eb.or([
        sql<SqlBool>`title ILIKE ${like}`,
        sql<SqlBool>`data->'applicant'->>'nik' = ${term}`,
        sql<SqlBool>`data->'applicant'->>'nib' = ${term}`,
        sql<SqlBool>`data->>'permitNumber' = ${term}`,
        sql<SqlBool>`data->>'contractNumber' = ${term}`,
        sql<SqlBool>`id IN (SELECT instance_id FROM documents WHERE number = ${term})`,
        sql<SqlBool>`id IN (SELECT instance_id FROM permit_registrations WHERE registration_number = ${term})`,
      ]),
    )
    .orderBy('row_no', 'desc')
    .limit(parseLimit(limit))
    .execute();
  return { items: rows.map((r) => toView(r, definitionOf(registry, r), actor)) };
}
