import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type Reply, type TestApp } from './support/app';
import { ConsoleClient, csrfOf, type PageReply } from './support/web';
import { proposal } from './support/proposals';
import { hostileSigner, otherPublicKey, rsaPublicKey, type HostileSigner } from './support/hostile-signature';

/**
 * The public verify under the attack it once fell to: an anonymous upload of a crafted signature
 * (a real signer whose issuer matches a fake CA, that CA with a 16,384-bit modulus embedded
 * thousands of times) kept the event loop busy for as long as the chain took to try. Now the shape
 * is refused before any certificate is parsed, checks run in their own threads with a time budget
 * and a bounded queue, and each client has a limit. All over real HTTP, API and console.
 */
jest.setTimeout(240_000);

/** Enough to let the crafted PDF through every structural limit. */
const RAISED = {
  GRMS_VERIFY_MAX_BYTES: String(64 * 1024 * 1024),
  GRMS_VERIFY_MAX_SIGNATURE_BYTES: String(32 * 1024 * 1024),
  GRMS_VERIFY_MAX_CERTIFICATES: '10000',
  GRMS_VERIFY_MAX_RSA_BITS: '16384',
};

let signer: HostileSigner;
/** The attack as reported: 4,400 copies of a 16,384-bit fake CA (about 24 MB). */
let attack: Buffer;
/** The same shape, small enough for the default body cap (5 MB). */
let smallAttack: Buffer;

beforeAll(async () => {
  signer = await hostileSigner();
  const huge = rsaPublicKey(16_384);
  attack = signer.pdf({ copies: 4400, caPublicKey: huge });
  smallAttack = signer.pdf({ copies: 800, caPublicKey: huge });
  expect(attack.length).toBeGreaterThan(20 * 1024 * 1024);
  expect(smallAttack.length).toBeLessThan(5 * 1024 * 1024);
});

const asPdf = { 'content-type': 'application/pdf' };
const verifyApi = (app: TestApp, pdf: Buffer): Promise<Reply> => app.call(undefined, 'POST', '/api/v1/verify', pdf, asPdf);

/** The console's upload form, posted by an anonymous browser (CSRF token from the page). */
async function verifyConsole(app: TestApp, pdf: Buffer): Promise<PageReply> {
  const anon = new ConsoleClient(app.url);
  const page = await anon.get('/verify?lang=en');
  const form = new FormData();
  form.set('_csrf', csrfOf(page));
  form.set('pdf', new Blob([pdf], { type: 'application/pdf' }), 'document.pdf');
  return anon.request('POST', '/verify', form);
}

/** A stage document exactly as grms issues it: a proposal submitted through the API. */
async function grmsDocument(app: TestApp): Promise<{ id: string; pdf: Buffer }> {
  const created = await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
  expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${created.body.id}/events`, { type: 'submit' })).status).toBe(200);
  const doc = await app.db.kysely.selectFrom('documents').select(['id', 'bytes']).where('instance_id', '=', created.body.id).executeTakeFirstOrThrow();
  return { id: doc.id, pdf: Buffer.from(doc.bytes) };
}

/** A sample of this process's Prometheus metrics, by its full series text. */
async function metric(app: TestApp, series: string): Promise<number> {
  const text = (await app.call(undefined, 'GET', '/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

describeBackends('public verify: bounded work on untrusted uploads', (kind) => {
  describe('default limits', () => {
    let app: TestApp;
    let doc: { id: string; pdf: Buffer };
    beforeAll(async () => {
      app = await startTestApp(kind);
      doc = await grmsDocument(app);
    });
    afterAll(async () => {
      await app?.close();
    });

    test('the crafted signature is refused with 422 SIGNATURE_LIMITS_EXCEEDED (API and console), the 24 MB one by the body cap, nothing written', async () => {
      const before = await writeCounts(app.db);
      const refused = await verifyApi(app, smallAttack);
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'SIGNATURE_LIMITS_EXCEEDED', status: 422, detail: expect.stringMatching(/\/Contents holds \d+ bytes \(at most 65536/) });
      const tooLarge = await verifyApi(app, attack);
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body.code).toBe('PAYLOAD_TOO_LARGE');

      const page = await verifyConsole(app, smallAttack);
      expect(page.status).toBe(422);
      expect(page.text).toContain('This signature is too large or too complex to be checked here.');
      expect((await verifyConsole(app, attack)).status).toBe(413);
      expect(await writeCounts(app.db)).toEqual(before);
      expect(await metric(app, 'grms_verify_refusals_total{reason="limits"}')).toBe(2);
    });

    test('each limit on the embedded certificates: count, RSA size and exponent, EC curve, key type', async () => {
      const cases: Array<[string, Buffer, RegExp]> = [
        ['11 certificates', signer.pdf({ copies: 10, caPublicKey: rsaPublicKey(2048) }), /embeds 11 certificates \(at most 10/],
        ['RSA 8192', signer.pdf({ copies: 1, caPublicKey: rsaPublicKey(8192) }), /RSA key of 8192 bits/],
        ['RSA 1024', signer.pdf({ copies: 1, caPublicKey: rsaPublicKey(1024) }), /RSA key of 1024 bits/],
        ['e = 3', signer.pdf({ copies: 1, caPublicKey: rsaPublicKey(2048, 3) }), /exponent is not 65537/],
        ['P-521', signer.pdf({ copies: 1, caPublicKey: otherPublicKey('ec', 'secp521r1') }), /curve other than P-256 or P-384/],
        ['Ed25519', signer.pdf({ copies: 1, caPublicKey: otherPublicKey('ed25519') }), /key of algorithm 1\.3\.101\.112/],
      ];
      for (const [name, pdf, detail] of cases) {
        const r = await verifyApi(app, pdf);
        expect({ name, status: r.status, code: r.body.code }).toEqual({ name, status: 422, code: 'SIGNATURE_LIMITS_EXCEEDED' });
        expect(r.body.detail).toMatch(detail);
      }
    });

    test('well-formed but invalid signatures within the limits stay 200 valid: false', async () => {
      for (const key of [rsaPublicKey(2048), otherPublicKey('ec', 'prime256v1'), otherPublicKey('ec', 'secp384r1')]) {
        const r = await verifyApi(app, signer.pdf({ copies: 3, caPublicKey: key }));
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ valid: false, reason: 'the signer certificate does not chain to a trusted CA', documentId: null });
      }
    });

    test('a grms document still verifies valid, through the API and the console', async () => {
      const r = await verifyApi(app, doc.pdf);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ valid: true, reason: 'ok', documentId: doc.id });
      const page = await verifyConsole(app, doc.pdf);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Signature VALID');
    });
  });

  describe('limits raised so the crafted PDF reaches the verifier', () => {
    let app: TestApp;
    let doc: { id: string; pdf: Buffer };
    beforeAll(async () => {
      // One verification thread, no queue, and a budget the check cannot reach.
      app = await startTestApp(kind, { env: { ...RAISED, GRMS_VERIFY_THREADS: '1', GRMS_VERIFY_QUEUE: '0', GRMS_VERIFY_BUDGET_MS: '600000' } });
      doc = await grmsDocument(app);
    });
    afterAll(async () => {
      await app?.close();
    });

    test('the server answers while the hostile check runs; a check beyond the queue gets 503 with Retry-After', async () => {
      const done: string[] = [];
      let settled = false;
      const hostile = verifyApi(app, attack).finally(() => {
        settled = true;
        done.push('hostile verify');
      });
      // Until the check is in its thread (the gauge says so), or it has ended without being seen there.
      while (!settled && !((await metric(app, 'grms_verify_checks{state="running"}')) >= 1)) await new Promise((r) => setTimeout(r, 20));
      expect(settled).toBe(false);

      const health = await app.call(undefined, 'GET', '/healthz');
      expect(health.status).toBe(200);
      done.push('healthz');
      const busy = await verifyApi(app, doc.pdf);
      expect(busy.status).toBe(503);
      expect(busy.body.code).toBe('VERIFY_BUSY');
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
      done.push('busy verify');
      const busyPage = await verifyConsole(app, doc.pdf);
      expect(busyPage.status).toBe(503);
      expect(Number(busyPage.headers.get('retry-after'))).toBeGreaterThan(0);
      done.push('busy console');

      const result = await hostile;
      expect(done).toEqual(['healthz', 'busy verify', 'busy console', 'hostile verify']);
      // Let through, the crafted signature is what it is: well formed, and invalid.
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ valid: false, reason: 'the signer certificate does not chain to a trusted CA' });
      expect((await verifyApi(app, doc.pdf)).body).toMatchObject({ valid: true, documentId: doc.id });
    });
  });

  describe('a small time budget and a rate limit', () => {
    let app: TestApp;
    let doc: { id: string; pdf: Buffer };
    beforeAll(async () => {
      app = await startTestApp(kind, { env: { ...RAISED, GRMS_VERIFY_BUDGET_MS: '100', GRMS_VERIFY_RATE_LIMIT: '6', GRMS_VERIFY_RATE_WINDOW_SECONDS: '3600' } });
      doc = await grmsDocument(app);
    });
    afterAll(async () => {
      await app?.close();
    });

    test('a check over its budget is refused with 422 VERIFY_BUDGET_EXCEEDED, and the next one gets a fresh thread', async () => {
      const over = await verifyApi(app, smallAttack);
      expect(over.status).toBe(422);
      expect(over.body).toMatchObject({ code: 'VERIFY_BUDGET_EXCEEDED', detail: expect.stringMatching(/longer than 100 ms/) });
      const overPage = await verifyConsole(app, smallAttack);
      expect(overPage.status).toBe(422);
      expect(overPage.text).toContain('ran over its time limit');
      expect(await metric(app, 'grms_verify_refusals_total{reason="budget"}')).toBe(2);
    });

    test('one client gets 6 checks in the window, however they arrive; then 429 with Retry-After on API and console', async () => {
      // Two checks were made above. Eight at once: recorded before counted, so at most 4 get through.
      const burst = await Promise.all(Array.from({ length: 8 }, () => verifyApi(app, doc.pdf)));
      // A check that got past the limiter may still run over the 100 ms budget on a loaded machine: it counted all the same.
      const through = (r: { status: number; body: { code?: string } }) => r.status === 200 || r.body.code === 'VERIFY_BUDGET_EXCEEDED';
      const passed = burst.filter(through);
      expect(passed.length).toBeLessThanOrEqual(4);
      expect(burst.filter((r) => !through(r)).map((r) => [r.status, r.body.code])).toEqual(Array(8 - passed.length).fill([429, 'TOO_MANY_VERIFICATIONS']));
      let sequential = 0;
      for (let r = await verifyApi(app, doc.pdf); through(r); r = await verifyApi(app, doc.pdf)) {
        if (r.status === 200) expect(r.body).toMatchObject({ valid: true, documentId: doc.id });
        sequential++;
      }
      expect(passed.length + sequential).toBe(4);

      const limited = await verifyApi(app, doc.pdf);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('TOO_MANY_VERIFICATIONS');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const limitedPage = await verifyConsole(app, doc.pdf);
      expect(limitedPage.status).toBe(429);
      expect(limitedPage.text).toContain('Too many documents checked from your address');
      expect(Number(limitedPage.headers.get('retry-after'))).toBeGreaterThan(0);
      // Refused attempts are not kept, so hammering does not push the window further out.
      const rows = await app.db.kysely.selectFrom('verify_attempts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(6);
    });
  });
});
