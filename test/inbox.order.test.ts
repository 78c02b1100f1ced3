import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { TASK_COUNT_CAP } from '../src/engine/read';

interface Task {
  id: string;
  dueAt: string | null;
  overdue: boolean;
}

describeBackends('the inbox: due order from the deadlines index, undated tasks last, capped counts', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  async function submitted(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = (await app.call('perencana.pupr', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: `Urut ${i}` }) })).body.id as string;
      expect((await app.call('perencana.pupr', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      ids.push(id);
    }
    return ids;
  }

  async function pages(user: string, limit: number): Promise<Task[]> {
    const all: Task[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page: { body: { items: Task[]; nextCursor: string | null } } = await app.call(user, 'GET', `/api/v1/tasks?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
      if (!cursor) return all;
    }
    throw new Error('paging did not end');
  }

  test('pages of one task each walk the same order as one page: due date, then creation, undated and stale last', async () => {
    const ids = await submitted(5);
    const db = app.db.kysely;
    // Two weeks past due for the fourth, and the second due later than the rest.
    await db.updateTable('deadlines').set({ due_at: sql`due_at - interval '14 days'` }).where('instance_id', '=', ids[3]!).execute();
    await db.updateTable('deadlines').set({ due_at: sql`due_at + interval '1 day'` }).where('instance_id', '=', ids[1]!).execute();
    // No deadline (its state got an SLA after it entered), and one left behind for another state.
    await db.deleteFrom('deadlines').where('instance_id', '=', ids[0]!).where('kind', '=', 'state').execute();
    await db.updateTable('deadlines').set({ state: 'draft' }).where('instance_id', '=', ids[2]!).where('kind', '=', 'state').execute();

    const whole = (await app.call('kadis.pupr', 'GET', '/api/v1/tasks?limit=200')).body;
    expect(whole.items.map((t: Task) => t.id)).toEqual([ids[3], ids[4], ids[1], ids[0], ids[2]]);
    expect(whole.items.map((t: Task) => t.dueAt === null)).toEqual([false, false, false, true, true]);
    expect(whole.items.map((t: Task) => t.overdue)).toEqual([true, false, false, false, false]);
    expect(whole.counts).toEqual({ total: 5, overdue: 1, byWorkflow: { 'budget-proposal': 5 }, cap: TASK_COUNT_CAP });
    expect((await pages('kadis.pupr', 1)).map((t) => t.id)).toEqual(whole.items.map((t: Task) => t.id));
    expect((await pages('kadis.pupr', 2)).map((t) => t.id)).toEqual(whole.items.map((t: Task) => t.id));
  });

  test('counts stop at the cap; a figure at the cap reads "that many or more"', async () => {
    const [model] = await submitted(1);
    const db = app.db.kysely;
    // Copies of a waiting proposal, each with its deadline, written directly: the cap is large.
    await sql`
      INSERT INTO workflow_instances (id, workflow, workflow_version, state, version, snapshot, data, org_id, title, fiscal_year, total, submitters, participants, created_by)
      SELECT gen_random_uuid(), workflow, workflow_version, state, version, snapshot, data, org_id, title || ' copy ' || n, fiscal_year, total, submitters, participants, created_by
      FROM workflow_instances, generate_series(1, ${TASK_COUNT_CAP}) AS n WHERE id = ${model}`.execute(db);
    await sql`
      INSERT INTO deadlines (instance_id, kind, workflow, state, working_days, started_at, due_at)
      SELECT i.id, 'state', i.workflow, i.state, 3, now(), now() - interval '1 day'
      FROM workflow_instances i WHERE i.title LIKE '% copy %' AND NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.instance_id = i.id)`.execute(db);
    const inbox = (await app.call('kadis.pupr', 'GET', '/api/v1/tasks')).body;
    expect(inbox.counts).toEqual({ total: TASK_COUNT_CAP, overdue: TASK_COUNT_CAP, byWorkflow: { 'budget-proposal': TASK_COUNT_CAP }, cap: TASK_COUNT_CAP });
    expect(inbox.items).toHaveLength(50);
    expect(inbox.items.every((t: Task) => t.overdue)).toBe(true);
    // The trigger gave every copied deadline its instance's row_no and OPD.
    const unkeyed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deadlines d JOIN workflow_instances i ON i.id = d.instance_id WHERE d.row_no <> i.row_no OR d.org_id <> i.org_id`.execute(db);
    expect(unkeyed.rows[0]!.n).toBe(0);
  });
});
