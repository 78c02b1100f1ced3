import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { changeOwnPassword, generatePassword, passwordProblems, setPassword } from '../auth/passwords';
import { TooManyFailedAuthentications } from '../auth/rate-limit';
import { invalidData, type FieldProblem } from '../errors';
import { actorOf, jsonObjectBody, requireRole } from './middleware';
import { clientAddress } from './client-address';

/** Refuses fields a route does not take, so a misspelt field is not silently ignored. */
function onlyFields(body: Record<string, unknown>, allowed: string[]): FieldProblem[] {
  return Object.keys(body).filter((k) => !allowed.includes(k)).map((k) => ({ path: `/${k}`, message: 'is not a field of this request' }));
}

/**
 * Passwords for the web console: admins set and reset anyone's, everyone (auditors included)
 * changes their own. Each change is recorded in the people chain; no password is ever stored or
 * logged, and the only one ever sent back is a reset's temporary password, once. Any change ends
 * the user's console sessions; a reset also revokes their API tokens (the answer says how many).
 */
export function passwordsRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.put('/users/:username/password', requireRole('admin'), async (req, res) => {
    const body = jsonObjectBody(req);
    const problems = [...onlyFields(body, ['password']), ...passwordProblems(body.password)];
    if (problems.length) throw invalidData('The password is not acceptable', problems);
    await setPassword(db, actorOf(res).username, String(req.params.username), body.password as string);
    res.status(204).end();
  });
  r.post('/users/:username/password-reset', requireRole('admin'), async (req, res) => {
    const username = String(req.params.username);
    const temporaryPassword = generatePassword();
    const ended = await setPassword(db, actorOf(res).username, username, temporaryPassword, { mustChange: true, reset: true });
    res.set('Cache-Control', 'no-store').json({ username, temporaryPassword, mustChange: true, ...ended });
  });
  r.put('/me/password', async (req, res) => {
    const body = jsonObjectBody(req);
    const unknown = onlyFields(body, ['currentPassword', 'newPassword']);
    if (unknown.length) throw invalidData('The password change is invalid', unknown);
    try {
      // Guessing the current password with a stolen token is limited like signing in.
      await changeOwnPassword(db, actorOf(res).username, body.currentPassword, body.newPassword, { client: clientAddress(req) });
    } catch (err) {
      if (err instanceof TooManyFailedAuthentications) res.set('Retry-After', String(err.retryAfterSeconds));
      throw err;
    }
    res.status(204).end();
  });
  return r;
}
