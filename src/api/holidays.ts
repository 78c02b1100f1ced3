import { Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { listHolidays, loadHolidays, removeHoliday, setHoliday } from '../sla/holidays';
import { rescheduleDeadlines } from '../sla/deadlines';
import { badRequest, invalidData, notFound } from '../errors';
import { invalidTextProblems } from '../engine/validate';
import { actorOf, jsonObjectBody, requireRole } from './middleware';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function parseDay(value: string): string {
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw badRequest('date must be a calendar date YYYY-MM-DD', [{ path: '/date', message: 'must be YYYY-MM-DD' }]);
  }
  return value;
}

/** The holiday table SLA deadlines skip: everyone reads it, admins edit it. */
export function holidaysRouter(db: Kysely<Database>, timeZone: string): Router {
  const r = Router();
  r.get('/holidays', async (req, res) => {
    const year = req.query.year === undefined ? new Date().getUTCFullYear() : Number(req.query.year);
    if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badRequest('year must be 2000..2100', [{ path: '/year', message: 'must be 2000..2100' }]);
    res.json({ items: await listHolidays(db, year) });
  });
  r.put('/holidays/:date', requireRole('admin'), async (req, res) => {
    const date = parseDay(String(req.params.date));
    const body = jsonObjectBody(req);
    const problems = invalidTextProblems(body.name, '/name');
    if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > 200) problems.push({ path: '/name', message: 'must be a non-empty string of at most 200 characters' });
    if (problems.length) throw invalidData('The holiday is invalid', problems);
    const holiday = await setHoliday(db, date, body.name as string, actorOf(res).username);
    // Open deadlines were computed with the old calendar.
    await rescheduleDeadlines(db, await loadHolidays(db), timeZone);
    res.json(holiday);
  });
  r.delete('/holidays/:date', requireRole('admin'), async (req, res) => {
    const date = parseDay(String(req.params.date));
    if (!(await removeHoliday(db, date))) throw notFound(`No holiday on ${date}`);
    await rescheduleDeadlines(db, await loadHolidays(db), timeZone);
    res.status(204).end();
  });
  return r;
}
