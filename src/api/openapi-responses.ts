import { ref, type Schema } from './openapi-schemas';
/**
 * Responses of the OpenAPI document and the helpers routes list them with. Each operation lists
 * every status it can give, and only those:
 * - every route: 400 and 422 from the request guard (src/api/request-guard.ts: a malformed query
 *   string or path, a reserved key name);
 * - routes behind the bearer token (src/api/middleware.ts requireAuth): 401, 429 once an address
 *   has presented too many unknown tokens, 503 when the database (where tokens are looked up) is out;
 * - routes with a JSON body: 400 (malformed), 413 (over 1 MB), 415 (not JSON, or an unknown charset).
 */
export const bearer = [{ bearer: [] }];
export const GUARD = [400, 422];
export const BEARER = [401, 429, 503];
export const JSON_BODY = [400, 413, 415];

/** Refusals by status: those with a header of their own have a response of their own. */
const REFUSALS: Record<number, string> = { 401: 'Unauthorized', 429: 'TooManyRequests', 503: 'Unavailable' };
const refusal = (status: number) => ({ $ref: `#/components/responses/${REFUSALS[status] ?? 'Problem'}` });
export const statuses = (codes: number[]) => Object.fromEntries([...new Set(codes)].sort((a, b) => a - b).map((c) => [String(c), refusal(c)]));
/** The refusals of a public route. */
export const publicErrors = (...codes: number[]) => statuses([...GUARD, ...codes]);
/** The refusals of a route behind the bearer token. */
export const errors = (...codes: number[]) => statuses([...GUARD, ...BEARER, ...codes]);

export const json = (schema: Schema) => ({ content: { 'application/json': { schema } } });
export const ok = (description: string, schema: Schema) => ({ description, ...json(schema) });
export const body = (schema: Schema) => ({ required: true, ...json(schema) });
export const noContent = (description: string) => ({ description });
export const pdf = { description: 'PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } };
export const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

export const retryAfter = { 'Retry-After': { description: 'Seconds to wait', required: true, schema: { type: 'integer', minimum: 1 } } };
export const problemJson = { 'application/problem+json': { schema: ref('Problem') } };

export const RESPONSES = {
  Problem: { description: 'RFC 9457 problem details', content: problemJson },
  Unauthorized: { description: 'No valid bearer token', headers: { 'WWW-Authenticate': { required: true, schema: { type: 'string' } } }, content: problemJson },
  TooManyRequests: { description: 'Over a rate limit; retry after the given seconds', headers: retryAfter, content: problemJson },
  Unavailable: { description: 'DATABASE_UNAVAILABLE (or VERIFY_BUSY on the public check); retry after the given seconds', headers: retryAfter, content: problemJson },
};

/** The status page answers in HTML, except for the refusals that reach it before its handler (problem+json). */
export function statusPageResponses(bodyRefusals: number[]): Record<string, unknown> {
  const both = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } }, ...problemJson } });
  return {
    ...statuses([422, 503, ...bodyRefusals]),
    '200': html('the form, or the status'),
    '400': both('registration number or PIN missing (HTML), or a malformed request (problem+json)'),
    '404': html('no application matches'),
    '429': { ...html('too many wrong PINs'), headers: retryAfter },
  };
}

type Operations = Record<string, Record<string, unknown>>;

/**
 * Paths contributed beside the code that serves them (e.g. a workflow package's OCDS publication), as
 * public routes: their own answers kept, their refusals and `codes` listed as this document lists
 * them (with what every public route can answer, and 429 and 503 with Retry-After).
 */
export function publicPaths(paths: Operations, codes: number[]): Operations {
  const refusal = (status: string) => /^[45]\d\d$/.test(status);
  return Object.fromEntries(Object.entries(paths).map(([path, item]) => [path, Object.fromEntries(Object.entries(item).map(([method, op]) => {
    const { responses = {}, ...rest } = op as { responses?: Record<string, unknown> };
    const own = Object.keys(responses).filter(refusal).map(Number);
    const kept = Object.fromEntries(Object.entries(responses).filter(([status]) => !refusal(status)));
    return [method, { ...rest, responses: { ...kept, ...publicErrors(...own, ...codes) } }];
  }))]));
}
