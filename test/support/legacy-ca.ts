import crypto from 'node:crypto';
import forge from 'node-forge';
import { certParts, pemToDer, raw } from '../../src/documents/der';
import { randomSerialHex } from '../../src/documents/certs';

/**
 * Certificates exactly as earlier grms versions made them: the root's AKI was the SHA-1 of its
 * whole SubjectPublicKeyInfo while node-forge wrote the SKI by RFC 5280 method 1, so AKI ≠ SKI;
 * signer certificates had no extended key usage and no CRL distribution point. Used to test what
 * an upgrade does to them.
 */

const utf8 = (value: string, name: string) => ({ name, value, valueTagClass: forge.asn1.Type.UTF8 }) as unknown as forge.pki.CertificateField;

function build(
  subject: { commonName: string; organizationName: string },
  publicKeyPem: string,
  extensions: object[],
  validity: { notBefore: Date; notAfter: Date },
  issuer: { certificatePem?: string; privateKey: crypto.KeyObject },
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  const attrs = [{ shortName: 'C', value: 'ID' }, utf8(subject.organizationName, 'organizationName'), utf8(subject.commonName, 'commonName')];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions(extensions);
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  if (issuer.certificatePem) {
    (tbs.value as forge.asn1.Asn1[])[3] = forge.asn1.fromDer(raw(certParts(pemToDer(issuer.certificatePem)).subject).toString('binary'));
  }
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = crypto.sign('sha256', tbsDer, issuer.privateKey).toString('binary');
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

/** A self-signed document CA as earlier versions generated it (AKI ≠ SKI). */
export function legacyRoot(government: string, publicKeyPem: string, privateKey: crypto.KeyObject): string {
  const key = forge.pki.publicKeyFromPem(publicKeyPem);
  const wrongAki = forge.pki.getPublicKeyFingerprint(key, { type: 'SubjectPublicKeyInfo' }).getBytes();
  const now = Date.now();
  return build(
    { commonName: `grms Document CA - ${government}`, organizationName: government },
    publicKeyPem,
    [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: wrongAki },
    ],
    { notBefore: new Date(now - 600_000), notAfter: new Date(now + 20 * 365.25 * 86_400_000) },
    { privateKey },
  );
}

/** A signer certificate as earlier versions issued it: no EKU, no CRL distribution point. */
export function legacySigner(
  subject: { name: string; org: string }, publicKeyPem: string, ca: { certificatePem: string; privateKey: crypto.KeyObject },
): string {
  const now = Date.now();
  return build(
    { commonName: subject.name, organizationName: subject.org },
    publicKeyPem,
    [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: certParts(pemToDer(ca.certificatePem)).subjectKeyId!.toString('binary') },
    ],
    { notBefore: new Date(now - 600_000), notAfter: new Date(now + 3 * 365.25 * 86_400_000) },
    ca,
  );
}
