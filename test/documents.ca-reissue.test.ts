import crypto from 'node:crypto';
import type { Db } from '../src/db/connect';
import { getOrCreateDeploymentKey } from '../src/auth/deployment-keys';
import { encryptSecret } from '../src/auth/secrets';
import { loadDocumentAuthority, type DocumentAuthorityConfig } from '../src/documents/authority';
import { generateRsaKeyPair, serialOf } from '../src/documents/certs';
import { EXT, certParts, crlUrlsOf, pemToDer, raw, splitPemBundle } from '../src/documents/der';
import { signingIdentityFor } from '../src/documents/identities';
import { renderAndSign } from '../src/documents/sign';
import { verifyPdf } from '../src/documents/verify';
import { createTestDb, describeBackends } from './support/db';
import { legacyRoot, legacySigner } from './support/legacy-ca';
import { describeWithTools, nssDbTrusting, opensslCmsVerify, opensslVerify, pdfsig } from './support/pdf-tools';

/**
 * An existing deployment whose root was made by an earlier version (AKI ≠ SKI, so OpenSSL does not
 * see it as self-signed): at start the root is re-issued with the same key, name and validity.
 * Old leaves chain to the new root unchanged, old documents keep verifying everywhere, and both
 * certificates stay trust anchors.
 */

const masterKey = crypto.randomBytes(32);
const config: DocumentAuthorityConfig = {
  government: 'PEMERINTAH KOTA SEMARANG',
  trustAnchorsFile: undefined, caCertFile: undefined, caKeyFile: undefined, caP12File: undefined,
  caPassphrase: undefined, userP12Dir: undefined, userP12Passphrase: undefined, publicUrl: 'https://grms.semarangkota.example',
};
const ratna = { username: 'ratna', fullName: 'dr. Ratna Dewi Kusumawati, M.Kes.', orgName: 'Dinas Kesehatan' };

function content() {
  const id = crypto.randomUUID();
  return {
    government: config.government, orgName: 'Dinas Kesehatan', title: 'Surat Pengantar RKA', number: '900/0001/DINKES/2026',
    documentId: id, verifyUrl: `https://grms.semarangkota.example/verify/${id}`, place: 'Semarang', issuedAt: new Date(), timezone: 'Asia/Jakarta',
    workflow: 'budget-proposal', instanceTitle: 'RKA Dinas Kesehatan 2027', fields: [['Pagu', 'Rp 1.000.000'] as [string, string]], history: [],
    signer: { name: ratna.fullName, position: 'Kepala Dinas Kesehatan', orgName: 'Dinas Kesehatan' },
  };
}

describeWithTools('a root made by an earlier version', ['openssl', 'pdfsig', 'certutil'], () => {
  describeBackends('re-issue at start', (kind) => {
    let db: Db;
    beforeEach(async () => {
      db = await createTestDb(kind);
      await db.kysely.insertInto('orgs').values({ id: 'dinkes', name: 'Dinas Kesehatan', code: 'DINKES' }).execute();
      await db.kysely.insertInto('users').values({ username: 'ratna', full_name: ratna.fullName, org_id: 'dinkes' }).execute();
    });
    afterEach(async () => {
      await db.close();
    });

    test('same key and name, AKI = SKI; old leaves and documents keep verifying (grms, OpenSSL, pdfsig); the user gets a current certificate', async () => {
      // The deployment as an earlier version left it: its root, a user's certificate, a signed document.
      const caPair = await generateRsaKeyPair(2048);
      const caKey = crypto.createPrivateKey(caPair.privateKeyPem);
      const oldRoot = legacyRoot(config.government, caPair.publicKeyPem, caKey);
      await getOrCreateDeploymentKey(db.kysely, masterKey, 'document-ca', () => ({
        algorithm: 'rsa-3072', publicKey: caPair.publicKeyPem, privateKey: caPair.privateKeyPem, certificate: oldRoot,
      }));
      const leafPair = await generateRsaKeyPair(2048);
      const oldLeaf = legacySigner({ name: ratna.fullName, org: ratna.orgName }, leafPair.publicKeyPem, { certificatePem: oldRoot, privateKey: caKey });
      await db.kysely.insertInto('user_certificates')
        .values({ username: 'ratna', serial: serialOf(oldLeaf), certificate: oldLeaf, private_key: encryptSecret(masterKey, leafPair.privateKeyPem) }).execute();
      const oldDoc = (await renderAndSign(content(), { certificatePem: oldLeaf, privateKeyPem: leafPair.privateKeyPem, chainPems: [oldRoot] })).pdf;
      // What strict validators said of it: not a self-signed root.
      expect(opensslVerify(oldRoot, oldRoot).ok).toBe(false);
      expect(opensslCmsVerify(oldDoc, oldRoot).ok).toBe(false);

      // Two processes start at once: one re-issues, both load the same new root.
      const [authority, again] = await Promise.all([loadDocumentAuthority(db.kysely, masterKey, config), loadDocumentAuthority(db.kysely, masterKey, config)]);
      expect(again!.caCertificatePem).toBe(authority!.caCertificatePem);
      const newRoot = authority!.caCertificatePem;
      expect(newRoot).not.toBe(oldRoot);
      const [oldParts, newParts] = [oldRoot, newRoot].map((p) => certParts(pemToDer(p)));
      expect(raw(newParts!.subject).equals(raw(oldParts!.subject))).toBe(true);
      expect(raw(newParts!.issuer).equals(raw(oldParts!.subject))).toBe(true);
      expect(newParts!.subjectKeyId!.equals(oldParts!.subjectKeyId!)).toBe(true);
      expect(newParts!.authorityKeyId!.equals(newParts!.subjectKeyId!)).toBe(true);
      const [o, n] = [oldRoot, newRoot].map((p) => new crypto.X509Certificate(p));
      expect(n!.publicKey.equals(o!.publicKey)).toBe(true);
      expect([n!.validFrom, n!.validTo]).toEqual([o!.validFrom, o!.validTo]);
      expect(n!.serialNumber).not.toBe(o!.serialNumber);
      // Stored: the new root first, the old one after it; both are trust anchors.
      const row = await db.kysely.selectFrom('deployment_keys').select('certificate').where('name', '=', 'document-ca').executeTakeFirstOrThrow();
      expect(splitPemBundle(row.certificate!)).toEqual([newRoot, splitPemBundle(oldRoot)[0]]);
      expect(authority!.previousCaCertificatesPem).toEqual(splitPemBundle(oldRoot));
      expect(authority!.trustAnchorsPem).toEqual([newRoot, ...splitPemBundle(oldRoot)]);
      // A later start changes nothing.
      expect((await loadDocumentAuthority(db.kysely, masterKey, config)).caCertificatePem).toBe(newRoot);

      // Strict validators accept the new root, the old leaf under it, and the old document.
      expect(opensslVerify(newRoot, newRoot)).toMatchObject({ ok: true });
      expect(opensslVerify(oldLeaf, newRoot)).toMatchObject({ ok: true });
      expect(opensslCmsVerify(oldDoc, newRoot)).toMatchObject({ ok: true });
      expect(verifyPdf(oldDoc, authority!.trustAnchorsPem)).toMatchObject({ valid: true, signer: { serial: serialOf(oldLeaf) } });
      expect(verifyPdf(oldDoc, [newRoot])).toMatchObject({ valid: true });
      expect(verifyPdf(oldDoc, [oldRoot])).toMatchObject({ valid: true });
      const nss = nssDbTrusting([newRoot]);
      try {
        const report = pdfsig(oldDoc, nss.dir);
        expect(report).toContain('Signature is Valid.');
        expect(report).toContain('Certificate is Trusted.');
      } finally {
        nss.cleanup();
      }

      // Ratna's next signature uses a certificate of the current profile; the old one is superseded.
      const id = await signingIdentityFor(db.kysely, masterKey, authority!, ratna);
      expect(id.serial).not.toBe(serialOf(oldLeaf));
      expect(crlUrlsOf(certParts(pemToDer(id.certificatePem)).extensions.get(EXT.crlDistributionPoints))).toEqual([authority!.crlUrl]);
      const rows = await db.kysely.selectFrom('user_certificates').select(['serial', 'revoked_at', 'revocation_reason']).orderBy('id').execute();
      expect(rows.map((r) => [r.serial, r.revoked_at !== null, r.revocation_reason])).toEqual([[serialOf(oldLeaf), true, 'superseded'], [id.serial, false, null]]);
      const newDoc = (await renderAndSign(content(), id)).pdf;
      expect(opensslCmsVerify(newDoc, newRoot)).toMatchObject({ ok: true });
      expect(opensslVerify(id.certificatePem, newRoot)).toMatchObject({ ok: true });
    });
  });
});
