import { sql } from 'kysely';
import type { Locator } from 'playwright-core';
import type { Db } from '../../src/db/connect';

/**
 * What the console's forms may write, summed up so that a test can tell whether a request wrote
 * anything: row counts of every table a form writes, instance versions, and digests of what
 * changes in place (passwords, organisations, holidays, delegations ended, users deactivated,
 * tokens revoked). One-time notices and sessions are left out: showing a notice deletes it.
 */
export async function consoleWrites(db: Db): Promise<Record<string, string>> {
  const tables = ['workflow_instances', 'audit_events', 'documents', 'tracking_registrations', 'deadlines', 'users', 'user_roles', 'people_events',
    'orgs', 'org_events', 'delegations', 'holidays', 'idempotency_keys', 'api_tokens'];
  const out: Record<string, string> = {};
  for (const t of tables) out[t] = String((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(t)}`.execute(db.kysely)).rows[0]!.n);
  const digest = async (name: string, query: ReturnType<typeof sql<{ d: string | null }>>) => {
    out[name] = String((await query.execute(db.kysely)).rows[0]!.d);
  };
  await digest('versions', sql`SELECT sum(version)::text AS d FROM workflow_instances`);
  await digest('data', sql`SELECT md5(string_agg(id::text || state || data::text, ',' ORDER BY id)) AS d FROM workflow_instances`);
  await digest('passwords', sql`SELECT md5(string_agg(username || coalesce(password_hash, '-') || active::text, ',' ORDER BY username)) AS d FROM users`);
  await digest('orgNames', sql`SELECT md5(string_agg(id || name || coalesce(code, '-') || coalesce(npwp, '-'), ',' ORDER BY id)) AS d FROM orgs`);
  await digest('holidayNames', sql`SELECT md5(string_agg(date::text || name, ',' ORDER BY date)) AS d FROM holidays`);
  await digest('delegationsEnded', sql`SELECT count(*)::text AS d FROM delegations WHERE ended_at IS NOT NULL`);
  await digest('tokensRevoked', sql`SELECT count(*)::text AS d FROM api_tokens WHERE revoked_at IS NOT NULL`);
  return out;
}

/** The fields a form would send now, as the browser encodes them (the last of repeated names). */
export async function formFields(form: Locator): Promise<Record<string, string>> {
  // Runs in the browser (no DOM types here: the project compiles without them).
  return form.evaluate((el: unknown) => {
    const out: Record<string, string> = {};
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    new (globalThis as any).FormData(el).forEach((v: unknown, k: string) => {
      if (typeof v === 'string') out[k] = v;
    });
    return out;
  });
}

/** `location` as the server marks a second submission of a form: the first result, with again=1. */
export function againOf(location: string): string {
  const url = new URL(location, 'http://x');
  url.searchParams.set('again', '1');
  return url.pathname + url.search;
}
