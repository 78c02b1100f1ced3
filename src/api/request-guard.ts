/**
 * The first check of every request, where its body and query are parsed: no client-chosen key may
 * name an object's prototype machinery (src/reserved-keys.ts), and every query value is one
 * short, storable string. Refused wherever a client names a key: JSON properties at any depth,
 * form field names and query parameter names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { badRequest, reservedKey, type FieldProblem } from '../errors';
import { escapePointer, hasReservedPart, reservedKeyProblems } from '../reserved-keys';

/** The longest query value any route reads (ids, dates, cursors, a search text, a sign-in `next`). */
export const MAX_QUERY_VALUE = 2000;
/** Reported problems per request: enough to name the keys, bounded whatever the body holds. */
const MAX_PROBLEMS = 20;

/** The problem+json path of a flat name: a pointer stays as given, any other name becomes one. */
const namePath = (name: string) => (name.startsWith('/') ? name : `/${escapePointer(name)}`);

/** Reserved parts in flat names (form fields, query parameters). */
export function reservedNameProblems(names: Iterable<string>): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const name of names) {
    if (hasReservedPart(name)) out.push({ path: namePath(name), message: 'is a reserved name' });
    if (out.length >= MAX_PROBLEMS) break;
  }
  return out;
}

/**
 * The query string's problems: reserved names (422), then values that no route could use (400):
 * repeated, too long, or holding NUL (which PostgreSQL cannot store or compare).
 */
export function checkQuery(query: Record<string, unknown>): void {
  const keys = Object.keys(query);
  const reserved = reservedNameProblems(keys);
  if (reserved.length) throw reservedKey(reserved);
  const problems: FieldProblem[] = [];
  for (const key of keys) {
    const value = query[key];
    const path = namePath(key);
    if (key.includes('\u0000') || key.length > 100) problems.push({ path: namePath(key.replace(/\u0000/g, '\\0').slice(0, 100)), message: 'is not a parameter name' });
    else if (typeof value !== 'string') problems.push({ path, message: 'must be given once' });
    else if (value.includes('\u0000')) problems.push({ path, message: 'must not contain NUL characters' });
    else if (value.length > MAX_QUERY_VALUE) problems.push({ path, message: `must be at most ${MAX_QUERY_VALUE} characters` });
    if (problems.length >= MAX_PROBLEMS) break;
  }
  if (problems.length) throw badRequest('The query string is malformed', problems);
}

/**
 * For the whole app, after the JSON body parser: the query of every request and any JSON body
 * are checked before a router sees them.
 */
export function guardRequest(): RequestHandler {
  return (req, _res, next) => {
    checkQuery(req.query as Record<string, unknown>);
    const body = req.body as unknown;
    if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) {
      const problems = reservedKeyProblems(body);
      if (problems.length) throw reservedKey(problems);
    }
    next();
  };
}

/**
 * The `verify` hook of express.urlencoded: reads the raw form's field names (the parser itself
 * silently drops a field named `__proto__`, so it is refused here, before parsing). Throwing a
 * GrmsError here reaches the error handler as that error, with its status.
 */
export function refuseReservedFormNames(_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string): void {
  const text = buf.toString((Buffer.isEncoding(encoding) ? encoding : 'utf8') as BufferEncoding);
  const problems = reservedNameProblems(new URLSearchParams(text).keys());
  if (problems.length) throw reservedKey(problems);
}
