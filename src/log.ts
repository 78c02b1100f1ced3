import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * What a log line must never hold: a PIN, a password, a bearer or session token, a NIK
 * (Nomor Induk Kependudukan, the 16-digit national identity number), or what stands in for them
 * (their hashes, a CSRF token, a database error's bound parameters), or a search text (`q`: it
 * may be a NIK or NIB). Logs are read and shipped by more people than the database, and kept longer.
 */
const SECRET_KEYS = new Set(['q', 'pin', 'nik', 'authorization', 'cookie', 'setcookie', 'params', 'queryoptions', 'apikey']);
const SECRET_KEY_PARTS = ['password', 'passwd', 'token', 'secret', 'privatekey', 'csrf', 'session', 'pinhash'];

/** A key whose value is never logged: `pin`, `newPin`, `password_hash`, `access_token`, `X-CSRF`… */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z]/g, '');
  return SECRET_KEYS.has(k) || k.endsWith('pin') || SECRET_KEY_PARTS.some((part) => k.includes(part));
}

const REDACTED = '[REDACTED]';
const QUERY_PAIR = /([?&;])([^=&;#\s]+)=([^&;#\s]*)/g;
const BEARER = /\b(bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
// A NIK: 16 digits standing alone (not part of a longer number, a hash or a UUID).
const NIK = /(?<![0-9A-Za-z])\d{16}(?![0-9A-Za-z])/g;
const NIK_NUMBER = /^\d{16}$/;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Text with query values of secret keys, bearer credentials and NIKs blanked. */
export function scrubText(text: string): string {
  return text
    .replace(QUERY_PAIR, (all, sep: string, key: string) => (isSecretKey(decoded(key)) ? `${sep}${key}=${REDACTED}` : all))
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(NIK, '[NIK]');
}

/** A request URL as it may be logged: path and query, secret values blanked. */
export function safeUrl(url: string): string {
  return scrubText(url);
}

const MAX_DEPTH = 8;

/** A copy of a logged value with secrets blanked at any depth; errors become plain objects first. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'number') return Number.isInteger(value) && NIK_NUMBER.test(String(value)) ? '[NIK]' : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), depth);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (value instanceof Date || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : scrubValue(v, depth + 1);
  return out;
}

/**
 * JSON logs on stdout (or `destination`). Every logged object and message goes through
 * scrubValue; the redact paths are the first line of defence for the usual shapes.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'grms' },
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie',
        'token', '*.token', 'password', '*.password', 'pin', '*.pin', 'nik', '*.nik', 'err.params', 'err.queryOptions',
      ],
      remove: true,
    },
    formatters: { log: (obj) => scrubValue(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        // The message too (pino takes an error's message as the line's message when none is given).
        const [first, second] = args as unknown[];
        const err = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        if (err instanceof Error && typeof second !== 'string') {
          method.apply(this, [first instanceof Error ? { err: first } : first, scrubText(err.message)] as never);
          return;
        }
        method.apply(this, (args as unknown[]).map((a) => (typeof a === 'string' ? scrubText(a) : a)) as never);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
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
