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
