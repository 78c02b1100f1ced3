/**
 * Every error an API caller needs to tell apart, with a stable code, its HTTP status and the
 * problem+json `type` slug (the URI is `${PROBLEM_BASE}/<slug>`). This table is the one place
 * where an error meets HTTP.
 */
export const PROBLEM_BASE = 'https://grms.dev/problems';

export interface FieldProblem {
  /** JSON Pointer into the request body. */
  path: string;
  message: string;
}

export class GrmsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly errors?: FieldProblem[],
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

export const malformedJson = (detail: string) =>
  new GrmsError('MALFORMED_JSON', 400, 'malformed-json', 'Malformed JSON', detail);
export const badRequest = (detail: string, errors?: FieldProblem[]) =>
  new GrmsError('BAD_REQUEST', 400, 'bad-request', 'Bad request', detail, errors);
export const unauthorized = (detail = 'A valid bearer token is required') =>
  new GrmsError('UNAUTHORIZED', 401, 'unauthorized', 'Unauthorized', detail);
export const notFound = (detail = 'Not found') => new GrmsError('NOT_FOUND', 404, 'not-found', 'Not found', detail);
export const forbidden = (detail: string) => new GrmsError('FORBIDDEN', 403, 'forbidden', 'Forbidden', detail);
/** The current password given to change one's own password is wrong (counted as a failed authentication). */
export const wrongPassword = () =>
  new GrmsError('WRONG_PASSWORD', 403, 'wrong-password', 'Wrong password', 'The current password is not right');
export const segregationOfDuties = (detail: string) =>
  new GrmsError('SEGREGATION_OF_DUTIES', 403, 'segregation-of-duties', 'Segregation of duties', detail);
export const versionConflict = (detail: string) =>
  new GrmsError('VERSION_CONFLICT', 412, 'version-conflict', 'Precondition failed', detail);
export const transitionNotAllowed = (detail: string) =>
  new GrmsError('TRANSITION_NOT_ALLOWED', 409, 'transition-not-allowed', 'Transition not allowed', detail);
export const payloadTooLarge = (detail: string) =>
  new GrmsError('PAYLOAD_TOO_LARGE', 413, 'payload-too-large', 'Payload too large', detail);
/** Node's HTTP parser refused the request headers as too large (before any route saw them). */
export const headersTooLarge = (detail: string) =>
  new GrmsError('HEADERS_TOO_LARGE', 431, 'headers-too-large', 'Request header fields too large', detail);
/** The request did not arrive completely within the server's request timeout. */
export const requestTimeout = (detail: string) =>
  new GrmsError('REQUEST_TIMEOUT', 408, 'request-timeout', 'Request timeout', detail);
export const unsupportedMediaType = (detail: string) =>
  new GrmsError('UNSUPPORTED_MEDIA_TYPE', 415, 'unsupported-media-type', 'Unsupported media type', detail);
export const invalidData = (detail: string, errors: FieldProblem[]) =>
  new GrmsError('INVALID_DATA', 422, 'invalid-data', 'Invalid data', detail, errors);
/**
 * Text that would be printed on a document holds a character a document cannot show as written
 * (emoji, bidi controls, invisible characters, a script no document font has: src/documents/printable.ts).
 */
export const unprintableText = (errors: FieldProblem[]) =>
  new GrmsError('UNPRINTABLE_TEXT', 422, 'unprintable-text', 'Text a document cannot show',
    `Text that a document would print holds characters it cannot show as written: ${errors.map((e) => e.path).join(', ')}`, errors);
/** A key (JSON property, form field or query parameter) named `__proto__`, `constructor` or `prototype`. */
export const reservedKey = (errors: FieldProblem[]) =>
  new GrmsError('RESERVED_KEY', 422, 'reserved-key', 'Reserved key',
    `A key may not be named __proto__, constructor or prototype: ${errors.map((e) => e.path).join(', ')}`, errors);
/** An organisation id is taken: ids are never reused, since instances, roles and numbers refer to them. */
export const orgExists = (id: string) =>
  new GrmsError('ORG_EXISTS', 409, 'org-exists', 'Organisation exists', `An organisation "${id}" already exists`);
export const commentRequired = (event: string) =>
  new GrmsError('COMMENT_REQUIRED', 422, 'comment-required', 'Comment required', `"${event}" needs a non-empty comment`, [
    { path: '/comment', message: 'must be a non-empty string' },
  ]);
export const idempotencyMismatch = () =>
  new GrmsError(
    'IDEMPOTENCY_KEY_REUSED', 422, 'idempotency-key-reused', 'Idempotency key reused',
    'This Idempotency-Key was already used with a different request body',
  );
/**
 * The database is out (down, restarting, unreachable): retry later. A connection cut during COMMIT
 * may leave the change applied; a retry with the same Idempotency-Key cannot apply it twice.
 */
export const databaseUnavailable = (detail: string, cause?: unknown) =>
  new GrmsError('DATABASE_UNAVAILABLE', 503, 'database-unavailable', 'Database unavailable', detail, undefined, { cause });

// The public signature check (POST /api/v1/verify, the console's /verify): anyone may upload, so
// the work one upload causes is bounded and a refusal says which bound.
/** The signature is bigger or heavier than a verifier accepts; refused before any certificate is parsed. */
export const signatureLimitsExceeded = (detail: string) =>
  new GrmsError('SIGNATURE_LIMITS_EXCEEDED', 422, 'signature-limits-exceeded', 'Signature limits exceeded', detail);
/** The check ran out of its time (or memory) budget and was stopped. */
export const verifyBudgetExceeded = (detail: string) =>
  new GrmsError('VERIFY_BUDGET_EXCEEDED', 422, 'verify-budget-exceeded', 'Verification budget exceeded', detail);
/** Every verification thread is busy and the queue is full: retry later (503 with Retry-After). */
export const verifyBusy = () =>
  new GrmsError('VERIFY_BUSY', 503, 'verify-busy', 'Verification busy', 'Too many documents are being checked right now; try again shortly');
/** One client asked for too many checks in the window (429 with Retry-After). */
export class TooManyVerifications extends GrmsError {
  constructor(readonly retryAfterSeconds: number) {
    super('TOO_MANY_VERIFICATIONS', 429, 'too-many-verifications', 'Too many verifications', `Too many documents checked from this address; try again in ${retryAfterSeconds} s`);
  }
}
/** One client read a rate-limited public route too often in the window (429 with Retry-After). */
export class TooManyRequests extends GrmsError {
  constructor(readonly retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', 429, 'too-many-requests', 'Too many requests', `Too many requests from this address; try again in ${retryAfterSeconds} s`);
  }
}

export const methodNotAllowed = (detail: string) =>
  new GrmsError('METHOD_NOT_ALLOWED', 405, 'method-not-allowed', 'Method not allowed', detail);

// The witness (`grms witness serve`, C2SP tlog-witness): the protocol fixes each refusal's status.
// Bodies are problem+json, except 409's, which the protocol fixes too (see WitnessConflict).
/** The add-checkpoint body is not `old N`, at most 63 base64 hashes, an empty line and a checkpoint. */
export const witnessMalformed = (detail: string) =>
  new GrmsError('WITNESS_MALFORMED', 400, 'witness-malformed', 'Malformed add-checkpoint request', detail);
/** `old N` is larger than the checkpoint's own size. */
export const witnessOldSizeTooLarge = (detail: string) =>
  new GrmsError('WITNESS_OLD_SIZE_TOO_LARGE', 400, 'witness-old-size-too-large', 'Old size larger than the checkpoint', detail);
/** The checkpoint's origin names no log this witness is configured for. */
export const witnessUnknownLog = (detail: string) =>
  new GrmsError('WITNESS_UNKNOWN_LOG', 404, 'witness-unknown-log', 'Unknown log', detail);
/** No valid signature of the pinned log key (or one that names that key and fails). */
export const witnessBadSignature = (detail: string) =>
  new GrmsError('WITNESS_BAD_SIGNATURE', 403, 'witness-bad-signature', 'No valid log signature', detail);
/** The checkpoint does not follow from what the witness cosigned: bad or missing consistency proof. */
export const witnessInconsistent = (detail: string) =>
  new GrmsError('WITNESS_INCONSISTENT', 422, 'witness-inconsistent', 'Not consistent with the cosigned tree', detail);
/**
 * `old N` is not the size this witness last cosigned, or the checkpoint has that size with another
 * root. The protocol's answer is the cosigned size (`text/x.tlog.size`), so a log can resume from it.
 */
export class WitnessConflict extends GrmsError {
  constructor(
    readonly cosignedSize: number,
    detail: string,
  ) {
    super('WITNESS_CONFLICT', 409, 'witness-conflict', 'Not the cosigned size', detail);
  }
}
