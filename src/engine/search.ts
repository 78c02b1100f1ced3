import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../db/types';
import type { Actor } from '../auth/roles';
import { ESCALATED_SQL } from '../auth/access';
import { badRequest } from '../errors';
import type { WorkflowRegistry } from './registry';
import { parseLimit, visibility } from './read';
import { definitionOf, toView, type InstanceView } from './view';
import { invalidTextProblems } from './validate';
import { listings as registeredListings } from './listing';
import { hiddenFields } from './confidential';

/** A search text as the user typed it, checked: 2 to 100 characters of valid text, trimmed. */
export function searchTerm(q: unknown): string {
  if (typeof q !== 'string' || q.trim().length < 2 || q.length > 100) {
    throw badRequest('q must be 2 to 100 characters', [{ path: '/q', message: 'must be 2..100 characters' }]);
  }
  const problems = invalidTextProblems(q, '/q');
  if (problems.length) throw badRequest('q is not valid text', problems);
  return q.trim();
}

/**
 * "The instance matches what people quote on the phone", on the (unaliased) workflow_instances
 * table: words of the title (substring, case-insensitive) or a document number, for every
 * workflow; and, exactly, the numbers and identity fields each workflow's listing names (only
 * `workflow`'s when given). One condition for the search and the filtered lists alike. A listed
 * field that is confidential (WorkflowPackage.confidential) where `actor` may not read it matches
 * nothing there: the search answers no question the view would not (hiddenFields, the same
 * decision hideConfidential takes for the view).
 */
export function searchCondition(term: string, actor: Actor, registry: WorkflowRegistry, workflow?: string): Expression<SqlBool> {
  const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const parts: Array<Expression<SqlBool>> = [
    sql<SqlBool>`workflow_instances.title ILIKE ${like}`,
    sql<SqlBool>`workflow_instances.id IN (SELECT instance_id FROM documents WHERE number = ${term})`,
  ];
  const hidden = hiddenFields(registry.packages, actor);
  const seen = new Set<string>();
  for (const l of registeredListings(registry).filter((x) => !workflow || x.workflow === workflow)) {
    for (const path of l.exactData) {
      const key = JSON.stringify(path);
      if (seen.has(key)) continue;
      seen.add(key);
      const match = sql<SqlBool>`workflow_instances.data #>> ${sql.val(`{${path.join(',')}}`)}::text[] = ${term}`;
      // Where the field (or what holds it) is hidden from the actor, the value is not theirs to match.
      const secret = hidden.filter((h) => overlaps(path, h.path)).map((h) => sql<SqlBool>`(workflow_instances.workflow = ${h.workflow}${h.when
        ? sql` and coalesce(workflow_instances.data #> ${sql.val(`{${h.when.join(',')}}`)}::text[] = 'true'::jsonb, false)` : sql``})`);
      parts.push(secret.length ? sql<SqlBool>`(${match} and not (${sql.join(secret, sql` or `)}))` : match);
    }
    for (const t of l.numberTables) {
      parts.push(sql<SqlBool>`workflow_instances.id IN (SELECT instance_id FROM ${sql.table(t.table)} WHERE ${sql.ref(t.column)} = ${term})`);
    }
  }
  return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
}

/** Whether one path holds the other (a field inside a hidden object, or an object holding a hidden field). */
function overlaps(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n).every((k, i) => k === b[i]);
}

/**
 * Finds instances the actor may read by what people quote on the phone: a document number, a
 * registration or permit number, a contract number, an applicant's NIK/NIB (exact), or words of
 * the title (substring, case-insensitive). Newest first. (The lists take the same `q` with filters
 * and pages: listInstances.)
 */
export async function searchInstances(db: Kysely<Database>, registry: WorkflowRegistry, actor: Actor, q: unknown, limit?: string): Promise<{ items: InstanceView[] }> {
  const term = searchTerm(q);
  const rows = await db
    .selectFrom('workflow_instances')
    .selectAll()
    // toView decides the actor's events: an escalation scope reads whether the deadline was escalated.
    .select(ESCALATED_SQL.as('escalated'))
    .where((eb) => visibility(eb, actor, registry))
    .where(searchCondition(term, actor, registry))
    .orderBy('row_no', 'desc')
    .limit(parseLimit(limit))
    .execute();
  return { items: rows.map((r) => toView(r, definitionOf(registry, r), actor)) };
}
