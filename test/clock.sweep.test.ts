import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { fireDueDeadlines } from '../src/sla/scheduler';
import { overduePerOffice } from '../src/engine/dashboard';
import { defaultRegistry } from '../src/engine/registry';

/**
 * The workflow clock governs every date-sensitive answer, wherever it is set: years behind and
 * ahead of the day the suite runs, and at every hour of the local day. At each setting a proposal
 * is submitted and its OPD review deadline is checked against a working-day count made here
 * (not with grms's calendar), then the inbox flag, the inbox count, the ?overdue list filter, the
 * dashboard and the scheduler are asked just before and just after it falls due.
 */
const ZONE = 'Asia/Jayapura'; // UTC+9: the local day differs from UTC's for nine hours of it
const SLA_DAYS = defaultRegistry().latest('budget-proposal')!.sla!.states.opd_review as number;
// Thursdays, so the count crosses a weekend: years behind, around and ahead of today.
const BASE_DAYS = ['2019-03-07', '2026-11-26', '2041-08-22'];

/** YYYY-MM-DD of an instant in ZONE, by Intl alone. */
function dayIn(instant: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

function plusDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

function isWeekday(day: string): boolean {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d !== 0 && d !== 6;
}

/** The Nth weekday after `day` (no holidays are configured in this test). */
function nthWorkingDayAfter(day: string, n: number): string {
  let d = day;
  for (let left = n; left > 0; ) {
    d = plusDays(d, 1);
    if (isWeekday(d)) left--;
  }
  return d;
}

/** The instant `hour`:15 local in ZONE on `day` (ZONE has no daylight saving time). */
function localInstant(day: string, hour: number): Date {
  return new Date(Date.parse(`${day}T${String(hour).padStart(2, '0')}:15:00+09:00`));
}

describeBackends('the workflow clock, years away and at every hour', (kind) => {
  let app: TestApp;
  let now = localInstant(BASE_DAYS[0]!, 0);

  beforeAll(async () => {
    app = await startTestApp(kind, { timezone: ZONE, clock: () => now });
  });
  afterAll(async () => {
    await app?.close();
  });

  const task = async (id: string) => {
    const page = (await app.call('kadis.dinkes', 'GET', '/api/v1/tasks?workflow=budget-proposal&limit=100')).body;
    return { item: page.items.find((t: { id: string }) => t.id === id), overdueCount: page.counts.overdue as number };
  };
  const inOverdueList = async (id: string) =>
    (await app.call('kadis.dinkes', 'GET', '/api/v1/instances?workflow=budget-proposal&overdue=true&limit=100')).body.items.some((i: { id: string }) => i.id === id);
  const dashboardOverdue = async () =>
    (await overduePerOffice(app.db.kysely, { orgs: undefined } as never, now)).filter((r) => r.state === 'opd_review').reduce((n, r) => n + r.count, 0);

  test.each(BASE_DAYS)('submitted on %s at each local hour: due on the right day, overdue exactly after it', async (baseDay) => {
    for (let hour = 0; hour < 24; hour++) {
      now = localInstant(baseDay, hour);
      const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);

      const due = new Date((await task(id)).item.dueAt);
      const submittedOn = dayIn(now);
      expect(submittedOn).toBe(baseDay);
      // Due at the end of the SLA's last working day, local time.
      expect(dayIn(due)).toBe(nthWorkingDayAfter(submittedOn, SLA_DAYS));
      expect(dayIn(new Date(due.getTime() + 1))).toBe(plusDays(dayIn(due), 1));

      now = new Date(due.getTime() - 1);
      const before = await task(id);
      expect(before.item.overdue).toBe(false);
      expect(await inOverdueList(id)).toBe(false);
      const dashBefore = await dashboardOverdue();
      expect(await fireDueDeadlines(app.db.kysely, now)).toBe(0);

      // The deadline is the last millisecond of its day: reaching it is being late (as the scheduler says).
      now = due;
      const after = await task(id);
      expect(after.item.overdue).toBe(true);
      expect(after.overdueCount).toBe(before.overdueCount + 1);
      expect(await inOverdueList(id)).toBe(true);
      expect(await dashboardOverdue()).toBe(dashBefore + 1);
      expect(await fireDueDeadlines(app.db.kysely, now)).toBe(1);
      expect(await fireDueDeadlines(app.db.kysely, now)).toBe(0);

      // Out of the inbox (withdrawn to draft, which has no deadline) before the next hour.
      expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'withdraw' })).status).toBe(200);
    }
  }, 300_000);
});
