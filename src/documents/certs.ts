import crypto from 'node:crypto';
import forge from 'node-forge';
import { AuthorityConfigError } from './errors';
import { certParts, normalizePem, pemToDer, raw } from './der';

/**
 * X.509 plumbing for the document CA: key generation, issuing certificates, reading PKCS#12.
 * node-forge builds the certificate body; node's crypto signs it (native, and the CA key never
 * has to be converted to a forge key). Issuing CAs must have RSA keys (forge's limitation).
 */

export interface KeyPairPem {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** RSA is what BSrE and most PDF readers expect; generated off the event loop (libuv pool). */
export function generateRsaKeyPair(bits = 2048): Promise<KeyPairPem> {
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair(
      'rsa',
      { modulusLength: bits, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } },
      (err, publicKeyPem, privateKeyPem) => (err ? reject(err) : resolve({ publicKeyPem, privateKeyPem })),
    );
  });
}

/** 128 random bits, positive as DER INTEGER (high bit clear) and without a leading zero octet. */
export function randomSerialHex(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

export interface SubjectFields {
  commonName: string;
  organizationName?: string;
}

export interface CertificateRequest {
  subject: SubjectFields;
  publicKeyPem: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** 'ca' for a certificate that issues others, 'signer' for document signing. */
  profile: 'ca' | 'signer';
}

export interface Issuer {
  /** undefined for a self-signed certificate. */
  certificatePem?: string;
  privateKey: crypto.KeyObject;
}

function subjectAttributes(s: SubjectFields): forge.pki.CertificateField[] {
  // UTF-8 so names like "Dr. Ni Luh Putu Ayu Ratnasari, S.Kep." or accented names survive.
  // (forge's typings call valueTagClass a Class; it is the universal Type of the value.)
  const utf8 = (value: string, name: string) => ({ name, value, valueTagClass: forge.asn1.Type.UTF8 }) as unknown as forge.pki.CertificateField;
  const attrs: forge.pki.CertificateField[] = [{ shortName: 'C', value: 'ID' }];
  if (s.organizationName) attrs.push(utf8(s.organizationName, 'organizationName'));
  attrs.push(utf8(s.commonName, 'commonName'));
  return attrs;
}

/** Issues (or self-signs) a certificate; returns its PEM. */
export function issueCertificate(req: CertificateRequest, issuer: Issuer): string {
  if (issuer.privateKey.asymmetricKeyType !== 'rsa') {
    throw new AuthorityConfigError('the document CA key must be an RSA key');
  }
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(req.publicKeyPem);
  cert.serialNumber = req.serialHex;
  cert.validity.notBefore = req.notBefore;
  cert.validity.notAfter = req.notAfter;
  cert.setSubject(subjectAttributes(req.subject));
  cert.setIssuer(subjectAttributes(req.subject)); // replaced below by the issuer's exact Name bytes
  const ski = forge.pki.getPublicKeyFingerprint(cert.publicKey, { type: 'SubjectPublicKeyInfo' }).getBytes();
  const issuerParts = issuer.certificatePem ? certParts(pemToDer(issuer.certificatePem)) : undefined;
  const aki = issuerParts
    ? (issuerParts.subjectKeyId ?? spkiSha1(issuer.certificatePem!)).toString('binary')
    : ski;
  const ca = req.profile === 'ca';
  cert.setExtensions([
    { name: 'basicConstraints', cA: ca, critical: true },
    ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier', subjectKeyIdentifier: forge.util.bytesToHex(ski) },
    { name: 'authorityKeyIdentifier', keyIdentifier: aki },
  ]);
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  if (issuerParts) {
    // Copy the issuer Name as encoded in the CA certificate: chain building compares bytes, and
    // forge would re-encode a parsed Name (double-encoding UTF-8).
    (tbs.value as forge.asn1.Asn1[])[3] = forge.asn1.fromDer(raw(issuerParts.subject).toString('binary'));
  }
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  cert.signature = crypto.sign('sha256', tbsDer, issuer.privateKey).toString('binary');
  return normalizePem(forge.pki.certificateToPem(cert));
}

function spkiSha1(certificatePem: string): Buffer {
  const spki = new crypto.X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha1').update(spki).digest();
}

/** What a PKCS#12 file (a BSrE certificate, a configured CA) holds. */
export interface Pkcs12Contents {
  certificatePem: string;
  privateKeyPem: string;
  /** The other certificates in the file (issuers), leaf excluded. */
  chainPems: string[];
}

/** Decrypts a PKCS#12 (RSA keys). Slow by design of the format: callers cache the result. */
export function readPkcs12(file: Buffer, passphrase: string, what: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(file.toString('binary')), false, passphrase);
  } catch (err) {
    throw new AuthorityConfigError(`cannot open ${what} (wrong passphrase or not a PKCS#12 file)`, { cause: err });
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const key = keyBags[0]?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key) throw new AuthorityConfigError(`${what} holds no RSA private key`);
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [])
    .map((b) => b.cert)
    .filter((c): c is forge.pki.Certificate => Boolean(c));
  const isLeaf = (c: forge.pki.Certificate) => (c.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n);
  const leaf = certs.find(isLeaf);
  if (!leaf) throw new AuthorityConfigError(`${what} holds no certificate for its private key`);
  return {
    certificatePem: normalizePem(forge.pki.certificateToPem(leaf)),
    privateKeyPem: normalizePem(forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key))), 'PRIVATE KEY'),
    chainPems: certs.filter((c) => !isLeaf(c)).map((c) => normalizePem(forge.pki.certificateToPem(c))),
  };
}

/** Lower-case hex SHA-256 of a certificate's DER. */
export function certificateFingerprint(pem: string): string {
  return crypto.createHash('sha256').update(pemToDer(pem)).digest('hex');
}

/** Normalised serial (lower-case hex, no leading zero octets), as stored in user_certificates. */
export function serialOf(pem: string): string {
  return new crypto.X509Certificate(pem).serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
}

/** Throws unless the private key belongs to the certificate. */
export function assertKeyMatches(certificatePem: string, privateKey: crypto.KeyObject, what: string): void {
  if (!new crypto.X509Certificate(certificatePem).checkPrivateKey(privateKey)) {
    throw new AuthorityConfigError(`${what}: the private key does not belong to the certificate`);
  }
}
