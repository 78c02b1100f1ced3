import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { multipartBody, rawUpload } from './support/uploads';
import { MAX_COMMENT_LENGTH } from '../src/engine/comment-rules';

const MB = 1024 * 1024;
/** Small enough to reach in a test, large enough for the 10 MB-per-file limit to be tested on its own. */
const QUOTA = 11 * MB;
const PER_USER = 4;

describeBackends('comments and attachments', (kind) => {
  let app: TestApp;
  let id: string;
  beforeAll(async () => {
    app = await startTestApp(kind, { config: { comments: { perUser: PER_USER, windowSeconds: 3600, attachmentQuotaBytes: QUOTA } } });
    id = await newProposal();
  });
  afterAll(async () => {
    await app.close();
  });

  const newProposal = async () => (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
  const upload = (user: string, form: FormData, on = id) =>
    fetch(`${app.url}/api/v1/instances/${on}/comments`, { method: 'POST', headers: { authorization: `Bearer ${app.tokens[user]}` }, body: form });
  const comment = (user: string, on: string, text: unknown) => app.call(user, 'POST', `/api/v1/instances/${on}/comments`, { comment: text });
  const stored = async () => ({
    ...(await writeCounts(app.db)),
    attachments: Number((await app.db.kysely.selectFrom('attachments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    voids: Number((await app.db.kysely.selectFrom('void_document_numbers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
  });

  test('a comment with files is in the history and the audit trail; files come back byte for byte', async () => {
    const kak = crypto.randomBytes(300_000);
    const form = new FormData();
    form.append('comment', 'KAK dan RAB terlampir');
    form.append('files', new Blob([kak], { type: 'application/pdf' }), 'KAK Posyandu.pdf');
    form.append('files', new Blob(['harga satuan'], { type: 'text/plain' }), 'SSH 2026.txt');
    const res = await upload('perencana.dinkes', form);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { seq: number; version: number; attachments: Array<{ id: string; sha256: string; filename: string }> };
    expect(body.seq).toBe(2);
    expect(body.attachments.map((a) => a.filename)).toEqual(['KAK Posyandu.pdf', 'SSH 2026.txt']);
    expect(body.attachments[0]!.sha256).toBe(crypto.createHash('sha256').update(kak).digest('hex'));

    const history = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/history`)).body.items;
    expect(history.at(-1)).toMatchObject({ seq: 2, event: 'comment', from: 'draft', to: 'draft', actor: 'perencana.dinkes', comment: 'KAK dan RAB terlampir' });
    expect(history.at(-1).payloadDigest).toMatch(/^[0-9a-f]{64}$/);
    const listed = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/attachments`)).body.items;
    expect(listed).toHaveLength(2);
    const file = await fetch(`${app.url}/api/v1/attachments/${listed[0].id}`, { headers: { authorization: `Bearer ${app.tokens['kadis.dinkes']}` } });
    expect(Buffer.from(await file.arrayBuffer()).equals(kak)).toBe(true);
    expect((await app.call('perencana.pupr', 'GET', `/api/v1/attachments/${listed[0].id}`)).status).toBe(404);
    // The comment is history, not a change of the instance: its version stays (the version
    // counts state and data changes only).
    expect(body.version).toBe(1);
    expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}`)).body.version).toBe(1);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);

    expect((await comment('kadis.dinkes', id, 'Mohon lengkapi spesifikasi')).status).toBe(201);
    // The next transition continues the chain after the comments; the trail still verifies.
    const submitted = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' });
    expect(submitted.body.version).toBe(2);
    expect((await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/history`)).body.items.map((h: { seq: number; event: string }) => [h.seq, h.event]))
      .toEqual([[1, 'create'], [2, 'comment'], [3, 'comment'], [4, 'submit']]);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
  });

  test('refused: too large, empty, auditors, strangers — nothing written', async () => {
    const before = await stored();
    const big = await rawUpload(app.url, app.tokens['perencana.dinkes']!, id, multipartBody('besar', [{ filename: 'besar.bin', bytes: Buffer.alloc(10 * MB + 1) }]));
    expect(big).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } });
    expect((await comment('perencana.dinkes', id, '  ')).status).toBe(422);
    expect((await comment('auditor.inspektorat', id, 'catatan')).status).toBe(403);
    expect((await comment('perencana.pupr', id, 'catatan')).status).toBe(404);
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/comments`, 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect(await stored()).toEqual(before);
  });

  test(`one length limit, ${MAX_COMMENT_LENGTH} characters, for comments and event comments alike (422 naming /comment)`, async () => {
    const on = await newProposal();
    const before = await stored();
    const tooLong = 'a'.repeat(MAX_COMMENT_LENGTH + 1);
    const refusedJson = await comment('perencana.dinkes', on, tooLong);
    expect(refusedJson.status).toBe(422);
    expect(refusedJson.body.errors).toEqual([{ path: '/comment', message: `must be at most ${MAX_COMMENT_LENGTH} characters` }]);
    const form = new FormData();
    form.append('comment', tooLong);
    const refusedMultipart = await upload('perencana.dinkes', form, on);
    expect(refusedMultipart.status).toBe(422);
    expect(((await refusedMultipart.json()) as { errors: unknown }).errors).toEqual([{ path: '/comment', message: `must be at most ${MAX_COMMENT_LENGTH} characters` }]);
    const refusedEvent = await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${on}/events`, { type: 'submit', comment: tooLong });
    expect(refusedEvent.status).toBe(422);
    expect(refusedEvent.body.errors).toEqual([{ path: '/comment', message: `must be at most ${MAX_COMMENT_LENGTH} characters` }]);
    expect(await stored()).toEqual(before);

    const longest = 'b'.repeat(MAX_COMMENT_LENGTH);
    expect((await comment('perencana.dinkes', on, longest)).status).toBe(201);
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${on}/events`, { type: 'submit', comment: longest })).status).toBe(200);
    // The OpenAPI document states the same limit.
    const doc = (await app.call(undefined, 'GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/instances/{id}/comments'].post.requestBody.content['application/json'].schema.properties.comment.maxLength).toBe(MAX_COMMENT_LENGTH);
  });

  test('a comment changes neither version nor ETag: an event with If-Match succeeds after comments, and none voids a document number', async () => {
    const on = await newProposal();
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${on}/events`, { type: 'submit' });
    const seen = await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${on}`);
    const etag = seen.headers.get('etag')!;
    expect(etag).toBe('"2"');
    expect((await comment('perencana.dinkes', on, 'Lampiran KAK menyusul')).status).toBe(201);
    expect((await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${on}`)).headers.get('etag')).toBe(etag);
    const voidsBefore = (await stored()).voids;

    // The approval renders and signs its document while others keep commenting.
    const [approved, ...comments] = await Promise.all([
      app.call('kadis.dinkes', 'POST', `/api/v1/instances/${on}/events`, { type: 'approve', comment: 'Setuju' }, { 'if-match': etag }),
      ...['perencana.dinkes', 'kadis.dinkes', 'perencana.dinkes', 'kadis.dinkes'].map((u, i) => comment(u, on, `Catatan serentak ${i}`)),
    ]);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'bappeda_verification', version: 3 });
    expect(comments.map((c) => c.status)).toEqual([201, 201, 201, 201]);
    expect((await stored()).voids).toBe(voidsBefore);
    const documents = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${on}/documents`)).body.items;
    expect(documents.map((d: { title: string }) => d.title)).toEqual(['Surat Pengantar RKA', 'Lembar Persetujuan Kepala OPD']);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body.ok).toBe(true);
  });

  test(`rate: at most ${PER_USER} comments per person per instance in the window (written, then counted), 429 after`, async () => {
    const on = await newProposal();
    const other = await newProposal();
    // A burst: under the instance's lock each comment is written and then counted, so exactly
    // the allowed number gets through, however they interleave.
    const burst = await Promise.all(Array.from({ length: PER_USER + 3 }, (_, i) => comment('perencana.dinkes', on, `Catatan ${i}`)));
    expect(burst.map((r) => r.status).sort()).toEqual([...Array(PER_USER).fill(201), ...Array(3).fill(429)]);
    const refused = burst.find((r) => r.status === 429)!;
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'TOO_MANY_COMMENTS', status: 429 });
    const before = await stored();
    const again = await comment('perencana.dinkes', on, 'satu lagi');
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    // A multipart comment over the limit is refused before its body is read.
    const unread = await rawUpload(app.url, app.tokens['perencana.dinkes']!, on, multipartBody('berkas', [{ filename: 'a.bin', bytes: Buffer.alloc(MB) }]), { stopAfter: 64 * 1024 });
    expect(unread).toMatchObject({ status: 429, body: { code: 'TOO_MANY_COMMENTS' }, finishedSending: false });
    expect(await stored()).toEqual(before);
    expect((await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${on}/history`)).body.items.filter((h: { event: string }) => h.event === 'comment')).toHaveLength(PER_USER);
    // Per person and per instance: others still comment here, and this person elsewhere.
    expect((await comment('kadis.dinkes', on, 'Saya juga')).status).toBe(201);
    expect((await comment('perencana.dinkes', other, 'Di usulan lain')).status).toBe(201);
  });

  test('multipart from someone who may not comment is refused before its body is read; nothing stored', async () => {
    const before = await stored();
    const body = multipartBody('lampiran', [{ filename: 'besar.bin', bytes: Buffer.alloc(40 * MB) }]);
    for (const [user, status] of [['perencana.pupr', 404], ['auditor.inspektorat', 403]] as const) {
      // The client sends the first 64 KB and waits: the answer comes while it could still send.
      const reply = await rawUpload(app.url, app.tokens[user]!, id, body, { stopAfter: 64 * 1024 });
      expect(reply).toMatchObject({ status, finishedSending: false });
      expect(reply.headers['content-type']).toContain('application/problem+json');
      expect(reply.headers.connection).toBe('close');
    }
    expect(await stored()).toEqual(before);
    // The server keeps serving.
    expect((await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}`)).status).toBe(200);
  });

  test('per-instance attachment quota: an upload that would go over it is refused (413), nothing half-written', async () => {
    const on = await newProposal();
    const first = await rawUpload(app.url, app.tokens['perencana.dinkes']!, on, multipartBody('RAB', [{ filename: 'rab.bin', bytes: crypto.randomBytes(MB) }]));
    expect(first.status).toBe(201);
    const before = await stored();
    // Two files of 5.5 MB each: the first fits beside the stored one, the second goes over; neither is kept.
    const over = await rawUpload(app.url, app.tokens['kadis.dinkes']!, on, multipartBody('Revisi', [
      { filename: 'a.bin', bytes: crypto.randomBytes(5.5 * MB) }, { filename: 'b.bin', bytes: crypto.randomBytes(5.5 * MB) },
    ]));
    expect(over).toMatchObject({ status: 413, body: { code: 'ATTACHMENT_QUOTA_EXCEEDED' } });
    expect(await stored()).toEqual(before);
    const files = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${on}/attachments`)).body.items;
    expect(files.map((f: { filename: string }) => f.filename)).toEqual(['rab.bin']);
    // What still fits is accepted; comments without files are never held back by the quota.
    expect((await rawUpload(app.url, app.tokens['kadis.dinkes']!, on, multipartBody('Kecil', [{ filename: 'c.bin', bytes: Buffer.alloc(MB) }]))).status).toBe(201);
    expect((await comment('kadis.dinkes', on, 'Tanpa lampiran')).status).toBe(201);
  });
});
