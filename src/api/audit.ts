import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { auditPublicKey } from '../audit/keys';
import { verifyAudit } from '../audit/verify';
import { createCheckpoint } from '../audit/checkpoint';
import type { CheckpointKey } from '../audit/keys';
import { notFound } from '../errors';
import { requireRole } from './middleware';

/** The public half of the checkpoint key: anyone may check a checkpoint signature. */
export function auditPublicRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.get('/audit/public-key', async (_req, res) => {
    const key = await auditPublicKey(db);
    if (!key) throw notFound('No audit key has been created yet');
    res.json({ algorithm: 'Ed25519', keyId: key.keyId, publicKeyPem: key.publicKeyPem });
  });
  return r;
}

export function auditRouter(db: Kysely<Database>, key: CheckpointKey): Router {
  const r = Router();
  r.get('/audit/verify', requireRole('auditor'), async (_req, res) => {
    const result = await verifyAudit(db, key.publicKeyPem);
    res.json(result);
  });
  // Checkpoints are also taken every few minutes by the server; an admin may ask for one now.
  r.post('/audit/checkpoints', requireRole('admin'), async (_req, res) => {
    const cp = await createCheckpoint(db, key);
    res.status(201).json(cp ?? { created: false });
  });
  return r;
}
