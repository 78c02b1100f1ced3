import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { missingPdfTools, pdftotext } from './support/pdf-tools';
import { localYear } from '../src/sla/calendar';

const YEAR = localYear(new Date(), 'Asia/Jakarta');

/** A budget proposal of Dinkes brought to Bappeda's verification; answers its id. */
async function atBappeda(app: TestApp): Promise<string> {
  const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
  for (const [user, type] of [['perencana.dinkes', 'submit'], ['kadis.dinkes', 'approve']] as const) {
    expect((await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type })).status).toBe(200);
  }
  return id;
}

async function documentsOf(app: TestApp, id: string): Promise<Array<{ id: string; title: string; number: string }>> {
  return (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items;
}

async function pdfText(app: TestApp, documentId: string): Promise<string | undefined> {
  const missing = missingPdfTools();
  if (missing.length) {
    if (process.env.CI === 'true') throw new Error(`missing ${missing.join(', ')}: CI needs poppler-utils`);
    console.warn(`!! SKIPPED pdftotext check: ${missing.join(', ')} not installed`);
    return undefined;
  }
  const res = await fetch(`${app.url}/api/v1/documents/${documentId}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
  return pdftotext(Buffer.from(await res.arrayBuffer())).replace(/\s+/g, ' ');
}

const setUnitCode = (app: TestApp, org: string, unitCode: string | null) =>
  app.call('admin', 'PATCH', `/api/v1/orgs/${org}`, { unitCode }, { 'content-type': 'application/merge-patch+json' });

describeBackends('document numbers from the issuing office\'s registers (API)', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  test('Bappeda\'s verification of a Dinkes proposal is numbered in Bappeda\'s berita acara register, with Bappeda\'s unit code', async () => {
    const id = await atBappeda(app);
    expect((await app.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' })).status).toBe(200);
    const docs = await documentsOf(app, id);
    expect(docs.map((d) => d.number)).toEqual([`900.1.1/0001/DINKES/${YEAR}`, `900.1.2/0001/DINKES/${YEAR}`, `900.1.4/0001/BAPPEDA/${YEAR}`]);
    const verification = docs[2]!;
    expect(verification.title).toBe('Berita Acara Verifikasi Bappeda');
    const row = await app.db.kysely.selectFrom('documents')
      .select(['number_format_version', 'number_org', 'number_year', 'number_kind', sql<number>`number_seq::int`.as('seq'), 'number_classification', 'number_unit', 'number_format'])
      .where('id', '=', verification.id).executeTakeFirstOrThrow();
    expect(row).toEqual({
      number_format_version: 2, number_org: 'bappeda', number_year: YEAR, number_kind: 'berita-acara', seq: 1, number_classification: '900.1.4',
      number_unit: 'BAPPEDA', number_format: '{class}/{seq}/{unit}/{year}',
    });
    const text = await pdfText(app, verification.id);
    if (text !== undefined) {
      expect(text).toContain(`Nomor: 900.1.4/0001/BAPPEDA/${YEAR}`);
      expect(text).toContain('BADAN PERENCANAAN PEMBANGUNAN DAERAH');
      expect(text).not.toContain('DINKES/');
    }
  });

  test('the unit code is the one the organisation\'s admin set, recorded in the organisation chain', async () => {
    const changed = await setUnitCode(app, 'bappeda', 'Bappeda-SMG');
    expect(changed.status).toBe(200);
    expect(changed.body.unitCode).toBe('Bappeda-SMG');
    expect(changed.body.code).toBe('5.01.0.00.0.00.01.0000');
    const event = await app.db.kysely.selectFrom('org_events').select(['action', 'details']).where('org_id', '=', 'bappeda').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect({ action: event.action, details: JSON.parse(event.details) }).toEqual({ action: 'update_org', details: { unitCode: 'Bappeda-SMG' } });
    const id = await atBappeda(app);
    expect((await app.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' })).status).toBe(200);
    const verification = (await documentsOf(app, id))[2]!;
    expect(verification.number).toBe(`900.1.4/0002/Bappeda-SMG/${YEAR}`);
    const text = await pdfText(app, verification.id);
    if (text !== undefined) expect(text).toContain(`900.1.4/0002/Bappeda-SMG/${YEAR}`);
    // A unit code that would break the number is refused where it is set.
    for (const bad of ['BAPPEDA/SMG', '{seq}', '', 'X'.repeat(41)]) {
      const refused = await setUnitCode(app, 'bappeda', bad);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toEqual([expect.objectContaining({ path: '/unitCode' })]);
    }
  });

  test('an office without a unit code issues no document: the step is refused before a number is taken', async () => {
    const id = await atBappeda(app);
    expect((await setUnitCode(app, 'bappeda', null)).status).toBe(200);
    const count = async (table: 'documents' | 'void_document_numbers') => Number((await app.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = { documents: await count('documents'), voids: await count('void_document_numbers') };
    const refused = await app.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'DOCUMENT_UNIT_CODE_MISSING', type: expect.stringMatching(/document-unit-code-missing$/) });
    expect(refused.body.detail).toContain('unitCode');
    expect({ documents: await count('documents'), voids: await count('void_document_numbers') }).toEqual(before);
    expect((await app.call('verifikator.bappeda', 'GET', `/api/v1/instances/${id}`)).body.state).toBe('bappeda_verification');
    // Once set, the register goes on where it stood: no gap, no number lost.
    expect((await setUnitCode(app, 'bappeda', 'BAPPEDA')).status).toBe(200);
    expect((await app.call('verifikator.bappeda', 'POST', `/api/v1/instances/${id}/events`, { type: 'verify' })).status).toBe(200);
    expect((await documentsOf(app, id))[2]!.number).toBe(`900.1.4/0003/BAPPEDA/${YEAR}`);
  });
});

describeBackends('document numbers in a configured format (API)', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind, { env: { GRMS_DOCUMENT_NUMBER_FORMAT: '{unit}/{kind}/{seq}/{class}/{year}' } });
  });
  afterAll(async () => {
    await app.close();
  });

  test('GRMS_DOCUMENT_NUMBER_FORMAT decides the printed form; the parts are stored with it', async () => {
    const id = await atBappeda(app);
    expect((await documentsOf(app, id)).map((d) => d.number)).toEqual([`DINKES/surat-pengantar/0001/900.1.1/${YEAR}`, `DINKES/persetujuan/0001/900.1.2/${YEAR}`]);
    const formats = await app.db.kysely.selectFrom('documents').select('number_format').distinct().execute();
    expect(formats).toEqual([{ number_format: '{unit}/{kind}/{seq}/{class}/{year}' }]);
  });
});
