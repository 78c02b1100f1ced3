import { Router } from 'express';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { WorkflowRegistry } from '../engine/registry';
import { databaseUnavailable } from '../errors';
import { listRegisteredVersions } from '../engine/registration';
import { actorOf } from './middleware';
import { logStatus, type TransparencyLog } from '../audit/log/service';

/**
 * Liveness and readiness; public. Readiness also reports the transparency log: its size, the
 * witnesses' cosignatures, and plainly when no witness cosigns it. A fatal log alarm (a witness
 * holds a larger tree than the database: wiped or rolled back) makes it 503 `LOG_HALTED`.
 */
export function healthRouter(db: Kysely<Database>, log: TransparencyLog): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    try {
      await sql`SELECT 1`.execute(db);
    } catch (err) {
      throw databaseUnavailable('The database is not reachable', err);
    }
    const status = await logStatus(log);
    if (status.halted) {
      res.status(503).json({ status: 'log-halted', code: 'LOG_HALTED', log: status });
      return;
    }
    res.json({ status: 'ready', log: status });
  });
  return r;
}

/** Who am I, and which workflows exist. */
export function metaRouter(db: Kysely<Database>, registry: WorkflowRegistry): Router {
  const r = Router();
  r.get('/me', (_req, res) => {
    const a = actorOf(res);
    res.json({ username: a.username, fullName: a.fullName, position: a.position, org: a.org, orgName: a.orgName, roles: a.roles });
  });
  r.get('/workflows', async (_req, res) => {
    const registered = await listRegisteredVersions(db);
    const inUse = (name: string, version: number) => registered.find((r) => r.workflow === name && r.version === version);
    res.json({
      items: registry.all().map((def) => ({
        name: def.name,
        version: def.version,
        title: def.title,
        newest: registry.latest(def.name) === def,
        instances: inUse(def.name, def.version)?.instances ?? 0,
        definitionHash: inUse(def.name, def.version)?.hash ?? null,
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
