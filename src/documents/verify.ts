import crypto from 'node:crypto';
import { parseDetached, type ParsedCms } from './cms';
import { DIGESTS, OID, nameAttributes, pemToDer, raw } from './der';
import { SignatureLimitsExceeded } from './errors';
import type { Revocation } from './identities';
import { DEFAULT_SIGNATURE_LIMITS, certShape, checkCertificateLimits, mayHaveIssued, type CertShape, type SignatureLimits } from './signature-limits';

/**
 * Verifies the signature of a PDF the way a reader does, without trusting anything in the file:
 * the ByteRange must cover the whole file except the signature, the CMS messageDigest must match
 * those bytes, the signer's key must have signed the attributes, and the signer's certificate must
 * chain to a trust anchor and be valid (and not revoked) at signing time. The file is hostile until
 * checked: its shape is held to limits (signature size, certificate count, key sizes) before any
 * certificate is parsed, and issuers are picked by name and key identifier before any signature
 * is checked. A trust anchor is one of the configured certificates, never whatever claims to be a
 * root (self-issued, AKI = SKI).
 */

export interface VerifyOptions {
  /** Revoked certificates; a signature made on or after `revokedAt` is invalid. */
  revocations?: Revocation[];
  /**
   * When the document was signed, if known from a trusted source (e.g. documents.created_at).
   * Defaults to the signing time the signature claims.
   */
  at?: Date;
  /** Defaults to DEFAULT_SIGNATURE_LIMITS. */
  limits?: SignatureLimits;
}

export interface VerifyResult {
  valid: boolean;
  /** "ok", or why the signature is not valid. */
  reason: string;
  signer?: { name: string; org: string; serial: string };
  signedAt?: string;
  /** Lower-case hex SHA-256 of the whole file, for looking the document up. */
  sha256: string;
}

const RSA_ALGORITHMS = new Set<string>([OID.rsaEncryption, OID.sha256WithRSA, OID.sha384WithRSA, OID.sha512WithRSA]);
const EC_ALGORITHMS = new Set<string>([OID.ecPublicKey, OID.ecdsaWithSha256, OID.ecdsaWithSha384, OID.ecdsaWithSha512]);
const BYTE_RANGE = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;

class Invalid extends Error {}

interface Extracted {
  signedBytes: Buffer;
  cms: Buffer;
}

function extract(pdf: Buffer, limits: SignatureLimits): Extracted {
  const ranges = [...pdf.toString('latin1').matchAll(BYTE_RANGE)];
  if (ranges.length === 0) throw new Invalid('the PDF has no signature');
  if (ranges.length > 1) throw new Invalid('the PDF has more than one signature (changed after signing?)');
  const [a, b, c, d] = ranges[0]!.slice(1, 5).map(Number) as [number, number, number, number];
  if (a !== 0 || b <= 0 || c <= b || c + d !== pdf.length) {
    throw new Invalid('the signature does not cover the whole file');
  }
  // The gap must be exactly the /Contents hex string, nothing else left unsigned.
  if (pdf[b] !== 0x3c || pdf[c - 1] !== 0x3e || !/\/Contents\s*$/.test(pdf.subarray(Math.max(0, b - 16), b).toString('latin1'))) {
    throw new Invalid('the unsigned gap is not the signature contents');
  }
  const bytes = Math.ceil((c - b - 2) / 2);
  if (bytes > limits.maxSignatureBytes) {
    throw new SignatureLimitsExceeded(`the signature /Contents holds ${bytes} bytes (at most ${limits.maxSignatureBytes} accepted)`);
  }
  const hex = pdf.subarray(b + 1, c - 1).toString('latin1');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new Invalid('the signature contents are not hex');
  return { signedBytes: Buffer.concat([pdf.subarray(0, b), pdf.subarray(c, c + d)]), cms: Buffer.from(hex, 'hex') };
}

/** The certificate limits, read from the structure; a malformed certificate is an invalid signature. */
function checkLimits(cms: ParsedCms, limits: SignatureLimits): CertShape[] {
  try {
    return checkCertificateLimits(cms.certificates, limits);
  } catch (err) {
    if (err instanceof SignatureLimitsExceeded) throw err;
    throw new Invalid(`malformed certificate in the signature: ${(err as Error).message}`);
  }
}

function checkSignature(cms: ParsedCms, cert: crypto.X509Certificate, digest: string): void {
  const alg = cms.signatureAlgorithm;
  const keyType = cert.publicKey.asymmetricKeyType;
  if (!(RSA_ALGORITHMS.has(alg) && keyType === 'rsa') && !(EC_ALGORITHMS.has(alg) && keyType === 'ec')) {
    throw new Invalid(`unsupported signature algorithm ${alg} for a ${keyType} key`);
  }
  if (!crypto.verify(digest, cms.signedAttributes, cert.publicKey, cms.signature)) {
    throw new Invalid('the signature does not match the signer certificate');
  }
}

function validAt(cert: crypto.X509Certificate, at: Date): boolean {
  return Date.parse(cert.validFrom) <= at.getTime() && at.getTime() <= Date.parse(cert.validTo);
}

/** A certificate in chain building: its shape read by the DER reader, parsed by OpenSSL only when needed. */
class ChainCert {
  private parsed?: crypto.X509Certificate;
  constructor(readonly shape: CertShape) {}
  get x509(): crypto.X509Certificate {
    return (this.parsed ??= new crypto.X509Certificate(this.shape.der));
  }
  /** Did `issuer`'s key sign this certificate (the one place a chain costs a public-key operation). */
  signedBy(issuer: ChainCert): boolean {
    return this.x509.verify(issuer.x509.publicKey);
  }
}

/** Walks issuer links from the signer to a configured trust anchor through the embedded certificates. */
function checkChain(leaf: ChainCert, embedded: ChainCert[], anchors: ChainCert[], at: Date): void {
  let current = leaf;
  const used = new Set<ChainCert>([leaf]);
  for (let depth = 0; depth < 8; depth++) {
    if (!validAt(current.x509, at)) throw new Invalid(`certificate "${current.x509.subject.replace(/\n/g, ', ')}" was not valid at signing time`);
    if (anchors.some((a) => a.shape.der.equals(current.shape.der))) return;
    // Candidates by name and key identifier first; only those are checked cryptographically.
    const anchor = anchors.filter((a) => mayHaveIssued(a.shape, current.shape)).find((a) => current.signedBy(a));
    if (anchor) {
      if (!validAt(anchor.x509, at)) throw new Invalid('the trust anchor was not valid at signing time');
      return;
    }
    const next = embedded
      .filter((c) => !used.has(c) && mayHaveIssued(c.shape, current.shape))
      .find((c) => c.x509.ca && current.signedBy(c));
    if (!next) throw new Invalid('the signer certificate does not chain to a trusted CA');
    used.add(next);
    current = next;
  }
  throw new Invalid('certificate chain too long');
}

/**
 * Verifies the one signature of `pdf` against `trustAnchorsPem`. A malformed or invalid signature
 * is a result (`valid: false`); only a signature beyond `opts.limits` throws (SignatureLimitsExceeded).
 */
export function verifyPdf(pdf: Buffer, trustAnchorsPem: string[], opts: VerifyOptions = {}): VerifyResult {
  const limits = opts.limits ?? DEFAULT_SIGNATURE_LIMITS;
  const sha256 = crypto.createHash('sha256').update(pdf).digest('hex');
  let signer: VerifyResult['signer'];
  let signedAt: string | undefined;
  try {
    const { signedBytes, cms: der } = extract(pdf, limits);
    let cms: ParsedCms;
    try {
      cms = parseDetached(der);
    } catch (err) {
      throw new Invalid(`malformed signature: ${(err as Error).message}`);
    }
    const digest = DIGESTS[cms.digestAlgorithm];
    if (!digest) throw new Invalid(`unsupported digest algorithm ${cms.digestAlgorithm}`);
    const shapes = checkLimits(cms, limits);
    const signerShape = shapes.find((c) => c.serialHex === cms.signerSerialHex && raw(c.issuer).equals(cms.signerIssuer));
    if (!signerShape) throw new Invalid('the signature does not include its signer certificate');
    const embedded = shapes.map((shape) => new ChainCert(shape));
    const leaf = embedded[shapes.indexOf(signerShape)]!;
    const cert = leaf.x509;
    const names = nameAttributes(signerShape.subject);
    signer = { name: names.get(OID.commonName) ?? '', org: names.get(OID.organizationName) ?? '', serial: signerShape.serialHex };
    signedAt = cms.signingTime?.toISOString();
    if (cms.contentType !== OID.data) throw new Invalid('the signed attributes lack content type "data"');
    if (!cms.messageDigest) throw new Invalid('the signed attributes lack a message digest');
    const actual = crypto.createHash(digest).update(signedBytes).digest();
    if (!actual.equals(cms.messageDigest)) throw new Invalid('the document was changed after signing (digest mismatch)');
    checkSignature(cms, cert, digest);
    const at = opts.at ?? cms.signingTime ?? new Date();
    const anchors = trustAnchorsPem.map((p) => new ChainCert(certShape(pemToDer(p))));
    checkChain(leaf, embedded, anchors, at);
    const revoked = opts.revocations?.find((r) => r.serial.toLowerCase() === signerShape.serialHex);
    if (revoked && revoked.revokedAt.getTime() <= at.getTime()) {
      throw new Invalid(`the signer certificate was revoked at ${revoked.revokedAt.toISOString()}`);
    }
    return { valid: true, reason: 'ok', signer, signedAt, sha256 };
  } catch (err) {
    if (err instanceof SignatureLimitsExceeded) throw err;
    if (!(err instanceof Invalid)) {
      return { valid: false, reason: `cannot verify: ${(err as Error).message}`, signer, signedAt, sha256 };
    }
    return { valid: false, reason: err.message, signer, signedAt, sha256 };
  }
}
