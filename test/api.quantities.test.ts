import { setPassword } from '../src/auth/passwords';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, TEST_PASSWORD } from './support/web';
import { proposal } from './support/proposals';
import { permitData } from './support/permits';
import { contractData, ratifiedPuprProposal } from './support/procurement';

/**
 * Issue 11, item 13: `volume: 1e-300` was accepted as a Rp 0 budget line. A quantity below one
 * hundredth (volume, output target, floor area, termin percentage) and an amount that rounds to
 * Rp 0 (a line's volume × unit price, a termin's share of the contract value) are refused with a
 * 422 naming the field, by the API and the console, and nothing is written.
 */
describeBackends('quantities below one hundredth and amounts of Rp 0', (kind) => {
  let app: TestApp;
  let dpa: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    dpa = await ratifiedPuprProposal(app.db.kysely, app.engine);
  });
  afterAll(async () => {
    await app?.close();
  });

  const line = (over: Record<string, unknown>) => ({ ...(proposal().lines as Array<Record<string, unknown>>)[0], ...over });
  const refusedAt = async (user: string, body: unknown, path: string, url = '/api/v1/instances') => {
    const res = await app.call(user, 'POST', url, body);
    expect({ status: res.status, type: res.headers.get('content-type'), paths: (res.body.errors as Array<{ path: string }> | undefined)?.map((e) => e.path) })
      .toEqual({ status: 422, type: expect.stringMatching(/^application\/problem\+json/), paths: expect.arrayContaining([path]) });
  };

  test('a budget line whose volume is below 0.01, or whose amount rounds to Rp 0, is refused; 0.01 × Rp 100 is Rp 1 and accepted', async () => {
    const before = await writeCounts(app.db);
    for (const volume of [1e-300, 5e-324, 1e-9, 0.001, 0.009]) {
      await refusedAt('perencana.dinkes', { workflow: 'budget-proposal', data: proposal({ lines: [line({ volume })] }) }, '/data/lines/0/volume');
    }
    for (const [volume, unitPrice] of [[0.01, 10], [0.01, 49], [1, 0], [0.5, 0]]) {
      await refusedAt('perencana.dinkes', { workflow: 'budget-proposal', data: proposal({ lines: [line({ volume, unitPrice })] }) }, '/data/lines/0/amount');
    }
    await refusedAt('perencana.dinkes', { workflow: 'budget-proposal', data: proposal({ output: { ...(proposal().output as object), target: 1e-300 } }) }, '/data/output/target');
    expect(await writeCounts(app.db)).toEqual(before);

    const ok = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ lines: [line({ volume: 0.01, unitPrice: 100 })] }) });
    expect(ok.status).toBe(201);
    expect(ok.body.data.lines[0].amount).toBe(1);
    // The same check on a draft's update.
    const update = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${ok.body.id}/events`, { type: 'update', data: proposal({ lines: [line({ volume: 1e-300 })] }) });
    expect(update.status).toBe(422);
    expect(update.body.errors.map((e: { path: string }) => e.path)).toContain('/data/lines/0/volume');
  });

  test('the console refuses a volume of 0.000…001 beside its field', async () => {
    await setPassword(app.db.kysely, 'admin', 'perencana.dinkes', TEST_PASSWORD);
    const planner = new ConsoleClient(app.url);
    await planner.signIn('perencana.dinkes', TEST_PASSWORD);
    const form = await planner.get('/new/budget-proposal');
    const before = await writeCounts(app.db);
    const res = await planner.post('/new/budget-proposal', {
      '/fiscalYear': String(proposal().fiscalYear), '/subKegiatan/code': '1.02.02.2.02.0001', '/subKegiatan/name': 'Pelayanan kesehatan', '/title': 'Posyandu',
      '/output/indicator': 'Posyandu aktif', '/output/target': '12', '/output/unit': 'posyandu', '/fundingSource': 'PAD', '/location': 'Kecamatan Tembalang',
      '/lines/0/account': '5.1.02.01.01.0024', '/lines/0/description': 'ATK', '/lines/0/volume': `0,${'0'.repeat(299)}1`, '/lines/0/unit': 'paket', '/lines/0/unitPrice': '1.000.000',
      _action: 'save', _csrf: csrfOf(form),
    });
    expect(res.status).toBe(422);
    expect(res.text).toMatch(/id="f-lines-0-volume-error">minimal 0,01</);
    expect(await writeCounts(app.db)).toEqual(before);
  });

  test('a permit floor area below 0.01 m² and a termin below 0.01 % or worth Rp 0 are refused', async () => {
    const before = await writeCounts(app.db);
    const application = permitData();
    await refusedAt('fo.dpmptsp', { workflow: 'permit', data: { ...application, object: { ...(application.object as object), floorArea: 1e-300 } } }, '/data/object/floorArea');
    await refusedAt('ppk.pupr', { workflow: 'procurement-delivery', data: contractData(dpa, { termins: [{ percent: 1e-300, threshold: 0 }, { percent: 100, threshold: 100 }] }) }, '/data/termins/0/percent');
    // 0.05 % of Rp 1,000 is Rp 0.5: a termin paying nothing.
    await refusedAt('ppk.pupr', { workflow: 'procurement-delivery', data: contractData(dpa, { value: 1000, termins: [{ percent: 0.05, threshold: 0 }, { percent: 99.95, threshold: 100 }] }) }, '/data/termins/0/percent');
    expect(await writeCounts(app.db)).toEqual(before);
  });
});
