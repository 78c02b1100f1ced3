import { Router, type RequestHandler } from 'express';
import { GrmsError, badRequest, notFound } from '../errors';
import type { LogConfig } from '../config';
import { clientAddress } from './client-address';
import { recordVerifyAttempt } from './verify-rate';
import { requireRole } from './middleware';
import { cosignedCheckpoint } from '../audit/log/checkpoint';
import { logConsistencyProof, logInclusionProof, logNode } from '../audit/log/nodes';
import { integrateAndCheckpoint, type LogRound, type TransparencyLog } from '../audit/log/service';

export class TooManyLogReads extends GrmsError {
  constructor(readonly retryAfterSeconds: number) {
    super('TOO_MANY_LOG_READS', 429, 'too-many-log-reads', 'Too many log reads', `Too many log requests from this address; try again in ${retryAfterSeconds} s`);
  }
}

/** Per-client limit on the public log routes, counted in the database like the public verify (its own budget). */
function logRateLimit(log: TransparencyLog, rate: Pick<LogConfig, 'rateLimit' | 'rateWindowSeconds'>): RequestHandler {
  return async (req, res, next) => {
    const wait = await recordVerifyAttempt(log.db, `log:${clientAddress(req)}`, rate);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      throw new TooManyLogReads(wait);
    }
    next();
  };
}

/** A query value that must be a decimal count (no sign, no leading zeroes). */
function count(q: Record<string, unknown>, name: string): number {
  const v = q[name];
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw badRequest(`${name} must be a non-negative integer`, [{ path: `/${name}`, message: 'must be a non-negative integer' }]);
  }
  return Number(v);
}

const b64 = (hashes: Buffer[]) => hashes.map((h) => h.toString('base64'));

/**
 * The public, read-only face of the transparency log: the latest checkpoint with its
 * cosignatures, inclusion and consistency proofs, and single tree nodes. Hashes only: no leaf
 * entry, no salt, nothing of a row. No token; limited per client address.
 */
export function logPublicRouter(log: TransparencyLog, rate: Pick<LogConfig, 'rateLimit' | 'rateWindowSeconds'>): Router {
  const r = Router();
  r.use('/log', logRateLimit(log, rate));
  r.get('/log/checkpoint', async (_req, res) => {
    const cp = await cosignedCheckpoint(log.db);
    if (!cp) throw notFound('The log has no checkpoint yet');
    res.set('Cache-Control', 'no-cache');
    res.type('text/plain; charset=utf-8').send(cp.note);
  });
  r.get('/log/proof/inclusion', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const index = count(q, 'index');
    const size = count(q, 'size');
    res.json({ index, size, proof: b64(await logInclusionProof(log.db, index, size)) });
  });
  r.get('/log/proof/consistency', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const old = count(q, 'old');
    const size = count(q, 'new');
    res.json({ old, new: size, proof: b64(await logConsistencyProof(log.db, old, size)) });
  });
  r.get('/log/node/:level/:index', async (req, res) => {
    const level = count(req.params, 'level');
    const index = count(req.params, 'index');
    res.json({ level, index, hash: (await logNode(log.db, level, index)).toString('base64') });
  });
  return r;
}

/** The round as JSON: hashes in base64. */
export function roundJson(round: LogRound): Record<string, unknown> {
  const cp = round.checkpoint;
  return {
    integration: round.integration,
    checkpoint: cp && { size: cp.size, root: cp.root.toString('base64'), note: cp.note, created: cp.created, previousSize: cp.previousSize },
    witnesses: round.witnesses,
    quorumMet: round.quorumMet,
  };
}

/** "Integrate and checkpoint now", for admins (the server also does it every GRMS_LOG_INTERVAL_SECONDS). */
export function logAdminRouter(log: TransparencyLog): Router {
  const r = Router();
  r.post('/log/checkpoint', requireRole('admin'), async (_req, res) => {
    res.json(roundJson(await integrateAndCheckpoint(log)));
  });
  return r;
}
