import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { createUser, deactivateUser, grantRole, removeRole, type NewUser } from '../auth/people';
import { invalidData } from '../errors';
import { actorOf, jsonObjectBody, requireRole } from './middleware';

/** People administration: admins change, admins and auditors read. */
export function peopleRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.get('/users', requireRole('admin', 'auditor'), async (_req, res) => {
    const users = await db.selectFrom('users').select(['username', 'full_name', 'position', 'nip', 'org_id', 'active', 'password_must_change'])
      .select((eb) => eb('password_hash', 'is not', null).as('has_password')).orderBy('username').execute();
    const roles = await db.selectFrom('user_roles').selectAll().execute();
    res.json({
      items: users.map((u) => ({
        username: u.username, fullName: u.full_name, position: u.position, nip: u.nip, org: u.org_id, active: u.active,
        hasPassword: u.has_password, passwordMustChange: u.password_must_change,
        roles: roles.filter((g) => g.username === u.username).map((g) => ({ role: g.role, org: g.org_id })),
      })),
      nextCursor: null,
    });
  });
  r.post('/users', requireRole('admin'), async (req, res) => {
    const body = jsonObjectBody(req) as unknown as NewUser;
    await createUser(db, actorOf(res).username, body);
    res.status(201).location(`/api/v1/users/${body.username}`).json({ username: body.username });
  });
  r.put('/users/:username/roles/:role/:org', requireRole('admin'), async (req, res) => {
    const created = await grantRole(db, actorOf(res).username, String(req.params.username), String(req.params.role), String(req.params.org));
    res.status(created ? 201 : 200).json({ username: req.params.username, role: req.params.role, org: req.params.org });
  });
  r.delete('/users/:username/roles/:role/:org', requireRole('admin'), async (req, res) => {
    await removeRole(db, actorOf(res).username, String(req.params.username), String(req.params.role), String(req.params.org));
    res.status(204).end();
  });
  r.post('/users/:username/deactivate', requireRole('admin'), async (req, res) => {
    const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
    if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 1000)) {
      throw invalidData('reason must be text', [{ path: '/reason', message: 'must be a string of at most 1000 characters' }]);
    }
    res.json(await deactivateUser(db, actorOf(res).username, String(req.params.username), body.reason as string | undefined));
  });
  return r;
}
