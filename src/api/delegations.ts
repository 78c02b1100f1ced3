import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { createDelegation, endDelegation, listDelegations } from '../auth/delegations';
import { actorOf, jsonObjectBody } from './middleware';

/** Plt/Plh: a role holder (or an admin for them) delegates a role for a date range. */
export function delegationsRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.post('/delegations', async (req, res) => {
    const created = await createDelegation(db, actorOf(res), jsonObjectBody(req));
    res.status(201).location(`/api/v1/delegations/${created.id}`).json(created);
  });
  r.get('/delegations', async (_req, res) => {
    res.json({ items: await listDelegations(db, actorOf(res)), nextCursor: null });
  });
  r.delete('/delegations/:id', async (req, res) => {
    await endDelegation(db, actorOf(res), String(req.params.id));
    res.status(204).end();
  });
  return r;
}
