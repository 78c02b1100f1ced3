import crypto from 'node:crypto';
import { parseSignedData, type ParsedCms } from './cms';
import {
  DIGESTS, EKU_TIME_STAMPING, EXT, OID, TAG, algorithmIdentifier, certParts, children, content, ekuOids, encode, encodeOid, expectTag, extensionList,
  integerHex, nameAttributes, oidOf, raw, readTlv, timeOf, type Tlv,
} from './der';
import { DerError } from './errors';

/**
 * RFC 3161 time-stamps over a signature value (PAdES B-T): the request grms sends to the
 * time-stamping authority (GRMS_TSA_URL), and the token it gets back, read and checked. The token
 * proves that the signature existed at its genTime, whatever the signer's clock said.
 */

export interface TsaSettings {
  url: string;
  /** The whole exchange (connect, send, answer) is abandoned after this. */
  timeoutMs: number;
}

/** A TSA that did not answer, or answered with something other than a usable token. */
export class TimestampUnavailable extends Error {
  readonly code = 'TIMESTAMP_UNAVAILABLE';
}

/** Largest TimeStampResp read: a token with a chain of a few certificates is a few KB. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface TstInfo {
  policy: string;
  imprintAlgorithm: string;
  imprint: Buffer;
  serialHex: string;
  genTime: Date;
  /** Accuracy in milliseconds (0 when the token states none). */
  accuracyMs: number;
  nonce?: string;
}

/** TimeStampReq ::= SEQUENCE { version, messageImprint, reqPolicy?, nonce?, certReq BOOLEAN, … } */
export function timestampRequest(digest: Buffer, nonceHex: string): Buffer {
  return encode(
    TAG.sequence,
    encode(TAG.integer, Buffer.from([1])),
    encode(TAG.sequence, algorithmIdentifier(OID.sha256, true), encode(TAG.octetString, digest)),
    encode(TAG.integer, Buffer.from(nonceHex, 'hex')),
    encode(TAG.boolean, Buffer.from([0xff])), // certReq: the TSA's certificate goes in the token
  );
}

function accuracyOf(t: Tlv): number {
  let ms = 0;
  for (const f of children(expectTag(t, TAG.sequence, 'an Accuracy'))) {
    const n = Number.parseInt(content(f).toString('hex') || '0', 16);
    if (f.tag === TAG.integer) ms += n * 1000;
    else if (f.tag === 0x80) ms += n; // [0] millis
    else if (f.tag === 0x81) ms += Math.ceil(n / 1000); // [1] micros
  }
  return ms;
}

/** TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy?, ordering?, nonce?, tsa [0]?, extensions [1]? } */
export function parseTstInfo(der: Buffer): TstInfo {
  const f = children(expectTag(readTlv(der), TAG.sequence, 'a TSTInfo'));
  const [alg, hash] = children(expectTag(f[2], TAG.sequence, 'a MessageImprint'));
  let i = 5;
  let accuracyMs = 0;
  if (f[i]?.tag === TAG.sequence) accuracyMs = accuracyOf(f[i++]!);
  if (f[i]?.tag === TAG.boolean) i++;
  const nonce = f[i]?.tag === TAG.integer ? integerHex(f[i]!) : undefined;
  return {
    policy: oidOf(f[1]!),
    imprintAlgorithm: oidOf(children(expectTag(alg, TAG.sequence, 'an AlgorithmIdentifier'))[0]!),
    imprint: content(expectTag(hash, TAG.octetString, 'a hashed message')),
    serialHex: integerHex(f[3]!),
    genTime: timeOf(expectTag(f[4], TAG.generalizedTime, 'genTime')),
    accuracyMs,
    nonce,
  };
}

/**
 * Asks the TSA for a token over SHA-256(`signatureValue`). Throws TimestampUnavailable when it
 * cannot be reached within the timeout or answers with anything but a matching token.
 */
export async function requestTimestamp(tsa: TsaSettings, signatureValue: Buffer): Promise<Buffer> {
  const digest = crypto.createHash('sha256').update(signatureValue).digest();
  const nonce = crypto.randomBytes(8);
  nonce[0] = (nonce[0]! & 0x7f) | 0x01; // positive, no leading zero octet
  const nonceHex = nonce.toString('hex');
  let body: Buffer;
  const signal = AbortSignal.timeout(tsa.timeoutMs); // one bound for every attempt
  const post = () => fetch(tsa.url, {
    method: 'POST',
    headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
    body: timestampRequest(digest, nonceHex),
    signal,
    redirect: 'error',
  });
  try {
    // A kept-alive connection the TSA closed meanwhile fails at once: one more try on a new one.
    const res = await post().catch((err: Error) => {
      if (signal.aborted || err.name !== 'TypeError') throw err;
      return post();
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES) throw new Error('answer too large');
    body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_RESPONSE_BYTES) throw new Error('answer too large');
  } catch (err) {
    throw new TimestampUnavailable(`the time-stamping authority at ${tsa.url} did not answer: ${(err as Error).message}`, { cause: err });
  }
  try {
    const [status, token] = children(expectTag(readTlv(body), TAG.sequence, 'a TimeStampResp'));
    const code = Number.parseInt(content(expectTag(children(expectTag(status, TAG.sequence, 'a PKIStatusInfo'))[0], TAG.integer, 'a PKIStatus')).toString('hex'), 16);
    if (code !== 0 && code !== 1) throw new Error(`status ${code}`);
    const der = raw(expectTag(token, TAG.sequence, 'a time-stamp token'));
    const info = parseTstInfo(tokenContent(parseSignedData(der, false)));
    if (!info.imprint.equals(digest) || info.imprintAlgorithm !== OID.sha256) throw new Error('the token is over another value');
    if (info.nonce !== nonceHex) throw new Error('the token answers another request (nonce)');
    return der;
  } catch (err) {
    throw new TimestampUnavailable(`the time-stamping authority at ${tsa.url} answered without a usable token: ${(err as Error).message}`, { cause: err });
  }
}

function tokenContent(cms: ParsedCms): Buffer {
  if (cms.eContentType !== OID.tstInfo || !cms.eContent) throw new DerError('not a time-stamp token (eContentType is not TSTInfo)');
  return cms.eContent;
}

/** A token read and checked against the signature value, before its signer is trusted. */
export interface CheckedToken {
  cms: ParsedCms;
  info: TstInfo;
  /** The TSA's certificate (DER) among the token's certificates. */
  signerDer: Buffer;
  /** The TSA's name (CN, O). */
  authority: string;
  /** The latest moment the signature can have been made: genTime plus the accuracy. */
  latest: Date;
}

const ESS_HASHES: Record<string, string> = { [OID.sha1]: 'sha1', ...DIGESTS };

/**
 * Checks a signature time-stamp token against `signatureValue`: imprint, content type and digest,
 * the ESS binding to the TSA's certificate, the TSA's signature and its certificate's critical
 * timeStamping-only extended key usage. The chain to a trusted TSA is the caller's (src/documents/chain.ts).
 * Throws DerError (malformed) or Error with the reason.
 */
export function checkToken(token: Buffer, signatureValue: Buffer): CheckedToken {
  const cms = parseSignedData(token, false);
  const info = parseTstInfo(tokenContent(cms));
  const imprintHash = DIGESTS[info.imprintAlgorithm];
  if (!imprintHash) throw new Error(`the time-stamp uses an unsupported hash ${info.imprintAlgorithm}`);
  if (!crypto.createHash(imprintHash).update(signatureValue).digest().equals(info.imprint)) throw new Error('the time-stamp is not over this signature');
  const digest = DIGESTS[cms.digestAlgorithm];
  if (!digest) throw new Error(`the time-stamp uses an unsupported digest ${cms.digestAlgorithm}`);
  if (cms.contentType !== OID.tstInfo) throw new Error('the time-stamp\'s signed content type is not TSTInfo');
  if (!cms.messageDigest?.equals(crypto.createHash(digest).update(cms.eContent!).digest())) throw new Error('the time-stamp\'s content was changed (digest mismatch)');
  const signerDer = cms.certificates.find((der) => {
    const parts = certParts(der);
    if (cms.signerKeyId) return Boolean(parts.subjectKeyId?.equals(cms.signerKeyId));
    return parts.serialHex === cms.signerSerialHex && raw(parts.issuer).equals(cms.signerIssuer!);
  });
  if (!signerDer) throw new Error('the time-stamp does not include its authority\'s certificate');
  const ess = cms.signingCertificate;
  const essHash = ess && ESS_HASHES[ess.algorithm];
  if (!ess || !essHash || !crypto.createHash(essHash).update(signerDer).digest().equals(ess.hash)) {
    throw new Error('the time-stamp is not bound to its authority\'s certificate (ESS signing certificate)');
  }
  const cert = new crypto.X509Certificate(signerDer);
  if (!crypto.verify(digest, cms.signedAttributes, cert.publicKey, cms.signature)) throw new Error('the time-stamp\'s signature does not match its authority\'s certificate');
  const eku = extensionList(signerDer).find((e) => e.oid === EXT.extKeyUsage);
  const usages = eku ? ekuOids(eku.value) : [];
  if (!eku?.critical || usages.length !== 1 || usages[0] !== EKU_TIME_STAMPING) {
    throw new Error('the time-stamp\'s certificate is not a time-stamping certificate (critical extended key usage timeStamping only)');
  }
  const names = nameAttributes(certParts(signerDer).subject);
  const authority = [names.get(OID.commonName), names.get(OID.organizationName)].filter(Boolean).join(', ');
  return { cms, info, signerDer, authority, latest: new Date(info.genTime.getTime() + info.accuracyMs) };
}

/** The unsigned attribute that carries a token in the signer's SignerInfo. */
export function timestampAttribute(token: Buffer): Buffer {
  return encode(TAG.sequence, encodeOid(OID.signatureTimeStampToken), encode(TAG.set, token));
}
