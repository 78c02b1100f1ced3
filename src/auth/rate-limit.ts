import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/types';
import { GrmsError } from '../errors';

/**
 * Limits on checking new credentials, counted in auth_failures so every API process sees the same
 * failures. What is throttled is the checking of credentials not yet known to be good (passwords,
 * unknown bearer tokens), never the use of good ones: a valid token or session is not refused
 * whatever was counted for its address or username.
 *
 * Every attempt is recorded first and counted with the others afterwards (insert, then count), so
 * concurrent guesses cannot all pass a check made before any of them was recorded: the n-th
 * attempt to be recorded sees at least n. A refused attempt and a right password take their row
 * back, so only failures (and attempts still running) count.
 *
 * Terms: *client* is the client address (after GRMS_TRUST_PROXY); *device* is the SHA-256 of a
 * device cookie that a browser received when it signed in as that user (OWASP "device cookies").
 */
export interface AuthLimits {
  /** Failed authentications (unknown tokens and wrong passwords from unknown browsers) per client address. */
  perClient: number;
  /** Wrong passwords per username, from browsers not known for that user. */
  perUsername: number;
  /** Wrong passwords per known browser of a user (such attempts count here only). */
  perDevice: number;
  /** The sliding window the counts cover. */
  windowSeconds: number;
}

export const AUTH_LIMITS: AuthLimits = Object.freeze({ perClient: 20, perUsername: 10, perDevice: 10, windowSeconds: 300 });

export class TooManyFailedAuthentications extends GrmsError {
  constructor(readonly retryAfterSeconds: number, detail: string) {
    super('TOO_MANY_FAILED_LOGINS', 429, 'too-many-failed-authentications', 'Too many failed authentications', `${detail}; try again in ${retryAfterSeconds} s`);
  }
}

/** The key a username is limited under: the same person typing it in another case is the same name. */
export function usernameKey(username: string): string {
  return username.normalize('NFC').trim().toLowerCase().slice(0, 100);
}

export interface Attempt {
  /** 0 when the attempt may go on; otherwise the seconds to wait (the attempt was taken back). */
  readonly retryAfter: number;
  /** Which limit refused it, for the message: 'client', 'username' or 'device'. */
  readonly limitedBy?: 'client' | 'username' | 'device';
  /** Takes the attempt back (the password was right): only failures count. */
  forget(): Promise<void>;
}

interface Counts {
  by_client: string | number;
  by_username: string | number;
  by_device: string | number;
  client_wait: number | null;
  username_wait: number | null;
  device_wait: number | null;
}

async function record(db: Kysely<Database>, row: { client: string; username: string | null; device: string | null }): Promise<number> {
  const r = await db.insertInto('auth_failures').values({ client: row.client.slice(0, 100), username: row.username, device: row.device })
    .returning('id').executeTakeFirstOrThrow();
  return Number(r.id);
}

/** Counts what was recorded in the window, this attempt included (a statement of its own, after the insert). */
async function count(db: Kysely<Database>, who: { client: string; username: string | null; device: string | null }, limits: AuthLimits): Promise<Counts> {
  const w = limits.windowSeconds;
  const since = sql`now() - make_interval(secs => ${w})`;
  const wait = (filter: RawBuilder<unknown>) => sql<number>`ceil(extract(epoch FROM min(created_at) FILTER (WHERE ${filter}) + make_interval(secs => ${w}) - now()))`;
  const byClient = sql`client = ${who.client.slice(0, 100)} AND device IS NULL`;
  const byUsername = sql`username = ${who.username ?? ''} AND device IS NULL`;
  const byDevice = sql`device = ${who.device ?? ''}`;
  return (await sql<Counts>`
    SELECT count(*) FILTER (WHERE ${byClient}) AS by_client,
           count(*) FILTER (WHERE ${byUsername}) AS by_username,
           count(*) FILTER (WHERE ${byDevice}) AS by_device,
           ${wait(byClient)} AS client_wait, ${wait(byUsername)} AS username_wait, ${wait(byDevice)} AS device_wait
      FROM auth_failures
     WHERE created_at > ${since}
       AND (client = ${who.client.slice(0, 100)} OR username = ${who.username ?? ''} OR device = ${who.device ?? ''})`.execute(db)).rows[0]!;
}

async function take(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('auth_failures').where('id', '=', id).execute();
}

/** Now and then, rows older than a day go (the limits look back minutes). */
async function prune(db: Kysely<Database>): Promise<void> {
  if (Math.random() < 0.01) await db.deleteFrom('auth_failures').where('created_at', '<', sql<Date>`now() - interval '1 day'`).execute();
}

/**
 * Records a password check of `username` from `client` and decides whether it may go on. From a
 * browser known for that user (`device`), only the device's own failures count; otherwise the
 * client's and the username's. Call `forget()` when the password was right.
 */
export async function beginPasswordAttempt(
  db: Kysely<Database>, who: { client: string; username: string; device?: string | null }, limits: AuthLimits = AUTH_LIMITS,
): Promise<Attempt> {
  const row = { client: who.client, username: usernameKey(who.username), device: who.device ?? null };
  const id = await record(db, row);
  const c = await count(db, row, limits);
  const over: Array<[Attempt['limitedBy'], number]> = [];
  const seconds = (v: number | null) => Math.max(1, Number(v ?? limits.windowSeconds));
  if (row.device) {
    if (Number(c.by_device) > limits.perDevice) over.push(['device', seconds(c.device_wait)]);
  } else {
    if (Number(c.by_client) > limits.perClient) over.push(['client', seconds(c.client_wait)]);
    if (Number(c.by_username) > limits.perUsername) over.push(['username', seconds(c.username_wait)]);
  }
  const forget = () => take(db, id);
  if (over.length) {
    await forget();
    const [limitedBy, retryAfter] = over.reduce((a, b) => (b[1] > a[1] ? b : a));
    return { retryAfter, limitedBy, forget: async () => undefined };
  }
  await prune(db);
  return { retryAfter: 0, forget };
}

/**
 * Counts an unknown bearer token presented by `client`. Returns 0 while the client is within its
 * limit, else the seconds to wait (this token then is not counted either): only further unknown
 * tokens are refused with 429, a valid token never is.
 */
export async function countTokenFailure(db: Kysely<Database>, client: string, limits: AuthLimits = AUTH_LIMITS): Promise<number> {
  const row = { client, username: null, device: null };
  const id = await record(db, row);
  const c = await count(db, row, limits);
  if (Number(c.by_client) > limits.perClient) {
    await take(db, id);
    return Math.max(1, Number(c.client_wait ?? limits.windowSeconds));
  }
  await prune(db);
  return 0;
}

/** A refusal for a limited attempt, naming what was limited (never whether the user exists). */
export function tooManyFailures(attempt: Attempt): TooManyFailedAuthentications {
  const what = attempt.limitedBy === 'client' ? 'from this address' : attempt.limitedBy === 'device' ? 'from this browser' : 'for this username';
  return new TooManyFailedAuthentications(attempt.retryAfter, `Too many failed sign-ins ${what}`);
}
