import { Router } from 'express';
import { yearOf, type WorkflowTime } from '../clock';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { listHolidays } from '../sla/holidays';
import { addHoliday, deleteHoliday, isCalendarDay } from '../sla/holiday-changes';
import { badRequest } from '../errors';
import { actorOf, jsonObjectBody, requireRole } from './middleware';

function parseDay(value: string): string {
  if (!isCalendarDay(value)) {
    throw badRequest('date must be a calendar date YYYY-MM-DD', [{ path: '/date', message: 'must be YYYY-MM-DD' }]);
  }
  return value;
}

/** The holiday table SLA deadlines skip: everyone reads it, admins edit it. */
export function holidaysRouter(db: Kysely<Database>, time: WorkflowTime): Router {
  const { timeZone } = time;
  const r = Router();
  r.get('/holidays', async (req, res) => {
    const year = req.query.year === undefined ? yearOf(time) : Number(req.query.year);
    if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badRequest('year must be 2000..2100', [{ path: '/year', message: 'must be 2000..2100' }]);
    res.json({ items: await listHolidays(db, year) });
  });
  r.put('/holidays/:date', requireRole('admin'), async (req, res) => {
    const date = parseDay(String(req.params.date));
    const body = jsonObjectBody(req);
    res.json(await addHoliday(db, date, body.name, actorOf(res).username, timeZone));
  });
  r.delete('/holidays/:date', requireRole('admin'), async (req, res) => {
    await deleteHoliday(db, parseDay(String(req.params.date)), timeZone);
    res.status(204).end();
  });
  return r;
}
