import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';

/** Failed authentications allowed per client in one window, across all API processes. */
export const AUTH_FAILURE_LIMIT = 20;
export const AUTH_WINDOW_SECONDS = 300;

/** The start of the rate-limit window `now` falls in (ISO text, as auth_failures stores it). */
export function authWindowStart(now: Date): string {
  const ms = Math.floor(now.getTime() / (AUTH_WINDOW_SECONDS * 1000)) * AUTH_WINDOW_SECONDS * 1000;
  return new Date(ms).toISOString();
}

/** Seconds until a client with `failures` in the current window may try again, or 0 when it is under the limit. */
export function retryAfterSeconds(failures: number, now: Date): number {
  if (failures < AUTH_FAILURE_LIMIT) return 0;
  return Math.max(1, Math.ceil((Date.parse(authWindowStart(now)) + AUTH_WINDOW_SECONDS * 1000 - now.getTime()) / 1000));
}

/** Seconds until `client` may try again, or 0 (for sign-in forms; bearer tokens read this inside authentication). */
export async function authBlockedFor(db: Kysely<Database>, client: string, now = new Date()): Promise<number> {
  const row = await db.selectFrom('auth_failures').select('failures')
    .where('client', '=', client).where('window_start', '=', new Date(authWindowStart(now))).executeTakeFirst();
  return retryAfterSeconds(row?.failures ?? 0, now);
}

/** Counts one failed attempt (one upsert), and now and then prunes windows older than a day. */
export async function recordAuthFailure(db: Kysely<Database>, client: string, now = new Date()): Promise<void> {
  await db
    .insertInto('auth_failures')
    .values({ client, window_start: authWindowStart(now), failures: 1 })
    .onConflict((oc) => oc.columns(['client', 'window_start']).doUpdateSet({ failures: sql`auth_failures.failures + 1` }))
    .execute();
  if (Math.random() < 0.01) {
    await db.deleteFrom('auth_failures').where('window_start', '<', new Date(now.getTime() - 86_400_000)).execute();
  }
}
