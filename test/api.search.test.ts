import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { registerApplication, permitData } from './support/permits';

describeBackends('search', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('finds by title words, document number, registration number and NIK, within what the caller may read', async () => {
    const dinkes = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Revitalisasi Posyandu Melati 50%' }) })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${dinkes}/events`, { type: 'submit' });
    const number = (await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${dinkes}/documents`)).body.items[0].number;
    const permit = await registerApplication(app, permitData({ applicant: { name: 'Budi Hartono', nik: '3374010101900007', address: 'Jl. Pandanaran 1' } }));
    const ids = async (user: string, q: string) =>
      (await app.call(user, 'GET', `/api/v1/search?q=${encodeURIComponent(q)}`)).body.items.map((i: { id: string }) => i.id);

    expect(await ids('perencana.dinkes', 'posyandu melati')).toEqual([dinkes]);
    expect(await ids('perencana.dinkes', '50%')).toEqual([dinkes]); // % is literal, not a wildcard
    expect(await ids('auditor.inspektorat', number)).toEqual([dinkes]);
    expect(await ids('perencana.pupr', 'posyandu melati')).toEqual([]); // another OPD's proposal
    expect(await ids('fo.dpmptsp', permit.body.receipt.registrationNumber)).toEqual([permit.body.id]);
    expect(await ids('fo.dpmptsp', '3374010101900007')).toEqual([permit.body.id]);
    expect(await ids('perencana.dinkes', '3374010101900007')).toEqual([]);
    const bad = await app.call('perencana.dinkes', 'GET', '/api/v1/search?q=x');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('/q');
  });
});
