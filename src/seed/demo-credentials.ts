import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { mintTokensForActive } from '../auth/tokens';
import { generatePassword, setPassword } from '../auth/passwords';
import { demoUsernames } from './demo';
import type { WorkflowRegistry } from '../engine/registry';

/** Demo tokens printed by `npm start` expire after this many days. */
export const DEMO_TOKEN_DAYS = 30;

/** Recorded with each password the demo sets, so a start renews only passwords it set itself. */
export const DEMO_PASSWORD_NOTE = 'demo password, renewed at each start of the embedded demo';

/** api_tokens.note of the tokens a demo start prints: the next start revokes exactly these. */
export const DEMO_TOKEN_NOTE = 'demo start';

export interface DemoCredential {
  token: string;
  /** A fresh password, or null when the user's password was set otherwise and is kept. */
  password: string | null;
}

/**
 * New sign-in credentials for every active demo user, printed at each start of the embedded demo:
 * tokens and passwords are stored hashed, so the only way to show them is to make new ones. The
 * tokens the previous start printed are revoked with it (one transaction); tokens made otherwise
 * (`grms token`) are kept. A password set any other way (`grms user set-password`, the API, the
 * user changing it) is kept.
 */
export async function renewDemoCredentials(db: Kysely<Database>, registry?: WorkflowRegistry): Promise<Record<string, DemoCredential>> {
  const usernames = demoUsernames(registry);
  const tokens = await db.transaction().execute(async (trx) => {
    await trx.updateTable('api_tokens').set({ revoked_at: sql<Date>`now()` }).where('note', '=', DEMO_TOKEN_NOTE).where('revoked_at', 'is', null).execute();
    return mintTokensForActive(trx, usernames, new Date(Date.now() + DEMO_TOKEN_DAYS * 86_400_000), DEMO_TOKEN_NOTE);
  });
  const users = await db.selectFrom('users').select(['username', 'password_hash']).where('username', 'in', Object.keys(tokens)).execute();
  // The latest password change of each of them: renewed only when the demo made it.
  const last = await sql<{ username: string; details: string | null }>`
    SELECT DISTINCT ON (username) username, details FROM people_events
    WHERE action IN ('set_password', 'reset_password') AND username IN (${sql.join(Object.keys(tokens))})
    ORDER BY username, seq DESC`.execute(db);
  const lastNote = new Map(last.rows.map((r) => [r.username, r.details]));
  const hasPassword = new Set(users.filter((u) => u.password_hash).map((u) => u.username));
  const out: Record<string, DemoCredential> = {};
  const renew: string[] = [];
  // In the order of the demo users, as they are printed.
  for (const username of usernames) {
    if (!tokens[username]) continue;
    out[username] = { token: tokens[username], password: null };
    if (!hasPassword.has(username) || lastNote.get(username) === DEMO_PASSWORD_NOTE) renew.push(username);
  }
  // Together, so the scrypt hashes share the thread pool (the chain's table lock orders the writes).
  await Promise.all(renew.map(async (username) => {
    const password = generatePassword();
    await setPassword(db, 'system', username, password, { note: DEMO_PASSWORD_NOTE });
    out[username]!.password = password;
  }));
  return out;
}
