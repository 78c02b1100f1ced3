import crypto from 'node:crypto';
import {
  DIGESTS, OID, TAG, algorithmIdentifier, certParts, children, content, encode, encodeOid,
  expectTag, oidOf, raw, readTlv, timeOf, type Tlv,
} from './der';
import { DerError, SigningError } from './errors';

/**
 * CMS (RFC 5652) SignedData as PDF signatures use it. grms signs PAdES baseline signatures
 * (SubFilter ETSI.CAdES.detached, ETSI EN 319 142-1): detached, SHA-256 over the signed bytes in
 * the messageDigest attribute, the ESS signing-certificate-v2 attribute binding the signer's
 * certificate, and no signingTime attribute (the claimed time is the signature dictionary's /M).
 * An RFC 3161 time-stamp over the signature value may follow as the unsigned attribute
 * id-aa-signatureTimeStampToken (B-T). Built by hand so that any key node's crypto supports
 * (RSA, ECDSA) signs natively, with no per-call key decryption.
 */
export interface CmsSigningKey {
  certificateDer: Buffer;
  /** Issuer certificates to embed so a verifier can build the chain (the CA at least). */
  chainDers: Buffer[];
  /** A key in memory, or one that signs elsewhere (a PKCS#11 token: src/documents/pkcs11.ts). */
  privateKey: crypto.KeyObject | KeySigner;
}

/**
 * Signs bytes with a key kept elsewhere: `sign` returns the signature value over `data` (for RSA,
 * PKCS#1 v1.5 over its SHA-256; for EC, a DER ECDSA-Sig-Value over its SHA-256).
 */
export interface KeySigner {
  readonly asymmetricKeyType: 'rsa' | 'ec';
  sign(data: Buffer): Buffer;
}

/** The signature value over `data`: by node's crypto for a key in memory, else by the key's own signer. */
function signatureOver(data: Buffer, key: crypto.KeyObject | KeySigner): Buffer {
  return key instanceof crypto.KeyObject ? crypto.sign('sha256', data, key) : key.sign(data);
}

export function attribute(oid: string, value: Buffer): Buffer {
  return encode(TAG.sequence, encodeOid(oid), encode(TAG.set, value));
}

function signatureAlgorithmFor(key: crypto.KeyObject | KeySigner): Buffer {
  if (key.asymmetricKeyType === 'rsa') return algorithmIdentifier(OID.rsaEncryption, true);
  if (key.asymmetricKeyType === 'ec') return algorithmIdentifier(OID.ecdsaWithSha256, false);
  throw new SigningError(`cannot sign with a ${key.asymmetricKeyType ?? 'unknown'} key (RSA or ECDSA expected)`);
}

/** A signature made but not yet wrapped: unsigned attributes (a time-stamp) may still be added. */
export interface PendingSignature {
  /** The SignerInfo's signature value: what a signature time-stamp is taken over. */
  signature: Buffer;
  /** The DER ContentInfo, with these unsigned attributes (each a DER Attribute). */
  assemble(unsignedAttributes?: Buffer[]): Buffer;
}

/** Signs `data` (detached) as a PAdES B-B signature; wrap it with `assemble`. */
export function prepareDetached(data: Buffer, key: CmsSigningKey): PendingSignature {
  const cert = certParts(key.certificateDer);
  const digest = crypto.createHash('sha256').update(data).digest();
  const certHash = crypto.createHash('sha256').update(cert.der).digest();
  const attrs = [
    attribute(OID.contentType, encodeOid(OID.data)),
    attribute(OID.messageDigest, encode(TAG.octetString, digest)),
    // ESS signing-certificate-v2 binds the signature to this exact certificate (hash algorithm defaults to SHA-256).
    attribute(OID.signingCertificateV2, encode(TAG.sequence, encode(TAG.sequence, encode(TAG.sequence, encode(TAG.octetString, certHash))))),
  ].sort(Buffer.compare); // DER orders a SET OF by encoding
  const signedSet = encode(TAG.set, ...attrs);
  const signature = signatureOver(signedSet, key.privateKey);
  const sha256Id = algorithmIdentifier(OID.sha256, true);
  const assemble = (unsigned: Buffer[] = []) => {
    const signerInfo = encode(
      TAG.sequence,
      encode(TAG.integer, Buffer.from([1])),
      encode(TAG.sequence, raw(cert.issuer), raw(cert.serial)),
      sha256Id,
      Buffer.concat([Buffer.from([TAG.context0]), signedSet.subarray(1)]), // [0] IMPLICIT SET
      signatureAlgorithmFor(key.privateKey),
      encode(TAG.octetString, signature),
      ...(unsigned.length ? [encode(TAG.context1, ...[...unsigned].sort(Buffer.compare))] : []), // [1] IMPLICIT SET
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
  };
  return { signature, assemble };
}

/** Returns the DER ContentInfo of a detached SignedData over `data` (B-B, no time-stamp). */
export function signDetached(data: Buffer, key: CmsSigningKey): Buffer {
  return prepareDetached(data, key).assemble();
}

/** What a verifier needs from a SignedData with one signer (detached, or a time-stamp token's). */
export interface ParsedCms {
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** The signed attributes re-tagged as SET: the exact bytes the signature covers. */
  signedAttributes: Buffer;
  signature: Buffer;
  contentType?: string;
  messageDigest?: Buffer;
  /** The CMS signingTime attribute: signatures of earlier grms versions (adbe.pkcs7.detached) carry it. */
  signingTime?: Date;
  /** ESS signing-certificate(-v2): the hash of the certificate the signer bound itself to. */
  signingCertificate?: { algorithm: string; hash: Buffer };
  certificates: Buffer[];
  /** The signer by issuer and serial, or (sid [0]) by subject key identifier. */
  signerIssuer?: Buffer;
  signerSerialHex?: string;
  signerKeyId?: Buffer;
  /** eContentType of the encapsulated content. */
  eContentType: string;
  /** The encapsulated content (a time-stamp token's TSTInfo); undefined when detached. */
  eContent?: Buffer;
  /** The id-aa-signatureTimeStampToken attribute's value (a DER ContentInfo), if any. */
  timestampToken?: Buffer;
}

function attributesOf(set: Tlv, what: string): Map<string, Tlv> {
  const out = new Map<string, Tlv>();
  for (const attr of children(set)) {
    const [type, values] = children(expectTag(attr, TAG.sequence, 'an Attribute'));
    const all = values ? children(expectTag(values, TAG.set, 'attribute values')) : [];
    if (!type || all.length !== 1) throw new DerError(`${what} attribute without exactly one value`);
    const oid = oidOf(type);
    if (out.has(oid)) throw new DerError(`${what} attribute ${oid} appears twice`);
    out.set(oid, all[0]!);
  }
  return out;
}

/** SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), … }: the first one's hash. */
function essCertHash(value: Tlv, v2: boolean): { algorithm: string; hash: Buffer } {
  const certs = children(expectTag(value, TAG.sequence, 'a SigningCertificate'))[0];
  const first = children(expectTag(certs, TAG.sequence, 'ESS certificate ids'))[0];
  const fields = children(expectTag(first, TAG.sequence, 'an ESSCertID'));
  if (!v2) return { algorithm: OID.sha1, hash: content(expectTag(fields[0], TAG.octetString, 'a certificate hash')) };
  // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING, issuerSerial OPTIONAL }
  if (fields[0]?.tag === TAG.sequence) {
    return { algorithm: oidOf(children(fields[0])[0]!), hash: content(expectTag(fields[1], TAG.octetString, 'a certificate hash')) };
  }
  return { algorithm: OID.sha256, hash: content(expectTag(fields[0], TAG.octetString, 'a certificate hash')) };
}

/**
 * Parses a DER ContentInfo holding a SignedData with one signer; trailing zero padding (the PDF
 * placeholder's) is ignored. `detached`: the content must be absent (a PDF signature) or present
 * (a time-stamp token).
 */
export function parseSignedData(der: Buffer, detached = true): ParsedCms {
  const info = expectTag(readTlv(der), TAG.sequence, 'a ContentInfo');
  const [type, wrapped] = children(info);
  if (!type || oidOf(type) !== OID.signedData) throw new DerError('not a CMS SignedData');
  const signedData = expectTag(children(expectTag(wrapped, TAG.context0, '[0] content'))[0], TAG.sequence, 'SignedData');
  const fields = children(signedData);
  const encap = children(expectTag(fields[2], TAG.sequence, 'EncapsulatedContentInfo'));
  if (detached && encap.length !== 1) throw new DerError('signature is not detached');
  if (!detached && encap.length !== 2) throw new DerError('the SignedData holds no content');
  const eContent = encap[1] ? content(expectTag(children(expectTag(encap[1], TAG.context0, '[0] eContent'))[0], TAG.octetString, 'eContent')) : undefined;
  let i = 3;
  const certificates: Buffer[] = [];
  if (fields[i]?.tag === TAG.context0) certificates.push(...children(fields[i++]!).map(raw));
  if (fields[i]?.tag === TAG.context1) i++; // CRLs: not used
  const signerInfos = children(expectTag(fields[i], TAG.set, 'SignerInfos'));
  if (signerInfos.length !== 1) throw new DerError(`expected one signer, found ${signerInfos.length}`);
  const si = children(expectTag(signerInfos[0], TAG.sequence, 'SignerInfo'));
  let signer: Pick<ParsedCms, 'signerIssuer' | 'signerSerialHex' | 'signerKeyId'>;
  if (si[1]?.tag === 0x80) signer = { signerKeyId: content(si[1]) }; // [0] SubjectKeyIdentifier
  else {
    const sid = children(expectTag(si[1], TAG.sequence, 'IssuerAndSerialNumber'));
    signer = {
      signerIssuer: raw(expectTag(sid[0], TAG.sequence, 'issuer')),
      signerSerialHex: content(expectTag(sid[1], TAG.integer, 'serial')).toString('hex').replace(/^(00)+(?=.)/, ''),
    };
  }
  const digestAlgorithm = oidOf(children(expectTag(si[2], TAG.sequence, 'digestAlgorithm'))[0]!);
  const signedAttrs = expectTag(si[3], TAG.context0, 'signed attributes');
  const attrs = attributesOf(signedAttrs, 'signed');
  const signatureAlgorithm = oidOf(children(expectTag(si[4], TAG.sequence, 'signatureAlgorithm'))[0]!);
  const unsigned = si[6] ? attributesOf(expectTag(si[6], TAG.context1, 'unsigned attributes'), 'unsigned') : new Map<string, Tlv>();
  if (si.length > 7) throw new DerError('unexpected fields after the unsigned attributes');
  const contentType = attrs.get(OID.contentType);
  const messageDigest = attrs.get(OID.messageDigest);
  const signingTime = attrs.get(OID.signingTime);
  const certV2 = attrs.get(OID.signingCertificateV2);
  const certV1 = attrs.get(OID.signingCertificate);
  const token = unsigned.get(OID.signatureTimeStampToken);
  return {
    digestAlgorithm,
    signatureAlgorithm,
    signedAttributes: Buffer.concat([Buffer.from([TAG.set]), raw(signedAttrs).subarray(1)]),
    signature: content(expectTag(si[5], TAG.octetString, 'signature')),
    contentType: contentType ? oidOf(contentType) : undefined,
    messageDigest: messageDigest ? content(expectTag(messageDigest, TAG.octetString, 'messageDigest')) : undefined,
    signingTime: signingTime ? timeOf(signingTime) : undefined,
    signingCertificate: certV2 ? essCertHash(certV2, true) : certV1 ? essCertHash(certV1, false) : undefined,
    certificates,
    ...signer,
    eContentType: oidOf(encap[0]!),
    eContent,
    timestampToken: token ? raw(expectTag(token, TAG.sequence, 'a time-stamp token')) : undefined,
  };
}

/** A PDF signature's detached SignedData. */
export function parseDetached(der: Buffer): ParsedCms {
  return parseSignedData(der, true);
}

export { DIGESTS };
