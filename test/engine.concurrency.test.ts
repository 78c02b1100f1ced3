import { describeBackends, describePostgres } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { openPostgres } from '../src/db/connect';
import { createTestDb } from './support/db';
import { proposal, YEAR } from './support/proposals';

/** Walks a fresh proposal to tapd_review and returns its id. */
async function toTapdReview(app: TestApp, year: number): Promise<string> {
  const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ fiscalYear: year }) })).body.id;
  for (const [u, t] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve'], ['verifikator.bappeda', 'verify']]) {
    const r = await app.call(u, 'POST', `/api/v1/instances/${id}/events`, { type: t });
    if (r.status !== 200) throw new Error(`${t}: ${r.status} ${r.text}`);
  }
  return id;
}

describePostgres('concurrent transitions', () => {
  test('20 concurrent approvals with the same If-Match: exactly one succeeds, one transition is stored', async () => {
    const app = await startTestApp('postgres');
    try {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
      const results = await Promise.all(
        Array.from({ length: 20 }, () => app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' }, { 'if-match': '"2"' })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 412)).toHaveLength(19);
      const rows = await app.db.kysely.selectFrom('audit_events').select(['seq', 'event']).where('instance_id', '=', id).orderBy('seq').execute();
      expect(rows).toEqual([{ seq: 1, event: 'create' }, { seq: 2, event: 'submit' }, { seq: 3, event: 'approve' }]);
      expect((await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}`)).body).toMatchObject({ version: 3, state: 'bappeda_verification' });
    } finally {
      await app.close();
    }
  });

  test('two app instances on one database approving against one ceiling never exceed it', async () => {
    const db = await createTestDb('postgres');
    const second = openPostgres({ connectionString: db.url!, max: 10 });
    const a = await startTestApp('postgres', { db });
    const b = await startTestApp('postgres', { db: second, seed: false, masterKey: a.masterKey });
    try {
      const year = YEAR + 5;
      // Each proposal totals 144,372,875: a ceiling of 1,000,000,000 holds six of them, not seven.
      expect((await a.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/dinkes`, { amount: 1_000_000_000 })).status).toBe(200);
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await toTapdReview(a, year));
      const results = await Promise.all(
        ids.map((id, i) => (i % 2 ? a : b).call('tapd.sekda', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })),
      );
      const ok = results.filter((r) => r.status === 200).length;
      expect(ok).toBe(6);
      expect(results.filter((r) => r.status === 422).every((r) => /ceiling-exceeded$/.test(r.body.type))).toBe(true);
      const ceilings = await b.call('tapd.sekda', 'GET', `/api/v1/ceilings/${year}`);
      const dinkes = ceilings.body.items.find((c: { org: string }) => c.org === 'dinkes');
      expect(dinkes.used).toBeLessThanOrEqual(1_000_000_000);
      expect(dinkes.used).toBe(6 * 144_372_875);
    } finally {
      await b.close();
      await a.close();
      await second.close();
      await db.close();
    }
  });

  test('concurrent events without If-Match are applied one after another, versions stay consecutive', async () => {
    const app = await startTestApp('postgres');
    try {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'update', data: proposal({ title: `Revisi ${i}` }) }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      const applied = results.filter((r) => r.status === 200).length;
      expect(applied).toBeGreaterThan(0);
      const seqs = (await app.db.kysely.selectFrom('audit_events').select('seq').where('instance_id', '=', id).orderBy('seq').execute()).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: applied + 1 }, (_, i) => i + 1));
    } finally {
      await app.close();
    }
  });
});

describeBackends('concurrent requests in one process', (kind) => {
  test('simultaneous approvals against one ceiling and simultaneous updates of one draft all settle', async () => {
    const app = await startTestApp(kind);
    try {
      const year = YEAR + 6;
      await app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${year}/dinkes`, { amount: 300_000_000 });
      const ids = [await toTapdReview(app, year), await toTapdReview(app, year), await toTapdReview(app, year)];
      const draft = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      const [approvals, updates] = await Promise.all([
        Promise.all(ids.map((id) => app.call('tapd.sekda', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' }))),
        Promise.all([1, 2, 3, 4].map((i) => app.call('perencana.dinkes', 'POST', `/api/v1/instances/${draft}/events`, { type: 'update', data: proposal({ title: `R${i}` }) }))),
      ]);
      expect(approvals.map((r) => r.status).sort()).toEqual([200, 200, 422]);
      expect(updates.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${draft}`)).body.version).toBe(5);
    } finally {
      await app.close();
    }
  });
});
