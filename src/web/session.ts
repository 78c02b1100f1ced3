import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';

/**
 * Console sessions: a random id in an HttpOnly cookie, its SHA-256 in web_sessions with the
 * session's CSRF token. A session lasts SESSION_HOURS from sign-in; it ends earlier at sign-out,
 * as soon as its user is deactivated (checked on every request by loadSession), when the user
 * changes their password (every other session; src/auth/passwords.ts) and at an admin's reset
 * (every session).
 */
export const SESSION_COOKIE = 'grms_session';
/** Double-submit token for forms shown before sign-in (the sign-in form, the public verify form). */
export const ANON_CSRF_COOKIE = 'grms_csrf';
export const SESSION_HOURS = 12;
// Writing last_seen_at on every page would turn each read into a write; once a minute is enough.
const LAST_SEEN_RESOLUTION_MS = 60_000;

export const sha256Hex = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
export const randomToken = () => crypto.randomBytes(32).toString('base64url');

export interface Session {
  username: string;
  /** web_sessions.id_hash: the session a password change keeps. */
  idHash: string;
  csrf: string;
  /** The user must replace a password an admin set or reset before anything else. */
  mustChange: boolean;
  /** Opened with that temporary password: the one session that may replace it without giving it again. */
  temporaryPassword: boolean;
}

/**
 * A new session for `username`; returns the id for the cookie (only its hash is stored).
 * `temporaryPassword` marks a sign-in with a password the user must change.
 */
export async function createSession(
  db: Kysely<Database>, username: string, now = new Date(), opts: { temporaryPassword?: boolean } = {},
): Promise<{ id: string; csrf: string }> {
  const id = randomToken();
  const csrf = randomToken();
  await db.insertInto('web_sessions')
    .values({
      id_hash: sha256Hex(id), username, csrf_token: csrf, expires_at: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
      temporary_password: opts.temporaryPassword ?? false,
    })
    .execute();
  if (Math.random() < 0.05) await db.deleteFrom('web_sessions').where('expires_at', '<', now).execute();
  return { id, csrf };
}

/** The live session behind a cookie value: unknown, expired or of a deactivated user → undefined. */
export async function loadSession(db: Kysely<Database>, id: string | undefined, now = new Date()): Promise<Session | undefined> {
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
  const idHash = sha256Hex(id);
  const row = await db.selectFrom('web_sessions as s')
    .innerJoin('users as u', 'u.username', 's.username')
    .select(['s.username', 's.csrf_token', 's.expires_at', 's.last_seen_at', 's.temporary_password', 'u.active', 'u.password_must_change'])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row || !row.active || row.expires_at.getTime() <= now.getTime()) return undefined;
  if (now.getTime() - row.last_seen_at.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await db.updateTable('web_sessions').set({ last_seen_at: sql<Date>`now()` }).where('id_hash', '=', idHash).execute();
  }
  return {
    username: row.username, idHash, csrf: row.csrf_token, mustChange: row.password_must_change,
    temporaryPassword: row.temporary_password && row.password_must_change,
  };
}

export async function endSession(db: Kysely<Database>, id: string | undefined): Promise<void> {
  if (id) await db.deleteFrom('web_sessions').where('id_hash', '=', sha256Hex(id)).execute();
}

/** Cookies of a request (no dependency: the console reads three of them). */
export function parseCookies(header: string | undefined): Record<string, string> {
  // Names are the client's: no prototype, so a cookie named __proto__ is just a name.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      // a malformed cookie is ignored, as if absent
    }
  }
  return out;
}

/** Constant-time comparison of a submitted CSRF token with the expected one. */
export function csrfMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
