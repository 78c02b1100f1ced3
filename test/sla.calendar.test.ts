import {
  addWorkingDays, assertDay, CalendarError, endOfLocalDay, isWorkingDay, localDay, nextDay, workingDaysBetween,
} from '../src/sla/calendar';

const TZ = 'Asia/Jakarta';
const NONE = new Set<string>();
// Christmas 2026 is a Friday, New Year 2027 a Friday; 2026-12-24 is cuti bersama.
const HOLIDAYS = new Set(['2026-12-24', '2026-12-25', '2027-01-01']);
const wib = (local: string) => new Date(`${local.replace(' ', 'T')}+07:00`);

describe('working days', () => {
  test('weekends and holidays are not working days; other weekdays are', () => {
    expect(isWorkingDay('2026-11-27', NONE)).toBe(true); // Friday
    expect(isWorkingDay('2026-11-28', NONE)).toBe(false); // Saturday
    expect(isWorkingDay('2026-11-29', NONE)).toBe(false); // Sunday
    expect(isWorkingDay('2026-11-30', NONE)).toBe(true); // Monday
    expect(isWorkingDay('2026-12-25', HOLIDAYS)).toBe(false);
    expect(isWorkingDay('2026-12-25', NONE)).toBe(true);
  });

  test('local days come from the time zone, not from UTC', () => {
    // Friday 00:30 in Jakarta is still Thursday in UTC.
    expect(localDay(new Date('2026-11-26T17:30:00Z'), TZ)).toBe('2026-11-27');
    expect(localDay(new Date('2026-11-26T17:30:00Z'), 'UTC')).toBe('2026-11-26');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
  });
});

describe('addWorkingDays', () => {
  test('entered Friday 10:00 WIB with 1 day: due at the end of Monday, 23:59:59.999 WIB', () => {
    const due = addWorkingDays(wib('2026-11-27 10:00'), 1, NONE, TZ);
    expect(due.toISOString()).toBe('2026-11-30T16:59:59.999Z');
  });

  test('the start day never counts, whatever the hour or kind of day', () => {
    // Friday 00:30 WIB (Thursday in UTC) and Friday 23:59 WIB both start on Friday.
    expect(addWorkingDays(new Date('2026-11-26T17:30:00Z'), 1, NONE, TZ).toISOString()).toBe('2026-11-30T16:59:59.999Z');
    expect(addWorkingDays(wib('2026-11-27 23:59'), 1, NONE, TZ).toISOString()).toBe('2026-11-30T16:59:59.999Z');
    // Saturday 01:00 WIB (Friday in UTC): day 1 is Monday.
    expect(addWorkingDays(new Date('2026-11-27T18:00:00Z'), 1, NONE, TZ).toISOString()).toBe('2026-11-30T16:59:59.999Z');
    // Monday: day 1 is Tuesday.
    expect(addWorkingDays(wib('2026-11-30 08:00'), 1, NONE, TZ).toISOString()).toBe('2026-12-01T16:59:59.999Z');
  });

  test('technical review, 10 working days, crosses two weekends; a holiday pushes it one day', () => {
    expect(addWorkingDays(wib('2026-11-30 09:00'), 10, NONE, TZ).toISOString()).toBe('2026-12-14T16:59:59.999Z');
    expect(addWorkingDays(wib('2026-11-30 09:00'), 10, new Set(['2026-12-08']), TZ).toISOString()).toBe('2026-12-15T16:59:59.999Z');
  });

  test('holidays back to back with a weekend are skipped together', () => {
    // Wednesday 23 Dec: 24, 25 (holidays), 26, 27 (weekend) are skipped; day 1 is Monday the 28th.
    expect(addWorkingDays(wib('2026-12-23 15:00'), 1, HOLIDAYS, TZ).toISOString()).toBe('2026-12-28T16:59:59.999Z');
    // 15 working days from 14 Dec, over Christmas and New Year: 2027-01-07.
    expect(addWorkingDays(wib('2026-12-14 09:00'), 15, HOLIDAYS, TZ).toISOString()).toBe('2027-01-07T16:59:59.999Z');
  });

  test('the end of day is local in any zone, also on DST change days', () => {
    // Jayapura (WIT, UTC+9): Monday 23:59:59.999 WIT.
    expect(addWorkingDays(new Date('2026-11-27T01:00:00Z'), 1, NONE, 'Asia/Jayapura').toISOString()).toBe('2026-11-30T14:59:59.999Z');
    // London leaves summer time on Sunday 25 Oct 2026: Monday 26 Oct ends at 23:59:59.999 GMT.
    expect(addWorkingDays(new Date('2026-10-23T12:00:00Z'), 1, NONE, 'Europe/London').toISOString()).toBe('2026-10-26T23:59:59.999Z');
    // Friday 27 Mar 2026 ends in GMT; Monday 30 Mar ends in BST (UTC+1).
    expect(addWorkingDays(new Date('2026-03-26T12:00:00Z'), 1, NONE, 'Europe/London').toISOString()).toBe('2026-03-27T23:59:59.999Z');
    expect(addWorkingDays(new Date('2026-03-27T12:00:00Z'), 1, NONE, 'Europe/London').toISOString()).toBe('2026-03-30T22:59:59.999Z');
    // Santiago skips midnight on 6 Sep 2026 (00:00 -> 01:00): Saturday 5 Sep still ends at 24:00 -04.
    expect(endOfLocalDay('2026-09-05', 'America/Santiago').toISOString()).toBe('2026-09-06T03:59:59.999Z');
    // Santiago repeats 23:00-24:00 on 4 Apr 2026: that day ends at 24:00 -04, one hour later than -03.
    expect(endOfLocalDay('2026-04-04', 'America/Santiago').toISOString()).toBe('2026-04-05T03:59:59.999Z');
    expect(endOfLocalDay('2026-04-03', 'America/Santiago').toISOString()).toBe('2026-04-04T02:59:59.999Z');
  });

  test('bad input is refused with a code', () => {
    expect(() => addWorkingDays(new Date(), 0, NONE, TZ)).toThrow(CalendarError);
    expect(() => addWorkingDays(new Date(), 1.5, NONE, TZ)).toThrow(/whole number/);
    expect(() => addWorkingDays(new Date(), 1, NONE, 'Asia/Atlantis')).toThrow(CalendarError);
    expect(() => addWorkingDays(new Date('nonsense'), 1, NONE, TZ)).toThrow(CalendarError);
    expect(() => assertDay('2026-02-29')).toThrow(CalendarError);
    expect(() => assertDay('2026-2-1')).toThrow(CalendarError);
    expect(() => assertDay('2028-02-29')).not.toThrow();
    try {
      addWorkingDays(new Date(), -1, NONE, TZ);
      throw new Error('not refused');
    } catch (err) {
      expect((err as CalendarError).code).toBe('SLA_CALENDAR_INVALID');
    }
  });
});

describe('workingDaysBetween', () => {
  test('counts the working days after the start day up to and including the end day', () => {
    expect(workingDaysBetween(wib('2026-11-27 10:00'), wib('2026-11-27 16:00'), NONE, TZ)).toBe(0);
    expect(workingDaysBetween(wib('2026-11-27 10:00'), wib('2026-11-29 16:00'), NONE, TZ)).toBe(0);
    expect(workingDaysBetween(wib('2026-11-27 10:00'), wib('2026-11-30 00:00'), NONE, TZ)).toBe(1);
    expect(workingDaysBetween(wib('2026-12-21 10:00'), wib('2027-01-04 10:00'), HOLIDAYS, TZ)).toBe(7);
    expect(workingDaysBetween(wib('2026-12-21 10:00'), wib('2026-12-20 10:00'), NONE, TZ)).toBe(0);
  });

  test('is the inverse of addWorkingDays for every start hour over a year', () => {
    for (let t = wib('2026-01-01 00:00').getTime(); t < wib('2027-01-01 00:00').getTime(); t += 37 * 3_600_000 + 1) {
      const start = new Date(t);
      const n = 1 + (Math.floor(t / 3_600_000) % 20);
      const due = addWorkingDays(start, n, HOLIDAYS, TZ);
      expect(isWorkingDay(localDay(due, TZ), HOLIDAYS)).toBe(true);
      expect(workingDaysBetween(start, due, HOLIDAYS, TZ)).toBe(n);
      // One millisecond later is the next local day.
      expect(localDay(new Date(due.getTime() + 1), TZ)).toBe(nextDay(localDay(due, TZ)));
    }
  });
});
