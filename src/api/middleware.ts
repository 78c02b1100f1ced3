import type { WorkflowTime } from '../clock';
import crypto from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { authenticate } from '../auth/tokens';
import { countTokenFailure, TooManyFailedAuthentications } from '../auth/rate-limit';
import { clientAddress } from './client-address';
import { type Actor, hasRole } from '../auth/roles';
import { badRequest, forbidden, unauthorized, unsupportedMediaType } from '../errors';
import { runHook, type Logger } from '../log';

/** A request id for every request: taken from X-Request-Id when sane, else made here. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : crypto.randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  };
}

export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => runHook(logger, 'access log', () => {
      logger.info(
        // Routes open to citizens without an account (src/api/public-intake.ts) log no address:
        // only their rate-limit rows hold it, and only for the limit's window.
        { requestId: res.locals.requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6, user: res.locals.actor?.username, client: res.locals.anonymousClient === true ? undefined : clientAddress(req) },
        'request',
      );
    }));
    next();
  };
}

export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw unauthorized();
  return actor;
}

/**
 * Bearer-token authentication (the scheme in any case, RFC 9110); 401 problem+json otherwise. A
 * valid token is always accepted. Unknown tokens count per client address: once a client has
 * presented too many, its further unknown tokens get 429 for the rest of the window, in every
 * API process.
 */
export function requireAuth(db: Kysely<Database>, time: WorkflowTime): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
    const actor = match ? await authenticate(db, match[1]!, time) : undefined;
    if (!actor) {
      const wait = match ? await countTokenFailure(db, clientAddress(req)) : 0;
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        throw new TooManyFailedAuthentications(wait, 'Too many invalid tokens from this address');
      }
      res.set('WWW-Authenticate', 'Bearer realm="grms"');
      throw unauthorized(match ? 'The bearer token is unknown, expired or revoked' : 'A bearer token is required (Authorization: Bearer …)');
    }
    res.locals.actor = actor;
    next();
  };
}

export function requireRole(...roles: string[]): RequestHandler {
  return (_req, res, next) => {
    const actor = actorOf(res);
    if (!roles.some((r) => hasRole(actor, r))) throw forbidden(`This needs the role ${roles.join(' or ')}`);
    next();
  };
}

/** POST/PUT bodies must be JSON objects. */
export function jsonObjectBody(req: Request): Record<string, unknown> {
  if (!req.is('application/json')) throw unsupportedMediaType('Send the body as application/json');
  const body = req.body as unknown;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a JSON object');
  return body as Record<string, unknown>;
}

/**
 * If-Match: "<version>" → the version; absent or * → undefined; anything else becomes -1, which
 * never matches, so it is refused as 412 in its place among the other checks.
 */
export function parseIfMatch(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  return m ? Number(m[1]) : -1;
}
