import { OID, TAG, certParts, children, content, expectTag, oidOf, raw, readTlv, stringOf, type CertParts, type Tlv } from './der';
import { SignatureLimitsExceeded } from './errors';

/**
 * Bounds on the work one uploaded signature can cause, and the certificate facts chain building
 * needs, read with the DER reader alone (no key is loaded, no signature checked). A crafted CMS can
 * carry thousands of certificates with huge keys whose names match the signer's issuer; every one
 * costs an RSA operation if it is tried, so the shape is checked first.
 */
export interface SignatureLimits {
  /** Largest signature /Contents, in bytes (grms writes 16,384). */
  maxSignatureBytes: number;
  maxCertificates: number;
  maxRsaBits: number;
}

/** RSA keys below this are refused whatever is configured. */
export const MIN_RSA_BITS = 2048;
const RSA_EXPONENT = '010001';
const CURVES: Record<string, string> = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384' };
const AKI_OID = '2.5.29.35';

export const DEFAULT_SIGNATURE_LIMITS: SignatureLimits = Object.freeze({ maxSignatureBytes: 64 * 1024, maxCertificates: 10, maxRsaBits: 4096 });

export type PublicKeyShape = { type: 'rsa'; bits: number; exponentHex: string } | { type: 'ec'; curve: string | undefined } | { type: 'other'; algorithm: string };

/** A certificate as chain building sees it. */
export interface CertShape extends CertParts {
  /** The authorityKeyIdentifier's keyIdentifier, if present. */
  authorityKeyId?: Buffer;
  key: PublicKeyShape;
}

function unsignedBits(integer: Buffer): number {
  let i = 0;
  while (i < integer.length - 1 && integer[i] === 0) i++;
  const first = integer[i] ?? 0;
  return (integer.length - i - 1) * 8 + (first === 0 ? 0 : Math.floor(Math.log2(first)) + 1);
}

function keyShape(spki: Tlv): PublicKeyShape {
  const [algorithm, bits] = children(expectTag(spki, TAG.sequence, 'a SubjectPublicKeyInfo'));
  const [oid, params] = children(expectTag(algorithm, TAG.sequence, 'an AlgorithmIdentifier'));
  const alg = oidOf(oid!);
  if (alg === OID.rsaEncryption) {
    const bitString = content(expectTag(bits, TAG.bitString, 'a public key BIT STRING'));
    const [n, e] = children(expectTag(readTlv(bitString, 1), TAG.sequence, 'an RSAPublicKey'));
    const exponent = content(expectTag(e, TAG.integer, 'an RSA exponent')).toString('hex').replace(/^(00)+(?=.)/, '');
    return { type: 'rsa', bits: unsignedBits(content(expectTag(n, TAG.integer, 'an RSA modulus'))), exponentHex: exponent };
  }
  if (alg === OID.ecPublicKey) return { type: 'ec', curve: params?.tag === TAG.oid ? CURVES[oidOf(params)] : undefined };
  return { type: 'other', algorithm: alg };
}

function authorityKeyIdOf(extensions: Tlv | undefined): Buffer | undefined {
  if (!extensions) return undefined;
  for (const ext of children(expectTag(children(extensions)[0], TAG.sequence, 'Extensions'))) {
    const parts = children(ext);
    if (parts[0] && oidOf(parts[0]) === AKI_OID) {
      const aki = readTlv(content(parts[parts.length - 1]!));
      const keyId = children(expectTag(aki, TAG.sequence, 'an AuthorityKeyIdentifier')).find((f) => f.tag === 0x80); // [0] IMPLICIT
      return keyId ? content(keyId) : undefined;
    }
  }
  return undefined;
}

/** Reads a certificate's names, key identifiers and key shape. Throws DerError when malformed. */
export function certShape(der: Buffer): CertShape {
  const parts = certParts(der);
  const fields = children(children(readTlv(der))[0]!);
  const i = fields[0]?.tag === TAG.context0 ? 1 : 0;
  return { ...parts, authorityKeyId: authorityKeyIdOf(fields.slice(i + 6).find((f) => f.tag === 0xa3)), key: keyShape(fields[i + 5]!) };
}

/** Why a key is outside what a verifier accepts, or undefined. */
function keyProblem(key: PublicKeyShape, limits: SignatureLimits): string | undefined {
  if (key.type === 'rsa') {
    if (key.bits < MIN_RSA_BITS || key.bits > limits.maxRsaBits) return `an RSA key of ${key.bits} bits (accepted: ${MIN_RSA_BITS}–${limits.maxRsaBits})`;
    if (key.exponentHex !== RSA_EXPONENT) return 'an RSA key whose public exponent is not 65537';
    return undefined;
  }
  if (key.type === 'ec') return key.curve ? undefined : 'an EC key on a curve other than P-256 or P-384';
  return `a key of algorithm ${key.algorithm} (accepted: RSA, EC P-256/P-384)`;
}

/**
 * Refuses a signature whose embedded certificates exceed the limits; returns their shapes.
 * Counts first, then reads each certificate's structure: no key is loaded here.
 */
export function checkCertificateLimits(certificates: Buffer[], limits: SignatureLimits): CertShape[] {
  if (certificates.length > limits.maxCertificates) {
    throw new SignatureLimitsExceeded(`the signature embeds ${certificates.length} certificates (at most ${limits.maxCertificates} accepted)`);
  }
  return certificates.map((der, n) => {
    const shape = certShape(der);
    const problem = keyProblem(shape.key, limits);
    if (problem) throw new SignatureLimitsExceeded(`embedded certificate ${n + 1} has ${problem}`);
    return shape;
  });
}

/** RFC 5280 7.1, simplified: attribute types and values compared case- and space-insensitively. */
function canonicalName(name: Tlv): string {
  return children(expectTag(name, TAG.sequence, 'a Name')).map((rdn) => children(rdn).map((atv) => {
    const [type, value] = children(atv);
    return `${type ? oidOf(type) : ''}=${value ? stringOf(value).trim().replace(/\s+/g, ' ').toLowerCase() : ''}`;
  }).sort().join('+')).join(',');
}

/** The same X.501 name: identical bytes, or equal after normalising case and spaces. */
export function sameName(a: Tlv, b: Tlv): boolean {
  return raw(a).equals(raw(b)) || canonicalName(a) === canonicalName(b);
}

/** Could `issuer` have issued `child`: its subject is the child's issuer, and key identifiers agree where both exist. */
export function mayHaveIssued(issuer: CertShape, child: CertShape): boolean {
  if (child.authorityKeyId && issuer.subjectKeyId && !child.authorityKeyId.equals(issuer.subjectKeyId)) return false;
  return sameName(issuer.subject, child.issuer);
}
