import { Router } from 'express';
import { badRequest, notFound } from '../errors';
import { publicRateLimit, type PublicRate } from './public-rate';
import { requireRole } from './middleware';
import { cosignedCheckpoint } from '../audit/log/checkpoint';
import { logConsistencyProof, logInclusionProof, logNode } from '../audit/log/nodes';
import { integrateAndCheckpoint, type LogRound, type TransparencyLog } from '../audit/log/service';

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
export function logPublicRouter(log: TransparencyLog, rate: PublicRate): Router {
  const r = Router();
  // Per client address, counted in the database (public_requests) under a budget of its own.
  r.use('/log', publicRateLimit(log.db, 'log', rate));
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
