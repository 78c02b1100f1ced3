import crypto from 'node:crypto';
import type { Db } from '../src/db/connect';
import { YEAR_MS, loadDocumentAuthority, issueSigningCertificate, type DocumentAuthority, type SigningIdentity } from '../src/documents/authority';
import { generateRsaKeyPair, issueCertificate, randomSerialHex } from '../src/documents/certs';
import type { DocumentContent } from '../src/documents/content';
import { signingIdentityFor } from '../src/documents/identities';
import { createDocumentPool, type DocumentPool } from '../src/documents/pool';
import { renderAndSign } from '../src/documents/sign';
import { verifyPdf } from '../src/documents/verify';
import { createTestDb } from './support/db';
import { describeWithPdfTools, nssDbTrusting, pdfsig, pdftotext, signedRevision } from './support/pdf-tools';

const masterKey = crypto.randomBytes(32);
const config = {
  government: 'PEMERINTAH KOTA SEMARANG',
  trustAnchorsFile: undefined, caCertFile: undefined, caKeyFile: undefined, caP12File: undefined,
  caPassphrase: undefined, userP12Dir: undefined, userP12Passphrase: undefined, publicUrl: 'https://grms.semarangkota.go.id',
};

function budgetContent(documentId: string): DocumentContent {
  return {
    government: 'PEMERINTAH KOTA SEMARANG',
    orgName: 'Dinas Kesehatan',
    title: 'Persetujuan Usulan Anggaran',
    number: '900/0012/DINKES/2026',
    documentId,
    verifyUrl: `https://grms.semarangkota.go.id/verify/${documentId}`,
    place: 'Semarang',
    issuedAt: new Date('2026-11-25T02:00:00Z'),
    timezone: 'Asia/Jakarta',
    workflow: 'budget-proposal',
    instanceTitle: 'RKA Dinas Kesehatan 2027 - Posyandu',
    lines: [
      { account: '5.1.02.01.01.0024', description: 'Alat Tulis Kantor', volume: 12, unit: 'paket', unitPrice: 1_250_000, amount: 15_000_000 },
      { account: '5.2.03.01.01.0001', description: 'Belanja Modal Bangunan Gedung Kantor', volume: 1, unit: 'unit', unitPrice: 1_235_000_000, amount: 1_235_000_000 },
    ],
    total: 1_250_000_000,
    history: [
      { at: '2026-11-20T01:15:00Z', actor: 'Budi Santoso', event: 'submit', from: 'draft', to: 'verifikasi_bappeda', comment: 'Mohon diverifikasi' },
      { at: '2026-11-24T07:40:00Z', actor: 'Sri Wahyuni', event: 'verify', from: 'verifikasi_bappeda', to: 'persetujuan_tapd', comment: null },
    ],
    comment: 'Sesuai pagu KUA-PPAS',
    signer: { name: 'dr. Ratna Dewi Kusumawati, M.Kes.', position: 'Kepala Dinas Kesehatan', orgName: 'Dinas Kesehatan', acting: 'plt' },
  };
}

/** Flips one byte of the unsigned-looking but signed /Location string of the signature dictionary. */
function changeOneByte(pdf: Buffer): Buffer {
  const copy = Buffer.from(pdf);
  const at = copy.indexOf('/Location (Semarang)') + '/Location ('.length;
  expect(at).toBeGreaterThan(20);
  copy[at] = 'T'.charCodeAt(0);
  return copy;
}

async function foreignCa(): Promise<{ caPem: string; identity: SigningIdentity }> {
  const pair = await generateRsaKeyPair(2048);
  const caKey = crypto.createPrivateKey(pair.privateKeyPem);
  const caPem = issueCertificate(
    { subject: { commonName: 'Another CA', organizationName: 'PEMERINTAH KOTA SEMARANG' }, publicKeyPem: pair.publicKeyPem, serialHex: randomSerialHex(), notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3.2e10), profile: 'ca' },
    { privateKey: caKey },
  );
  // Same subject name as the real signer: only the chain tells them apart.
  const issued = await issueSigningCertificate({ caCertificatePem: caPem, caKey, crlUrl: 'https://another.example/ca.crl' }, { name: 'dr. Ratna Dewi Kusumawati, M.Kes.', org: 'Dinas Kesehatan' }, YEAR_MS);
  return { caPem, identity: { ...issued, chainPems: [caPem], name: 'x', org: 'y' } };
}

describeWithPdfTools('signed documents', () => {
  let db: Db;
  let authority: DocumentAuthority;
  let identity: SigningIdentity;
  let pool: DocumentPool;
  let nss: { dir: string; cleanup(): void };
  let content: DocumentContent;
  let signed: { pdf: Buffer; sha256: string };

  beforeAll(async () => {
    db = await createTestDb('pglite');
    await db.kysely.insertInto('orgs').values({ id: 'dinkes', name: 'Dinas Kesehatan', code: 'DINKES' }).execute();
    await db.kysely.insertInto('users').values({ username: 'ratna', full_name: 'dr. Ratna Dewi Kusumawati, M.Kes.', org_id: 'dinkes' }).execute();
    authority = await loadDocumentAuthority(db.kysely, masterKey, config);
    identity = await signingIdentityFor(db.kysely, masterKey, authority, { username: 'ratna', fullName: 'dr. Ratna Dewi Kusumawati, M.Kes.', orgName: 'Dinas Kesehatan' });
    pool = createDocumentPool({ threads: 2 });
    nss = nssDbTrusting([authority.caCertificatePem]);
    content = budgetContent(crypto.randomUUID());
    signed = await pool.renderAndSign(content, identity);
  });

  afterAll(async () => {
    await pool?.close();
    await db?.close();
    nss?.cleanup();
  });

  test('a document signed in the worker pool verifies, naming its signer', () => {
    expect(signed.sha256).toBe(crypto.createHash('sha256').update(signed.pdf).digest('hex'));
    const result = verifyPdf(signed.pdf, authority.trustAnchorsPem);
    expect(result).toMatchObject({
      valid: true,
      reason: 'ok',
      sha256: signed.sha256,
      signer: { name: 'dr. Ratna Dewi Kusumawati, M.Kes.', org: 'Dinas Kesehatan', serial: identity.serial },
    });
    expect(Math.abs(Date.parse(result.signedAt!) - Date.now())).toBeLessThan(5 * 60_000);
  });

  test('poppler agrees: the signature is valid, and trusted once the CA is in an NSS database', () => {
    const plain = pdfsig(signed.pdf);
    expect(plain).toContain('Signature is Valid.');
    expect(plain).toContain('Signature Type: ETSI.CAdES.detached');
    // The DSS revision follows the signed one: pdfsig sees the whole file as not signed, the cut revision as signed.
    expect(plain).toContain('Not total document signed');
    expect(pdfsig(signedRevision(signed.pdf))).toContain('- Total document signed');
    expect(plain).not.toContain('Certificate is Trusted.');
    const trusted = pdfsig(signed.pdf, nss.dir);
    expect(trusted).toContain('Signature is Valid.');
    expect(trusted).toContain('Certificate is Trusted.');
    expect(trusted).toContain('SHA-256');
  });

  test('the text is extractable: title, number, figures, signer block and verification link', () => {
    const text = pdftotext(signed.pdf);
    for (const expected of [
      'PEMERINTAH KOTA SEMARANG', 'DINAS KESEHATAN', 'Persetujuan Usulan Anggaran', 'Nomor: 900/0012/DINKES/2026',
      '5.2.03.01.01.0001', 'Rp 1.250.000', 'Rp 1.235.000.000', 'Rp 1.250.000.000', 'Semarang, 25 November 2026',
      'Plt. Kepala Dinas Kesehatan', 'dr. Ratna Dewi Kusumawati, M.Kes.', 'Dokumen ini ditandatangani secara elektronik.',
      'Budi Santoso', 'Sesuai pagu KUA-PPAS', content.verifyUrl,
    ]) {
      expect(text).toContain(expected);
    }
    // The history's "from" and "to" states stand in columns of their own.
    expect(text).toMatch(/submit +draft +verifikasi_ba/);
  });

  test('one changed byte breaks the signature for both verifiers', () => {
    const tampered = changeOneByte(signed.pdf);
    const result = verifyPdf(tampered, authority.trustAnchorsPem);
    expect(result.valid).toBe(false);
    expect(result.reason).toMatch(/digest mismatch/);
    const report = pdfsig(tampered, nss.dir);
    expect(report).toContain('Signature #1');
    expect(report).not.toContain('Signature is Valid.');
  });

  test('a changed byte inside the signature, or bytes appended after it, is refused', () => {
    const inSignature = Buffer.from(signed.pdf);
    const contents = inSignature.indexOf('/Contents <') + '/Contents <'.length;
    inSignature[contents + 600] = inSignature[contents + 600] === 0x30 ? 0x31 : 0x30;
    expect(verifyPdf(inSignature, authority.trustAnchorsPem).valid).toBe(false);
    const appended = Buffer.concat([signed.pdf, Buffer.from('\n% appended\n')]);
    expect(verifyPdf(appended, authority.trustAnchorsPem)).toMatchObject({ valid: false, reason: expect.stringMatching(/^the document was changed after signing/) });
    expect(verifyPdf(Buffer.from('%PDF-1.3\nnot signed'), authority.trustAnchorsPem)).toMatchObject({ valid: false, reason: 'the PDF has no signature' });
  });

  test('a certificate from another CA does not verify, though its signature is intact', async () => {
    const other = await foreignCa();
    const forged = await pool.renderAndSign(budgetContent(crypto.randomUUID()), other.identity);
    expect(verifyPdf(forged.pdf, authority.trustAnchorsPem)).toMatchObject({ valid: false, reason: expect.stringMatching(/does not chain/) });
    expect(verifyPdf(forged.pdf, [other.caPem]).valid).toBe(true);
    const report = pdfsig(forged.pdf, nss.dir);
    expect(report).toContain('Signature is Valid.');
    expect(report).not.toContain('Certificate is Trusted.');
  });

  test('a revocation invalidates signatures made after it, not before', () => {
    const signedAt = new Date(verifyPdf(signed.pdf, authority.trustAnchorsPem).signedAt!);
    const before = [{ serial: identity.serial, revokedAt: new Date(signedAt.getTime() - 1000) }];
    const after = [{ serial: identity.serial, revokedAt: new Date(signedAt.getTime() + 60_000) }];
    expect(verifyPdf(signed.pdf, authority.trustAnchorsPem, { revocations: before })).toMatchObject({ valid: false, reason: expect.stringMatching(/revoked/) });
    expect(verifyPdf(signed.pdf, authority.trustAnchorsPem, { revocations: after }).valid).toBe(true);
  });

  test('the deployment seal signs generic documents; the bare function produces the same kind of PDF', async () => {
    const generic: DocumentContent = {
      ...budgetContent(crypto.randomUUID()),
      title: 'Surat Keputusan Izin',
      workflow: 'permit',
      lines: undefined,
      total: undefined,
      fields: [['Pemohon', 'CV Maju Jaya'], ['Retribusi', 'Rp 2.500.000']],
      signer: { name: authority.seal.name, position: 'Segel Elektronik', orgName: 'PEMERINTAH KOTA SEMARANG' },
    };
    const viaPool = await pool.renderAndSign(generic, authority.seal);
    const bare = await renderAndSign(generic, authority.seal);
    for (const doc of [viaPool, bare]) {
      expect(verifyPdf(doc.pdf, authority.trustAnchorsPem)).toMatchObject({ valid: true, signer: { name: authority.seal.name, serial: authority.seal.serial } });
    }
    expect(pdfsig(bare.pdf, nss.dir)).toContain('Certificate is Trusted.');
    const text = pdftotext(bare.pdf);
    expect(text).toContain('CV Maju Jaya');
    expect(text).not.toContain('Rincian Anggaran');
  });

  test('many documents in flight through two threads all verify', async () => {
    const docs = await Promise.all(Array.from({ length: 8 }, () => pool.renderAndSign(budgetContent(crypto.randomUUID()), identity)));
    expect(new Set(docs.map((d) => d.sha256)).size).toBe(8);
    for (const d of docs) expect(verifyPdf(d.pdf, authority.trustAnchorsPem).valid).toBe(true);
  });
});
