import crypto from 'node:crypto';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { GLOBAL_ROLES, hasRole } from '../auth/roles';
import type { RoleName } from '../engine/definition';
import { recordPeopleEvent } from '../auth/people';
import { forbidden, invalidData, notFound, type FieldProblem } from '../errors';
import { invalidTextProblems } from '../engine/validate';
import { actorOf, jsonObjectBody } from './middleware';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const validDay = (v: unknown): v is string => typeof v === 'string' && DAY.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/** Plt/Plh: a role holder (or an admin for them) delegates a role for a date range. */
export function delegationsRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.post('/delegations', async (req, res) => {
    const actor = actorOf(res);
    const body = jsonObjectBody(req);
    const isAdmin = hasRole(actor, 'admin');
    if (hasRole(actor, 'auditor') && !isAdmin) throw forbidden('Auditors do not delegate');
    const delegator = body.delegator === undefined ? actor.username : body.delegator;
    if (delegator !== actor.username && !isAdmin) throw forbidden('Only an admin delegates on behalf of someone else');
    const problems: FieldProblem[] = invalidTextProblems(body, '');
    for (const f of ['delegate', 'role', 'org'] as const) if (typeof body[f] !== 'string' || body[f] === '') problems.push({ path: `/${f}`, message: 'is required' });
    if (!validDay(body.from)) problems.push({ path: '/from', message: 'must be a date YYYY-MM-DD' });
    if (!validDay(body.to)) problems.push({ path: '/to', message: 'must be a date YYYY-MM-DD' });
    if (validDay(body.from) && validDay(body.to) && body.to < body.from) problems.push({ path: '/to', message: 'must not be before from' });
    if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 500)) problems.push({ path: '/reason', message: 'must be at most 500 characters' });
    if (problems.length) throw invalidData('The delegation is invalid', problems);
    const { delegate, role, org } = body as { delegate: string; role: string; org: string };
    const id = crypto.randomUUID();
    await db.transaction().execute(async (trx) => {
      const holds = await trx.selectFrom('user_roles').select('role').where('username', '=', String(delegator)).where('role', '=', role).where('org_id', '=', org).executeTakeFirst();
      if (!holds) throw invalidData(`${String(delegator)} does not hold ${role} at ${org}`, [{ path: '/role', message: 'the delegator must hold this role at this organisation' }]);
      const to = await trx.selectFrom('users').select(['username', 'org_id', 'active']).where('username', '=', delegate).executeTakeFirst();
      if (!to || !to.active) throw invalidData(`No active user "${delegate}"`, [{ path: '/delegate', message: 'must be an active user' }]);
      if (to.username === delegator) throw invalidData('One cannot delegate to oneself', [{ path: '/delegate', message: 'must be someone else' }]);
      // An OPD's own role stays inside the OPD.
      if (!GLOBAL_ROLES.has(role as RoleName) && to.org_id !== org) {
        throw invalidData(`${role} at ${org} may only be delegated to an official of ${org}`, [{ path: '/delegate', message: `must belong to ${org}` }]);
      }
      await trx.insertInto('delegations').values({
        id, delegator: String(delegator), delegate, role, org_id: org, starts_on: body.from as string, ends_on: body.to as string,
        reason: (body.reason as string | undefined) ?? null, created_by: actor.username,
      }).execute();
      await recordPeopleEvent(trx, { action: 'delegate', username: delegate, role, org, details: `acting for ${String(delegator)} ${String(body.from)}..${String(body.to)}`, actor: actor.username });
    });
    res.status(201).location(`/api/v1/delegations/${id}`).json({ id, delegator, delegate, role, org, from: body.from, to: body.to });
  });
  r.get('/delegations', async (_req, res) => {
    const actor = actorOf(res);
    let q = db.selectFrom('delegations').selectAll().orderBy('created_at', 'desc');
    if (!hasRole(actor, 'admin') && !hasRole(actor, 'auditor')) {
      q = q.where((eb) => eb.or([eb('delegator', '=', actor.username), eb('delegate', '=', actor.username)]));
    }
    const rows = await q.limit(500).execute();
    res.json({
      items: rows.map((d) => ({ id: d.id, delegator: d.delegator, delegate: d.delegate, role: d.role, org: d.org_id, from: d.starts_on, to: d.ends_on, reason: d.reason, endedAt: d.ended_at?.toISOString() ?? null })),
      nextCursor: null,
    });
  });
  r.delete('/delegations/:id', async (req, res) => {
    const actor = actorOf(res);
    if (hasRole(actor, 'auditor') && !hasRole(actor, 'admin')) throw forbidden('Auditors do not change delegations');
    const id = String(req.params.id);
    await db.transaction().execute(async (trx) => {
      const d = /^[0-9a-f-]{36}$/i.test(id) ? await trx.selectFrom('delegations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
      if (!d || (d.delegator !== actor.username && d.delegate !== actor.username && !hasRole(actor, 'admin'))) throw notFound(`No delegation ${id}`);
      if (d.delegator !== actor.username && !hasRole(actor, 'admin')) throw forbidden('Only the delegator or an admin ends a delegation');
      if (d.ended_at) return;
      await trx.updateTable('delegations').set({ ended_at: new Date() }).where('id', '=', id).execute();
      await recordPeopleEvent(trx, { action: 'end_delegation', username: d.delegate, role: d.role, org: d.org_id, actor: actor.username });
    });
    res.status(204).end();
  });
  return r;
}
