import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { mintToken } from '../src/auth/tokens';
import { pdftotext, missingPdfTools } from './support/pdf-tools';
import { verifyPdf } from '../src/documents/verify';

const day = (offset: number) => new Date(Date.now() + 7 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);

describeBackends('delegation (Plt/Plh)', (kind) => {
  let app: TestApp;
  let sekdin: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    expect((await app.call('admin', 'POST', '/api/v1/users', { username: 'sekdin.dinkes', fullName: 'Hadi Wibowo, S.KM., M.Kes.', position: 'Sekretaris Dinas Kesehatan', org: 'dinkes' })).status).toBe(201);
    sekdin = await mintToken(app.db.kysely, 'sekdin.dinkes');
  });
  afterAll(async () => {
    await app.close();
  });

  const submitted = async () => {
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    return id as string;
  };

  test('the delegate acts with their own certificate; the document says Plt.; the audit row says for whom', async () => {
    const id = await submitted();
    expect((await app.call(sekdin, 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(403);
    const made = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(5), reason: 'Dinas luar' });
    expect(made.status).toBe(201);
    expect((await app.call(sekdin, 'GET', '/api/v1/tasks')).body.items.map((t: { id: string }) => t.id)).toContain(id);
    const approved = await app.call(sekdin, 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' });
    expect(approved.status).toBe(200);
    const history = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.at(-1)).toMatchObject({ event: 'approve', actor: 'sekdin.dinkes', actorRole: 'opd_head', actingFor: 'kadis.dinkes' });
    const doc = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items.at(-1);
    const pdf = Buffer.from(await (await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } })).arrayBuffer());
    const ca = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
    expect(verifyPdf(pdf, [ca]).signer!.name).toBe('Hadi Wibowo, S.KM., M.Kes.');
    if (!missingPdfTools().length) expect(pdftotext(pdf).replace(/\s+/g, ' ')).toContain('Plt. Kepala Dinas Kesehatan');
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);

    // Ended: the delegate no longer acts.
    await app.call('kadis.dinkes', 'DELETE', `/api/v1/delegations/${made.body.id}`);
    const next = await submitted();
    expect((await app.call(sekdin, 'POST', `/api/v1/instances/${next}/events`, { type: 'approve' })).status).toBe(403);
  });

  test('an OPD role stays in the OPD; segregation of duties holds through delegation; others cannot delegate what they lack', async () => {
    const outsider = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { delegate: 'perencana.pupr', role: 'opd_head', org: 'dinkes', from: day(0), to: day(1) });
    expect(outsider.status).toBe(422);
    expect(outsider.body.errors[0].path).toBe('/delegate');
    expect((await app.call('perencana.dinkes', 'POST', '/api/v1/delegations', { delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(1) })).status).toBe(422);
    const bad = await app.call('kadis.dinkes', 'POST', '/api/v1/delegations', { delegate: 'sekdin.dinkes', role: 'opd_head', org: 'dinkes', from: day(3), to: day(1) });
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/to']);

    // The planner who submitted, made acting head, still may not approve their own proposal.
    const id = await submitted();
    expect((await app.call('admin', 'POST', '/api/v1/delegations', { delegator: 'kadis.dinkes', delegate: 'perencana.dinkes', role: 'opd_head', org: 'dinkes', from: day(0), to: day(2) })).status).toBe(201);
    const refused = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/segregation-of-duties$/);
  });
});
