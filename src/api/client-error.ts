import http from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_BASE, badRequest, headersTooLarge, payloadTooLarge, requestTimeout, type GrmsError } from '../errors';

/** The problem for a request Node's HTTP parser refused, by the parser's error code (Node's own default statuses). */
function problemFor(err: NodeJS.ErrnoException & { reason?: string }): GrmsError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return headersTooLarge('The request headers are larger than the server accepts');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return payloadTooLarge('The chunk extensions of the request body are larger than the server accepts');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return requestTimeout('The request did not arrive completely in time');
    default:
      // The parser's reason names the fault (e.g. "Invalid header value char"), never the bytes sent.
      return badRequest(`The request is not valid HTTP/1.1${err.reason ? `: ${err.reason}` : ''} (for example a control character in a header value)`);
  }
}

/**
 * Answers requests Node refuses before Express sees them (a control character in `If-Match` or
 * `Idempotency-Key`, headers too large, a malformed request line) with problem+json like every
 * other refusal, instead of Node's bare `400 Bad Request` without a body. The connection is
 * closed afterwards: the parser cannot tell where the next request would start.
 */
export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    // A response already on its way on this connection (pipelining) must not be corrupted by a
    // second status line; Node's default handler makes the same check on the same field.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const problem = problemFor(err);
    const body = JSON.stringify({
      type: `${PROBLEM_BASE}/${problem.slug}`, title: problem.title, status: problem.status, detail: problem.message, code: problem.code,
    });
    socket.end(
      `HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status] ?? 'Bad Request'}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' + body,
      // Once the answer is written the socket goes, as with Node's default handler: a peer that
      // neither reads nor closes must not hold it open.
      () => socket.destroy(),
    );
  });
}
