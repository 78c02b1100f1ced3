import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { proposal } from './support/proposals';

describeBackends('comments and attachments', (kind) => {
  let app: TestApp;
  let id: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
  });
  afterAll(async () => {
    await app.close();
  });

  const upload = (user: string, form: FormData) =>
    fetch(`${app.url}/api/v1/instances/${id}/comments`, { method: 'POST', headers: { authorization: `Bearer ${app.tokens[user]}` }, body: form });

  test('a comment with files is in the history and the audit trail; files come back byte for byte', async () => {
    const kak = crypto.randomBytes(300_000);
    const form = new FormData();
    form.append('comment', 'KAK dan RAB terlampir');
    form.append('files', new Blob([kak], { type: 'application/pdf' }), 'KAK Posyandu.pdf');
    form.append('files', new Blob(['harga satuan'], { type: 'text/plain' }), 'SSH 2026.txt');
    const res = await upload('perencana.dinkes', form);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { seq: number; attachments: Array<{ id: string; sha256: string; filename: string }> };
    expect(body.seq).toBe(2);
    expect(body.attachments.map((a) => a.filename)).toEqual(['KAK Posyandu.pdf', 'SSH 2026.txt']);
    expect(body.attachments[0]!.sha256).toBe(crypto.createHash('sha256').update(kak).digest('hex'));

    const history = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.at(-1)).toMatchObject({ event: 'comment', from: 'draft', to: 'draft', actor: 'perencana.dinkes', comment: 'KAK dan RAB terlampir' });
    expect(history.at(-1).payloadDigest).toMatch(/^[0-9a-f]{64}$/);
    const listed = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/attachments`)).body.items;
    expect(listed).toHaveLength(2);
    const file = await fetch(`${app.url}/api/v1/attachments/${listed[0].id}`, { headers: { authorization: `Bearer ${app.tokens['kadis.dinkes']}` } });
    expect(Buffer.from(await file.arrayBuffer()).equals(kak)).toBe(true);
    expect((await app.call('perencana.pupr', 'GET', `/api/v1/attachments/${listed[0].id}`)).status).toBe(404);
    // The comment took a version: the instance moved on.
    expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}`)).body.version).toBe(2);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);

    expect((await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/comments`, { comment: 'Mohon lengkapi spesifikasi' })).status).toBe(201);
  });

  test('refused: too large, empty, auditors, strangers — nothing written', async () => {
    const before = await writeCounts(app.db);
    const big = new FormData();
    big.append('comment', 'besar');
    big.append('files', new Blob([Buffer.alloc(10 * 1024 * 1024 + 1)]), 'besar.bin');
    expect((await upload('perencana.dinkes', big)).status).toBe(413);
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/comments`, { comment: '  ' })).status).toBe(422);
    expect((await app.call('auditor.inspektorat', 'POST', `/api/v1/instances/${id}/comments`, { comment: 'catatan' })).status).toBe(403);
    expect((await app.call('perencana.pupr', 'POST', `/api/v1/instances/${id}/comments`, { comment: 'catatan' })).status).toBe(404);
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/comments`, 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(await writeCounts(app.db)).toEqual(before);
  });
});
