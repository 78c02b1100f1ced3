import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { badRequest, idempotencyMismatch } from '../errors';
import { findStoredResponse, requestHash, type IdempotencyScope } from '../engine/idempotency';
import { IdempotencyRace, type IdempotentRequest } from '../engine/engine';
import type { InstanceView } from '../engine/view';
import { actorOf } from './middleware';

type Respond = (view: InstanceView) => { status: number; body: unknown; headers: Record<string, string> };

function send(res: Response, r: { status: number; body: unknown; headers: Record<string, string> }, replayed: boolean) {
  res.set(r.headers);
  if (replayed) res.set('Idempotent-Replayed', 'true');
  res.status(r.status).json(r.body);
}

/**
 * Runs a state-changing request under its optional Idempotency-Key: a retry with the same key and
 * body returns the first successful response and changes nothing; another body is a 422.
 */
export async function runIdempotent(
  db: Kysely<Database>,
  req: Request,
  res: Response,
  body: unknown,
  respond: Respond,
  run: (idem: IdempotentRequest | undefined) => Promise<InstanceView>,
): Promise<void> {
  const key = req.get('idempotency-key');
  if (key === undefined) {
    send(res, respond(await run(undefined)), false);
    return;
  }
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) throw badRequest('Idempotency-Key must be 1 to 200 visible ASCII characters');
  const scope: IdempotencyScope = {
    username: actorOf(res).username,
    route: `${req.method} ${req.baseUrl}${req.path}`,
    key,
    requestHash: requestHash(body),
  };
  const replay = async () => {
    const stored = await findStoredResponse(db, scope);
    if (!stored) return false;
    if (stored.requestHash !== scope.requestHash) throw idempotencyMismatch();
    send(res, stored, true);
    return true;
  };
  if (await replay()) return;
  try {
    send(res, respond(await run({ ...scope, respond })), false);
  } catch (err) {
    if (err instanceof IdempotencyRace && (await replay())) return;
    throw err;
  }
}
