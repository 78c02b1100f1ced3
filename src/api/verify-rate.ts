import { clientAddress } from './client-address';
import { sql, type Kysely } from 'kysely';
import type { Request, RequestHandler } from 'express';
import type { Database } from '../db/types';
import type { VerifySettings } from '../config';
import { TooManyVerifications } from '../errors';
import type { VerifyPool } from '../documents/verify-pool';

/**
 * The per-client limit on public signature checks (API and console share it). Every check is an
 * attempt, valid or not: it is the work that is limited, not failures. The attempt is recorded
 * first and the window counted with it included, so concurrent uploads cannot slip past the limit
 * (the permit PIN check does the same); a refused attempt is removed, so hammering does not extend
 * the wait. Counted in the database on its clock (the real one), across every API process.
 */
export type VerifyRate = Pick<VerifySettings, 'rateLimit' | 'rateWindowSeconds'>;

/** What the public check routes (API and console) need: the verification threads and the bounds. */
export interface PublicVerify {
  pool: VerifyPool;
  settings: VerifySettings;
}

/** Records one check by `client`; returns 0, or the seconds to wait when over the limit. */
export async function recordVerifyAttempt(db: Kysely<Database>, client: string, rate: VerifyRate): Promise<number> {
  if (rate.rateLimit === 0) return 0;
  const attempt = await db.insertInto('verify_attempts').values({ client }).returning('id').executeTakeFirstOrThrow();
  const window = sql<Date>`now() - make_interval(secs => ${rate.rateWindowSeconds})`;
  const counted = (await sql<{ n: string | number; wait: number | null }>`
    SELECT count(*) AS n,
           ceil(extract(epoch FROM min(created_at) + make_interval(secs => ${rate.rateWindowSeconds}) - now())) AS wait
      FROM verify_attempts WHERE client = ${client} AND created_at > ${window}`.execute(db)).rows[0]!;
  if (Math.random() < 0.01) await db.deleteFrom('verify_attempts').where('created_at', '<=', window).execute();
  if (Number(counted.n) <= rate.rateLimit) return 0;
  await db.deleteFrom('verify_attempts').where('id', '=', attempt.id).execute();
  return Math.max(1, Number(counted.wait ?? rate.rateWindowSeconds));
}

/** API middleware: 429 problem with Retry-After over the limit, before the body is read. */
export function verifyRateLimit(db: Kysely<Database>, rate: VerifyRate): RequestHandler {
  return async (req, res, next) => {
    const wait = await recordVerifyAttempt(db, clientAddress(req), rate);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new TooManyVerifications(wait);
    }
    next();
  };
}
