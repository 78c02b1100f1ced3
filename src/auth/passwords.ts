import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { invalidData, notFound, wrongPassword, type FieldProblem } from '../errors';
import { recordPeopleEvent } from './people';

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

/**
 * Sets a user's password and records it in the people_events chain (never the password or its
 * hash). `mustChange` marks an admin reset: the holder has to choose a new one at next sign-in.
 * `note` goes to the event's details (the demo marks the passwords it sets itself).
 */
export async function setPassword(
  db: Kysely<Database>, by: string, username: string, password: string, opts: { mustChange?: boolean; reset?: boolean; note?: string } = {},
): Promise<void> {
  const problems = passwordProblems(password);
  if (problems.length) throw invalidData('The password is not acceptable', problems);
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['username', 'active']).where('username', '=', username).forUpdate().executeTakeFirst();
    if (!user) throw notFound(`No user "${username}"`);
    if (!user.active) throw invalidData(`${username} is deactivated`, [{ path: '/username', message: 'is deactivated' }]);
    await trx.updateTable('users')
      .set({ password_hash: hash, password_changed_at: new Date(), password_must_change: opts.mustChange ?? false })
      .where('username', '=', username).execute();
    await recordPeopleEvent(trx, { action: opts.reset ? 'reset_password' : 'set_password', username, details: opts.note, actor: by });
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

/**
 * A signed-in user changes their own password. When one is set, `currentPassword` must be given
 * and right; when none is set yet, it must be absent. A wrong one throws WRONG_PASSWORD, which the
 * caller counts as a failed authentication.
 */
export async function changeOwnPassword(db: Kysely<Database>, username: string, currentPassword: unknown, newPassword: unknown): Promise<void> {
  const problems = passwordProblems(newPassword, '/newPassword');
  const user = await db.selectFrom('users').select('password_hash').where('username', '=', username).executeTakeFirst();
  if (!user) throw notFound(`No user "${username}"`);
  const current = user.password_hash;
  if (current && typeof currentPassword !== 'string') problems.unshift({ path: '/currentPassword', message: 'is required: a password is set' });
  if (!current && currentPassword !== undefined) problems.unshift({ path: '/currentPassword', message: 'must be absent: no password is set yet' });
  if (problems.length) throw invalidData('The password change is invalid', problems);
  if (current) {
    if (!(await passwordMatches(current, currentPassword as string))) throw wrongPassword();
    if (await passwordMatches(current, newPassword as string)) {
      throw invalidData('The new password is the current one', [{ path: '/newPassword', message: 'must differ from the current password' }]);
    }
  }
  await setPassword(db, username, username, newPassword as string);
}
