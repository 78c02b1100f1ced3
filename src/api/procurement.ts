import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { notFound } from '../errors';
import { ocdsReleasePackage, type OcdsSettings } from '../procurement/ocds';
import { actorOf } from './middleware';

/** GET /instances/:id/ocds: a procurement-delivery contract as an OCDS 1.1 release package. */
export function procurementRouter(db: Kysely<Database>, engine: Engine, settings: OcdsSettings): Router {
  const router = Router();
  router.get('/instances/:id/ocds', async (req, res) => {
    const { row } = await engine.get(actorOf(res), req.params.id);
    if (row.workflow !== 'procurement-delivery') throw notFound(`Instance ${row.id} is not a procurement contract`);
    res.json(await ocdsReleasePackage(db, row, settings));
  });
  return router;
}
