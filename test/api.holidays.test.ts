import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';

describeBackends('holidays', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind, { seed: true });
  });
  afterAll(async () => {
    await app.close();
  });

  test('admins keep the holiday table; everyone reads it; bad input is refused', async () => {
    const put = await app.call('admin', 'PUT', '/api/v1/holidays/2026-12-25', { name: 'Hari Raya Natal' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ date: '2026-12-25', name: 'Hari Raya Natal', createdBy: 'admin' });
    expect((await app.call('admin', 'PUT', '/api/v1/holidays/2026-12-26', { name: 'Cuti bersama Natal' })).status).toBe(200);
    const list = await app.call('perencana.dinkes', 'GET', '/api/v1/holidays?year=2026');
    expect(list.body.items.map((h: { date: string }) => h.date)).toEqual(['2026-12-25', '2026-12-26']);
    expect((await app.call('kadis.dinkes', 'PUT', '/api/v1/holidays/2026-12-31', { name: 'x' })).status).toBe(403);
    const bad = await app.call('admin', 'PUT', '/api/v1/holidays/2026-02-30', { name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/date');
    const empty = await app.call('admin', 'PUT', '/api/v1/holidays/2026-12-31', { name: '  ' });
    expect(empty.status).toBe(422);
    expect(empty.body.errors[0].path).toBe('/name');
    expect((await app.call('admin', 'DELETE', '/api/v1/holidays/2026-12-26')).status).toBe(204);
    expect((await app.call('admin', 'DELETE', '/api/v1/holidays/2026-12-26')).status).toBe(404);
    expect((await app.call('perencana.dinkes', 'GET', '/api/v1/holidays?year=2026')).body.items).toHaveLength(1);
  });
});
