import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';

/**
 * Device cookies (OWASP): a browser that signed in as a user with their password is remembered for
 * that user, by the SHA-256 of a random id in an HttpOnly cookie. While the username is limited
 * after failed sign-ins (someone guessing from elsewhere), that browser may still sign in; its own
 * wrong passwords are limited per device instead (src/auth/rate-limit.ts). One cookie serves every
 * user who signs in on the browser (a shared front-desk computer). An admin reset forgets them.
 */
export const DEVICE_COOKIE = 'grms_device';
export const DEVICE_DAYS = 90;

const sha256Hex = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const wellFormed = (id: string | undefined): id is string => typeof id === 'string' && /^[A-Za-z0-9_-]{43}$/.test(id);

/** The device (its hash) when the browser's cookie is known for `username`; undefined otherwise. */
export async function knownDevice(db: Kysely<Database>, cookie: string | undefined, username: string): Promise<string | undefined> {
  if (!wellFormed(cookie) || !username) return undefined;
  const hash = sha256Hex(cookie);
  const row = await db.selectFrom('trusted_devices').select('id_hash')
    .where('id_hash', '=', hash).where('username', '=', username).where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
  return row?.id_hash;
}

/**
 * Remembers the browser for `username` after a right password and returns the cookie value to set.
 * The id is new at every sign-in (the browser's other users move to it), so an id planted in a
 * browser before the sign-in is worth nothing afterwards.
 */
export async function rememberDevice(db: Kysely<Database>, cookie: string | undefined, username: string): Promise<string> {
  const id = crypto.randomBytes(32).toString('base64url');
  const hash = sha256Hex(id);
  const expires = sql<Date>`now() + make_interval(days => ${DEVICE_DAYS})`;
  await db.transaction().execute(async (trx) => {
    if (wellFormed(cookie)) {
      await trx.updateTable('trusted_devices').set({ id_hash: hash }).where('id_hash', '=', sha256Hex(cookie)).where('username', '!=', username).execute();
      await trx.deleteFrom('trusted_devices').where('id_hash', '=', sha256Hex(cookie)).execute();
    }
    await trx.insertInto('trusted_devices').values({ id_hash: hash, username, expires_at: expires }).execute();
  });
  if (Math.random() < 0.01) await db.deleteFrom('trusted_devices').where('expires_at', '<', sql<Date>`now()`).execute();
  return id;
}
