import crypto from 'node:crypto';
import { ChainCert, ChainError, buildChain } from './chain';
import { parseDetached, type ParsedCms } from './cms';
import { crlSignedBy, parseCrl, type ParsedCrl } from './crl';
import { DIGESTS, OID, nameAttributes, pemToDer, raw } from './der';
import { RevisionRefused, readDssRevision, type DssContents } from './dss';
import { SignatureLimitsExceeded } from './errors';
import type { Revocation } from './identities';
import { readSignatureDictionary } from './signature-dictionary';
import { DEFAULT_SIGNATURE_LIMITS, checkCertificateLimits, certShape, sameName, type CertShape, type SignatureLimits } from './signature-limits';
import { checkToken, type CheckedToken } from './timestamp';

/**
 * Verifies the signature of a PDF the way a reader does, without trusting anything in the file:
 * the ByteRange must cover the whole file except the signature, or the whole file but one revision
 * after it that only adds the Document Security Store (PAdES B-LT; src/documents/dss.ts); the CMS
 * messageDigest must match the signed bytes, the signer's key must have signed the attributes, and
 * the signer's certificate must chain to a trust anchor and be valid (and not revoked) at the time
 * the signature is judged at: the time its RFC 3161 time-stamp proves, or, without one, when grms
 * registered the document, or else now (never the time the signer claims). The file is hostile
 * until checked: its shape is held to limits (signature size, certificate count, key sizes, DSS
 * entries) before any certificate is parsed, and issuers are picked by name and key identifier
 * before any signature is checked. A trust anchor is one of the configured certificates.
 */

export interface VerifyOptions {
  /** Revoked certificates; a signature judged at or after `revokedAt` is invalid. */
  revocations?: Revocation[];
  /**
   * The earliest time a witness cosigned a checkpoint whose tree holds the document's leaf: proven
   * by parties other than the operator, so a signature without a time-stamp is judged at it.
   */
  witnessedAt?: Date;
  /** When grms stored the document (documents.created_at): the time judged at when no witness has seen it yet. */
  registeredAt?: Date;
  /** The time-stamping authorities trusted (GRMS_TSA_TRUST_ANCHORS). */
  tsaAnchorsPem?: string[];
  /** Defaults to DEFAULT_SIGNATURE_LIMITS. */
  limits?: SignatureLimits;
}

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT';

export interface VerifyResult {
  valid: boolean;
  /** "ok", or why the signature is not valid. */
  reason: string;
  signer?: { name: string; org: string; serial: string };
  /** The time the signer claims (the signature dictionary's /M; signingTime for signatures of earlier versions). */
  signedAt?: string;
  /** Lower-case hex SHA-256 of the whole file, for looking the document up. */
  sha256: string;
  /** The signature's SubFilter: ETSI.CAdES.detached (PAdES), or adbe.pkcs7.detached (earlier grms versions). */
  subFilter?: string;
  /** The PAdES baseline level the signature reaches (ETSI.CAdES.detached only). */
  level?: PadesLevel;
  /** The trusted signature time-stamp. */
  timestamp?: { time: string; authority: string };
  /** The time validity was decided at, and what set it. */
  judgedAt?: string;
  judgedBy?: 'timestamp' | 'witnesses' | 'registration' | 'verification';
  /** What a reader should know beyond valid/invalid (no time-stamp, incomplete validation material …). */
  notes: string[];
}

const RSA_ALGORITHMS = new Set<string>([OID.rsaEncryption, OID.sha256WithRSA, OID.sha384WithRSA, OID.sha512WithRSA]);
const EC_ALGORITHMS = new Set<string>([OID.ecPublicKey, OID.ecdsaWithSha256, OID.ecdsaWithSha384, OID.ecdsaWithSha512]);
const BYTE_RANGE = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
const SUBFILTERS = new Set(['ETSI.CAdES.detached', 'adbe.pkcs7.detached']);

class Invalid extends Error {}

interface Extracted {
  signedBytes: Buffer;
  cms: Buffer;
  /** Where the ByteRange string is (to find the signature dictionary). */
  byteRangeAt: number;
  /** The DSS revision after the signed bytes, if there is one. */
  dss?: DssContents;
}

function extract(pdf: Buffer, limits: SignatureLimits): Extracted {
  const ranges = [...pdf.toString('latin1').matchAll(BYTE_RANGE)];
  if (ranges.length === 0) throw new Invalid('the PDF has no signature');
  if (ranges.length > 1) throw new Invalid('the PDF has more than one signature (changed after signing?)');
  const [a, b, c, d] = ranges[0]!.slice(1, 5).map(Number) as [number, number, number, number];
  if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length) throw new Invalid('the signature does not cover the whole file');
  // The gap must be exactly the /Contents hex string, nothing else left unsigned.
  if (pdf[b] !== 0x3c || pdf[c - 1] !== 0x3e || !/\/Contents\s*$/.test(pdf.subarray(Math.max(0, b - 16), b).toString('latin1'))) {
    throw new Invalid('the unsigned gap is not the signature contents');
  }
  const bytes = Math.ceil((c - b - 2) / 2);
  if (bytes > limits.maxSignatureBytes) {
    throw new SignatureLimitsExceeded(`the signature /Contents holds ${bytes} bytes (at most ${limits.maxSignatureBytes} accepted)`);
  }
  let dss: DssContents | undefined;
  if (c + d < pdf.length) {
    // One revision may follow: the DSS, and nothing else (a page or annotation added later would show).
    try {
      dss = readDssRevision(pdf, c + d, limits.maxCertificates);
    } catch (err) {
      if (err instanceof RevisionRefused) throw new Invalid(`the document was changed after signing: ${err.message}`);
      throw err;
    }
  }
  const hex = pdf.subarray(b + 1, c - 1).toString('latin1');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new Invalid('the signature contents are not hex');
  return { signedBytes: Buffer.concat([pdf.subarray(0, b), pdf.subarray(c, c + d)]), cms: Buffer.from(hex, 'hex'), byteRangeAt: ranges[0]!.index!, dss };
}

/** The certificate limits, read from the structure; a malformed certificate is an invalid signature. */
function checkLimits(certificates: Buffer[], limits: SignatureLimits): CertShape[] {
  try {
    return checkCertificateLimits(certificates, limits);
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

function chainOrInvalid(leaf: ChainCert, embedded: ChainCert[], anchors: ChainCert[], at: Date, what?: string): ChainCert[] {
  try {
    return buildChain(leaf, embedded, anchors, at, what);
  } catch (err) {
    if (err instanceof ChainError) throw new Invalid(err.message);
    throw err;
  }
}

/** The DSS's CRLs, parsed once (a malformed one is ignored: it proves nothing). */
function dssCrls(dss: DssContents | undefined): ParsedCrl[] {
  return (dss?.crls ?? []).flatMap((der) => {
    try {
      return [parseCrl(der)];
    } catch {
      return [];
    }
  });
}

/** The DSS CRL by `issuer` covering `cert`, if any. */
function crlOf(crls: ParsedCrl[], cert: ChainCert, issuer: ChainCert): ParsedCrl | undefined {
  return crls.find((crl) => sameName(crl.issuer, cert.shape.issuer) && crlSignedBy(crl, issuer.x509.publicKey));
}

/** Refuses a path one of whose certificates a DSS CRL lists as revoked at or before `at`. */
function checkDssRevocations(path: ChainCert[], crls: ParsedCrl[], at: Date): void {
  for (let i = 0; i + 1 < path.length; i++) {
    const revokedAt = crlOf(crls, path[i]!, path[i + 1]!)?.revoked.get(path[i]!.shape.serialHex);
    if (revokedAt && revokedAt.getTime() <= at.getTime()) {
      throw new Invalid(`certificate "${path[i]!.x509.subject.replace(/\n/g, ', ')}" was revoked at ${revokedAt.toISOString()} (CRL in the document)`);
    }
  }
}

/** What the DSS lacks for a long-term validation of these paths (certificates, CRLs of non-roots). */
function dssGaps(paths: ChainCert[][], dss: DssContents | undefined, crls: ParsedCrl[]): string[] {
  if (!dss) return ['the document has no DSS'];
  const gaps: string[] = [];
  for (const path of paths) {
    for (const [i, cert] of path.entries()) {
      const name = cert.x509.subject.replace(/\n/g, ', ');
      if (!dss.certs.some((d) => d.equals(cert.shape.der))) gaps.push(`the DSS lacks the certificate "${name}"`);
      const issuer = path[i + 1];
      if (issuer && !crlOf(crls, cert, issuer)) gaps.push(`the DSS lacks revocation data for "${name}"`);
    }
  }
  return gaps;
}

/**
 * Verifies the one signature of `pdf` against `trustAnchorsPem`. A malformed or invalid signature
 * is a result (`valid: false`); only a signature beyond `opts.limits` throws (SignatureLimitsExceeded).
 */
export function verifyPdf(pdf: Buffer, trustAnchorsPem: string[], opts: VerifyOptions = {}): VerifyResult {
  const limits = opts.limits ?? DEFAULT_SIGNATURE_LIMITS;
  const sha256 = crypto.createHash('sha256').update(pdf).digest('hex');
  const out: Omit<VerifyResult, 'valid' | 'reason'> = { sha256, notes: [] };
  try {
    const { signedBytes, cms: der, byteRangeAt, dss } = extract(pdf, limits);
    const dictionary = readSignatureDictionary(pdf, byteRangeAt);
    out.subFilter = dictionary.subFilter;
    if (!dictionary.subFilter || !SUBFILTERS.has(dictionary.subFilter)) throw new Invalid(`unsupported signature SubFilter ${dictionary.subFilter ?? '(none)'}`);
    const pades = dictionary.subFilter === 'ETSI.CAdES.detached';
    let cms: ParsedCms;
    try {
      cms = parseDetached(der);
    } catch (err) {
      throw new Invalid(`malformed signature: ${(err as Error).message}`);
    }
    let token: CheckedToken | undefined;
    let tokenError: string | undefined;
    if (cms.timestampToken) {
      try {
        token = checkToken(cms.timestampToken, cms.signature);
      } catch (err) {
        tokenError = (err as Error).message;
      }
    }
    // Every certificate the file makes a verifier look at counts against the limit, the token's too.
    const shapes = checkLimits([...cms.certificates, ...(token?.cms.certificates ?? [])], limits).slice(0, cms.certificates.length);
    const digest = DIGESTS[cms.digestAlgorithm];
    if (!digest) throw new Invalid(`unsupported digest algorithm ${cms.digestAlgorithm}`);
    const signerShape = shapes.find((c) => c.serialHex === cms.signerSerialHex && cms.signerIssuer && raw(c.issuer).equals(cms.signerIssuer));
    if (!signerShape) throw new Invalid('the signature does not include its signer certificate');
    const embedded = shapes.map((shape) => new ChainCert(shape));
    const leaf = embedded[shapes.indexOf(signerShape)]!;
    const names = nameAttributes(signerShape.subject);
    out.signer = { name: names.get(OID.commonName) ?? '', org: names.get(OID.organizationName) ?? '', serial: signerShape.serialHex };
    out.signedAt = (dictionary.claimedAt ?? cms.signingTime)?.toISOString();
    if (cms.contentType !== OID.data) throw new Invalid('the signed attributes lack content type "data"');
    if (!cms.messageDigest) throw new Invalid('the signed attributes lack a message digest');
    const actual = crypto.createHash(digest).update(signedBytes).digest();
    if (!actual.equals(cms.messageDigest)) throw new Invalid('the document was changed after signing (digest mismatch)');
    checkSignature(cms, leaf.x509, digest);
    if (pades) {
      // PAdES baseline: the signer certificate bound by signing-certificate-v2, no CMS signingTime.
      const ess = cms.signingCertificate;
      if (!ess || ess.algorithm !== OID.sha256 || !crypto.createHash('sha256').update(signerShape.der).digest().equals(ess.hash)) {
        throw new Invalid('the signature is not bound to its signer certificate (signing-certificate-v2)');
      }
      if (cms.signingTime) throw new Invalid('a PAdES signature must not carry a CMS signingTime');
    }
    if (tokenError) throw new Invalid(`the signature time-stamp is not valid: ${tokenError}`);

    const crls = dssCrls(dss);
    let tsaPath: ChainCert[] | undefined;
    if (token) {
      const tsaAnchors = (opts.tsaAnchorsPem ?? []).map((p) => new ChainCert(certShape(pemToDer(p))));
      const tokenCerts = token.cms.certificates.map((d) => new ChainCert(certShape(d)));
      try {
        tsaPath = buildChain(new ChainCert(certShape(token.signerDer)), tokenCerts, tsaAnchors, token.info.genTime, 'the time-stamping authority');
      } catch (err) {
        if (!(err instanceof ChainError)) throw err;
        out.notes.push(`the signature time-stamp (${token.info.genTime.toISOString()}, ${token.authority}) is not from a trusted time-stamping authority (${err.message}): ignored`);
      }
      if (tsaPath) {
        checkDssRevocations(tsaPath, crls, token.info.genTime);
        out.timestamp = { time: token.info.genTime.toISOString(), authority: token.authority };
      }
    }
    let at: Date;
    if (tsaPath) {
      at = token!.latest;
      out.judgedBy = 'timestamp';
    } else if (opts.witnessedAt) {
      at = opts.witnessedAt;
      out.judgedBy = 'witnesses';
      out.notes.push('no trusted signature time-stamp: judged at the earliest witness cosignature of a log checkpoint that holds the document');
    } else if (opts.registeredAt) {
      at = opts.registeredAt;
      out.judgedBy = 'registration';
      out.notes.push('no trusted signature time-stamp and no witness has cosigned the document\'s leaf yet: the time of signing is not proven; judged at the document\'s registration in grms');
    } else {
      at = new Date();
      out.judgedBy = 'verification';
      out.notes.push('no trusted signature time-stamp and not registered in grms: judged at the time of this check');
    }
    out.judgedAt = at.toISOString();
    const anchors = trustAnchorsPem.map((p) => new ChainCert(certShape(pemToDer(p))));
    const path = chainOrInvalid(leaf, embedded, anchors, at);
    const revoked = opts.revocations?.find((r) => r.serial.toLowerCase() === signerShape.serialHex);
    if (revoked && revoked.revokedAt.getTime() <= at.getTime()) {
      throw new Invalid(`the signer certificate was revoked at ${revoked.revokedAt.toISOString()}`);
    }
    checkDssRevocations(path, crls, at);
    if (pades) {
      const gaps = tsaPath ? dssGaps([path, tsaPath], dss, crls) : [];
      out.level = !tsaPath ? 'B-B' : gaps.length ? 'B-T' : 'B-LT';
      out.notes.push(...gaps);
    } else {
      out.notes.push('a signature of an earlier grms version (adbe.pkcs7.detached): no time-stamp, no validation material');
    }
    return { valid: true, reason: 'ok', ...out };
  } catch (err) {
    if (err instanceof SignatureLimitsExceeded) throw err;
    if (!(err instanceof Invalid)) return { valid: false, reason: `cannot verify: ${(err as Error).message}`, ...out };
    return { valid: false, reason: err.message, ...out };
  }
}
