import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { seedDemo } from '../src/seed/demo';
import { verifyPdf } from '../src/documents/verify';
import { mintToken } from '../src/auth/tokens';

describeBackends('demo data set with permits', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind, { seed: false });
  });
  afterAll(async () => {
    await app.close();
  });

  test('seedDemo loads on a fresh database, once, with permits in several states and an issued SK Izin', async () => {
    expect(await seedDemo(app.db.kysely, app.engine)).toEqual({ created: true });
    expect(await seedDemo(app.db.kysely, app.engine)).toEqual({ created: false });
    const permits = await app.db.kysely.selectFrom('workflow_instances').selectAll().where('workflow', '=', 'permit').execute();
    expect(new Set(permits.map((p) => p.state))).toEqual(new Set(['issued', 'awaiting_payment', 'technical_review', 'returned', 'completeness_check', 'rejected']));
    const issued = permits.find((p) => p.state === 'issued')!;
    expect(issued.data.permitNumber).toMatch(/^503\/\d{4}\/DPMPTSP\/\d{4}$/);
    // Every permit has its registration (complaints, seeded too, have theirs).
    const registered = await app.db.kysely.selectFrom('tracking_registrations as t').innerJoin('workflow_instances as w', 'w.id', 't.instance_id')
      .select('t.instance_id').where('w.workflow', '=', 'permit').execute();
    expect(registered).toHaveLength(permits.length);

    const token = await mintToken(app.db.kysely, 'kadis.pupr');
    const headers = { authorization: `Bearer ${token}` };
    const docs = (await (await fetch(`${app.url}/api/v1/instances/${issued.id}/documents`, { headers })).json()) as { items: Array<{ id: string; title: string; number: string }> };
    const sk = docs.items.find((d) => d.title === 'Surat Keputusan Izin')!;
    expect(sk.number).toBe(issued.data.permitNumber);
    const pdf = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${sk.id}`, { headers })).arrayBuffer());
    const ca = await (await fetch(`${app.url}/api/v1/ca.pem`)).text();
    expect(verifyPdf(pdf, [ca])).toMatchObject({ valid: true });
    // kadis.pupr assessed the fee of the one waiting for payment; the PUPR technical team has one in its inbox.
    const waiting = permits.find((p) => p.state === 'awaiting_payment')!;
    const assessed = await app.db.kysely.selectFrom('audit_events').select(['actor', 'actor_role']).where('instance_id', '=', waiting.id).where('event', '=', 'assess_fee').execute();
    expect(assessed).toEqual([{ actor: 'kadis.pupr', actor_role: 'opd_head' }]);
    const team = { authorization: `Bearer ${await mintToken(app.db.kysely, 'timteknis.pupr')}` };
    const tasks = (await (await fetch(`${app.url}/api/v1/tasks?workflow=permit`, { headers: team })).json()) as { items: Array<{ state: string }> };
    expect(tasks.items.map((t) => t.state)).toEqual(['technical_review']);

    // Contracts in several states (their OCDS: test/api.ocds-publication.test.ts); the one in
    // maintenance has its first two termins paid, and its provider reads its OCDS releases.
    const contracts = await app.db.kysely.selectFrom('workflow_instances').selectAll().where('workflow', '=', 'procurement-delivery').execute();
    expect(contracts.map((c) => c.state).sort()).toEqual(['awarded', 'closed', 'in_progress', 'in_progress', 'maintenance', 'terminated']);
    const contract = contracts.find((c) => c.state === 'maintenance')!;
    const sp2d = await app.db.kysely.selectFrom('audit_events').select('seq').where('instance_id', '=', contract.id).where('event', '=', 'issue_sp2d').execute();
    expect(sp2d).toHaveLength(2);
    const provider = { authorization: `Bearer ${await mintToken(app.db.kysely, 'penyedia.cvmaju')}` };
    const ocds = await fetch(`${app.url}/api/v1/instances/${contract.id}/ocds`, { headers: provider });
    expect(ocds.status).toBe(200);
    const pkg = (await ocds.json()) as { releases: Array<{ contracts?: Array<{ implementation: { transactions: unknown[] } }> }> };
    expect(pkg.releases.at(-1)!.contracts![0]!.implementation.transactions).toHaveLength(2);
  });
});
