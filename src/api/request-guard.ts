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

/** Query values no route could use (400): repeated, too long, or holding NUL (which PostgreSQL cannot store or compare). */
function checkQueryValues(query: Record<string, unknown>): void {
  const keys = Object.keys(query);
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
 * For the whole app, after the JSON body parser: the path, the query of every request and any
 * JSON body are checked before a router sees them.
 */
export function guardRequest(): RequestHandler {
  return (req, _res, next) => {
    const query = req.query as Record<string, unknown>;
    const reserved = reservedNameProblems(Object.keys(query));
    const body = req.body as unknown;
    if (!reserved.length && body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) reserved.push(...reservedKeyProblems(body));
    if (reserved.length) throw reservedKey(reserved);
    // NUL reaches no route usefully (ids, names and dates are text PostgreSQL cannot hold it in).
    if (/%00/.test(req.path)) throw badRequest('The path must not contain NUL (%00)');
    checkQueryValues(query);
    next();
  };
}

/**
 * The `verify` hook of express.urlencoded, on the raw form: reserved field names are a 422 (the
 * parser itself silently drops a field named `__proto__`, so it is read here, before parsing),
 * NUL in a name or value a 400 (no form field can hold it). Throwing a GrmsError here reaches the
 * error handler as that error, with its status.
 */
export function checkFormBody(_req: IncomingMessage, _res: ServerResponse, buf: Buffer, encoding: string): void {
  const text = buf.toString((Buffer.isEncoding(encoding) ? encoding : 'utf8') as BufferEncoding);
  const fields = [...new URLSearchParams(text)];
  const reserved = reservedNameProblems(fields.map(([name]) => name));
  if (reserved.length) throw reservedKey(reserved);
  const problems: FieldProblem[] = fields
    .filter(([name, value]) => name.includes('\u0000') || value.includes('\u0000'))
    .slice(0, MAX_PROBLEMS)
    .map(([name]) => ({ path: namePath(name.replace(/\u0000/g, '\\0')), message: 'must not contain NUL characters' }));
  if (problems.length) throw badRequest(`NUL characters in the form: ${problems.map((p) => p.path).join(', ')}`, problems);
}
