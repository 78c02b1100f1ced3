import forge from 'node-forge';
import { DerError } from './errors';

/**
 * A minimal DER reader that keeps the raw bytes of every element. Verifying a CMS signature needs
 * the signed attributes exactly as they were signed; re-encoding a parsed tree (as node-forge
 * does) can silently change them.
 */
export interface Tlv {
  /** The identifier octet (tag class, constructed bit, number); high tag numbers are not used here. */
  tag: number;
  /** Offset of the identifier octet in `buf`. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
  buf: Buffer;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
  context0: 0xa0,
  context1: 0xa1,
} as const;

export function readTlv(buf: Buffer, offset = 0, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated DER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high-tag-number DER elements are not supported');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  const end = p + len;
  if (end > limit) throw new DerError('DER element runs past its container');
  return { tag, start: offset, contentStart: p, end, buf };
}

export function raw(t: Tlv): Buffer {
  return t.buf.subarray(t.start, t.end);
}

export function content(t: Tlv): Buffer {
  return t.buf.subarray(t.contentStart, t.end);
}

export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.contentStart; p < t.end; ) {
    const c = readTlv(t.buf, p, t.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** The element must have this tag; returns it for chaining. */
export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

export function oidOf(t: Tlv): string {
  expectTag(t, TAG.oid, 'an OBJECT IDENTIFIER');
  return forge.asn1.derToOid(forge.util.createBuffer(content(t).toString('binary')));
}

/** Lower-case hex of an INTEGER without leading zero octets (how serials are stored). */
export function integerHex(t: Tlv): string {
  expectTag(t, TAG.integer, 'an INTEGER');
  return content(t).toString('hex').replace(/^(00)+(?=.)/, '');
}

export function stringOf(t: Tlv): string {
  const c = content(t);
  if (t.tag === TAG.bmpString) return Buffer.from(c).swap16().toString('utf16le'); // copy: swap16 works in place
  // Latin-1 for T61String is what most readers do; UTF-8 covers UTF8/Printable/IA5.
  return t.tag === TAG.t61String ? c.toString('latin1') : c.toString('utf8');
}

export function timeOf(t: Tlv): Date {
  const s = content(t).toString('latin1');
  if (t.tag === TAG.utcTime) return forge.asn1.utcTimeToDate(s);
  if (t.tag === TAG.generalizedTime) {
    // RFC 3161 genTime carries fractions of a second ("20261207093015.123Z"), which forge drops.
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(s);
    if (!m) throw new DerError(`unsupported GeneralizedTime "${s}" (UTC expected)`);
    const [, y, mo, d, h, mi, sec, frac] = m;
    return new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +sec!, frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0));
  }
  throw new DerError('expected a UTCTime or GeneralizedTime');
}

/** The attributes of an X.501 Name, by OID (the first value of each). */
export function nameAttributes(name: Tlv): Map<string, string> {
  const out = new Map<string, string>();
  for (const rdn of children(expectTag(name, TAG.sequence, 'a Name'))) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      if (!type || !value) continue;
      const oid = oidOf(type);
      if (!out.has(oid)) out.set(oid, stringOf(value));
    }
  }
  return out;
}

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  /** id-aa-signatureTimeStampToken: the unsigned attribute holding an RFC 3161 token over the signature value. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  /** id-ct-TSTInfo: the content type of an RFC 3161 token. */
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
} as const;

/** Digest algorithm OID → node hash name. */
export const DIGESTS: Record<string, string> = {
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

/** The parts of an X.509 certificate the CMS code needs, with raw bytes kept. */
export interface CertParts {
  der: Buffer;
  serialHex: string;
  serial: Tlv;
  issuer: Tlv;
  subject: Tlv;
  /** The subjectKeyIdentifier extension's value, if present. */
  subjectKeyId?: Buffer;
  /** The keyIdentifier of the authorityKeyIdentifier extension, if present. */
  authorityKeyId?: Buffer;
  /** The contents of each extension (extnValue's octets), by OID. */
  extensions: Map<string, Buffer>;
}

export const EXT = {
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  extKeyUsage: '2.5.29.37',
} as const;

/** id-kp-timeStamping: the only extended key usage an RFC 3161 TSA certificate may have. */
export const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

function extensionsOf(extensions: Tlv | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!extensions) return out;
  for (const ext of children(expectTag(children(extensions)[0], TAG.sequence, 'Extensions'))) {
    const parts = children(ext);
    // extnID, optional critical BOOLEAN, extnValue OCTET STRING
    if (parts[0]) out.set(oidOf(parts[0]), content(expectTag(parts[parts.length - 1], TAG.octetString, 'an extension value')));
  }
  return out;
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … } */
function keyIdentifierOf(aki: Buffer | undefined): Buffer | undefined {
  if (!aki) return undefined;
  const first = children(expectTag(readTlv(aki), TAG.sequence, 'an AuthorityKeyIdentifier'))[0];
  return first && first.tag === 0x80 ? content(first) : undefined;
}

/** The URIs of a CRLDistributionPoints extension value (fullName entries only). */
export function crlUrlsOf(value: Buffer | undefined): string[] {
  if (!value) return [];
  const urls: string[] = [];
  for (const point of children(expectTag(readTlv(value), TAG.sequence, 'CRLDistributionPoints'))) {
    const name = children(point).find((t) => t.tag === TAG.context0); // distributionPoint [0]
    const fullName = name && children(name).find((t) => t.tag === TAG.context0); // fullName [0]
    for (const general of fullName ? children(fullName) : []) {
      if (general.tag === 0x86) urls.push(content(general).toString('latin1')); // uniformResourceIdentifier [6]
    }
  }
  return urls;
}

export function certParts(der: Buffer): CertParts {
  const cert = expectTag(readTlv(der), TAG.sequence, 'a Certificate');
  const tbs = expectTag(children(cert)[0], TAG.sequence, 'a TBSCertificate');
  const fields = children(tbs);
  const i = fields[0]?.tag === TAG.context0 ? 1 : 0; // optional [0] version
  const serial = expectTag(fields[i], TAG.integer, 'a serial number');
  const extensions = extensionsOf(fields.slice(i + 6).find((f) => f.tag === 0xa3));
  const ski = extensions.get(EXT.subjectKeyId);
  return {
    der: raw(cert),
    serialHex: integerHex(serial),
    serial,
    issuer: expectTag(fields[i + 2], TAG.sequence, 'an issuer Name'),
    subject: expectTag(fields[i + 4], TAG.sequence, 'a subject Name'),
    subjectKeyId: ski ? content(expectTag(readTlv(ski), TAG.octetString, 'a SubjectKeyIdentifier')) : undefined,
    authorityKeyId: keyIdentifierOf(extensions.get(EXT.authorityKeyId)),
    extensions,
  };
}

/** Encodes one DER element from its tag and content octets. */
export function encode(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([tag, n]);
  else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v % 256);
    header = Buffer.from([tag, 0x80 | len.length, ...len]);
  }
  return Buffer.concat([header, body]);
}

/** A non-negative INTEGER from hex digits (a leading zero octet where the high bit is set). */
export function encodeUnsignedInteger(hex: string): Buffer {
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.subarray(1);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  return encode(TAG.integer, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

export function encodeOid(oid: string): Buffer {
  return encode(TAG.oid, Buffer.from(forge.asn1.oidToDer(oid).getBytes(), 'binary'));
}

/** AlgorithmIdentifier; RSA algorithms carry an explicit NULL, ECDSA ones no parameters (RFC 5754). */
export function algorithmIdentifier(oid: string, nullParams: boolean): Buffer {
  return encode(TAG.sequence, encodeOid(oid), ...(nullParams ? [Buffer.from([TAG.null, 0])] : []));
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
export function encodeTime(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return date.getUTCFullYear() < 2050
    ? encode(TAG.utcTime, Buffer.from(`${digits.slice(2)}Z`, 'latin1'))
    : encode(TAG.generalizedTime, Buffer.from(`${digits}Z`, 'latin1'));
}

export function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** One canonical text form (64-column base64, \n line ends), so equal certificates compare equal. */
export function normalizePem(pem: string, label = 'CERTIFICATE'): string {
  return derToPem(pemToDer(pem), label);
}

/** Splits a PEM bundle into its certificates. */
export function splitPemBundle(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((p) => normalizePem(p)) ?? [];
}

/** A certificate's extensions with their criticality, in order. */
export function extensionList(certDer: Buffer): Array<{ oid: string; critical: boolean; value: Buffer }> {
  const tbs = children(readTlv(certDer))[0]!;
  const holder = children(tbs).find((f) => f.tag === 0xa3);
  if (!holder) return [];
  return children(expectTag(children(holder)[0], TAG.sequence, 'Extensions')).map((ext) => {
    const parts = children(ext);
    const critical = parts.length === 3 && parts[1]!.tag === TAG.boolean && content(parts[1]!)[0] !== 0;
    return { oid: oidOf(parts[0]!), critical, value: content(expectTag(parts[parts.length - 1], TAG.octetString, 'an extension value')) };
  });
}

/** The OIDs of an ExtendedKeyUsage extension value. */
export function ekuOids(value: Buffer): string[] {
  return children(expectTag(readTlv(value), TAG.sequence, 'ExtKeyUsageSyntax')).map(oidOf);
}
