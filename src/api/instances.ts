import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { instanceHistory, listInstances, listTasks, type ListFilters } from '../engine/read';
import type { InstanceView } from '../engine/view';
import { forbidden, GrmsError, invalidData, PROBLEM_BASE, type FieldProblem } from '../errors';
import { actorOf, jsonObjectBody, parseIfMatch } from './middleware';
import { runIdempotent } from './idempotent';
import { searchInstances } from '../engine/search';
import { createsAnyInstance, firesAnyEvent } from '../auth/permissions';
import type { Metrics } from './metrics';

function filters(query: Record<string, unknown>): ListFilters {
  const pick = (k: string) => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
  return { workflow: pick('workflow'), state: pick('state'), org: pick('org'), overdue: pick('overdue'), year: pick('year'), q: pick('q'), cursor: pick('cursor'), limit: pick('limit') };
}

const etag = (view: InstanceView) => `"${view.version}"`;

/** Items in one bulk request: enough for an approver's morning, small enough to answer promptly. */
export const MAX_BULK = 500;

export function instancesRouter(db: Kysely<Database>, engine: Engine, metrics: Metrics): Router {
  const r = Router();

  // Who may not create or fire anything is refused before the body is read: a refusal of the
  // caller, never an answer about the request.
  r.post('/instances', async (req, res) => {
    const actor = actorOf(res);
    if (!createsAnyInstance(actor, engine.registry.all())) throw forbidden('Your roles create no workflow instances');
    const body = jsonObjectBody(req);
    if (typeof body.workflow !== 'string') throw invalidData('workflow is required', [{ path: '/workflow', message: 'must be a string' }]);
    const workflow = body.workflow;
    await runIdempotent(
      db, req, res, body,
      (view) => ({ status: 201, body: view, headers: { Location: `/api/v1/instances/${view.id}`, ETag: etag(view) } }),
      (idem) => engine.create(actor, workflow, body.data, idem),
    );
  });

  r.get('/instances', async (req, res) => {
    res.json(await listInstances(db, engine.registry, actorOf(res), filters(req.query), engine.time));
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
    const actor = actorOf(res);
    if (!firesAnyEvent(actor, engine.registry.all())) throw forbidden('Your roles fire no workflow events');
    const body = jsonObjectBody(req);
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

  // Each item succeeds or fails on its own (its own transaction); one failure rolls back nothing else.
  r.post('/instances/bulk-events', async (req, res) => {
    const actor = actorOf(res);
    // Someone who can fire no event at all (an auditor) is refused as a whole, not item by item.
    if (!firesAnyEvent(actor, engine.registry.all())) throw forbidden('Your roles fire no workflow events');
    const body = jsonObjectBody(req);
    const items = body.items;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_BULK) {
      throw invalidData(`items must hold 1 to ${MAX_BULK} events`, [{ path: '/items', message: `must be an array of 1..${MAX_BULK} items` }]);
    }
    const problems: FieldProblem[] = [];
    items.forEach((item: unknown, i) => {
      const it = item as Record<string, unknown> | null;
      if (!it || typeof it !== 'object' || Array.isArray(it)) return problems.push({ path: `/items/${i}`, message: 'must be an object' });
      if (typeof it.id !== 'string') problems.push({ path: `/items/${i}/id`, message: 'must be an instance id' });
      if (typeof it.type !== 'string' || it.type === '') problems.push({ path: `/items/${i}/type`, message: 'must be an event type' });
      if (it.ifMatch !== undefined && !(Number.isInteger(it.ifMatch) || typeof it.ifMatch === 'string')) problems.push({ path: `/items/${i}/ifMatch`, message: 'must be a version' });
      if (it.comment !== undefined && it.comment !== null && typeof it.comment !== 'string') problems.push({ path: `/items/${i}/comment`, message: 'must be a string' });
      return undefined;
    });
    if (problems.length) throw invalidData('Some items are malformed; nothing was done', problems);
    const results = [];
    for (const it of items as Array<{ id: string; type: string; ifMatch?: number | string; comment?: string | null }>) {
      const ifMatch = it.ifMatch === undefined ? undefined : /^"?(\d{1,9})"?$/.test(String(it.ifMatch)) ? Number(String(it.ifMatch).replace(/"/g, '')) : -1;
      try {
        const view = await engine.fire(actor, it.id, { type: it.type, comment: it.comment }, ifMatch);
        metrics.transitions.inc({ workflow: view.workflow, event: it.type });
        results.push({ id: it.id, status: 200, instance: view });
      } catch (err) {
        if (!(err instanceof GrmsError)) throw err;
        results.push({
          id: it.id, status: err.status,
          problem: { type: `${PROBLEM_BASE}/${err.slug}`, title: err.title, status: err.status, detail: err.message, code: err.code, ...(err.errors && { errors: err.errors }) },
        });
      }
    }
    res.json({ results, succeeded: results.filter((r) => r.status === 200).length, failed: results.filter((r) => r.status !== 200).length });
  });

  r.get('/search', async (req, res) => {
    res.json(await searchInstances(db, engine.registry, actorOf(res), req.query.q, typeof req.query.limit === 'string' ? req.query.limit : undefined));
  });

  r.get('/tasks', async (req, res) => {
    res.json(await listTasks(db, engine.registry, actorOf(res), filters(req.query), engine.time.clock()));
  });

  return r;
}
