import crypto from 'node:crypto';
import forge from 'node-forge';
import { signDetached } from '../../src/documents/cms';
import { generateRsaKeyPair, issueCertificate, randomSerialHex } from '../../src/documents/certs';
import { TAG, children, encode, pemToDer, raw, readTlv } from '../../src/documents/der';

/**
 * PDFs whose signature is built to make a verifier work (the shape of the attack on the public
 * verify): a real RSA-2048 signer certificate whose issuer name and authority key identifier match
 * a fake CA, and that fake CA embedded many times with whatever public key the test wants (a huge
 * modulus, an odd exponent, another curve). A verifier only uses the fake CA's public key, so none
 * needs a private key: the fake CA's SubjectPublicKeyInfo is swapped in after issuing.
 */
export interface HostileSigner {
  /** A one-signature PDF whose CMS embeds the signer and `copies` copies of the fake CA holding `caPublicKey`. */
  pdf(opts: { copies: number; caPublicKey: Buffer }): Buffer;
}

/** SubjectPublicKeyInfo DER of an RSA key with a random odd modulus of `bits` bits (no private key). */
export function rsaPublicKey(bits: number, exponent = 65537): Buffer {
  const bytes = crypto.randomBytes(bits / 8);
  bytes[0]! |= 0x80;
  bytes[bytes.length - 1]! |= 0x01;
  const n = new forge.jsbn.BigInteger(bytes.toString('hex'), 16);
  return pemToDer(forge.pki.publicKeyToPem(forge.pki.setRsaPublicKey(n, new forge.jsbn.BigInteger(String(exponent), 10))));
}

/** SubjectPublicKeyInfo DER of a fresh key: EC on `curve`, or another type (e.g. 'ed25519'). */
export function otherPublicKey(type: 'ec' | 'ed25519', curve?: string): Buffer {
  const pair = type === 'ec' ? crypto.generateKeyPairSync('ec', { namedCurve: curve! }) : crypto.generateKeyPairSync('ed25519');
  return pair.publicKey.export({ type: 'spki', format: 'der' });
}

/** The certificate with another SubjectPublicKeyInfo (its signature no longer matches: nobody checks it before the key). */
function withPublicKey(certDer: Buffer, spki: Buffer): Buffer {
  const [tbs, sigAlg, sig] = children(readTlv(certDer));
  const fields = children(tbs!).map(raw);
  const i = readTlv(fields[0]!).tag === TAG.context0 ? 1 : 0;
  fields[i + 5] = spki;
  return encode(TAG.sequence, encode(TAG.sequence, ...fields), raw(sigAlg!), raw(sig!));
}

/** A minimal one-signature PDF around `sign`'s CMS, the ByteRange covering everything but /Contents. */
export function pdfAround(signatureLength: number, sign: (signedBytes: Buffer) => Buffer): Buffer {
  const pad = (n: number) => String(n).padStart(10, '0');
  const head = (b: number, c: number, d: number) =>
    `%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n` +
    `3 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 ${pad(b)} ${pad(c)} ${pad(d)}] /Contents `;
  const tail = ' >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n';
  const b = Buffer.byteLength(head(0, 0, 0), 'latin1');
  const c = b + 2 + signatureLength * 2;
  const d = Buffer.byteLength(tail, 'latin1');
  const before = Buffer.from(head(b, c, d), 'latin1');
  const after = Buffer.from(tail, 'latin1');
  const cms = sign(Buffer.concat([before, after]));
  if (cms.length !== signatureLength) throw new Error(`CMS of ${cms.length} bytes, expected ${signatureLength}`);
  return Buffer.concat([before, Buffer.from(`<${cms.toString('hex')}>`, 'latin1'), after]);
}

/** Makes the signer and the fake CA once (two RSA-2048 key pairs); each pdf() is then quick. */
export async function hostileSigner(): Promise<HostileSigner> {
  const attacker = await generateRsaKeyPair(2048);
  const attackerKey = crypto.createPrivateKey(attacker.privateKeyPem);
  const now = Date.now();
  const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 365 * 86_400_000) };
  const fakeCaPem = issueCertificate(
    { subject: { commonName: 'Fake Document CA', organizationName: 'PEMERINTAH KOTA SEMARANG' }, publicKeyPem: attacker.publicKeyPem, serialHex: randomSerialHex(), ...validity, profile: 'ca' },
    { privateKey: attackerKey },
  );
  const signer = await generateRsaKeyPair(2048);
  // Issuer name and authority key identifier come from the fake CA; the attacker signs.
  const signerPem = issueCertificate(
    { subject: { commonName: 'Penanda Tangan Palsu', organizationName: 'PEMERINTAH KOTA SEMARANG' }, publicKeyPem: signer.publicKeyPem, serialHex: randomSerialHex(), ...validity, profile: 'signer', crlUrl: 'https://fake.example/ca.crl' },
    { certificatePem: fakeCaPem, privateKey: attackerKey },
  );
  const signerKey = crypto.createPrivateKey(signer.privateKeyPem);
  return {
    pdf({ copies, caPublicKey }) {
      const fakeCa = withPublicKey(pemToDer(fakeCaPem), caPublicKey);
      const key = { certificateDer: pemToDer(signerPem), chainDers: Array.from({ length: copies }, () => fakeCa), privateKey: signerKey };
      const length = signDetached(Buffer.alloc(0), key).length;
      return pdfAround(length, (bytes) => signDetached(bytes, key));
    },
  };
}
