import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openPglite, openPostgres, type Db } from '../src/db/connect';
import { appendAuditEvent, createCheckpoint, ensureCheckpointKey, nextAuditSeq, verifyAudit } from '../src/audit';
import {
  checkSlaSpec, enterState, fireDueDeadlines, isOverdue, listDeadlines, listHolidays, loadHolidays, removeHoliday, rescheduleDeadlines,
  setHoliday, SlaSpecInvalid, startDeadlineScheduler, CalendarError, DeadlineEscalationFailed,
} from '../src/sla';
import { createPostgresDatabase, createTestDb, describeBackends, dropPostgresDatabase } from './support/db';
import { MASTER_KEY } from './support/audit-fixtures';
import { deadlineOf, escalations, moveTo, PERMIT_SLA, seedPermit, TZ, wib } from './support/sla-fixtures';

const NONE = new Set<string>();
const HOLIDAYS = new Set(['2026-12-24', '2026-12-25', '2027-01-01']);

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeBackends('SLA deadlines', (kind) => {
  let db: Db;
  beforeEach(async () => {
    db = await createTestDb(kind);
  });
  afterEach(async () => {
    await db.close();
  });

  test('each state gets its own deadline when entered and loses it when left; the final state ends the overall clock', async () => {
    const id = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    expect(await deadlineOf(db.kysely, id, 'state')).toMatchObject({
      state: 'completeness', working_days: 1, due_at: new Date('2026-11-30T16:59:59.999Z'), overdue: false, escalated_at: null,
    });
    // 15 working days after Friday 27 Nov: Friday 18 Dec.
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ working_days: 15, used_days: 0, paused_at: null, due_at: new Date('2026-12-18T16:59:59.999Z') });

    await moveTo(db.kysely, id, 'technical_review', wib('2026-11-30 09:00'));
    expect(await deadlineOf(db.kysely, id, 'state')).toMatchObject({ state: 'technical_review', working_days: 10, due_at: new Date('2026-12-14T16:59:59.999Z') });
    await moveTo(db.kysely, id, 'fee_assessment', wib('2026-12-03 09:00'));
    expect(await deadlineOf(db.kysely, id, 'state')).toMatchObject({ state: 'fee_assessment', due_at: new Date('2026-12-04T16:59:59.999Z') });
    // Signature is counted; the overall clock has not moved since creation.
    await moveTo(db.kysely, id, 'signature', wib('2026-12-04 09:00'));
    expect((await deadlineOf(db.kysely, id, 'overall'))?.due_at).toEqual(new Date('2026-12-18T16:59:59.999Z'));

    const views = await listDeadlines(db.kysely, [id.toUpperCase()]);
    expect(views.map((v) => [v.kind, v.state])).toEqual([['state', 'signature'], ['overall', 'completeness']]);
    expect(isOverdue(views[0]!, new Date('2026-12-08T16:59:59.999Z'))).toBe(true);
    expect(isOverdue(views[0]!, new Date('2026-12-08T16:59:59.998Z'))).toBe(false);

    await moveTo(db.kysely, id, 'issued', wib('2026-12-07 09:00'));
    expect(await listDeadlines(db.kysely, [id])).toEqual([]);
    expect(await fireDueDeadlines(db.kysely, new Date('2030-01-01T00:00:00Z'))).toBe(0);
  });

  test('the overall clock pauses while the applicant holds the file, and resumes with what was left', async () => {
    const id = await seedPermit(db.kysely, wib('2026-11-30 10:00'), HOLIDAYS);
    // Unpaused, 15 working days after Monday 30 Nov would be Monday 21 Dec.
    expect((await deadlineOf(db.kysely, id, 'overall'))?.due_at).toEqual(new Date('2026-12-21T16:59:59.999Z'));
    // Returned on Wednesday 2 Dec: 1 and 2 Dec are used; no state deadline while returned.
    await moveTo(db.kysely, id, 'returned', wib('2026-12-02 14:00'), HOLIDAYS);
    expect(await deadlineOf(db.kysely, id, 'state')).toBeUndefined();
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ used_days: 2, paused_at: wib('2026-12-02 14:00'), due_at: null, state: 'returned' });
    // Nothing fires while paused, however late it is.
    expect(await fireDueDeadlines(db.kysely, new Date('2030-01-01T00:00:00Z'))).toBe(0);

    // Resubmitted Monday 14 Dec: 13 days left, counted from the 15th and skipping 24, 25 Dec and
    // 1 Jan: 15–18, 21–23, 28–31 Dec, 4, 5 Jan -> Tuesday 5 Jan.
    await moveTo(db.kysely, id, 'completeness', wib('2026-12-14 09:00'), HOLIDAYS);
    const resumed = await deadlineOf(db.kysely, id, 'overall');
    expect(resumed).toMatchObject({ used_days: 2, paused_at: null, started_at: wib('2026-12-14 09:00'), due_at: new Date('2027-01-05T16:59:59.999Z') });

    // Payment is paused too: 15, 16 Dec are used (4 in all).
    await moveTo(db.kysely, id, 'technical_review', wib('2026-12-14 11:00'), HOLIDAYS);
    await moveTo(db.kysely, id, 'fee_assessment', wib('2026-12-15 11:00'), HOLIDAYS);
    await moveTo(db.kysely, id, 'awaiting_payment', wib('2026-12-16 11:00'), HOLIDAYS);
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ used_days: 4, due_at: null });
    await moveTo(db.kysely, id, 'signature', wib('2026-12-30 08:00'), HOLIDAYS);
    // 11 left after Wed 30 Dec: 31 Dec, 4–8 Jan, 11–15 Jan = 11 -> Friday 15 Jan 2027.
    expect((await deadlineOf(db.kysely, id, 'overall'))?.due_at).toEqual(new Date('2027-01-15T16:59:59.999Z'));

    // At the unpaused due time only the signature deadline (2 days: 4 Jan) may fire, later the overall one.
    expect(await fireDueDeadlines(db.kysely, new Date('2027-01-04T16:59:59.999Z'))).toBe(1);
    expect(await fireDueDeadlines(db.kysely, new Date('2027-01-15T16:59:59.998Z'))).toBe(0);
    expect(await fireDueDeadlines(db.kysely, new Date('2027-01-15T16:59:59.999Z'))).toBe(1);
    expect((await escalations(db.kysely, id)).map((e) => e.comment)).toEqual([
      'SLA overdue: state deadline (state "signature", 2 working days) was due 2027-01-04T16:59:59.999Z',
      'SLA overdue: overall deadline (whole workflow, 15 working days) was due 2027-01-15T16:59:59.999Z',
    ]);

    // Paused after the deadline passed: it stays overdue, and does not fire a second time on resume.
    await moveTo(db.kysely, id, 'returned', wib('2027-01-18 09:00'), HOLIDAYS);
    await moveTo(db.kysely, id, 'completeness', wib('2027-01-20 09:00'), HOLIDAYS);
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ overdue: true, used_days: 15 + 1 });
    expect(await fireDueDeadlines(db.kysely, new Date('2027-01-20T16:00:00Z'))).toBe(0);
  });

  test('an overall deadline missed while no scheduler ran still fires after the clock is paused', async () => {
    const id = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    await moveTo(db.kysely, id, 'technical_review', wib('2026-11-30 09:00'));
    // Due Friday 18 Dec; nothing fired it before the file was returned on Monday 21 Dec.
    await moveTo(db.kysely, id, 'returned', wib('2026-12-21 09:00'));
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ used_days: 16, paused_at: wib('2026-12-21 09:00'), due_at: new Date('2026-12-18T16:59:59.999Z') });
    expect(await fireDueDeadlines(db.kysely, wib('2026-12-21 10:00'))).toBe(1);
    expect(await escalations(db.kysely, id)).toMatchObject([{ from_state: 'returned', to_state: 'returned', comment: expect.stringContaining('overall deadline') }]);
    // Resumed: still overdue, not fired again.
    await moveTo(db.kysely, id, 'completeness', wib('2026-12-22 09:00'));
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ paused_at: null, overdue: true });
    expect(await fireDueDeadlines(db.kysely, new Date('2030-01-01T00:00:00Z'))).toBe(1); // only completeness' own deadline
    expect((await escalations(db.kysely, id)).map((e) => e.comment)).toEqual([
      expect.stringContaining('overall deadline'), expect.stringContaining('state "completeness"'),
    ]);
  });

  test('a due deadline escalates once: audit row by system, version + 1, snapshot untouched, chain verifies', async () => {
    const key = await ensureCheckpointKey(db.kysely, MASTER_KEY);
    const id = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    const before = await db.kysely.selectFrom('workflow_instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    await createCheckpoint(db.kysely, key);

    expect(await fireDueDeadlines(db.kysely, new Date('2026-11-30T16:59:59.998Z'))).toBe(0);
    const firedAt = new Date('2026-11-30T17:00:00Z');
    expect(await fireDueDeadlines(db.kysely, firedAt)).toBe(1);
    expect(await fireDueDeadlines(db.kysely, new Date('2026-12-01T00:00:00Z'))).toBe(0);

    const after = await db.kysely.selectFrom('workflow_instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(after.version).toBe(before.version + 1);
    expect({ ...after, version: 0 }).toEqual({ ...before, version: 0 });
    const [esc] = await escalations(db.kysely, id);
    expect(esc).toMatchObject({ seq: 2, actor: 'system', from_state: 'completeness', to_state: 'completeness', actor_role: null });
    expect(await deadlineOf(db.kysely, id, 'state')).toMatchObject({ overdue: true, escalated_at: firedAt });
    expect(await deadlineOf(db.kysely, id, 'overall')).toMatchObject({ overdue: false, escalated_at: null });

    // The next transition continues the chain at seq 3; the whole trail still verifies.
    await moveTo(db.kysely, id, 'technical_review', wib('2026-12-01 09:00'));
    await createCheckpoint(db.kysely, key);
    expect(await verifyAudit(db.kysely, key.publicKeyPem)).toMatchObject({ ok: true, checked: 3, broken: [] });
  });

  test('an escalation after comments is appended at the chain head (comments took no version); the trail verifies', async () => {
    const key = await ensureCheckpointKey(db.kysely, MASTER_KEY);
    const id = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    // Two comments as src/engine/comments.ts writes them: row lock, audit row at the head, version untouched.
    for (const text of ['Berkas lengkap?', 'Sudah lengkap']) {
      await db.kysely.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('workflow_instances').select(['version', 'state']).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
        const seq = await nextAuditSeq(trx, id, row.version);
        await appendAuditEvent(trx, { instanceId: id, seq, event: 'comment', fromState: row.state, toState: row.state, actor: 'fo.sari', comment: text });
      });
    }
    expect(await fireDueDeadlines(db.kysely, new Date('2026-12-01T00:00:00Z'))).toBe(1);
    expect(await escalations(db.kysely, id)).toMatchObject([{ seq: 4, actor: 'system' }]);
    expect((await db.kysely.selectFrom('workflow_instances').select('version').where('id', '=', id).executeTakeFirstOrThrow()).version).toBe(2);
    await moveTo(db.kysely, id, 'technical_review', wib('2026-12-01 09:00'));
    await createCheckpoint(db.kysely, key);
    expect(await verifyAudit(db.kysely, key.publicKeyPem)).toMatchObject({ ok: true, checked: 5, broken: [] });
  });

  test('a deadline of a state already left never fires', async () => {
    const id = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    await moveTo(db.kysely, id, 'technical_review', wib('2026-12-02 09:00'));
    // Completeness was due 30 Nov, but it was left; technical review is not due yet on 3 Dec.
    expect(await fireDueDeadlines(db.kysely, new Date('2026-12-03T00:00:00Z'))).toBe(0);
    // A stale 'state' row (written behind the engine's back) is not fired either.
    await sql`UPDATE deadlines SET state = 'completeness', due_at = '2026-11-30T16:59:59.999Z' WHERE instance_id = ${id} AND kind = 'state'`.execute(db.kysely);
    expect(await fireDueDeadlines(db.kysely, new Date('2026-12-03T00:00:00Z'), { batchSize: 1 })).toBe(0);
    expect(await escalations(db.kysely, id)).toEqual([]);
  });

  test('one broken instance is reported without holding back the others', async () => {
    const ok = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    const broken = await seedPermit(db.kysely, wib('2026-11-26 10:00'));
    // Its version is ahead of its audit chain (rows missing): nothing more is appended to it.
    await sql`UPDATE workflow_instances SET version = 5 WHERE id = ${broken}`.execute(db.kysely);
    const err = await fireDueDeadlines(db.kysely, new Date('2026-12-01T00:00:00Z'), { batchSize: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineEscalationFailed);
    expect(err).toMatchObject({ code: 'SLA_ESCALATION_FAILED', fired: 1, failures: [{ instanceId: broken, kind: 'state' }] });
    expect(await escalations(db.kysely, ok)).toHaveLength(1);
    expect(await escalations(db.kysely, broken)).toHaveLength(0);
    expect(await deadlineOf(db.kysely, broken, 'state')).toMatchObject({ overdue: false, escalated_at: null });
  });

  test('holidays: set, rename, list by year, remove; deadlines are rescheduled on request', async () => {
    expect(await setHoliday(db.kysely, '2026-12-25', 'Natal', 'admin')).toMatchObject({ date: '2026-12-25', name: 'Natal', createdBy: 'admin' });
    await setHoliday(db.kysely, '2026-12-24', 'Cuti bersama', 'admin');
    await setHoliday(db.kysely, '2027-01-01', 'Tahun Baru', 'admin');
    await setHoliday(db.kysely, '2026-12-25', 'Hari Raya Natal', 'admin2');
    expect((await listHolidays(db.kysely, 2026)).map((h) => [h.date, h.name, h.createdBy])).toEqual([
      ['2026-12-24', 'Cuti bersama', 'admin'], ['2026-12-25', 'Hari Raya Natal', 'admin2'],
    ]);
    expect([...(await loadHolidays(db.kysely))].sort()).toEqual(['2026-12-24', '2026-12-25', '2027-01-01']);
    await expect(setHoliday(db.kysely, '2026-02-30', 'x', 'admin')).rejects.toThrow(CalendarError);
    await expect(setHoliday(db.kysely, '2026-03-02', '  ', 'admin')).rejects.toThrow(CalendarError);

    // Entered Wednesday 23 Dec with 1 day: due Monday 28 Dec with these holidays.
    const id = await seedPermit(db.kysely, wib('2026-12-23 10:00'), await loadHolidays(db.kysely));
    expect((await deadlineOf(db.kysely, id, 'state'))?.due_at).toEqual(new Date('2026-12-28T16:59:59.999Z'));
    expect(await removeHoliday(db.kysely, '2026-12-24')).toBe(true);
    expect(await removeHoliday(db.kysely, '2026-12-24')).toBe(false);
    expect(await rescheduleDeadlines(db.kysely, await loadHolidays(db.kysely), TZ)).toBe(2);
    expect((await deadlineOf(db.kysely, id, 'state'))?.due_at).toEqual(new Date('2026-12-24T16:59:59.999Z'));
    // An escalated deadline keeps its due time.
    expect(await fireDueDeadlines(db.kysely, new Date('2026-12-25T00:00:00Z'))).toBe(1);
    await setHoliday(db.kysely, '2026-12-24', 'Cuti bersama', 'admin');
    expect(await rescheduleDeadlines(db.kysely, await loadHolidays(db.kysely), TZ)).toBe(1);
    expect(await deadlineOf(db.kysely, id, 'state')).toMatchObject({ due_at: new Date('2026-12-24T16:59:59.999Z'), overdue: true });
  });

  test('an invalid SLA table is refused before anything is written', async () => {
    expect(() => checkSlaSpec({ states: { a: 0 } })).toThrow(SlaSpecInvalid);
    expect(() => checkSlaSpec({ states: {}, overall: { days: 15, pausedIn: ['x'], finalStates: ['x'] } })).toThrow(/both paused and final/);
    const id = await seedPermit(db.kysely, wib('2026-11-27 10:00'));
    await expect(db.kysely.transaction().execute((trx) =>
      enterState(trx, { instanceId: id, workflow: 'permit', state: 'a', sla: { states: { a: 2.5 } }, at: new Date(), holidays: NONE, timeZone: TZ }),
    )).rejects.toMatchObject({ code: 'SLA_SPEC_INVALID' });
    expect(await deadlineOf(db.kysely, id, 'state')).toMatchObject({ state: 'completeness' });
  });

  test('a restart loses nothing: a new connection and a new scheduler fire what fell due meanwhile', async () => {
    let dir: string | undefined;
    let url: string | undefined;
    const open = async (first: boolean): Promise<Db> => {
      if (kind === 'postgres') return openPostgres({ connectionString: url! });
      const template = first ? new Blob([fs.readFileSync(process.env.GRMS_TEST_PGLITE_TEMPLATE!)]) : undefined;
      return openPglite({ dataDir: dir, loadDataDir: template });
    };
    if (kind === 'pglite') dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-sla-restart-'));
    else url = await createPostgresDatabase();
    try {
      const db1 = await open(true);
      const errors: unknown[] = [];
      let now = wib('2026-11-27 10:00');
      const stop1 = startDeadlineScheduler(db1.kysely, 20, () => now, (e) => errors.push(e));
      const id = await seedPermit(db1.kysely, now);
      await new Promise((r) => setTimeout(r, 100));
      await stop1();
      await db1.close();
      expect(errors).toEqual([]);

      // While nothing ran, the completeness deadline (Monday 30 Nov) passed.
      now = new Date('2026-12-01T01:00:00Z');
      const db2 = await open(false);
      try {
        const key = await ensureCheckpointKey(db2.kysely, MASTER_KEY);
        const stop2 = startDeadlineScheduler(db2.kysely, 60_000, () => now, (e) => errors.push(e));
        const [esc] = await waitFor('the escalation', async () => {
          const rows = await escalations(db2.kysely, id);
          return rows.length ? rows : undefined;
        });
        await stop2();
        expect(errors).toEqual([]);
        expect(esc).toMatchObject({ seq: 2, actor: 'system', to_state: 'completeness' });
        expect(await deadlineOf(db2.kysely, id, 'state')).toMatchObject({ overdue: true, escalated_at: now });
        expect((await verifyAudit(db2.kysely, key.publicKeyPem)).ok).toBe(true);
      } finally {
        await db2.close();
      }
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      if (url) await dropPostgresDatabase(url);
    }
  });

  test('the scheduler never overlaps itself: a tick stuck on a lock holds back the next ones', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const blocker = db.kysely.transaction().execute(async (trx) => {
      await sql`LOCK TABLE deadlines IN ACCESS EXCLUSIVE MODE`.execute(trx);
      locked();
      await held;
    });
    await isLocked;
    let calls = 0;
    const errors: unknown[] = [];
    const stop = startDeadlineScheduler(db.kysely, 5, () => {
      calls++;
      return new Date('2026-12-01T00:00:00Z');
    }, (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(1);
    release();
    await blocker;
    await waitFor('more ticks', async () => (calls >= 3 ? true : undefined));
    await stop();
    expect(errors).toEqual([]);
  });

  test('the scheduler hands errors to onError and keeps ticking', async () => {
    const errors: unknown[] = [];
    const stop = startDeadlineScheduler(db.kysely, 5, () => {
      throw new Error('clock broke');
    }, (e) => {
      errors.push(e);
      throw new Error('the handler broke too');
    });
    await waitFor('three ticks', async () => (errors.length >= 3 ? true : undefined));
    await stop();
    const seen = errors.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(errors.length).toBe(seen);
    expect((errors[0] as Error).message).toBe('clock broke');
  });
});

// Keeps PERMIT_SLA checked whenever it is edited.
test('the permit SLA table from the issue is valid', () => {
  expect(() => checkSlaSpec(PERMIT_SLA)).not.toThrow();
});
