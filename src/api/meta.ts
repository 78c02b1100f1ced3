import { Router } from 'express';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { WorkflowRegistry } from '../engine/registry';
import { serviceUnavailable } from '../errors';
import { actorOf } from './middleware';

/** Liveness and readiness; public. */
export function healthRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    try {
      await sql`SELECT 1`.execute(db);
    } catch (err) {
      throw serviceUnavailable('The database is not reachable', err);
    }
    res.json({ status: 'ready' });
  });
  return r;
}

/** Who am I, and which workflows exist. */
export function metaRouter(registry: WorkflowRegistry): Router {
  const r = Router();
  r.get('/me', (_req, res) => {
    const a = actorOf(res);
    res.json({ username: a.username, fullName: a.fullName, position: a.position, org: a.org, orgName: a.orgName, roles: a.roles });
  });
  r.get('/workflows', (_req, res) => {
    res.json({
      items: registry.all().map((def) => ({
        name: def.name,
        version: def.version,
        title: def.title,
        newest: registry.latest(def.name) === def,
        states: Object.keys((def.machine.config.states ?? {}) as object),
        initial: def.machine.config.initial,
        events: Object.entries(def.steps).flatMap(([state, events]) =>
          Object.entries(events).map(([type, s]) => ({
            state, type, roles: s.roles, scope: s.scope, task: s.task, review: s.review,
            requiresComment: s.requiresComment ?? false, document: s.document?.title ?? null,
          })),
        ),
        schema: def.schema,
      })),
    });
  });
  return r;
}
