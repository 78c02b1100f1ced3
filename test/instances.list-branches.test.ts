import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';

interface Item {
  id: string;
}

/**
 * GET /api/v1/instances for a reader who does not read everything is the union of index-ordered
 * branches (the reader's OPDs, the ways to act, the instances the reader took part in): every page
 * size must walk exactly the instances the reader may read, newest first, once each.
 */
describeBackends('instance lists as a union of visibility branches', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  async function create(user: string, title: string): Promise<string> {
    const res = await app.call(user, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function pages(user: string, query: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const page: { status: number; body: { items: Item[]; nextCursor: string | null } } = await app.call(user, 'GET', `/api/v1/instances?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
      if (!cursor) return ids;
    }
    throw new Error('paging did not end');
  }

  test('own OPD and instances elsewhere the reader took part in, newest first, at every page size', async () => {
    // Created in this order: row_no follows it.
    const otherOld = await create('perencana.dinkes', 'Dinkes lama');
    const own = [await create('perencana.pupr', 'PUPR 1'), await create('perencana.pupr', 'PUPR 2')];
    const otherMiddle = await create('perencana.dinkes', 'Dinkes tengah');
    own.push(await create('perencana.pupr', 'PUPR 3'));
    const otherNew = await create('perencana.dinkes', 'Dinkes baru');
    const untouched = await create('perencana.dinkes', 'Dinkes lain');
    // The PUPR planner took part in three Dinkes proposals (someone who has since changed OPD):
    // the oldest, one between its own, and the newest of all but one it may not read.
    await app.db.kysely.updateTable('workflow_instances')
      .set({ participants: sql`array_append(participants, 'perencana.pupr')` })
      .where('id', 'in', [otherOld, otherMiddle, otherNew]).execute();

    const expected = (await app.db.kysely.selectFrom('workflow_instances').select('id')
      .where((eb) => eb.or([eb('org_id', '=', 'pupr'), sql<boolean>`participants @> ARRAY['perencana.pupr']::text[]`]))
      .orderBy('row_no', 'desc').execute()).map((r) => r.id);
    expect(expected).toEqual(expect.arrayContaining([...own, otherOld, otherMiddle, otherNew]));
    expect(expected).not.toContain(untouched);

    for (const limit of [1, 2, 3, 200]) {
      expect(await pages('perencana.pupr', '', limit)).toEqual(expected);
      expect(await pages('perencana.pupr', '&state=draft', limit)).toEqual(expected);
    }
    expect(await pages('perencana.pupr', '&org=dinkes', 1)).toEqual(expected.filter((id) => [otherOld, otherMiddle, otherNew].includes(id)));
    expect(await pages('perencana.pupr', '&state=opd_review', 1)).toEqual([]);
  });
});
