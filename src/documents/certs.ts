import crypto from 'node:crypto';
import forge from 'node-forge';
import { AuthorityConfigError } from './errors';
import { certParts, children, content, normalizePem, pemToDer, raw, readTlv } from './der';

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
  /** The subject's fields, or its Name exactly as encoded elsewhere (re-issuing a CA keeps its name byte for byte). */
  subject: SubjectFields | { der: Buffer };
  publicKeyPem: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** 'ca' for a certificate that issues others, 'signer' for document signing. */
  profile: 'ca' | 'signer';
  /** Where the issuer publishes its CRL (CRL distribution point); required for 'signer'. */
  crlUrl?: string;
}

export interface Issuer {
  /** undefined for a self-signed certificate. */
  certificatePem?: string;
  privateKey: crypto.KeyObject;
}

/** id-kp-documentSigning (RFC 9336); forge knows no name for it. */
export const EKU_DOCUMENT_SIGNING = '1.3.6.1.5.5.7.3.36';

function subjectAttributes(s: SubjectFields): forge.pki.CertificateField[] {
  // UTF-8 so names like "Dr. Ni Luh Putu Ayu Ratnasari, S.Kep." or accented names survive.
  // (forge's typings call valueTagClass a Class; it is the universal Type of the value.)
  const utf8 = (value: string, name: string) => ({ name, value, valueTagClass: forge.asn1.Type.UTF8 }) as unknown as forge.pki.CertificateField;
  const attrs: forge.pki.CertificateField[] = [{ shortName: 'C', value: 'ID' }];
  if (s.organizationName) attrs.push(utf8(s.organizationName, 'organizationName'));
  attrs.push(utf8(s.commonName, 'commonName'));
  return attrs;
}

/**
 * RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value. node-forge writes
 * the SKI this way whatever value it is given; computing it the same way keeps AKI = issuer's SKI.
 */
export function keyIdentifier(publicKey: crypto.KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const bits = children(readTlv(spki))[1]!;
  return crypto.createHash('sha1').update(content(bits).subarray(1)).digest(); // skip the unused-bits octet
}

/** The key identifier a certificate's children name as their AKI: its SKI, or method 1 when it has none. */
export function keyIdentifierOf(certificatePem: string): Buffer {
  return certParts(pemToDer(certificatePem)).subjectKeyId ?? keyIdentifier(new crypto.X509Certificate(certificatePem).publicKey);
}

/**
 * True unless the certificate's AKI names another key than its SKI. A self-signed root whose AKI
 * differs from its SKI (what earlier grms versions made) is not seen as self-signed by OpenSSL.
 */
export function keyIdentifiersAgree(certificatePem: string): boolean {
  const parts = certParts(pemToDer(certificatePem));
  return !parts.authorityKeyId || Boolean(parts.subjectKeyId?.equals(parts.authorityKeyId));
}

/** Issues (or self-signs) a certificate; returns its PEM. */
export function issueCertificate(req: CertificateRequest, issuer: Issuer): string {
  if (issuer.privateKey.asymmetricKeyType !== 'rsa') {
    throw new AuthorityConfigError('the document CA key must be an RSA key');
  }
  const signer = req.profile === 'signer';
  if (signer && !req.crlUrl) throw new AuthorityConfigError('a signing certificate must name the CRL of its issuer');
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(req.publicKeyPem);
  cert.serialNumber = req.serialHex;
  cert.validity.notBefore = req.notBefore;
  cert.validity.notAfter = req.notAfter;
  // Names given as DER are put in below; forge needs some Name to build the body around.
  const fields = 'der' in req.subject ? { commonName: '-' } : req.subject;
  cert.setSubject(subjectAttributes(fields));
  cert.setIssuer(subjectAttributes(fields));
  const ski = Buffer.from(cert.generateSubjectKeyIdentifier().getBytes(), 'binary');
  const issuerParts = issuer.certificatePem ? certParts(pemToDer(issuer.certificatePem)) : undefined;
  const aki = issuer.certificatePem ? keyIdentifierOf(issuer.certificatePem) : ski;
  cert.setExtensions([
    { name: 'basicConstraints', cA: !signer, critical: true },
    signer
      ? { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true }
      : { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ...(signer
      ? [
        // id-kp-emailProtection: NSS (pdfsig) and `openssl cms -verify` refuse a signer whose EKU lacks it.
        // (forge's own name: its OID table maps OIDs to names, so an OID key would be taken for a name.)
        { name: 'extKeyUsage', emailProtection: true, [EKU_DOCUMENT_SIGNING]: true },
        { name: 'cRLDistributionPoints', altNames: [{ type: 6, value: req.crlUrl }] },
      ]
      : []),
    { name: 'subjectKeyIdentifier' }, // forge computes it (method 1), as `ski` above
    { name: 'authorityKeyIdentifier', keyIdentifier: aki.toString('binary') },
  ]);
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbsFields = tbs.value as forge.asn1.Asn1[];
  const asn1Of = (der: Buffer) => forge.asn1.fromDer(der.toString('binary'));
  // Names are copied as encoded elsewhere: chain building compares bytes, and forge would
  // re-encode a parsed Name (double-encoding UTF-8). [3] is the issuer, [5] the subject.
  if ('der' in req.subject) tbsFields[5] = asn1Of(req.subject.der);
  if (issuerParts) tbsFields[3] = asn1Of(raw(issuerParts.subject));
  else if ('der' in req.subject) tbsFields[3] = asn1Of(req.subject.der);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  cert.signature = crypto.sign('sha256', tbsDer, issuer.privateKey).toString('binary');
  const pem = normalizePem(forge.pki.certificateToPem(cert));
  // forge chooses the SKI itself: check that what was written is what the AKIs rely on.
  const written = certParts(pemToDer(pem));
  if (!written.subjectKeyId?.equals(ski) || !written.authorityKeyId?.equals(aki)) {
    throw new Error('issued certificate has unexpected key identifiers');
  }
  return pem;
}

/**
 * The same self-signed CA certificate with RFC 5280 key identifiers: same key, same subject bytes,
 * same validity, a new serial. Certificates the old one issued chain to it unchanged.
 */
export function reissueSelfSigned(certificatePem: string, privateKey: crypto.KeyObject): string {
  const old = new crypto.X509Certificate(certificatePem);
  return issueCertificate(
    {
      subject: { der: Buffer.from(raw(certParts(pemToDer(certificatePem)).subject)) },
      publicKeyPem: old.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      serialHex: randomSerialHex(),
      notBefore: new Date(Date.parse(old.validFrom)),
      notAfter: new Date(Date.parse(old.validTo)),
      profile: 'ca',
    },
    { privateKey },
  );
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

/**
 * Whether a certificate was issued by BSrE (Balai Sertifikasi Elektronik of the Badan Siber dan
 * Sandi Negara): its issuer's organisation names either. Documents name BSrE only then.
 */
export function issuedByBsre(certificatePem: string): boolean {
  let issuer: string;
  try {
    issuer = new crypto.X509Certificate(certificatePem).issuer;
  } catch {
    return false;
  }
  return issuer.split('\n').some((part) => /^O=/.test(part) && /Badan Siber dan Sandi Negara|BSrE/i.test(part));
}
