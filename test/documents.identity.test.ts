import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { openPostgres, type Db } from '../src/db/connect';
import { YEAR_MS, issueSigningCertificate, loadDocumentAuthority, type DocumentAuthorityConfig } from '../src/documents/authority';
import { generateRsaKeyPair, issueCertificate, randomSerialHex } from '../src/documents/certs';
import { loadRevocations, revokeCertificate, signingIdentityFor } from '../src/documents/identities';
import { EXT, OID, TAG, certParts, children, crlUrlsOf, integerHex, nameAttributes, pemToDer, readTlv } from '../src/documents/der';
import { CrlPublisher } from '../src/documents/crl';
import { loadConfig } from '../src/config';
import { certificateBaseUrl } from '../src/wiring';
import { renderAndSign } from '../src/documents/sign';
import { verifyPdf } from '../src/documents/verify';
import { createTestDb, describeBackends, describePostgres } from './support/db';

const masterKey = crypto.randomBytes(32);
const baseConfig: DocumentAuthorityConfig = {
  government: 'PEMERINTAH KOTA SEMARANG',
  trustAnchorsFile: undefined, caCertFile: undefined, caKeyFile: undefined, caP12File: undefined,
  caPassphrase: undefined, userP12Dir: undefined, userP12Passphrase: undefined, publicUrl: 'https://grms.semarangkota.example',
};
const ratna = { username: 'ratna', fullName: 'dr. Ratna Dewi Kusumawati, M.Kes.', orgName: 'Dinas Kesehatan' };

async function seed(db: Db): Promise<void> {
  await db.kysely.insertInto('orgs').values({ id: 'dinkes', name: 'Dinas Kesehatan', code: 'DINKES' }).execute();
  await db.kysely.insertInto('users').values([
    { username: 'ratna', full_name: ratna.fullName, org_id: 'dinkes' },
    { username: 'budi', full_name: 'Budi Santoso', org_id: 'dinkes' },
  ]).execute();
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'grms-ca-'));
}

/** An outside CA (as a government would bring), as PEM files and as a PKCS#12. */
async function outsideCa(dir: string, passphrase: string) {
  const pair = await generateRsaKeyPair(2048);
  const key = crypto.createPrivateKey(pair.privateKeyPem);
  const certificatePem = issueCertificate(
    { subject: { commonName: 'CA Pemerintah Kota Semarang', organizationName: 'Diskominfo' }, publicKeyPem: pair.publicKeyPem, serialHex: randomSerialHex(), notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3.2e10), profile: 'ca' },
    { privateKey: key },
  );
  const files = { cert: path.join(dir, 'ca.pem'), key: path.join(dir, 'ca.key'), p12: path.join(dir, 'ca.p12') };
  fs.writeFileSync(files.cert, certificatePem);
  fs.writeFileSync(files.key, key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }));
  const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(pair.privateKeyPem), [forge.pki.certificateFromPem(certificatePem)], passphrase);
  fs.writeFileSync(files.p12, Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'));
  return { certificatePem, key, files };
}

/** A signer certificate from an outside CA, as plain key material. */
async function issueSigningCertificateForTest(caCertificatePem: string, caKey: crypto.KeyObject) {
  const issued = await issueSigningCertificate({ caCertificatePem, caKey, crlUrl: 'https://ca.example/ca.crl' }, { name: ratna.fullName, org: ratna.orgName }, YEAR_MS);
  return { certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, chainPems: [caCertificatePem] };
}

function extensionsOf(pem: string) {
  const cert = forge.pki.certificateFromPem(pem);
  return {
    keyUsage: cert.getExtension('keyUsage') as { digitalSignature?: boolean; nonRepudiation?: boolean; keyCertSign?: boolean },
    basic: cert.getExtension('basicConstraints') as { cA?: boolean },
  };
}

describeBackends('document authority and signing identities', (kind) => {
  let db: Db;
  beforeEach(async () => {
    db = await createTestDb(kind);
    await seed(db);
  });
  afterEach(async () => {
    await db.close();
  });

  test('the first start creates a CA and a seal; later starts load the same ones', async () => {
    const first = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    const again = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    expect(again.caCertificatePem).toBe(first.caCertificatePem);
    expect(again.seal.serial).toBe(first.seal.serial);
    expect(first.configured).toBe(false);
    expect(first.trustAnchorsPem).toEqual([first.caCertificatePem]);
    const ca = new crypto.X509Certificate(first.caCertificatePem);
    expect(ca.ca).toBe(true);
    expect(new crypto.X509Certificate(first.seal.certificatePem).checkIssued(ca)).toBe(true);
    const stored = await db.kysely.selectFrom('deployment_keys').select(['name', 'private_key']).orderBy('name').execute();
    // One seal per CA, CRL address and two-year period.
    expect(stored.map((r) => r.name)).toEqual(['document-ca', expect.stringMatching(new RegExp(`^document-seal-${first.caFingerprint.slice(0, 16)}-[0-9a-f]{8}-p\\d+$`))]);
    for (const r of stored) expect(r.private_key).not.toMatch(/PRIVATE KEY/); // encrypted with GRMS_KEY
  });

  test('a user gets one certificate from the CA (CN name, O OPD, signing key usage), reused and cached', async () => {
    const authority = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    const id = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    const cert = new crypto.X509Certificate(id.certificatePem);
    const subject = nameAttributes(certParts(pemToDer(id.certificatePem)).subject);
    expect(subject.get(OID.commonName)).toBe(ratna.fullName);
    expect(subject.get(OID.organizationName)).toBe('Dinas Kesehatan');
    expect(cert.serialNumber.toLowerCase()).toBe(id.serial);
    expect(id.serial).toMatch(/^[0-9a-f]{32}$/);
    expect(cert.checkIssued(new crypto.X509Certificate(authority.caCertificatePem))).toBe(true);
    const { keyUsage, basic } = extensionsOf(id.certificatePem);
    expect(keyUsage).toMatchObject({ digitalSignature: true, nonRepudiation: true, keyCertSign: false });
    expect(basic.cA).toBe(false);
    expect(id.chainPems).toEqual([authority.caCertificatePem]);

    const again = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    expect(again.serial).toBe(id.serial);
    expect(authority.identityCache.get(id.serial)?.privateKeyPem).toBe(id.privateKeyPem);
    // A fresh process (no cache) decrypts the same stored key.
    const fresh = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    expect((await signingIdentityFor(db.kysely, masterKey, fresh, ratna)).privateKeyPem).toBe(id.privateKeyPem);
    const rows = await db.kysely.selectFrom('user_certificates').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.private_key).not.toMatch(/PRIVATE KEY/);
    expect(rows[0]!.serial).toBe(id.serial);

    // Moved to another OPD: the old certificate names the wrong O, so a new one replaces it.
    const moved = await signingIdentityFor(db.kysely, masterKey, authority, { ...ratna, orgName: 'Badan Perencanaan Pembangunan Daerah' });
    expect(moved.serial).not.toBe(id.serial);
    expect(nameAttributes(certParts(pemToDer(moved.certificatePem)).subject).get(OID.organizationName)).toBe('Badan Perencanaan Pembangunan Daerah');
    const after = await db.kysely.selectFrom('user_certificates').select(['serial', 'revoked_at']).orderBy('id').execute();
    expect(after.map((r) => [r.serial, r.revoked_at === null])).toEqual([[id.serial, false], [moved.serial, true]]);
    const reasons = await db.kysely.selectFrom('user_certificates').select('revocation_reason').orderBy('id').execute();
    expect(reasons.map((r) => r.revocation_reason)).toEqual(['superseded', null]);
  });

  test('revoking retires the certificate; the next signature gets a new one, the old serial is listed', async () => {
    const authority = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    const old = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    const at = new Date('2026-11-30T00:00:00Z');
    expect(await revokeCertificate(db.kysely, 'ratna', at)).toEqual([old.serial]);
    expect(await revokeCertificate(db.kysely, 'ratna', at)).toEqual([]);
    const next = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    expect(next.serial).not.toBe(old.serial);
    expect(await loadRevocations(db.kysely)).toEqual([{ serial: old.serial, revokedAt: at }]);
    const row = await db.kysely.selectFrom('user_certificates').select('revocation_reason').where('serial', '=', old.serial).executeTakeFirstOrThrow();
    expect(row.revocation_reason).toBe('cessationOfOperation');
  });

  test('a configured CA from PEM files (encrypted key) issues the certificates; extra trust anchors are accepted', async () => {
    const dir = tempDir();
    try {
      const outside = await outsideCa(dir, 'rahasia');
      const foreign = await outsideCa(tempDir(), 'x');
      const anchors = path.join(dir, 'anchors.pem');
      fs.writeFileSync(anchors, foreign.certificatePem);
      const config = { ...baseConfig, caCertFile: outside.files.cert, caKeyFile: outside.files.key, caPassphrase: 'rahasia', trustAnchorsFile: anchors };
      const authority = await loadDocumentAuthority(db.kysely, masterKey, config);
      expect(authority.configured).toBe(true);
      expect(authority.caCertificatePem).toBe(outside.certificatePem);
      expect(authority.trustAnchorsPem).toEqual([outside.certificatePem, foreign.certificatePem]);
      const names = await db.kysely.selectFrom('deployment_keys').select('name').execute();
      expect(names.map((n) => n.name)).not.toContain('document-ca');
      const id = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
      expect(new crypto.X509Certificate(id.certificatePem).checkIssued(new crypto.X509Certificate(outside.certificatePem))).toBe(true);
      // A signer of the other anchor's CA verifies through the bundle.
      const foreignSigner = await issueSigningCertificateForTest(foreign.certificatePem, foreign.key);
      const doc = await renderAndSign(sampleContent(), foreignSigner);
      expect(verifyPdf(doc.pdf, authority.trustAnchorsPem).valid).toBe(true);
      expect(verifyPdf(doc.pdf, [authority.caCertificatePem]).valid).toBe(false);
      await expect(loadDocumentAuthority(db.kysely, masterKey, { ...config, caPassphrase: 'salah' })).rejects.toMatchObject({ code: 'DOCUMENT_CA_CONFIG' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a configured PKCS#12 CA, and per-user PKCS#12 files, sign on the same code path', async () => {
    const dir = tempDir();
    try {
      const outside = await outsideCa(dir, 'rahasia');
      const usersDir = path.join(dir, 'users');
      fs.mkdirSync(usersDir);
      // Ratna holds a certificate of her own (as from BSrE), issued by the configured CA.
      const own = await issueSigningCertificateForTest(outside.certificatePem, outside.key);
      const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(own.privateKeyPem), [forge.pki.certificateFromPem(own.certificatePem), forge.pki.certificateFromPem(outside.certificatePem)], 'pin-ratna');
      fs.writeFileSync(path.join(usersDir, 'ratna.p12'), Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'));
      const config = { ...baseConfig, caP12File: outside.files.p12, caPassphrase: 'rahasia', userP12Dir: usersDir, userP12Passphrase: 'pin-ratna' };
      const authority = await loadDocumentAuthority(db.kysely, masterKey, config);
      expect(authority.caCertificatePem).toBe(outside.certificatePem);
      const id = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
      expect(id.certificatePem).toBe(own.certificatePem);
      const row = await db.kysely.selectFrom('user_certificates').selectAll().where('username', '=', 'ratna').executeTakeFirstOrThrow();
      expect(row.private_key).toBeNull();
      expect(row.serial).toBe(id.serial);
      expect((await signingIdentityFor(db.kysely, masterKey, authority, ratna)).serial).toBe(id.serial);
      const doc = await renderAndSign(sampleContent(), id);
      expect(verifyPdf(doc.pdf, authority.trustAnchorsPem)).toMatchObject({ valid: true, signer: { serial: id.serial } });
      await expect(signingIdentityFor(db.kysely, masterKey, authority, { username: 'budi', fullName: 'Budi Santoso', orgName: 'Dinas Kesehatan' }))
        .rejects.toMatchObject({ code: 'NO_SIGNING_CERTIFICATE' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('RFC 5280 key identifiers and the signing profile: EKU for document signing, the CRL at the public URL, bounded validity', async () => {
    const authority = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    const ca = certParts(pemToDer(authority.caCertificatePem));
    expect(ca.authorityKeyId!.equals(ca.subjectKeyId!)).toBe(true);
    expect(authority.caKeyId).toBe(ca.subjectKeyId!.toString('hex'));
    expect(authority.crlUrl).toBe(`https://grms.semarangkota.example/crl/${authority.caKeyId}.crl`);
    const user = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    for (const [pem, years] of [[user.certificatePem, 2], [authority.seal.certificatePem, 3]] as const) {
      const parts = certParts(pemToDer(pem));
      expect(parts.authorityKeyId!.equals(ca.subjectKeyId!)).toBe(true);
      expect(crlUrlsOf(parts.extensions.get(EXT.crlDistributionPoints))).toEqual([authority.crlUrl]);
      const x = new crypto.X509Certificate(pem);
      expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.4', '1.3.6.1.5.5.7.3.36']); // node's name for the extended key usage
      const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
      expect(days).toBeGreaterThan(years * 365 - 1);
      expect(days).toBeLessThan(years * 366 + 1);
    }
    expect(extensionsOf(authority.seal.certificatePem).keyUsage).toMatchObject({ digitalSignature: true, nonRepudiation: true, keyCertSign: false });
  });

  test('without a public URL no certificate is issued, and nothing is stored for one', async () => {
    await expect(loadDocumentAuthority(db.kysely, masterKey, { ...baseConfig, publicUrl: undefined }))
      .rejects.toMatchObject({ code: 'DOCUMENT_CA_CONFIG', message: expect.stringMatching(/^GRMS_PUBLIC_URL is not set/) });
    expect((await db.kysely.selectFrom('deployment_keys').select('name').execute()).map((r) => r.name)).toEqual(['document-ca']);
    const authority = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    await expect(signingIdentityFor(db.kysely, masterKey, { ...authority, crlUrl: undefined }, ratna)).rejects.toMatchObject({ code: 'DOCUMENT_CA_CONFIG' });
    expect(await db.kysely.selectFrom('user_certificates').selectAll().execute()).toEqual([]);
  });

  test('the CRL lists the revoked certificates this CA issued, and nothing else', async () => {
    const authority = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    const crls = new CrlPublisher(db.kysely, authority);
    const listed = async () => {
      const tbs = children(readTlv((await crls.current()).der))[0]!;
      const revoked = children(tbs)[5];
      return revoked?.tag === TAG.sequence ? children(revoked).map((entry) => integerHex(children(entry)[0]!)) : [];
    };
    const empty = await crls.current();
    expect(await listed()).toEqual([]);
    expect(await crls.current()).toBe(empty); // nothing revoked since: the same CRL
    const old = await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    const renamed = await signingIdentityFor(db.kysely, masterKey, authority, { ...ratna, fullName: 'dr. Ratna Dewi K., M.Kes.' });
    // Budi's own certificate from another CA (as a PKCS#12 would bring), revoked at deactivation: not ours to list.
    const other = await outsideCa(tempDir(), 'x');
    const foreign = await issueSigningCertificateForTest(other.certificatePem, other.key);
    await db.kysely.insertInto('user_certificates').values({ username: 'budi', serial: certParts(pemToDer(foreign.certificatePem)).serialHex, certificate: foreign.certificatePem, private_key: null }).execute();
    await revokeCertificate(db.kysely, 'budi');
    await revokeCertificate(db.kysely, 'ratna');
    const crl = await crls.current();
    expect(crl).not.toBe(empty);
    expect(crl.number).toBeGreaterThan(empty.number);
    expect((await listed()).sort()).toEqual([old.serial, renamed.serial].sort());
  });

  test('certificate rows can be revoked but not rewritten or deleted', async () => {
    const authority = await loadDocumentAuthority(db.kysely, masterKey, baseConfig);
    await signingIdentityFor(db.kysely, masterKey, authority, ratna);
    await expect(db.kysely.updateTable('user_certificates').set({ serial: 'abcd' }).execute()).rejects.toThrow(/can only be revoked/);
    await expect(db.kysely.deleteFrom('user_certificates').execute()).rejects.toThrow(/can only be revoked/);
    await revokeCertificate(db.kysely, 'ratna', new Date());
    await expect(db.kysely.updateTable('user_certificates').set({ revoked_at: null }).execute()).rejects.toThrow(/can only be revoked/);
  });
});

test('certificates are issued in the embedded demo, or with GRMS_PUBLIC_URL; on PostgreSQL without it, not', () => {
  expect(loadConfig({}).publicUrlSet).toBe(false);
  expect(certificateBaseUrl(loadConfig({}))).toBe('http://127.0.0.1:3000');
  expect(certificateBaseUrl(loadConfig({ DATABASE_URL: 'postgres://db/grms' }))).toBeUndefined();
  expect(certificateBaseUrl(loadConfig({ DATABASE_URL: 'postgres://db/grms', GRMS_PUBLIC_URL: 'https://grms.semarangkota.go.id/' }))).toBe('https://grms.semarangkota.go.id');
});

describePostgres('document authority under concurrency', () => {
  let a: Db & { url?: string };
  let b: Db;
  beforeEach(async () => {
    a = await createTestDb('postgres');
    b = openPostgres({ connectionString: a.url! });
    await seed(a);
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  test('processes starting together end up with one CA and one seal', async () => {
    const loaded = await Promise.all([a, b, a, b].map((db) => loadDocumentAuthority(db.kysely, masterKey, baseConfig)));
    expect(new Set(loaded.map((l) => l.caCertificatePem)).size).toBe(1);
    expect(new Set(loaded.map((l) => l.seal.serial)).size).toBe(1);
    expect(await a.kysely.selectFrom('deployment_keys').select('name').execute()).toHaveLength(2);
  });

  test('two processes issuing for one user at once leave one active certificate, and both sign with it', async () => {
    const [authA, authB] = await Promise.all([loadDocumentAuthority(a.kysely, masterKey, baseConfig), loadDocumentAuthority(b.kysely, masterKey, baseConfig)]);
    const ids = await Promise.all([
      signingIdentityFor(a.kysely, masterKey, authA!, ratna),
      signingIdentityFor(b.kysely, masterKey, authB!, ratna),
      signingIdentityFor(a.kysely, masterKey, authA!, ratna),
      signingIdentityFor(b.kysely, masterKey, authB!, ratna),
    ]);
    expect(new Set(ids.map((i) => i.serial)).size).toBe(1);
    expect(new Set(ids.map((i) => i.privateKeyPem)).size).toBe(1);
    const rows = await a.kysely.selectFrom('user_certificates').selectAll().where('username', '=', 'ratna').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.revoked_at).toBeNull();
  });
});

function sampleContent() {
  const id = crypto.randomUUID();
  return {
    government: 'PEMERINTAH KOTA SEMARANG', orgName: 'Dinas Kesehatan', title: 'Surat Keterangan', number: '900/0001/DINKES/2026',
    documentId: id, verifyUrl: `http://localhost:3000/verify/${id}`, place: 'Semarang', issuedAt: new Date(), timezone: 'Asia/Jakarta',
    workflow: 'permit', instanceTitle: 'Izin', fields: [['Pemohon', 'CV Maju'] as [string, string]], history: [],
    signer: { name: ratna.fullName, position: 'Kepala Dinas Kesehatan', orgName: 'Dinas Kesehatan' },
  };
}
