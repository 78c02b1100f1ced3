import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { listCeilings, setCeiling } from './ceilings';
import { invalidData, badRequest, segregationOfDuties } from '../../src/errors';
import { boundOpds } from '../../src/auth/roles';
import { actorOf, jsonObjectBody, requireRole } from '../../src/api/middleware';

function parseYear(value: string): number {
  const year = Number(value);
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badRequest('year must be a fiscal year such as 2026', [{ path: '/year', message: 'must be 2000..2100' }]);
  return year;
}

/** Pagu per OPD and fiscal year: TAPD sets it, everyone signed in reads it (mounted under /api/v1). */
export function ceilingsRouter(db: Kysely<Database>): Router {
  const r = Router();
  r.get('/ceilings/:year', async (req, res) => {
    res.json({ items: await listCeilings(db, parseYear(String(req.params.year))) });
  });
  r.put('/ceilings/:year/:org', requireRole('tapd'), async (req, res) => {
    // TAPD held by (or lent to) an official of an OPD does not set that OPD's own pagu.
    const org = String(req.params.org);
    if (boundOpds(actorOf(res)).includes(org)) throw segregationOfDuties(`You work at ${org}, so you may not set its ceiling`);
    const year = parseYear(String(req.params.year));
    const body = jsonObjectBody(req);
    const amount = body.amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
      throw invalidData('amount must be a whole number of rupiah', [{ path: '/amount', message: 'must be an integer >= 0' }]);
    }
    const extra = Object.keys(body).filter((k) => k !== 'amount');
    if (extra.length) throw invalidData('Unexpected fields', extra.map((k) => ({ path: `/${k}`, message: 'is not allowed' })));
    await setCeiling(db, year, org, amount, actorOf(res).username);
    const row = (await listCeilings(db, year)).find((c) => c.org === org);
    res.json(row);
  });
  return r;
}
