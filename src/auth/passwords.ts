import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { invalidData, notFound, wrongPassword, type FieldProblem } from '../errors';
import { recordPeopleEvent } from './people';
import { revokeUserTokens } from './tokens';
import { beginPasswordAttempt, tooManyFailures, type AuthLimits } from './rate-limit';
import { inTransaction } from '../db/transaction';

/**
 * Passwords for people signing in to the web console. Stored as scrypt hashes
 * (`scrypt$N$r$p$salt$hash`, base64url); the parameters travel with the hash so they can be raised
 * later without a migration. scrypt runs on libuv's thread pool, so a sign-in does not stall the
 * event loop.
 */
const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;
const PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;
// N=2^15, r=8 needs 32 MiB; Node's default maxmem (32 MiB) is just too small for it.
const MAXMEM = 64 * 1024 * 1024;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LEN, { ...PARAMS, maxmem: MAXMEM });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function passwordMatches(stored: string, password: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM,
  });
  return crypto.timingSafeEqual(key, expected);
}

/** What is wrong with a proposed password, as field problems at `path`. */
export function passwordProblems(password: unknown, path = '/password'): FieldProblem[] {
  if (typeof password !== 'string') return [{ path, message: 'must be a string' }];
  const chars = [...password];
  if (chars.length < PASSWORD_MIN || chars.length > PASSWORD_MAX) return [{ path, message: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters` }];
  if (/[\u0000-\u001f\u007f]/.test(password) || !password.isWellFormed()) return [{ path, message: 'must not contain control characters or lone surrogates' }];
  if (new Set(chars).size < 4) return [{ path, message: 'must use at least 4 different characters' }];
  return [];
}

/** A random password of 20 characters from an alphabet without look-alikes (0/O, 1/l/I). */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const out: string[] = [];
  while (out.length < 20) {
    const b = crypto.randomBytes(32);
    for (const x of b) if (x < 224 && out.length < 20) out.push(alphabet[x % 56]!);
  }
  return out.join('');
}

export interface SetPasswordOptions {
  /** The holder has to choose a new one at next sign-in (an admin reset, or an admin's choice). */
  mustChange?: boolean;
  /** An admin reset: recorded as reset_password, and it also revokes the user's API tokens. */
  reset?: boolean;
  /** Goes to the event's details (the demo marks the passwords it sets itself). */
  note?: string;
  /** The console session (web_sessions.id_hash) of a user changing their own password: it stays. */
  keepSession?: string;
}

/** What a password change ended besides the password. */
export interface PasswordSet {
  /** Console sessions of the user that were ended. */
  endedSessions: number;
  /** API tokens of the user that were revoked (a reset only). */
  revokedTokens: number;
}

/**
 * Sets a user's password and records it in the people_events chain (never the password or its
 * hash). Whoever knew the old password may have a session open: every console session of the user
 * ends, except `keepSession` (the one the user is changing it in). A reset is recovery from a
 * password that may be known to someone else, so it also revokes the user's API tokens and
 * forgets the browsers they signed in from (device cookies). All in one transaction.
 */
export async function setPassword(
  db: Kysely<Database>, by: string, username: string, password: string, opts: SetPasswordOptions = {},
): Promise<PasswordSet> {
  const problems = passwordProblems(password);
  if (problems.length) throw invalidData('The password is not acceptable', problems);
  const hash = await hashPassword(password);
  return inTransaction(db, async (trx) => {
    const user = await trx.selectFrom('users').select(['username', 'active']).where('username', '=', username).forUpdate().executeTakeFirst();
    if (!user) throw notFound(`No user "${username}"`);
    if (!user.active) throw invalidData(`${username} is deactivated`, [{ path: '/username', message: 'is deactivated' }]);
    await trx.updateTable('users')
      .set({ password_hash: hash, password_changed_at: new Date(), password_must_change: opts.mustChange ?? false })
      .where('username', '=', username).execute();
    let ended = trx.deleteFrom('web_sessions').where('username', '=', username);
    if (opts.keepSession) ended = ended.where('id_hash', '!=', opts.keepSession);
    const endedSessions = Number((await ended.executeTakeFirst()).numDeletedRows);
    // The kept session now knows the password: it is no longer the temporary password's session.
    if (opts.keepSession) await trx.updateTable('web_sessions').set({ temporary_password: false }).where('id_hash', '=', opts.keepSession).execute();
    let revokedTokens = 0;
    if (opts.reset) {
      revokedTokens = await revokeUserTokens(trx, username);
      await trx.deleteFrom('trusted_devices').where('username', '=', username).execute();
    }
    await recordPeopleEvent(trx, { action: opts.reset ? 'reset_password' : 'set_password', username, details: opts.note, actor: by });
    return { endedSessions, revokedTokens };
  });
}

// Compared against when the user is unknown, so a wrong name costs as long as a wrong password.
let decoy: Promise<string> | undefined;

/** The user a username and password sign in as, or undefined (unknown, inactive, no password, wrong). */
export async function checkLogin(db: Kysely<Database>, username: string, password: string): Promise<{ username: string; mustChange: boolean } | undefined> {
  const user = await db.selectFrom('users').select(['username', 'active', 'password_hash', 'password_must_change'])
    .where('username', '=', username).executeTakeFirst();
  if (!user || !user.active || !user.password_hash) {
    await passwordMatches(await (decoy ??= hashPassword(generatePassword())), password);
    return undefined;
  }
  if (!(await passwordMatches(user.password_hash, password))) return undefined;
  return { username: user.username, mustChange: user.password_must_change };
}

export interface OwnChange {
  /** The client address the check is limited under (and the username). */
  client: string;
  /** The browser's device, when it is known for this user (src/web/devices.ts). */
  device?: string;
  /** The console session the change is made in: it stays, the user's other sessions end. */
  keepSession?: string;
  /** That session was opened with the temporary password it replaces: the current one is not asked again. */
  temporarySession?: boolean;
  limits?: AuthLimits;
}

/**
 * A signed-in user changes their own password. When one is set, `currentPassword` must be given
 * and right (except in the session that signed in with a temporary one); when none is set yet,
 * it must be absent. The check is limited like a sign-in (recorded first, then counted): over the
 * limit it throws TOO_MANY_FAILED_LOGINS, a wrong one WRONG_PASSWORD (and stays counted).
 */
export async function changeOwnPassword(
  db: Kysely<Database>, username: string, currentPassword: unknown, newPassword: unknown, how: OwnChange,
): Promise<PasswordSet> {
  const problems = passwordProblems(newPassword, '/newPassword');
  const user = await db.selectFrom('users').select(['password_hash', 'password_must_change']).where('username', '=', username).executeTakeFirst();
  if (!user) throw notFound(`No user "${username}"`);
  const current = user.password_hash;
  const askCurrent = current !== null && !(how.temporarySession && user.password_must_change);
  if (askCurrent && typeof currentPassword !== 'string') problems.unshift({ path: '/currentPassword', message: 'is required: a password is set' });
  if (!askCurrent && currentPassword !== undefined) {
    problems.unshift({ path: '/currentPassword', message: current ? 'must be absent: this session signed in with the temporary password' : 'must be absent: no password is set yet' });
  }
  if (problems.length) throw invalidData('The password change is invalid', problems);
  if (askCurrent) {
    const attempt = await beginPasswordAttempt(db, { client: how.client, username, device: how.device }, how.limits);
    if (attempt.retryAfter > 0) throw tooManyFailures(attempt);
    if (!(await passwordMatches(current, currentPassword as string))) throw wrongPassword();
    await attempt.forget();
  }
  if (current && (await passwordMatches(current, newPassword as string))) {
    throw invalidData('The new password is the current one', [{ path: '/newPassword', message: 'must differ from the current password' }]);
  }
  return setPassword(db, username, username, newPassword as string, { keepSession: how.keepSession });
}
