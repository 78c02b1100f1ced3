/** SQLSTATE codes grms handles by name (see PostgreSQL Appendix A). */
export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  insufficientPrivilege: '42501',
  duplicateObject: '42710',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
} as const;

/** The SQLSTATE of an error from pg or PGlite, if it has one. */
export function sqlstateOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Socket errors of a connection that cannot be made or was cut. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

// node-postgres reports a lost or impossible connection with plain Errors, no code: matched by
// message (pg/lib/client.js, pg-pool/index.js).
const LOST_CONNECTION = /^(Connection terminated unexpectedly|Connection terminated due to connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)$/;

/** Errors meaning the database is unreachable, not that the request was wrong (also when wrapped as a cause). */
export function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('08') || code === SQLSTATE.adminShutdown || code === SQLSTATE.crashShutdown || code === SQLSTATE.cannotConnectNow || NETWORK_CODES.has(code))) {
      return true;
    }
    if (typeof code !== 'string' && LOST_CONNECTION.test(String((e as { message?: unknown }).message))) return true;
  }
  return false;
}
