import crypto from 'node:crypto';
import {
  DIGESTS, OID, TAG, algorithmIdentifier, certParts, children, content, encode, encodeOid, encodeTime,
  expectTag, oidOf, raw, readTlv, timeOf, type Tlv,
} from './der';
import { DerError, SigningError } from './errors';

/**
 * CMS (RFC 5652) SignedData, detached, as PDF signatures use it (SubFilter adbe.pkcs7.detached):
 * SHA-256 over the signed bytes goes into the messageDigest attribute, and the private key signs the
 * DER of the signed attributes. Built by hand so that any key node's crypto supports (RSA, ECDSA)
 * signs natively, with no per-call key decryption.
 */
export interface CmsSigningKey {
  certificateDer: Buffer;
  /** Issuer certificates to embed so a verifier can build the chain (the CA at least). */
  chainDers: Buffer[];
  privateKey: crypto.KeyObject;
}

function attribute(oid: string, value: Buffer): Buffer {
  return encode(TAG.sequence, encodeOid(oid), encode(TAG.set, value));
}

function signatureAlgorithmFor(key: crypto.KeyObject): Buffer {
  if (key.asymmetricKeyType === 'rsa') return algorithmIdentifier(OID.rsaEncryption, true);
  if (key.asymmetricKeyType === 'ec') return algorithmIdentifier(OID.ecdsaWithSha256, false);
  throw new SigningError(`cannot sign with a ${key.asymmetricKeyType ?? 'unknown'} key (RSA or ECDSA expected)`);
}

/** Returns the DER ContentInfo of a detached SignedData over `data`. */
export function signDetached(data: Buffer, key: CmsSigningKey, signingTime: Date): Buffer {
  const cert = certParts(key.certificateDer);
  const digest = crypto.createHash('sha256').update(data).digest();
  const certHash = crypto.createHash('sha256').update(cert.der).digest();
  const attrs = [
    attribute(OID.contentType, encodeOid(OID.data)),
    attribute(OID.signingTime, encodeTime(signingTime)),
    attribute(OID.messageDigest, encode(TAG.octetString, digest)),
    // ESS signing-certificate-v2 binds the signature to this exact certificate (hash algorithm defaults to SHA-256).
    attribute(OID.signingCertificateV2, encode(TAG.sequence, encode(TAG.sequence, encode(TAG.sequence, encode(TAG.octetString, certHash))))),
  ].sort(Buffer.compare); // DER orders a SET OF by encoding
  const signedSet = encode(TAG.set, ...attrs);
  const signature = crypto.sign('sha256', signedSet, key.privateKey);
  const sha256Id = algorithmIdentifier(OID.sha256, true);
  const signerInfo = encode(
    TAG.sequence,
    encode(TAG.integer, Buffer.from([1])),
    encode(TAG.sequence, raw(cert.issuer), raw(cert.serial)),
    sha256Id,
    Buffer.concat([Buffer.from([TAG.context0]), signedSet.subarray(1)]), // [0] IMPLICIT SET
    signatureAlgorithmFor(key.privateKey),
    encode(TAG.octetString, signature),
  );
  const signedData = encode(
    TAG.sequence,
    encode(TAG.integer, Buffer.from([1])),
    encode(TAG.set, sha256Id),
    encode(TAG.sequence, encodeOid(OID.data)),
    encode(TAG.context0, cert.der, ...key.chainDers),
    encode(TAG.set, signerInfo),
  );
  return encode(TAG.sequence, encodeOid(OID.signedData), encode(TAG.context0, signedData));
}

/** What a verifier needs from a detached SignedData with one signer. */
export interface ParsedCms {
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** The signed attributes re-tagged as SET: the exact bytes the signature covers. */
  signedAttributes: Buffer;
  signature: Buffer;
  contentType?: string;
  messageDigest?: Buffer;
  signingTime?: Date;
  certificates: Buffer[];
  signerIssuer: Buffer;
  signerSerialHex: string;
}

function attributesOf(set: Tlv): Map<string, Tlv> {
  const out = new Map<string, Tlv>();
  for (const attr of children(set)) {
    const [type, values] = children(expectTag(attr, TAG.sequence, 'an Attribute'));
    const first = values ? children(expectTag(values, TAG.set, 'attribute values'))[0] : undefined;
    if (!type || !first) throw new DerError('empty signed attribute');
    const oid = oidOf(type);
    if (out.has(oid)) throw new DerError(`signed attribute ${oid} appears twice`);
    out.set(oid, first);
  }
  return out;
}

/** Parses a DER ContentInfo; trailing zero padding (the PDF placeholder's) is ignored. */
export function parseDetached(der: Buffer): ParsedCms {
  const info = expectTag(readTlv(der), TAG.sequence, 'a ContentInfo');
  const [type, wrapped] = children(info);
  if (!type || oidOf(type) !== OID.signedData) throw new DerError('not a CMS SignedData');
  const signedData = expectTag(children(expectTag(wrapped, TAG.context0, '[0] content'))[0], TAG.sequence, 'SignedData');
  const fields = children(signedData);
  const encap = children(expectTag(fields[2], TAG.sequence, 'EncapsulatedContentInfo'));
  if (encap.length !== 1) throw new DerError('signature is not detached');
  let i = 3;
  const certificates: Buffer[] = [];
  if (fields[i]?.tag === TAG.context0) certificates.push(...children(fields[i++]!).map(raw));
  if (fields[i]?.tag === TAG.context1) i++; // CRLs: not used
  const signerInfos = children(expectTag(fields[i], TAG.set, 'SignerInfos'));
  if (signerInfos.length !== 1) throw new DerError(`expected one signer, found ${signerInfos.length}`);
  const si = children(expectTag(signerInfos[0], TAG.sequence, 'SignerInfo'));
  const sid = children(expectTag(si[1], TAG.sequence, 'IssuerAndSerialNumber'));
  const digestAlgorithm = oidOf(children(expectTag(si[2], TAG.sequence, 'digestAlgorithm'))[0]!);
  const signedAttrs = expectTag(si[3], TAG.context0, 'signed attributes');
  const attrs = attributesOf(signedAttrs);
  const signatureAlgorithm = oidOf(children(expectTag(si[4], TAG.sequence, 'signatureAlgorithm'))[0]!);
  const contentType = attrs.get(OID.contentType);
  const messageDigest = attrs.get(OID.messageDigest);
  const signingTime = attrs.get(OID.signingTime);
  return {
    digestAlgorithm,
    signatureAlgorithm,
    signedAttributes: Buffer.concat([Buffer.from([TAG.set]), raw(signedAttrs).subarray(1)]),
    signature: content(expectTag(si[5], TAG.octetString, 'signature')),
    contentType: contentType ? oidOf(contentType) : undefined,
    messageDigest: messageDigest ? content(expectTag(messageDigest, TAG.octetString, 'messageDigest')) : undefined,
    signingTime: signingTime ? timeOf(signingTime) : undefined,
    certificates,
    signerIssuer: raw(expectTag(sid[0], TAG.sequence, 'issuer')),
    signerSerialHex: content(expectTag(sid[1], TAG.integer, 'serial')).toString('hex').replace(/^(00)+(?=.)/, ''),
  };
}

export { DIGESTS };
