import crypto from 'node:crypto';
import { SignPdf } from '@signpdf/signpdf';
import type { Db } from '../src/db/connect';
import { decryptSecret } from '../src/auth/secrets';
import { loadConfig } from '../src/config';
import { loadDocumentAuthority, type DocumentAuthority, type SigningIdentity } from '../src/documents/authority';
import { parseDetached, parseSignedData, signDetached } from '../src/documents/cms';
import { pdfAround } from './support/hostile-signature';
import type { DocumentContent } from '../src/documents/content';
import { CrlPublisher } from '../src/documents/crl';
import { OID, pemToDer } from '../src/documents/der';
import { signingIdentityFor } from '../src/documents/identities';
import { renderDocumentPdf } from '../src/documents/render';
import { CmsSigner, renderAndSign, type SigningOptions } from '../src/documents/sign';
import { verifyPdf } from '../src/documents/verify';
import { SIGNATURE_LENGTH } from '../src/documents/render';
import { DEFAULT_SIGNATURE_LIMITS } from '../src/documents/signature-limits';
import { SignatureLimitsExceeded } from '../src/documents/errors';

/** GRMS_VERIFY_MAX_BYTES's default. */
const DEFAULT_VERIFY_MAX_BYTES = 5 * 1024 * 1024;
import { createTestDb, describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import {
  appendPageChange, appendRevision, describeWithTools, nssDbTrusting, opensslCmsVerify, opensslCrl, opensslTsVerify, pdfsig, qpdfDss, runIn,
  signatureParts, signedRevision, timestampOf,
} from './support/pdf-tools';
import { startTestTsa, type TestTsa } from './support/tsa';

/**
 * PAdES baseline signatures as independent tools see them: the signature type and trust (pdfsig),
 * the time-stamp over the signature value (openssl ts -verify against the TSA's CA), the DSS
 * (qpdf --json, openssl crl); what an unreachable TSA leaves (a B-B document that says so); the one
 * revision a verifier accepts after the signature; and revocation judged at the time-stamp's time.
 */

const masterKey = crypto.randomBytes(32);
const SIGNER = { username: 'ratna', fullName: 'dr. Ratna Dewi Kusumawati, M.Kes.', orgName: 'Dinas Kesehatan' };

function content(): DocumentContent {
  const documentId = crypto.randomUUID();
  return {
    government: 'PEMERINTAH KOTA SEMARANG', orgName: 'Dinas Kesehatan', title: 'Persetujuan Usulan Anggaran', number: '900/0012/DINKES/2026', documentId,
    verifyUrl: `https://grms.semarangkota.go.id/verify/${documentId}`, place: 'Semarang', issuedAt: new Date('2026-11-25T02:00:00Z'), timezone: 'Asia/Jakarta',
    workflow: 'Usulan RKA', instanceTitle: 'RKA Dinas Kesehatan 2027', total: 1_250_000_000, history: [], comment: null,
    signer: { name: SIGNER.fullName, position: 'Kepala Dinas Kesehatan', orgName: SIGNER.orgName },
  };
}

/** The objects of the revision after the signature, by number, as text. */
function dssRevisionObjects(pdf: Buffer): Map<number, Buffer> {
  const [, , c, d] = signatureParts(pdf).byteRange;
  const tail = pdf.subarray(c + d);
  const out = new Map<number, Buffer>();
  for (const m of tail.toString('latin1').matchAll(/(\d+) 0 obj\n[\s\S]*?endobj\n/g)) out.set(Number(m[1]), tail.subarray(m.index!, m.index! + m[0].length));
  return out;
}

describeWithTools('PAdES signatures', ['openssl', 'pdfsig', 'certutil', 'qpdf'], () => {
  let tsa: TestTsa;
  let db: Db;
  let authority: DocumentAuthority;
  let identity: SigningIdentity;
  let signing: SigningOptions;
  let nss: { dir: string; cleanup(): void };
  let signed: { pdf: Buffer; level: string; problems: string[] };

  beforeAll(async () => {
    tsa = await startTestTsa();
    db = await createTestDb('pglite');
    await db.kysely.insertInto('orgs').values({ id: 'dinkes', name: 'Dinas Kesehatan', code: 'DINKES' }).execute();
    await db.kysely.insertInto('users').values({ username: SIGNER.username, full_name: SIGNER.fullName, org_id: 'dinkes' }).execute();
    authority = await loadDocumentAuthority(db.kysely, masterKey, {
      government: 'PEMERINTAH KOTA SEMARANG', trustAnchorsFile: undefined, caCertFile: undefined, caKeyFile: undefined, caP12File: undefined,
      caPassphrase: undefined, userP12Dir: undefined, userP12Passphrase: undefined, publicUrl: 'https://grms.semarangkota.go.id',
      tsa: { url: tsa.url, timeoutMs: 60_000, trustAnchorsFile: tsa.caFile },
    });
    identity = await signingIdentityFor(db.kysely, masterKey, authority, SIGNER);
    signing = { tsa: authority.tsa, tsaAnchorsPem: authority.tsaTrustAnchorsPem, crls: [(await new CrlPublisher(db.kysely, authority).current()).der] };
    nss = nssDbTrusting([authority.caCertificatePem]);
    signed = await renderAndSign(content(), identity, signing);
  });
  afterAll(async () => {
    await db?.close();
    await tsa?.close();
    nss?.cleanup();
  });

  test('B-LT: grms, pdfsig and OpenSSL accept it; the time-stamp is over the signature value; no CMS signingTime', async () => {
    expect({ level: signed.level, problems: signed.problems }).toEqual({ level: 'B-LT', problems: [] });
    const v = verifyPdf(signed.pdf, authority.trustAnchorsPem, { tsaAnchorsPem: authority.tsaTrustAnchorsPem });
    expect(v).toMatchObject({ valid: true, subFilter: 'ETSI.CAdES.detached', level: 'B-LT', judgedBy: 'timestamp', notes: [], timestamp: { authority: 'grms Test TSA, grms test' } });
    expect(v.judgedAt).toBe(v.timestamp!.time);
    const report = pdfsig(signed.pdf, nss.dir);
    for (const line of ['Signature Type: ETSI.CAdES.detached', 'Signature is Valid.', 'Certificate is Trusted.', 'Not total document signed']) expect(report).toContain(line);
    expect(pdfsig(signedRevision(signed.pdf), nss.dir)).toContain('- Total document signed');
    expect(opensslCmsVerify(signed.pdf, authority.caCertificatePem)).toMatchObject({ ok: true });
    const cms = parseDetached(signatureParts(signed.pdf).cms);
    expect(cms.signingTime).toBeUndefined();
    expect(cms.signingCertificate).toEqual({ algorithm: OID.sha256, hash: crypto.createHash('sha256').update(pemToDer(identity.certificatePem)).digest() });
    const ts = await opensslTsVerify(signed.pdf, tsa.caPem);
    expect({ ok: ts.ok, out: ts.out }).toEqual({ ok: true, out: expect.stringContaining('Verification: OK') });
    expect(ts.text).toMatch(/Hash Algorithm: sha256[\s\S]*Time stamp: .* 2026 GMT[\s\S]*TSA: DirName:\/C=ID\/O=grms test\/CN=grms Test TSA/);
    // Against another CA (grms's own), the same token does not verify.
    expect((await opensslTsVerify(signed.pdf, authority.caCertificatePem)).ok).toBe(false);
  });

  test('the DSS (qpdf --json): the catalogue only gains /DSS; both chains\' certificates and a CRL signed by each issuer', async () => {
    expect(runIn({ 'd.pdf': signed.pdf }, 'qpdf', ['--check', 'd.pdf'])).toMatchObject({ status: 0 });
    const dss = (await qpdfDss(signed.pdf))!;
    const before = runIn({ 'd.pdf': signedRevision(signed.pdf) }, 'qpdf', ['--show-object=trailer', 'd.pdf']).out;
    expect(before).toContain('/Root');
    expect(dss.catalogKeys).toEqual(['/AcroForm', '/DSS', '/Names', '/Pages', '/Type']);
    const token = parseSignedData(timestampOf(signed.pdf)!.token, false);
    const expected = [identity.certificatePem, authority.caCertificatePem, tsa.certPem, tsa.caPem].map(pemToDer);
    for (const der of expected) expect(dss.certs.some((c) => c.equals(der))).toBe(true);
    expect(token.certificates.length).toBeGreaterThanOrEqual(1);
    expect(dss.ocsps).toEqual([]);
    const crls = await Promise.all(dss.crls.map((der) => opensslCrl(der, [authority.caCertificatePem, tsa.caPem])));
    expect(crls.map((c) => c.ok)).toEqual([true, true]);
    expect(crls.map((c) => c.issuer).sort()).toEqual(['C = ID, O = PEMERINTAH KOTA SEMARANG, CN = grms Document CA - PEMERINTAH KOTA SEMARANG', 'C = ID, O = grms test, CN = grms Test TSA Root']);
  });

  test('an unreachable TSA (refusing, or silent past the timeout): still signed, B-B, and the verification says so', async () => {
    try {
      for (const mode of ['refuse', 'hang'] as const) {
        tsa.mode = mode;
        const doc = await renderAndSign(content(), identity, { ...signing, tsa: { url: tsa.url, timeoutMs: 300 } });
        expect({ mode, level: doc.level, problems: doc.problems }).toEqual({ mode, level: 'B-B', problems: [expect.stringMatching(/^no signature time-stamp: the time-stamping authority at .* did not answer/)] });
        const v = verifyPdf(doc.pdf, authority.trustAnchorsPem, { tsaAnchorsPem: authority.tsaTrustAnchorsPem });
        expect(v).toMatchObject({ valid: true, level: 'B-B', judgedBy: 'verification', notes: [expect.stringMatching(/no trusted signature time-stamp/)] });
        expect(timestampOf(doc.pdf)).toBeUndefined();
        expect((await qpdfDss(doc.pdf))!.certs.length).toBe(2); // the signer's chain, still
        expect(pdfsig(doc.pdf, nss.dir)).toContain('Signature is Valid.');
      }
    } finally {
      tsa.mode = 'ok';
    }
  });

  test('a time-stamp by an untrusted authority proves nothing (judged as without); one over another signature is refused', async () => {
    const untrusted = verifyPdf(signed.pdf, authority.trustAnchorsPem, { tsaAnchorsPem: [] });
    expect(untrusted).toMatchObject({ valid: true, level: 'B-B', judgedBy: 'verification' });
    expect(untrusted.timestamp).toBeUndefined();
    expect(untrusted.notes[0]).toMatch(/not from a trusted time-stamping authority/);
    const other = timestampOf(signed.pdf)!.token;
    const key = { certificateDer: pemToDer(identity.certificatePem), chainDers: [pemToDer(authority.caCertificatePem)], privateKey: crypto.createPrivateKey(identity.privateKeyPem!) };
    const swapped = await new SignPdf().sign(await renderDocumentPdf(content()), new CmsSigner(key, async () => ({ token: other, chain: [] })));
    expect(verifyPdf(swapped, authority.trustAnchorsPem, { tsaAnchorsPem: authority.tsaTrustAnchorsPem }))
      .toMatchObject({ valid: false, reason: 'the signature time-stamp is not valid: the time-stamp is not over this signature' });
  });

  test('a signature of an earlier version (adbe.pkcs7.detached, whole file, no DSS) keeps verifying, judged at its registration', () => {
    const key = { certificateDer: pemToDer(identity.certificatePem), chainDers: [pemToDer(authority.caCertificatePem)], privateKey: crypto.createPrivateKey(identity.privateKeyPem!) };
    const length = signDetached(Buffer.alloc(0), key).length;
    const old = pdfAround(length, (bytes) => signDetached(bytes, key));
    const registeredAt = new Date(Date.now() - 60_000);
    expect(verifyPdf(old, authority.trustAnchorsPem, { registeredAt })).toMatchObject({
      valid: true, subFilter: 'adbe.pkcs7.detached', judgedBy: 'registration', judgedAt: registeredAt.toISOString(),
      notes: [expect.stringMatching(/no trusted signature time-stamp/), expect.stringMatching(/earlier grms version/)],
    });
    expect(verifyPdf(old, authority.trustAnchorsPem).level).toBeUndefined();
  });

  test('after the signature, exactly one revision that only adds the DSS: everything else is refused', () => {
    const opts = { tsaAnchorsPem: authority.tsaTrustAnchorsPem };
    const check = (pdf: Buffer) => verifyPdf(pdf, authority.trustAnchorsPem, opts);
    const base = signedRevision(signed.pdf);
    const objects = dssRevisionObjects(signed.pdf);
    const catalogNum = Math.min(...objects.keys());
    const catalog = objects.get(catalogNum)!.toString('latin1');
    const size = Math.max(...objects.keys()) + 1;
    const rebuilt = (changes: Array<[number, string | Buffer]>, trailer = '') => {
      const all = new Map<number, string | Buffer>(objects);
      for (const [n, text] of changes) all.set(n, text);
      return appendRevision(base, [...all.entries()], trailer);
    };
    // The same objects written again with their own cross-reference section: accepted.
    expect(check(rebuilt([]))).toMatchObject({ valid: true, level: 'B-LT' });
    const page = /(\d+) 0 obj\s*<<(?:(?!endobj)[\s\S])*?\/Type \/Page\s/.exec(base.toString('latin1'))!;
    const refused: Array<[string, Buffer, RegExp]> = [
      ['a page changed after the DSS revision', appendPageChange(signed.pdf), /changed after signing/],
      ['a page changed instead of a DSS', appendPageChange(base), /changed after signing/],
      ['bytes after the DSS revision', Buffer.concat([signed.pdf, Buffer.from('% later\n')]), /changed after signing/],
      ['the catalogue changed beyond /DSS', rebuilt([[catalogNum, catalog.replace('/DSS', '/PageMode /FullScreen /DSS')]]), /changes the catalogue beyond adding \/DSS/],
      ['a page redefined beside the DSS', rebuilt([[Number(page[1]), `${page[1]} 0 obj\n<< /Type /Page >>\nendobj\n`]]), /outside the DSS|not an object added/],
      ['an extra object beside the DSS', rebuilt([[size, `${size} 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n`]]), /outside the DSS/],
      ['a DSS stream with a filter', rebuilt([[size - 2, objects.get(size - 2)!.toString('latin1').replace('<< /Length', '<< /Filter /FlateDecode /Length')]]), /not a plain stream/],
      ['an encrypted trailer', rebuilt([], ' /Encrypt 1 0 R'), /\/Encrypt/],
    ];
    for (const [name, pdf, reason] of refused) {
      const v = check(pdf);
      expect({ name, valid: v.valid }).toEqual({ name, valid: false });
      expect({ name, reason: v.reason }).toEqual({ name, reason: expect.stringMatching(reason) });
    }
  });

  test('the verify limits hold for B-LT documents: the signature\'s and the time-stamp\'s certificates count together, the DSS is bounded too', () => {
    const opts = (limits: Partial<typeof DEFAULT_SIGNATURE_LIMITS>) => ({ tsaAnchorsPem: authority.tsaTrustAnchorsPem, limits: { ...DEFAULT_SIGNATURE_LIMITS, ...limits } });
    const contents = signatureParts(signed.pdf);
    // grms's own document stays well inside the defaults: /Contents 16,384 bytes of 65,536; 4 certificates of 10.
    expect((contents.byteRange[2] - contents.byteRange[1] - 2) / 2).toBe(SIGNATURE_LENGTH);
    expect(contents.cms.length).toBeLessThan(SIGNATURE_LENGTH);
    expect(signed.pdf.length).toBeLessThan(DEFAULT_VERIFY_MAX_BYTES / 50);
    expect(verifyPdf(signed.pdf, authority.trustAnchorsPem, opts({ maxCertificates: 4 }))).toMatchObject({ valid: true, level: 'B-LT' });
    expect(() => verifyPdf(signed.pdf, authority.trustAnchorsPem, opts({ maxCertificates: 3 }))).toThrow(/embeds 4 certificates \(at most 3|DSS holds 4 certificates/);
    expect(() => verifyPdf(signed.pdf, authority.trustAnchorsPem, opts({ maxSignatureBytes: SIGNATURE_LENGTH - 1 }))).toThrow(SignatureLimitsExceeded);
    const objects = dssRevisionObjects(signed.pdf);
    const size = Math.max(...objects.keys()) + 1;
    const dssNum = size - 1;
    const many = Array.from({ length: 11 }, (_, i) => [size + i, `${size + i} 0 obj\n<< /Length 1 >>\nstream\nx\nendstream\nendobj\n`] as [number, string]);
    const dssText = objects.get(dssNum)!.toString('latin1').replace(/\/Certs \[([^\]]*)\]/, (_, refs: string) => `/Certs [${refs} ${many.map(([n]) => `${n} 0 R`).join(' ')}]`);
    const crowded = appendRevision(signedRevision(signed.pdf), [...new Map<number, string | Buffer>([...objects.entries(), [dssNum, dssText], ...many])]);
    expect(() => verifyPdf(crowded, authority.trustAnchorsPem, opts({}))).toThrow(/the DSS holds 15 certificates/);
  });
});

test('a TSA without trust anchors is refused at start: a time-stamp nobody can check proves nothing', () => {
  expect(() => loadConfig({ GRMS_TSA_URL: 'https://tsa.example/tsr' })).toThrow(/GRMS_TSA_URL is set without GRMS_TSA_TRUST_ANCHORS/);
  expect(() => loadConfig({ GRMS_TSA_URL: 'ftp://tsa.example', GRMS_TSA_TRUST_ANCHORS: '/x.pem' })).toThrow(/must be an http\(s\) URL/);
  expect(loadConfig({ GRMS_TSA_URL: 'https://tsa.example/tsr', GRMS_TSA_TRUST_ANCHORS: '/x.pem', GRMS_TSA_TIMEOUT_MS: '2500' }).tsa)
    .toEqual({ url: 'https://tsa.example/tsr', trustAnchorsFile: '/x.pem', timeoutMs: 2500 });
});

describeWithTools('revocation judged at the time-stamp\'s time', ['openssl'], () => {
  describeBackends('API', (kind) => {
    let tsa: TestTsa;
    let app: TestApp;
    beforeAll(async () => {
      tsa = await startTestTsa();
      app = await startTestApp(kind, { env: tsa.env });
    });
    afterAll(async () => {
      await app?.close();
      await tsa?.close();
    });
    const verify = (pdf: Buffer) => app.call(undefined, 'POST', '/api/v1/verify', pdf, { 'content-type': 'application/pdf' });
    const submit = async () => {
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      const doc = await app.db.kysely.selectFrom('documents').select(['id', 'bytes']).where('instance_id', '=', id).executeTakeFirstOrThrow();
      return { id: doc.id, pdf: Buffer.from(doc.bytes) };
    };

    test('a TSA that refuses: the transition still stores its document (B-B), and its verification says so', async () => {
      tsa.mode = 'refuse';
      try {
        const doc = await submit();
        const v = await verify(doc.pdf);
        expect(v.body).toMatchObject({ valid: true, documentId: doc.id, level: 'B-B', timestamp: null, judgedBy: 'registration', notes: [expect.stringMatching(/no trusted signature time-stamp/)] });
        expect((await app.call(undefined, 'GET', '/metrics')).text).toMatch(/^grms_document_signature_levels_total\{level="B-B"\} 1$/m);
      } finally {
        tsa.mode = 'ok';
      }
    });

    test('a revoked signer: the document time-stamped before stays valid; one made after with the revoked key and a fresh time-stamp is refused', async () => {
      const before = await submit();
      const first = await verify(before.pdf);
      expect(first.body).toMatchObject({ valid: true, level: 'B-LT', judgedBy: 'timestamp', documentId: before.id });
      const row = await app.db.kysely.selectFrom('user_certificates').select(['serial', 'certificate', 'private_key']).where('username', '=', 'perencana.dinkes').where('revoked_at', 'is', null).executeTakeFirstOrThrow();
      const off = await app.call('admin', 'POST', '/api/v1/users/perencana.dinkes/deactivate', { reason: 'Mutasi' });
      expect(off.body.revokedCertificates).toEqual([row.serial]);
      // grms never signs with a revoked certificate: the later signature is made here, with the same key.
      const keys = { certificatePem: row.certificate, privateKeyPem: decryptSecret(app.masterKey, row.private_key!).toString('utf8'), chainPems: [app.authority.caCertificatePem] };
      const signing = { tsa: { url: tsa.url, timeoutMs: 60_000 }, tsaAnchorsPem: [tsa.caPem] };
      const later = await renderAndSign(content(), keys, signing);
      expect(later.level).toBe('B-T'); // no current CRL of grms's CA was handed in
      const refused = await verify(later.pdf);
      expect(refused.body).toMatchObject({ valid: false, reason: expect.stringMatching(/^the signer certificate was revoked at /), judgedBy: 'timestamp', documentId: null });
      expect(Date.parse(refused.body.judgedAt)).toBeGreaterThanOrEqual(Date.parse(/revoked at (\S+)/.exec(refused.body.reason)![1]!));
      // Without a time-stamp it is judged now: refused too.
      expect((await verify((await renderAndSign(content(), keys, {})).pdf)).body).toMatchObject({ valid: false, judgedBy: 'verification' });
      expect((await verify(before.pdf)).body).toMatchObject({ valid: true, judgedBy: 'timestamp' });
      // The same earlier document, unregistered bytes aside: its time-stamp alone keeps it valid.
      const judged = verifyPdf(before.pdf, app.authority.trustAnchorsPem, {
        tsaAnchorsPem: [tsa.caPem], revocations: [{ serial: row.serial, revokedAt: new Date(Date.parse(first.body.judgedAt) + 1) }],
      });
      expect(judged).toMatchObject({ valid: true, judgedBy: 'timestamp' });
    });
  });
});
