import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; authorization headers and tokens are never logged. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'grms' },
    redact: { paths: ['req.headers.authorization', 'token', '*.token'], remove: true },
  });
}

/**
 * Runs a hook that fires after a response (metrics, the access log) outside any request handler:
 * an exception there would otherwise end the process. It is logged instead, and if even the
 * logger throws, dropped: serving the next request matters more than this one's bookkeeping.
 */
export function runHook(logger: Logger, hook: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    try {
      logger.error({ err, hook }, 'a response hook failed');
    } catch {
      // nothing left to report with
    }
  }
}
