import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';
import { ConsoleClient, csrfOf } from './support/web';
import { complaintData } from './support/complaints';
import { loadConfig } from '../src/config';

/**
 * The cap on attachments of a public submission (GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS, on the list
 * the package's publicIntake.attachments names): refused with 413 naming the list, on the API route
 * and the console form alike, before anything is written (not even the per-client limit's row).
 */
const MAX = 2;
const HASH = 'a'.repeat(64);
const files = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `foto-${i + 1}.jpg`, sha256: HASH }));

test('GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS: 5 by default, a non-negative integer', () => {
  expect(loadConfig({}).publicIntake.maxAttachments).toBe(5);
  expect(loadConfig({ GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS: '1' }).publicIntake.maxAttachments).toBe(1);
  expect(() => loadConfig({ GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS: 'banyak' })).toThrow(/GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS/);
});

describeBackends('attachment cap on public submissions', (kind) => {
  let app: TestApp;
  let address = 1;
  const fresh = () => ({ 'x-forwarded-for': `198.51.100.${address++}` });
  const state = async (): Promise<Record<string, number>> => ({
    ...(await writeCounts(app.db)),
    limitRows: (await app.db.kysely.selectFrom('public_requests').select('id').execute()).length,
    tracking: (await app.db.kysely.selectFrom('tracking_registrations').select('instance_id').execute()).length,
  });

  beforeAll(async () => {
    app = await startTestApp(kind, {
      env: { GRMS_TRUST_PROXY: 'loopback' },
      config: { publicIntake: { rate: { limit: 20, windowSeconds: 3600 }, maxBodyBytes: 65_536, maxAttachments: MAX } },
    });
  });
  afterAll(() => app.close());

  test('the API route: one over the cap is a 413 problem naming /data/attachments, nothing written; at the cap it files', async () => {
    const data = (n: number) => ({ ...complaintData('infrastruktur', 'Jl. Dr. Cipto', 'Jembatan retak.'), attachments: files(n) });
    const before = await state();
    const over = await app.call(undefined, 'POST', '/api/v1/public/workflows/complaint/instances', { data: data(MAX + 1) }, fresh());
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(over.body).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS', status: 413, errors: [{ path: '/data/attachments', message: `must NOT have more than ${MAX} items` }] });
    expect(await state()).toEqual(before);
    const filed = await app.call(undefined, 'POST', '/api/v1/public/workflows/complaint/instances', { data: data(MAX) }, fresh());
    expect(filed.status).toBe(201);
  });

  test('the console form: one row over the cap is refused in place (413), nothing written; at the cap it files', async () => {
    const browser = new ConsoleClient(app.url);
    const headers = fresh();
    const form = await browser.request('GET', '/lapor/complaint', undefined, headers);
    expect(form.status).toBe(200);
    const token = /name="_form" value="([^"]+)"/.exec(form.text)![1]!;
    const fields = (n: number) => {
      const out: Record<string, string> = {
        _csrf: csrfOf(form), _form: token, _action: 'save', '/category': 'kebersihan', '/location': 'Pasar Peterongan', '/text': 'Saluran tersumbat sampah.',
        '/anonymous': 'true', '/confidential': 'false',
      };
      for (const [i, f] of files(n).entries()) Object.assign(out, { [`/attachments/${i}/name`]: f.name, [`/attachments/${i}/sha256`]: f.sha256 });
      return out;
    };
    const before = await state();
    const over = await browser.request('POST', '/lapor/complaint', new URLSearchParams(fields(MAX + 1)), headers);
    expect(over.status).toBe(413);
    expect(over.text).toContain('id="error-summary"');
    expect(over.text).toContain(`Lampiran: maksimal ${MAX} baris`);
    // The form comes back with what was typed and its token, so the citizen removes a row and sends again.
    expect(over.text).toContain(`value="${token}"`);
    expect(over.text).toContain('foto-3.jpg');
    expect(await state()).toEqual(before);
    const sent = await browser.request('POST', '/lapor/complaint', new URLSearchParams(fields(MAX)), headers);
    expect([sent.status, sent.location]).toEqual([303, '/lapor/complaint/tanda-terima']);
    expect((await state()).workflow_instances).toBe(before.workflow_instances! + 1);
  });
});
