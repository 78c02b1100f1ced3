import type { ErrorRequestHandler, Response } from 'express';
import { GrmsError, PROBLEM_BASE, malformedJson, payloadTooLarge, databaseUnavailable, unsupportedMediaType } from '../errors';
import { isConnectionError } from '../db/sqlstate';
import { safeUrl, type Logger } from '../log';

export function sendProblem(res: Response, err: GrmsError): void {
  const requestId = res.locals.requestId as string | undefined;
  res
    .status(err.status)
    .type('application/problem+json')
    .json({
      type: `${PROBLEM_BASE}/${err.slug}`,
      title: err.title,
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(err.errors && { errors: err.errors }),
      ...(requestId && { requestId }),
    });
}

/** Maps body-parser errors by their documented `type`. */
function fromBodyParser(err: { type?: string; message?: string }): GrmsError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return malformedJson('The request body is not valid JSON');
    case 'entity.too.large':
      return payloadTooLarge('The request body is larger than this route accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return unsupportedMediaType(err.message ?? 'Unsupported encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new GrmsError('BAD_REQUEST', 400, 'bad-request', 'Bad request', 'The request body could not be read');
    default:
      return undefined;
  }
}

/** Errors Express or its parsers raise for a malformed request carry a 4xx status of their own. */
function isClientError(err: unknown): err is { status: number } {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** The last middleware: every error leaves as problem+json; internals (stacks, SQL) stay in the log. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let problem: GrmsError;
    if (err instanceof GrmsError) problem = err;
    else if (fromBodyParser(err)) problem = fromBodyParser(err)!;
    else if (isClientError(err)) problem = new GrmsError('BAD_REQUEST', err.status, 'bad-request', 'Bad request', 'The request could not be understood (for example an invalid percent-encoding in the path)');
    else if (isConnectionError(err)) {
      logger.warn({ err, requestId: res.locals.requestId, method: req.method, url: safeUrl(req.originalUrl) }, 'database unavailable');
      problem = databaseUnavailable('The database is not reachable; try again shortly', err);
    } else {
      logger.error({ err, requestId: res.locals.requestId, method: req.method, url: safeUrl(req.originalUrl) }, 'unhandled error');
      problem = new GrmsError('INTERNAL', 500, 'internal', 'Internal server error', 'Something went wrong; the request id identifies it in the log');
    }
    if (problem.status === 503) res.set('Retry-After', '5');
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, problem);
  };
}
