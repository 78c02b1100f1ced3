import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, PUBLIC_URL, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { machineWords, outsideVerification, pdfImages, pdfsig, pdftotext, nssDbTrusting, missingPdfTools } from './support/pdf-tools';
import { DEMO_ORGS } from '../src/seed/demo';
import { verifyPdf } from '../src/documents/verify';
import { renderAndSign } from '../src/documents/sign';
import { generateRsaKeyPair, issueCertificate, randomSerialHex } from '../src/documents/certs';
import { YEAR_MS, issueSigningCertificate } from '../src/documents/authority';
import { Engine } from '../src/engine/engine';
import { defaultRegistry } from '../src/engine/registry';
import { StageDocuments } from '../src/documents/producer';
import { loadActor } from '../src/auth/tokens';
import { loadConfig } from '../src/config';

const STEPS: Array<[string, string, string, string?]> = [
  ['perencana.dinkes', 'submit', 'Surat Pengantar RKA'],
  ['kadis.dinkes', 'approve', 'Lembar Persetujuan Kepala OPD'],
  ['verifikator.bappeda', 'return', 'Nota Pengembalian', 'Target keluaran belum sesuai RKPD'],
  ['perencana.dinkes', 'submit', 'Surat Pengantar RKA'],
  ['kadis.dinkes', 'approve', 'Lembar Persetujuan Kepala OPD'],
  ['verifikator.bappeda', 'verify', 'Berita Acara Verifikasi Bappeda'],
  ['tapd.sekda', 'approve', 'Berita Acara Persetujuan TAPD'],
  ['ppkd.bpkad', 'ratify', 'DPA-SKPD'],
];
/** The office that issues each step's document (its letterhead and its number register): the acting official's. */
const ISSUERS = [
  ['DINKES', 'DINAS KESEHATAN'], ['DINKES', 'DINAS KESEHATAN'], ['BAPPEDA', 'BADAN PERENCANAAN PEMBANGUNAN DAERAH'],
  ['DINKES', 'DINAS KESEHATAN'], ['DINKES', 'DINAS KESEHATAN'], ['BAPPEDA', 'BADAN PERENCANAAN PEMBANGUNAN DAERAH'],
  ['SETDA', 'SEKRETARIAT DAERAH'], ['BPKAD', 'BADAN PENGELOLAAN KEUANGAN DAN ASET DAERAH'],
];
/** Identifiers an officer must never read in a document (outside the verification line): from the registry. */
const MACHINE_WORDS = machineWords(defaultRegistry().all());

async function foreignSigned(): Promise<Buffer> {
  const pair = await generateRsaKeyPair(2048);
  const caKey = crypto.createPrivateKey(pair.privateKeyPem);
  const caPem = issueCertificate(
    { subject: { commonName: 'Bukan CA grms' }, publicKeyPem: pair.publicKeyPem, serialHex: randomSerialHex(), notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3.2e10), profile: 'ca' },
    { privateKey: caKey },
  );
  const issued = await issueSigningCertificate({ caCertificatePem: caPem, caKey, crlUrl: 'https://bukan.example/ca.crl' }, { name: 'Sri Wahyuni, S.K.M.', org: 'Dinas Kesehatan' }, YEAR_MS);
  const id = crypto.randomUUID();
  const signed = await renderAndSign(
    {
      government: 'PEMERINTAH KOTA SEMARANG', orgName: 'Dinas Kesehatan', title: 'Surat Pengantar RKA', number: '900/0001/DINKES/2026', documentId: id,
      verifyUrl: `${PUBLIC_URL}/verify/${id}`, place: 'Semarang', issuedAt: new Date(), timezone: 'Asia/Jakarta', workflow: 'budget-proposal',
      instanceTitle: 'Palsu', history: [], signer: { name: 'Sri Wahyuni, S.K.M.', position: 'Perencana', orgName: 'Dinas Kesehatan' },
    },
    { ...issued, chainPems: [caPem] },
  );
  return signed.pdf;
}

describeBackends('stage documents through the API', (kind) => {
  let app: TestApp;
  let id: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'update', data: proposal({ title: 'PMT Ibu Hamil KEK' }) });
    for (const [user, type, , comment] of STEPS) {
      const r = await app.call(user, 'POST', `/api/v1/instances/${id}/events`, { type, comment });
      expect(r.status).toBe(200);
    }
  });
  afterAll(async () => {
    await app.close();
  });

  test('every stage of a full run has its signed document; update and withdraw have none', async () => {
    const list = await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/documents`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: { title: string }) => d.title)).toEqual(STEPS.map((s) => s[2]));
    const year = new Intl.DateTimeFormat('en', { timeZone: 'Asia/Jakarta', year: 'numeric' }).format(new Date());
    const numbers = list.body.items.map((d: { number: string }) => d.number);
    // Each in its issuing office's register of the document's kind (workflows/budget-proposal/index.ts).
    expect(numbers.map((n: string) => n.replace(/^900\.1\.\d\/\d{4}\/([A-Z]+)\/(\d{4})$/, (_m, unit, y) => (y === year ? unit : `${unit}/${y}`)))).toEqual(ISSUERS.map(([unit]) => unit));
    expect(numbers.map((n: string) => n.split('/')[0])).toEqual(['900.1.1', '900.1.2', '900.1.3', '900.1.1', '900.1.2', '900.1.4', '900.1.4', '900.1.5']);
    expect(new Set(numbers).size).toBe(numbers.length);
    // The audit chain covers the documents: each producing transition names its document's hash.
    const history = await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/history`);
    const withDocs = history.body.items.filter((h: { documentSha256: string | null }) => h.documentSha256);
    expect(withDocs.map((h: { documentSha256: string }) => h.documentSha256)).toEqual(list.body.items.map((d: { sha256: string }) => d.sha256));
    expect(history.body.items.find((h: { event: string }) => h.event === 'update').documentSha256).toBeNull();
  });

  test('each document verifies in-process, with pdfsig (trusted via the CA), and reads right in pdftotext', async () => {
    const missing = missingPdfTools();
    if (missing.length) {
      if (process.env.CI === 'true') throw new Error(`missing ${missing.join(', ')}: CI needs poppler-utils and libnss3-tools`);
      console.warn(`!! SKIPPED pdfsig/pdftotext checks: ${missing.join(', ')} not installed`);
    }
    const ca = await app.call(undefined, 'GET', '/api/v1/ca.pem');
    expect(ca.text).toMatch(/BEGIN CERTIFICATE/);
    const nss = missing.length ? undefined : nssDbTrusting([ca.text]);
    try {
      const list = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items;
      for (const doc of list) {
        const res = await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
        expect(res.headers.get('content-type')).toBe('application/pdf');
        expect(res.headers.get('content-disposition')).toContain(doc.number.replace(/\//g, '-'));
        const pdf = Buffer.from(await res.arrayBuffer());
        expect(crypto.createHash('sha256').update(pdf).digest('hex')).toBe(doc.sha256);
        const v = verifyPdf(pdf, [ca.text]);
        expect(v).toMatchObject({ valid: true });
        expect(v.signer!.name).toBe(doc.signer.name);
        if (nss) {
          const sig = pdfsig(pdf, nss.dir);
          expect(sig).toContain('Signature is Valid.');
          expect(sig).toContain('Certificate is Trusted.');
          const text = pdftotext(pdf).replace(/\s+/g, ' ');
          expect(text).toContain(doc.title);
          expect(text).toContain(doc.number);
          expect(text).toContain(doc.signer.name);
          expect(text).toContain('Rp 144.372.875');
          expect(text).toContain(`${PUBLIC_URL}/verify/${doc.id}`);
          // The issuing office's letterhead, and words instead of identifiers (the verification line aside).
          const [unit, office] = ISSUERS[list.indexOf(doc)]!;
          expect(text).toContain(office);
          // Its address and contacts under its name, and its logo (the demo's 96×96 PNG) at the left of the kop.
          const org = DEMO_ORGS.find((o) => o.id === unit.toLowerCase())!;
          expect(text).toContain(`${office} ${org.address} Telp. ${org.phone} · Pos-el ${org.email} · Laman ${org.website}`);
          expect(pdfImages(pdf)).toEqual([{ page: 1, width: 96, height: 96, enc: 'image' }]);
          const words = outsideVerification(text, PUBLIC_URL, doc.id);
          expect(words).not.toMatch(MACHINE_WORDS);
          expect(words).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
        }
        const checked = await app.call(undefined, 'POST', '/api/v1/verify', pdf, { 'content-type': 'application/pdf' });
        expect(checked.body).toMatchObject({ valid: true, documentId: doc.id, instanceId: id, stage: doc.stage });
      }
    } finally {
      nss?.cleanup();
    }
  });

  test('a tampered PDF and one signed under another CA are rejected', async () => {
    const doc = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/documents`)).body.items[0];
    const res = await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['kadis.dinkes']}` } });
    const pdf = Buffer.from(await res.arrayBuffer());
    const tampered = Buffer.from(pdf);
    const at = tampered.indexOf('Rp 144.372.875');
    const pos = at > 0 ? at + 3 : 200;
    tampered[pos] = tampered[pos] === 0x39 ? 0x38 : 0x39;
    const rejected = await app.call(undefined, 'POST', '/api/v1/verify', tampered, { 'content-type': 'application/pdf' });
    expect(rejected.body).toMatchObject({ valid: false, documentId: null });
    if (!missingPdfTools().length) expect(pdfsig(tampered)).not.toContain('Signature is Valid.');
    const foreign = await app.call(undefined, 'POST', '/api/v1/verify', await foreignSigned(), { 'content-type': 'application/pdf' });
    expect(foreign.body.valid).toBe(false);
    const notPdf = await app.call(undefined, 'POST', '/api/v1/verify', 'hello', { 'content-type': 'text/plain' });
    expect(notPdf.status).toBe(415);
  });

  test('the public verify page shows facts, never contents; downloads need read access', async () => {
    const doc = (await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/documents`)).body.items.at(-1);
    const json = await app.call(undefined, 'GET', `/verify/${doc.id}`, undefined, { accept: 'application/json' });
    expect(json.body).toMatchObject({ documentId: doc.id, number: doc.number, title: 'DPA-SKPD', stage: 'approved', signer: doc.signer.name, sha256: doc.sha256 });
    expect(json.text).not.toContain('Alat tulis');
    const html = await app.call(undefined, 'GET', `/verify/${doc.id}`, undefined, { accept: 'text/html' });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(html.text).toContain(doc.number);
    expect((await app.call(undefined, 'GET', `/verify/${crypto.randomUUID()}`, undefined, { accept: 'application/json' })).status).toBe(404);
    expect((await app.call('perencana.pupr', 'GET', `/api/v1/documents/${doc.id}`)).status).toBe(404);
    expect((await app.call('perencana.pupr', 'GET', `/api/v1/instances/${id}/documents`)).status).toBe(404);
    expect((await app.call(undefined, 'GET', `/api/v1/documents/${doc.id}`)).status).toBe(401);
  });

  test('a transition whose document fails to render leaves neither the transition nor the document', async () => {
    const other = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    const config = loadConfig({});
    const broken = new StageDocuments(app.db.kysely, app.masterKey, app.authority, {
      renderAndSign: async () => {
        throw new Error('renderer crashed');
      },
      close: async () => undefined,
    }, { government: config.government, place: 'Semarang', timezone: 'Asia/Jakarta', publicUrl: PUBLIC_URL, clock: () => new Date() });
    const engine = new Engine({ db: app.db.kysely, registry: defaultRegistry(), documents: broken });
    const before = await writeCounts(app.db);
    const docsBefore = await app.db.kysely.selectFrom('documents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const voidsBefore = await app.db.kysely.selectFrom('void_document_numbers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await expect(engine.fire((await loadActor(app.db.kysely, 'perencana.dinkes', app.engine.time))!, other, { type: 'submit' })).rejects.toThrow('renderer crashed');
    expect(await writeCounts(app.db)).toEqual(before);
    const docsAfter = await app.db.kysely.selectFrom('documents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const voidsAfter = await app.db.kysely.selectFrom('void_document_numbers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(docsAfter.n)).toBe(Number(docsBefore.n));
    // The number it took is explained, never reused.
    expect(Number(voidsAfter.n)).toBe(Number(voidsBefore.n) + 1);
    expect((await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${other}`)).body).toMatchObject({ state: 'draft', version: 1 });
  });

  test('the audit report PDF: whole history, signed with the deployment seal, made without writing', async () => {
    const before = await writeCounts(app.db);
    const res = await fetch(`${app.url}/api/v1/instances/${id}/audit.pdf`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
    expect(res.status).toBe(200);
    const pdf = Buffer.from(await res.arrayBuffer());
    const ca = (await app.call(undefined, 'GET', '/api/v1/ca.pem')).text;
    const v = verifyPdf(pdf, [ca]);
    expect(v.valid).toBe(true);
    expect(v.signer!.name).toBe(app.authority.seal.name);
    const docs = (await app.call('auditor.inspektorat', 'GET', `/api/v1/instances/${id}/documents`)).body.items;
    if (!missingPdfTools().length) {
      const text = pdftotext(pdf).replace(/\s+/g, ' ');
      expect(text).toContain('Laporan Jejak Audit');
      // The comment wraps in its table cell (pdftotext -layout prints the row's columns side by side).
      expect(text).toContain('Target keluaran belum');
      expect(text).toContain('sesuai RKPD');
      expect(text).toContain(docs[0].number);
      expect(text).toContain(docs[0].sha256.slice(0, 16));
      // Words, not identifiers: the instance's own id (the audit trail's key) and hashes aside.
      expect(text).toContain('Usulan RKA versi 2');
      expect(text).toContain('Verifikasi Bappeda');
      expect(text.replace(new RegExp(id, 'g'), '')).not.toMatch(MACHINE_WORDS);
    }
    expect(await writeCounts(app.db)).toEqual(before);
    expect((await app.call('kadis.dinkes', 'GET', `/api/v1/instances/${id}/audit.pdf`)).status).toBe(403);
  });
});
