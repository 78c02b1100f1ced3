import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { instanceHistory, listInstances, listTasks, type ListFilters } from '../engine/read';
import type { InstanceView } from '../engine/view';
import { invalidData } from '../errors';
import { actorOf, jsonObjectBody, parseIfMatch } from './middleware';
import { runIdempotent } from './idempotent';
import type { Metrics } from './metrics';

function filters(query: Record<string, unknown>): ListFilters {
  const pick = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
  return { workflow: pick('workflow'), state: pick('state'), org: pick('org'), cursor: pick('cursor'), limit: pick('limit') };
}

const etag = (view: InstanceView) => `"${view.version}"`;

export function instancesRouter(db: Kysely<Database>, engine: Engine, metrics: Metrics): Router {
  const r = Router();

  r.post('/instances', async (req, res) => {
    const body = jsonObjectBody(req);
    const actor = actorOf(res);
    if (typeof body.workflow !== 'string') throw invalidData('workflow is required', [{ path: '/workflow', message: 'must be a string' }]);
    const workflow = body.workflow;
    await runIdempotent(
      db, req, res, body,
      (view) => ({ status: 201, body: view, headers: { Location: `/api/v1/instances/${view.id}`, ETag: etag(view) } }),
      (idem) => engine.create(actor, workflow, body.data, idem),
    );
  });

  r.get('/instances', async (req, res) => {
    res.json(await listInstances(db, engine.registry, actorOf(res), filters(req.query)));
  });

  r.get('/instances/:id', async (req, res) => {
    const { view } = await engine.get(actorOf(res), req.params.id);
    res.set('ETag', etag(view)).json(view);
  });

  r.get('/instances/:id/history', async (req, res) => {
    const { row } = await engine.get(actorOf(res), req.params.id);
    res.json(await instanceHistory(db, row.id, filters(req.query)));
  });

  r.post('/instances/:id/events', async (req, res) => {
    const body = jsonObjectBody(req);
    const actor = actorOf(res);
    const id = req.params.id;
    if (typeof body.type !== 'string' || body.type === '') {
      await engine.get(actor, id); // 404 before 422
      throw invalidData('type is required', [{ path: '/type', message: 'must be a non-empty string' }]);
    }
    const input = { type: body.type, comment: body.comment as string | null | undefined, data: body.data };
    const ifMatch = parseIfMatch(req);
    await runIdempotent(
      db, req, res, body,
      (view) => ({ status: 200, body: view, headers: { ETag: etag(view) } }),
      async (idem) => {
        const view = await engine.fire(actor, id, input, ifMatch, idem);
        metrics.transitions.inc({ workflow: view.workflow, event: input.type });
        return view;
      },
    );
  });

  r.get('/tasks', async (req, res) => {
    res.json(await listTasks(db, engine.registry, actorOf(res), filters(req.query)));
  });

  return r;
}
