import express, { Router, type RequestHandler } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import { badRequest, GrmsError, notFound } from '../errors';
import type { PublicIntakeSpec } from '../engine/package';
import { valueAt } from '../engine/confidential';
import { citizenEvents } from '../auth/permissions';
import { publicLookup, TooManyAttempts, type TrackedInstance } from '../tracking/lookup';
import { definitionOf } from '../engine/view';
import { clientAddress } from './client-address';
import { jsonObjectBody } from './middleware';
import { publicRateLimit, type PublicRate } from './public-rate';
import { PUBLIC_INTAKE_ROUTE } from './public-purge';
import { registrationNumberOf } from './tracking-status';

/**
 * Terminology:
 * - public intake: creating an instance without an account, for a workflow whose package declares
 *   `publicIntake` (a citizen's complaint); the creator is the public pseudo-actor.
 * - citizen event: a step with scope 'tracking-pin', fired by whoever proves the instance's
 *   tracking number and PIN.
 * Both routes are public (no token), limited per client address, and log no client address.
 */
/** GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS when a deployment names no other. */
export const DEFAULT_MAX_ATTACHMENTS = 5;

/**
 * 413 naming the list when a public submission's data names more attachments than `max` (at the
 * package's `publicIntake.attachments`); `base` is where the data sits in the request ('/data' in
 * the API's body, '' in the console's form).
 */
export function attachmentCapProblem(spec: PublicIntakeSpec | undefined, data: unknown, max: number | undefined, base: string): GrmsError | undefined {
  const list = spec?.attachments === undefined ? undefined : valueAt(data, spec.attachments);
  const cap = max ?? DEFAULT_MAX_ATTACHMENTS;
  if (!Array.isArray(list) || list.length <= cap) return undefined;
  return new GrmsError('TOO_MANY_ATTACHMENTS', 413, 'too-many-attachments', 'Too many attachments',
    `A public submission names at most ${cap} attachments; this one names ${list.length}`,
    [{ path: `${base}${spec!.attachments}`, message: `must NOT have more than ${cap} items` }]);
}

export interface PublicIntakeSettings {
  /** Instances created (and citizen events sent) per client address per window. */
  rate: PublicRate;
  /** The largest JSON body these routes take, in bytes. */
  maxBodyBytes: number;
  /** The most attachments a submission may name (default DEFAULT_MAX_ATTACHMENTS). */
  maxAttachments?: number;
  /** The deployment settings a package's `publicIntake.org` may read. */
  settings: Readonly<Record<string, unknown>>;
}

const workflowOf = (req: express.Request): string => String(req.params.workflow);

export const PUBLIC_PREFIX = '/api/v1/public';

/** Marks the request so the access log keeps no client address (src/api/middleware.ts). */
export const withoutClientAddress: RequestHandler = (_req, res, next) => {
  res.locals.anonymousClient = true;
  next();
};

/** The body parser of the public routes: its own, smaller cap, before the app's general one. */
export function publicBody(maxBodyBytes: number): RequestHandler {
  return express.json({ limit: maxBodyBytes, type: ['application/json', 'application/*+json'] });
}

/** What a citizen is told about their instance: state, dates, the events theirs to send; never its data. */
function citizenView(engine: Engine, found: TrackedInstance, version: number) {
  const def = definitionOf(engine.registry, { workflow: found.workflow, workflow_version: version });
  const labels = engine.registry.package(found.workflow)?.labels.id;
  return {
    registrationNumber: found.registrationNumber,
    workflow: found.workflow,
    state: { code: found.state, label: labels?.states?.[found.state] ?? found.state.replace(/_/g, ' ') },
    events: citizenEvents(def, found).map((type) => ({ type, label: labels?.events?.[type] ?? type.replace(/_/g, ' ') })),
    registeredAt: found.registeredAt,
    lastChangeAt: found.lastChangeAt,
    dueDate: found.dueDate,
  };
}

/** The public intake and citizen routes, mounted before authentication (src/api/app.ts). */
export function publicIntakeRouter(db: Kysely<Database>, engine: Engine, s: PublicIntakeSettings): Router {
  const r = Router();
  const limit = publicRateLimit(db, PUBLIC_INTAKE_ROUTE, s.rate, true);
  const view = async (found: TrackedInstance) => {
    const row = await db.selectFrom('workflow_instances').select('workflow_version').where('id', '=', found.instanceId).executeTakeFirstOrThrow();
    return citizenView(engine, found, row.workflow_version);
  };
  const lookup = (req: express.Request, body: Record<string, unknown>) =>
    publicLookup(db, undefined, { registrationNumber: registrationNumberOf(body), pin: body.pin, clientIp: clientAddress(req) });
  const retryAfter = (res: express.Response, err: unknown) => {
    if (err instanceof TooManyAttempts) res.set('Retry-After', String(err.retryAfterSeconds));
  };

  r.post(`${PUBLIC_PREFIX}/workflows/:workflow/instances`, (req, _res, next) => {
    const intake = engine.registry.package(workflowOf(req))?.publicIntake;
    if (!intake) throw notFound(`No workflow "${workflowOf(req)}" takes public submissions`);
    // Before the limit's row: an over-long list is refused with nothing written.
    const over = attachmentCapProblem(intake, (req.body as { data?: unknown } | undefined)?.data, s.maxAttachments, '/data');
    if (over) throw over;
    next();
  }, limit, async (req, res) => {
    const body = jsonObjectBody(req);
    const unknown = Object.keys(body).filter((k) => k !== 'data');
    if (unknown.length) throw badRequest('The body is { data }', unknown.map((k) => ({ path: `/${k}`, message: 'is not a property of a public submission' })));
    const created = await engine.createPublic(workflowOf(req), body.data, s.settings);
    const receipt = created.receipt as { registrationNumber: string; pin: string; registeredAt: string };
    res.set('Cache-Control', 'no-store');
    res.status(201).json({
      registrationNumber: receipt.registrationNumber, pin: receipt.pin, registeredAt: receipt.registeredAt,
      workflow: created.workflow, state: created.state,
    });
  });

  r.post(`${PUBLIC_PREFIX}/tracking/status`, async (req, res) => {
    const body = jsonObjectBody(req);
    res.set('Cache-Control', 'no-store');
    try {
      res.json(await view(await lookup(req, body)));
    } catch (err) {
      retryAfter(res, err);
      throw err;
    }
  });

  // Not under the submission limit: a reporter answering, objecting and confirming is not filing
  // again; wrong PINs are bounded by the tracking limits (per number and per client) in lookup.
  r.post(`${PUBLIC_PREFIX}/tracking/events`, async (req, res) => {
    const body = jsonObjectBody(req);
    const unknown = Object.keys(body).filter((k) => !['registrationNumber', 'registration', 'pin', 'type', 'comment', 'data'].includes(k));
    if (unknown.length) throw badRequest('The body is { registrationNumber, pin, type, comment?, data? }', unknown.map((k) => ({ path: `/${k}`, message: 'is not a property of a citizen event' })));
    if (typeof body.type !== 'string' || body.type === '') throw badRequest('Name the event', [{ path: '/type', message: 'must be a non-empty string' }]);
    res.set('Cache-Control', 'no-store');
    let found: TrackedInstance;
    try {
      found = await lookup(req, body);
    } catch (err) {
      retryAfter(res, err);
      throw err;
    }
    const after = await engine.fireAsCitizen(found.instanceId, { type: body.type, comment: body.comment as string | null | undefined, data: body.data });
    res.json(citizenView(engine, { ...found, state: after.state, lastChangeAt: after.updatedAt }, after.workflowVersion));
  });
  return r;
}
