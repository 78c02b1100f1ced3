import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { createOrg, listOrgs, updateOrg, type NewOrg, type OrgPatch } from '../auth/orgs';
import { badRequest } from '../errors';
import { actorOf, jsonObjectBody, requireRole } from './middleware';

/** Organisations: everyone signed in reads (forms pick OPDs and suppliers), admins change. */
export function orgsRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.get('/orgs', async (_req, res) => {
    res.json({ items: await listOrgs(db), nextCursor: null });
  });
  r.post('/orgs', requireRole('admin'), async (req, res) => {
    const org = await createOrg(db, actorOf(res).username, jsonObjectBody(req) as unknown as NewOrg);
    res.status(201).json(org);
  });
  r.patch('/orgs/:id', requireRole('admin'), async (req, res) => {
    // A merge patch (RFC 7396) may say so in its media type; plain JSON is taken the same way.
    const body = req.is('application/merge-patch+json') ? mergePatchBody(req.body) : jsonObjectBody(req);
    res.json(await updateOrg(db, actorOf(res).username, String(req.params.id), body as OrgPatch));
  });
  return r;
}

function mergePatchBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object');
  return body as Record<string, unknown>;
}
