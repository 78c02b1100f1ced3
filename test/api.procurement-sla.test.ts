import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { award, contractData, fireSteps, ratifiedPuprProposal, SIGN_AND_START } from './support/procurement';
import { fireDueDeadlines } from '../src/sla/scheduler';

// A regency in Papua: WIT, UTC+9. Its calendar days start two hours before Jakarta's.
const TZ = 'Asia/Jayapura';
const wit = (local: string) => new Date(`${local.replace(' ', 'T')}+09:00`);
const endOfWitDay = (day: string) => new Date(`${day}T14:59:59.999Z`);

describeBackends('procurement payment deadlines and local dates', (kind) => {
  let app: TestApp;
  let now = wit('2026-11-20 10:00');
  let proposalId: string;
  const tasks = async (user: string, id: string) =>
    (await app.call(user, 'GET', '/api/v1/tasks?workflow=procurement-delivery')).body.items.find((t: { id: string }) => t.id === id);

  beforeAll(async () => {
    app = await startTestApp(kind, { timezone: TZ, clock: () => now });
    proposalId = await ratifiedPuprProposal(app.db.kysely, app.engine);
  });
  afterAll(async () => {
    await app.close();
  });

  test('each payment step (SPP, SPM, SP2D) is due 2 working days after it is entered, skipping weekends and holidays', async () => {
    const id = await award(app, contractData(proposalId, { startDate: '2026-08-03', endDate: '2026-12-31' }));
    await fireSteps(app, id, [...SIGN_AND_START, ['penyedia.cvmaju', 'report_progress', { data: { percent: 35 } }], ['penyedia.cvmaju', 'claim_termin', { data: { termin: 1 } }]]);
    // A regional holiday on Monday 30 November, declared before the termin is approved.
    expect((await app.call('admin', 'PUT', '/api/v1/holidays/2026-11-30', { name: 'Cuti bersama' })).status).toBe(200);

    // Approved on Friday 27 Nov: Saturday, Sunday and the Monday holiday do not count -> Wednesday 2 Dec.
    now = wit('2026-11-27 16:00');
    await fireSteps(app, id, [['ppk.pupr', 'approve_termin']]);
    expect(await tasks('bendahara.pupr', id)).toMatchObject({ state: 'payment.spp', dueAt: endOfWitDay('2026-12-02').toISOString(), overdue: false });

    // SPP submitted on Wednesday 2 Dec at 23:30 WIT (still 2 Dec there, 21:30 in Jakarta): SPM due Friday 4 Dec.
    now = wit('2026-12-02 23:30');
    await fireSteps(app, id, [['bendahara.pupr', 'submit_spp']]);
    expect(await tasks('bendahara.pupr', id)).toBeUndefined();
    const spm = await tasks('kadis.pupr', id);
    expect(spm).toMatchObject({ state: 'payment.spm', dueAt: endOfWitDay('2026-12-04').toISOString() });
    const open = await app.db.kysely.selectFrom('deadlines').select(['state', 'working_days']).where('instance_id', '=', id).execute();
    expect(open).toEqual([{ state: 'payment.spm', working_days: 2 }]);

    // Nobody signs the SPM: one escalation at the last millisecond of Friday in Jayapura, not before.
    expect(await fireDueDeadlines(app.db.kysely, new Date(endOfWitDay('2026-12-04').getTime() - 1))).toBe(0);
    expect(await fireDueDeadlines(app.db.kysely, endOfWitDay('2026-12-04'))).toBe(1);
    expect(await fireDueDeadlines(app.db.kysely, wit('2026-12-09 09:00'))).toBe(0);
    expect(await tasks('kadis.pupr', id)).toMatchObject({ state: 'payment.spm', overdue: true });

    // SPM issued on Monday 7 Dec: SP2D due Wednesday 9 Dec; paying ends the payment deadlines.
    now = wit('2026-12-07 09:00');
    await fireSteps(app, id, [['kadis.pupr', 'issue_spm']]);
    expect(await tasks('bud.bpkad', id)).toMatchObject({ state: 'payment.sp2d', dueAt: endOfWitDay('2026-12-09').toISOString(), overdue: false });
    await fireSteps(app, id, [['bud.bpkad', 'issue_sp2d']]);
    expect(await app.db.kysely.selectFrom('deadlines').select('state').where('instance_id', '=', id).execute()).toEqual([]);
    const history = (await app.call('ppk.pupr', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.filter((h: { event: string }) => h.event === 'escalated').map((h: { from: string }) => h.from)).toEqual(['payment.spm']);
  });

  test('handover, BAST and FHO dates are calendar days in GRMS_TIMEZONE, and so is the late penalty', async () => {
    now = wit('2026-11-20 10:00');
    const id = await award(app, contractData(proposalId, { startDate: '2026-08-03', endDate: '2026-11-30', maintenanceDays: 1 }));
    await fireSteps(app, id, [...SIGN_AND_START, ['penyedia.cvmaju', 'report_progress', { data: { percent: 100 } }]]);
    // 00:30 on 1 December in Jayapura is still 30 November in Jakarta: one day late here, not zero.
    now = wit('2026-12-01 00:30');
    await fireSteps(app, id, [['penyedia.cvmaju', 'request_handover'], ['ppk.pupr', 'sign_bast']]);
    const data = (await app.call('ppk.pupr', 'GET', `/api/v1/instances/${id}`)).body.data;
    expect({ handoverRequested: data.handoverRequested, bastDate: data.bastDate, penalty: data.penalty }).toEqual({
      handoverRequested: '2026-12-01', bastDate: '2026-12-01', penalty: { days: 1, amount: 1_000_000, deducted: 0 },
    });
    // The one-day maintenance period ends on 2 December local time.
    now = wit('2026-12-01 23:59');
    const early = await app.call('ppk.pupr', 'POST', `/api/v1/instances/${id}/events`, { type: 'sign_fho' });
    expect([early.status, early.body.type]).toEqual([422, 'https://grms.dev/problems/maintenance-period-running']);
    now = wit('2026-12-02 00:05');
    await fireSteps(app, id, [['ppk.pupr', 'sign_fho']]);
    expect((await app.call('ppk.pupr', 'GET', `/api/v1/instances/${id}`)).body.data.fhoDate).toBe('2026-12-02');

    // The OCDS contract period runs from the start of the first to the end of the last local day.
    const period = (await app.call('ppk.pupr', 'GET', `/api/v1/instances/${id}/ocds`)).body.releases.at(-1).contracts[0].period;
    expect(period).toEqual({ startDate: '2026-08-02T15:00:00.000Z', endDate: '2026-11-30T14:59:59.999Z' });
  });
});
