import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { registerApplication, permitWriteCounts } from './support/permits';
import { verifyPdf } from '../src/documents/verify';
import { pdftotext, missingPdfTools } from './support/pdf-tools';

describeBackends('permit receipt (tanda terima)', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('the front desk prints a seal-signed receipt with the registration number and PIN; nothing is stored', async () => {
    const { body } = await registerApplication(app);
    const before = await permitWriteCounts(app.db);
    const res = await fetch(`${app.url}/api/v1/permits/receipt.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.tokens['fo.dpmptsp']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ registrationNumber: body.receipt.registrationNumber, pin: body.receipt.pin }),
    });
    expect(res.status).toBe(200);
    const pdf = Buffer.from(await res.arrayBuffer());
    const ca = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
    expect(verifyPdf(pdf, [ca])).toMatchObject({ valid: true });
    if (!missingPdfTools().length) {
      const text = pdftotext(pdf).replace(/\s+/g, ' ');
      expect(text).toContain(body.receipt.registrationNumber);
      expect(text).toContain(body.receipt.pin);
      expect(text).toContain('Tanda Terima');
    }
    expect(await permitWriteCounts(app.db)).toEqual(before);
    const wrong = await app.call('fo.dpmptsp', 'POST', '/api/v1/permits/receipt.pdf', { registrationNumber: body.receipt.registrationNumber, pin: '00000000' });
    expect(wrong.status).toBe(404);
    expect((await app.call('kadis.pupr', 'POST', '/api/v1/permits/receipt.pdf', { registrationNumber: body.receipt.registrationNumber, pin: body.receipt.pin })).status).toBe(403);
  });
});
