import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { startPeriodic } from '../periodic';
import { TRACKING_LIMITS } from '../tracking/lookup';

/**
 * "No identity stored" for citizens without an account: the rows that hold a client address for a
 * limit (public_requests of the public intake, tracking_failures of wrong PINs) are deleted as
 * their window ends, not only when the next request from anyone happens to come, and so are the
 * lapsed once-only records and status-page grants of the console's public pages (they hold
 * hashes of a browser's cookie, no address). Windows are on the real clock (the database's now()),
 * like the limits themselves (RULES.md, two clocks). The server runs this every
 * PUBLIC_PURGE_INTERVAL_MS, so an address outlives its window by at most that.
 */
export const PUBLIC_INTAKE_ROUTE = 'public-intake';
export const PUBLIC_PURGE_INTERVAL_MS = 60_000;

export interface PurgeWindows {
  /** GRMS_PUBLIC_INTAKE_RATE_WINDOW_SECONDS. */
  publicIntakeSeconds: number;
  /** The tracking lookup's window for wrong PINs (default TRACKING_LIMITS). */
  trackingSeconds?: number;
}

/** What one purge deleted, per table. */
export interface Purged { publicRequests: number; trackingFailures: number; trackingGrants: number; formReceipts: number }

const ago = (seconds: number) => sql<Date>`now() - make_interval(secs => ${seconds})`;

/** Deletes every row whose window (or lifetime) has ended. */
export async function purgePublicClients(db: Kysely<Database>, w: PurgeWindows): Promise<Purged> {
  const n = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  const publicRequests = await db.deleteFrom('public_requests').where('route', '=', PUBLIC_INTAKE_ROUTE)
    .where('created_at', '<=', ago(w.publicIntakeSeconds)).executeTakeFirst();
  const trackingFailures = await db.deleteFrom('tracking_failures').where('created_at', '<=', ago(w.trackingSeconds ?? TRACKING_LIMITS.windowSeconds)).executeTakeFirst();
  const trackingGrants = await db.deleteFrom('tracking_grants').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst();
  const formReceipts = await db.deleteFrom('public_form_receipts').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst();
  return { publicRequests: n(publicRequests), trackingFailures: n(trackingFailures), trackingGrants: n(trackingGrants), formReceipts: n(formReceipts) };
}

/** Runs the purge every PUBLIC_PURGE_INTERVAL_MS inside `grms serve` (any number of processes may). */
export function startPublicPurge(db: Kysely<Database>, w: PurgeWindows, onError: (err: unknown) => void, intervalMs = PUBLIC_PURGE_INTERVAL_MS): () => Promise<void> {
  return startPeriodic(() => purgePublicClients(db, w), intervalMs, onError, true);
}
