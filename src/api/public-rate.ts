import { sql, type Kysely } from 'kysely';
import type { RequestHandler } from 'express';
import type { Database } from '../db/types';
import { TooManyRequests } from '../errors';
import { clientAddress } from './client-address';

/**
 * A per-client limit on a public read route, counted in the database (migrations/0027) on its
 * clock (the real one), across every API process: the same scheme as the public signature check
 * (verify-rate.ts). Each request is recorded first and the window counted with it included;
 * a refused request is removed, so hammering does not extend the wait.
 */
export interface PublicRate {
  /** Requests per client address per window (0: no limit). */
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Records one request to `route` by `client`; returns 0, or the seconds to wait when over the limit. */
export async function recordPublicRequest(db: Kysely<Database>, route: string, client: string, rate: PublicRate): Promise<number> {
  if (rate.limit === 0) return 0;
  const request = await db.insertInto('public_requests').values({ route, client }).returning('id').executeTakeFirstOrThrow();
  const window = sql<Date>`now() - make_interval(secs => ${rate.windowSeconds})`;
  const counted = (await sql<{ n: string | number; wait: number | null }>`
    SELECT count(*) AS n,
           ceil(extract(epoch FROM min(created_at) + make_interval(secs => ${rate.windowSeconds}) - now())) AS wait
      FROM public_requests WHERE route = ${route} AND client = ${client} AND created_at > ${window}`.execute(db)).rows[0]!;
  if (Math.random() < 0.01) await db.deleteFrom('public_requests').where('created_at', '<=', window).execute();
  if (Number(counted.n) <= rate.limit) return 0;
  await db.deleteFrom('public_requests').where('id', '=', request.id).execute();
  return Math.max(1, Number(counted.wait ?? rate.windowSeconds));
}

/**
 * Middleware: 429 problem with Retry-After over the limit. `forget`: the route's rows older than the
 * window are deleted on every request, not now and then (routes whose callers' addresses must not
 * be kept past the window: citizens without an account).
 */
export function publicRateLimit(db: Kysely<Database>, route: string, rate: PublicRate, forget = false): RequestHandler {
  return async (req, res, next) => {
    if (forget) {
      await db.deleteFrom('public_requests').where('route', '=', route)
        .where('created_at', '<=', sql<Date>`now() - make_interval(secs => ${rate.windowSeconds})`).execute();
    }
    const wait = await recordPublicRequest(db, route, clientAddress(req), rate);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new TooManyRequests(wait);
    }
    next();
  };
}
