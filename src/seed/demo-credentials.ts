import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { mintToken } from '../auth/tokens';
import { generatePassword, setPassword } from '../auth/passwords';
import { DEMO_USERNAMES } from './demo';

/** Demo tokens printed by `npm start` expire after this many days. */
export const DEMO_TOKEN_DAYS = 30;

/** Recorded with each password the demo sets, so a start renews only passwords it set itself. */
export const DEMO_PASSWORD_NOTE = 'demo password, renewed at each start of the embedded demo';

export interface DemoCredential {
  token: string;
  /** A fresh password, or null when the user's password was set otherwise and is kept. */
  password: string | null;
}

/**
 * New sign-in credentials for every active demo user, printed at each start of the embedded demo:
 * tokens and passwords are stored hashed, so the only way to show them is to make new ones. A
 * password set any other way (`grms user set-password`, the API, the user changing it) is kept.
 */
export async function renewDemoCredentials(db: Kysely<Database>): Promise<Record<string, DemoCredential>> {
  const out: Record<string, DemoCredential> = {};
  const users = await db.selectFrom('users').select(['username', 'password_hash']).where('username', 'in', DEMO_USERNAMES).where('active', '=', true).execute();
  const byName = new Map(users.map((u) => [u.username, u]));
  const renew: string[] = [];
  for (const username of DEMO_USERNAMES) {
    const user = byName.get(username);
    if (!user) continue;
    const token = await mintToken(db, username, new Date(Date.now() + DEMO_TOKEN_DAYS * 86_400_000));
    const last = await db.selectFrom('people_events').select('details').where('username', '=', username)
      .where('action', 'in', ['set_password', 'reset_password']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    out[username] = { token, password: null };
    if (!user.password_hash || last?.details === DEMO_PASSWORD_NOTE) renew.push(username);
  }
  // Together, so the scrypt hashes share the thread pool (the chain's table lock orders the writes).
  await Promise.all(renew.map(async (username) => {
    const password = generatePassword();
    await setPassword(db, 'system', username, password, { note: DEMO_PASSWORD_NOTE });
    out[username]!.password = password;
  }));
  return out;
}
