import http from 'node:http';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { PUBLIC_URL, startTestApp, type TestApp } from './support/app';
import { permitData, registerApplication } from './support/permits';
import { proposal } from './support/proposals';
import { ConsoleClient, TEST_PASSWORD } from './support/web';
import { missingPdfTools, pdftotext } from './support/pdf-tools';
import { createLogger } from '../src/log';
import { setPassword } from '../src/auth/passwords';

const EVIL_HOST = 'evil.example:666';
const NIK = '3374015708920001'; // the NIK of permitData()

/** One HTTP request with a Host header of our choosing (fetch will not send one). */
function rawRequest(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A PDF's text on one line (pdftotext), or null where poppler is missing outside CI. */
function textOf(pdf: Buffer): string | null {
  if (missingPdfTools().length) {
    if (process.env.CI === 'true') throw new Error('pdftotext is missing; CI=true requires it');
    console.warn('!! SKIPPED the text check of a PDF: pdftotext is missing (apt-get install -y poppler-utils)');
    return null;
  }
  return pdftotext(pdf).replace(/\s+/g, ' ');
}

describeBackends('the request\'s Host header and logs', (kind) => {
  let app: TestApp;
  const logged: string[] = [];
  let registration: string;
  let pin: string;
  let instanceId: string;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    app = await startTestApp(kind, { logger: createLogger('info', sink) });
    const reg = await registerApplication(app, permitData());
    ({ registrationNumber: registration, pin } = reg.body.receipt);
    instanceId = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${instanceId}/events`, { type: 'submit' })).status).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  test('a hostile Host header: the seal-signed receipt and audit reports (API and console) print the configured public URL only', async () => {
    const receipt = await rawRequest(app.url, 'POST', '/api/v1/permits/receipt.pdf', {
      host: EVIL_HOST, authorization: `Bearer ${app.tokens['fo.dpmptsp']}`, 'content-type': 'application/json',
    }, JSON.stringify({ registrationNumber: registration, pin }));
    expect(receipt.status).toBe(200);
    const report = await rawRequest(app.url, 'GET', `/api/v1/instances/${instanceId}/audit.pdf`, { host: EVIL_HOST, authorization: `Bearer ${app.tokens['auditor.inspektorat']}` });
    expect(report.status).toBe(200);
    await setPassword(app.db.kysely, 'admin', 'auditor.inspektorat', TEST_PASSWORD);
    const browser = new ConsoleClient(app.url);
    expect((await browser.signIn('auditor.inspektorat', TEST_PASSWORD)).status).toBe(303);
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const consoleReport = await rawRequest(app.url, 'GET', `/audit/report?instance=${instanceId}`, { host: EVIL_HOST, cookie, accept: 'text/html' });
    expect(consoleReport.status).toBe(200);

    for (const [name, pdf, link] of [
      ['receipt', receipt.body, `${PUBLIC_URL}/permits/status`],
      ['API audit report', report.body, `${PUBLIC_URL}/api/v1/instances/${instanceId}/audit.pdf`],
      ['console audit report', consoleReport.body, `${PUBLIC_URL}/api/v1/instances/${instanceId}/audit.pdf`],
    ] as const) {
      const raw = pdf.toString('latin1');
      expect({ name, evil: raw.includes('evil.example') }).toEqual({ name, evil: false });
      const text = textOf(pdf);
      if (text === null) continue;
      // pdfkit may wrap a long link anywhere: compare without the breaks.
      const joined = text.replace(/ /g, '');
      expect({ name, link: joined.includes(link.replace(/ /g, '')), evil: /evil\.example/.test(text) }).toEqual({ name, link: true, evil: false });
    }
  });

  test('no PIN, password, token or NIK reaches the log, on success, on refusal and on a 5xx', async () => {
    const token = app.tokens['perencana.dinkes']!;
    const secretQuery = `token=${token}&password=${TEST_PASSWORD}&nik=${NIK}&access_token=${token}`;
    // Requests that carry them and succeed or are refused.
    expect((await app.call(undefined, 'GET', `/permits/status?registrationNumber=${encodeURIComponent(registration)}&pin=${pin}`)).status).toBe(200);
    expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber: registration, pin })).status).toBe(200);
    expect((await app.call(undefined, 'POST', '/api/v1/permits/status', { registrationNumber: registration, pin: '00000000' })).status).toBe(404);
    expect((await app.call('perencana.dinkes', 'GET', `/api/v1/tasks?${secretQuery}`)).status).toBe(200);
    expect((await app.call('fo.dpmptsp', 'GET', `/api/v1/search?q=${NIK}`)).status).toBe(200);
    expect((await app.call(`${token}x`, 'GET', `/api/v1/tasks?${secretQuery}`)).status).toBe(401);
    await setPassword(app.db.kysely, 'admin', 'kadis.dinkes', TEST_PASSWORD);
    expect((await new ConsoleClient(app.url).signIn('kadis.dinkes', TEST_PASSWORD)).status).toBe(303);

    // A 5xx: the table the permit lookup and registration write to is gone (a broken deployment),
    // so these requests fail inside the database with their secrets in the URL, the body and
    // the statement's parameters.
    const before = logged.length;
    await sql`ALTER TABLE tracking_registrations RENAME TO tracking_registrations_away`.execute(app.db.kysely);
    try {
      // Outside any contract (a broken deployment), so not checked against the OpenAPI document.
      const failed = await app.callUnchecked(undefined, 'GET', `/permits/status?registrationNumber=${encodeURIComponent(registration)}&pin=${pin}&${secretQuery}`);
      expect(failed.status).toBe(500);
      expect((await app.callUnchecked(undefined, 'POST', '/api/v1/permits/status', { registrationNumber: registration, pin })).status).toBe(500);
      expect((await app.callUnchecked('fo.dpmptsp', 'POST', `/api/v1/instances?pin=${pin}&nik=${NIK}`, { workflow: 'permit', data: permitData() })).status).toBe(500);
    } finally {
      await sql`ALTER TABLE tracking_registrations_away RENAME TO tracking_registrations`.execute(app.db.kysely);
    }
    const failures = logged.slice(before).map((l) => JSON.parse(l)).filter((l) => l.level >= 50);
    // The failures were logged, with their URLs, secrets blanked.
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures.map((l) => l.url)).toContain(
      `/permits/status?registrationNumber=${encodeURIComponent(registration)}&pin=[REDACTED]&token=[REDACTED]&password=[REDACTED]&nik=[REDACTED]&access_token=[REDACTED]`,
    );
    expect(failures.every((l) => typeof l.err?.message === 'string')).toBe(true);

    const all = logged.join('');
    const hash = (await sql<{ token_hash: string }>`SELECT token_hash FROM api_tokens LIMIT 1`.execute(app.db.kysely)).rows[0]!.token_hash;
    const pinHash = (await sql<{ pin_hash: string }>`SELECT pin_hash FROM tracking_registrations LIMIT 1`.execute(app.db.kysely)).rows[0]!.pin_hash;
    // 'scrypt$': any PIN or password hash, e.g. the one a failed registration tried to insert.
    const found = Object.fromEntries(Object.entries({ pin, NIK, token, password: TEST_PASSWORD, tokenHash: hash, pinHash, anyHash: 'scrypt$' }).map(([k, v]) => [k, all.includes(v)]));
    expect(found).toEqual({ pin: false, NIK: false, token: false, password: false, tokenHash: false, pinHash: false, anyHash: false });
  });
});

describe('log scrubbing', () => {
  test('secret keys at any depth, secret query values, bearer credentials and NIKs are blanked; the rest is kept', () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }));
    const err = Object.assign(new Error(`lookup of ${NIK} failed`), { params: ['REG/1', 'scrypt$16384$8$1$c2FsdA==$a2V5'], query: 'select 1', detail: `Key (nik)=(${NIK}) exists` });
    logger.error({
      err, url: `/x?registration=REG%2F1&PIN=12345678&newPassword=a%20b&q=${NIK}`, list: '/list/permit?state=issued&q=9120001234567',
      body: { applicant: { nik: NIK, name: 'Rina' }, lines: [{ password: 'pw-123456', amount: 5 }], csrf_token: 'c', total: 1234567890123456 },
      headers: { authorization: 'Bearer grms_abc', 'x-note': 'sent Bearer grms_def along' },
    }, 'failed');
    logger.error(new Error(`no row for NIK ${NIK}`));
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first.url).toBe('/x?registration=REG%2F1&PIN=[REDACTED]&newPassword=[REDACTED]&q=[REDACTED]');
    // A search text may be a NIB (13 digits, no pattern to spot): blanked by its key.
    expect(first.list).toBe('/list/permit?state=issued&q=[REDACTED]');
    expect(first.body).toEqual({ applicant: { nik: '[REDACTED]', name: 'Rina' }, lines: [{ password: '[REDACTED]', amount: 5 }], csrf_token: '[REDACTED]', total: '[NIK]' });
    expect(first.headers['x-note']).toBe('sent Bearer [REDACTED] along');
    expect(first.headers.authorization ?? '').not.toContain('grms_abc');
    expect(first.err).toMatchObject({ message: 'lookup of [NIK] failed', query: 'select 1', detail: 'Key (nik)=([NIK]) exists' });
    expect(first.err.params).toBeUndefined();
    expect(first.msg).toBe('failed');
    expect(second.msg).toBe('no row for NIK [NIK]');
    expect(lines.join('')).not.toMatch(new RegExp(`${NIK}|12345678|pw-123456|grms_abc|grms_def|scrypt\\$`));
  });
});
