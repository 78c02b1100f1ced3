import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Request, Response } from 'express';
import type { Database } from '../db/types';
import { parseCookies, SESSION_COOKIE, sha256Hex, type Session } from './session';

/**
 * One-time notices across a redirect after POST: what the next page must show once (a permit
 * registration's PIN, an admin's temporary password) waits server-side, never in a URL, and is
 * deleted as it is read. It is sealed with AES-256-GCM under a key derived from the session id,
 * which only the browser holds (the database keeps the id's hash): the rows show nothing without
 * the cookie. A notice belongs to its session and page, and lapses after NOTICE_MINUTES (on the
 * real clock, as sessions do).
 */
export const NOTICE_MINUTES = 15;

export type Notice = Record<string, unknown>;

const keyOf = (sessionId: string) => Buffer.from(crypto.hkdfSync('sha256', sessionId, 'grms-web-notice', '', 32));

export function seal(sessionId: string, page: string, notice: Notice): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyOf(sessionId), iv);
  cipher.setAAD(Buffer.from(page));
  const body = Buffer.concat([cipher.update(JSON.stringify(notice), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

export function unseal(sessionId: string, page: string, sealed: string): Notice | undefined {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = crypto.createDecipheriv('aes-256-gcm', keyOf(sessionId), bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(page));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const text = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Notice) : undefined;
  } catch {
    return undefined; // not sealed for this session and page: as if there were none
  }
}

/** The signed-in session's id (from its cookie) and hash, or undefined before sign-in. */
function sessionOf(req: Request, res: Response): { id: string; hash: string } | undefined {
  const session = res.locals.session as Session | undefined;
  const id = parseCookies(req.get('cookie'))[SESSION_COOKIE];
  return session && id && sha256Hex(id) === session.idHash ? { id, hash: session.idHash } : undefined;
}

/** Leaves `notice` for the next request of `page` in this session (replacing one left before). */
export async function leaveNotice(db: Kysely<Database>, req: Request, res: Response, page: string, notice: Notice): Promise<void> {
  const s = sessionOf(req, res);
  if (!s) throw new Error('a one-time notice needs a signed-in session');
  const row = { session_hash: s.hash, page, sealed: seal(s.id, page, notice), expires_at: new Date(Date.now() + NOTICE_MINUTES * 60_000) };
  await db.insertInto('web_notices').values(row)
    .onConflict((oc) => oc.columns(['session_hash', 'page']).doUpdateSet({ sealed: row.sealed, expires_at: row.expires_at })).execute();
}

/** The notice left for `page` in this session, removed as it is read; undefined when there is none (or it lapsed). */
export async function takeNotice(db: Kysely<Database>, req: Request, res: Response, page: string): Promise<Notice | undefined> {
  const s = sessionOf(req, res);
  if (!s) return undefined;
  const row = await db.deleteFrom('web_notices').where('session_hash', '=', s.hash).where('page', '=', page)
    .returning(['sealed', 'expires_at']).executeTakeFirst();
  if (Math.random() < 0.05) await db.deleteFrom('web_notices').where('expires_at', '<', sql<Date>`now()`).execute();
  if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
  return unseal(s.id, page, row.sealed);
}
