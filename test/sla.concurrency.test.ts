import { sql } from 'kysely';
import { openPostgres, type Db } from '../src/db/connect';
import { createCheckpoint, ensureCheckpointKey, startCheckpointScheduler, verifyAudit } from '../src/audit';
import { fireDueDeadlines, startDeadlineScheduler } from '../src/sla';
import { createPostgresDatabase, describePostgres, dropPostgresDatabase } from './support/db';
import { MASTER_KEY } from './support/audit-fixtures';
import { moveTo, seedPermit, wib } from './support/sla-fixtures';

const LATE = new Date('2030-01-01T00:00:00Z');

/** Every instance's audit chain is 1..version without gaps, and its escalations by kind. */
async function chains(db: Db) {
  const rows = await sql<{ id: string; version: number; seqs: number[]; kinds: string[] }>`
    SELECT i.id, i.version,
           array_agg(a.seq ORDER BY a.seq) AS seqs,
           array_remove(array_agg(CASE WHEN a.event = 'escalated' THEN split_part(substr(a.comment, 14), ' ', 1) END ORDER BY a.seq), NULL) AS kinds
    FROM workflow_instances i JOIN audit_events a ON a.instance_id = i.id
    GROUP BY i.id, i.version`.execute(db.kysely);
  return rows.rows;
}

describePostgres('SLA scheduler concurrency', () => {
  let url: string;
  let a: Db;
  let b: Db;
  beforeEach(async () => {
    url = await createPostgresDatabase();
    // Two pools: two grms serve processes on one database.
    a = openPostgres({ connectionString: url, max: 6 });
    b = openPostgres({ connectionString: url, max: 6 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await dropPostgresDatabase(url);
  });

  test('two schedulers racing fire each deadline exactly once, and the audit trail verifies', async () => {
    const key = await ensureCheckpointKey(a.kysely, MASTER_KEY);
    const ids: string[] = [];
    // 40 instances with a due state deadline and a due overall deadline each: 80 deadlines.
    for (let i = 0; i < 40; i++) ids.push(await seedPermit(a.kysely, wib('2026-11-02 10:00')));
    await createCheckpoint(a.kysely, key);

    const runs = await Promise.all([
      fireDueDeadlines(a.kysely, LATE, { batchSize: 3 }),
      fireDueDeadlines(b.kysely, LATE, { batchSize: 3 }),
      fireDueDeadlines(a.kysely, LATE, { batchSize: 4 }),
      fireDueDeadlines(b.kysely, LATE, { batchSize: 5 }),
    ]);
    expect(runs.reduce((x, y) => x + y, 0)).toBe(80);
    // Both processes took part (each holds rows the other skips).
    expect(runs[0]! + runs[2]!).toBeGreaterThan(0);
    expect(runs[1]! + runs[3]!).toBeGreaterThan(0);
    expect(await fireDueDeadlines(b.kysely, LATE)).toBe(0);

    const all = await chains(a);
    expect(all).toHaveLength(40);
    for (const c of all) {
      expect(c.version).toBe(3);
      expect(c.seqs).toEqual([1, 2, 3]);
      expect([...c.kinds].sort()).toEqual(['overall', 'state']);
    }
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_events WHERE event = 'escalated' AND actor = 'system'`.execute(a.kysely);
    expect(count.rows[0]!.n).toBe(80);
    await createCheckpoint(b.kysely, key);
    expect(await verifyAudit(a.kysely, key.publicKeyPem)).toMatchObject({ ok: true, checked: 120, broken: [] });
  });

  test('schedulers racing transitions: no deadlock, no gap in any chain, nothing fired for a state already left', async () => {
    const key = await ensureCheckpointKey(a.kysely, MASTER_KEY);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await seedPermit(a.kysely, wib('2026-11-02 10:00')));
    const errors: unknown[] = [];
    // Two running schedulers (the real timers) while every instance moves on, twice, and
    // checkpoints (SHARE lock on audit_events) queue between them: any lock-order cycle would show.
    const stops = [
      startDeadlineScheduler(a.kysely, 1, () => LATE, (e) => errors.push(e)),
      startDeadlineScheduler(b.kysely, 1, () => LATE, (e) => errors.push(e)),
      startCheckpointScheduler(a.kysely, key, 2, (e) => errors.push(e)),
      startCheckpointScheduler(b.kysely, key, 3, (e) => errors.push(e)),
    ];
    await Promise.all(ids.map(async (id, i) => {
      const db = i % 2 ? a : b;
      await moveTo(db.kysely, id, 'technical_review', wib('2029-12-30 09:00'));
      await moveTo(db.kysely, id, 'returned', wib('2029-12-31 09:00'));
    }));
    await Promise.all(stops.map((stop) => stop()));
    expect(errors).toEqual([]);
    await fireDueDeadlines(a.kysely, LATE);

    for (const c of await chains(a)) {
      expect(c.seqs).toEqual(Array.from({ length: c.version }, (_, k) => k + 1));
      // At most one escalation per deadline: 'state' once for completeness (technical review is not
      // due by 2030-01-01), 'overall' exactly once (it was due long before, and only pauses).
      expect(c.kinds.filter((k) => k === 'state').length).toBeLessThanOrEqual(1);
      expect(c.kinds.filter((k) => k === 'overall')).toEqual(['overall']);
    }
    const stateEscalations = await sql<{ from_state: string }>`
      SELECT from_state FROM audit_events WHERE event = 'escalated' AND comment LIKE 'SLA overdue: state %'`.execute(a.kysely);
    expect(stateEscalations.rows.filter((r) => r.from_state !== 'completeness')).toEqual([]);
    await createCheckpoint(a.kysely, key);
    expect((await verifyAudit(b.kysely, key.publicKeyPem)).ok).toBe(true);
  });
});
