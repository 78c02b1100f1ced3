import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, RevocationReason } from '../db/types';
import type { DocumentAuthority } from './authority';
import { keyIdentifierOf } from './certs';
import {
  EXT, OID, TAG, algorithmIdentifier, certParts, children, content, encode, encodeOid, encodeTime, encodeUnsignedInteger, expectTag, integerHex,
  oidOf, pemToDer, raw, readTlv, timeOf, type Tlv,
} from './der';

/**
 * The deployment CA's certificate revocation list (RFC 5280 §5): a CRL v2 signed by the CA,
 * listing every certificate it issued that grms revoked (deactivated users, superseded
 * certificates), published at the `crlUrl` its certificates name so that anyone can check them.
 */

export interface CrlEntry {
  /** Lower-case hex, no leading zero octets (as user_certificates stores it). */
  serial: string;
  revokedAt: Date;
  reason: RevocationReason | null;
}

export interface CrlInput {
  caCertificatePem: string;
  caKey: crypto.KeyObject;
  entries: CrlEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** Grows with every CRL of this CA whose contents grew (RFC 5280 §5.2.3). */
  number: bigint;
}

/** CRLReason ENUMERATED values (RFC 5280 §5.3.1). */
const REASON_CODES: Record<RevocationReason, number> = {
  keyCompromise: 1, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5,
};
const ENUMERATED = 0x0a;
/** [0] IMPLICIT keyIdentifier of an AuthorityKeyIdentifier. */
const KEY_ID = 0x80;

function extension(oid: string, value: Buffer): Buffer {
  return encode(TAG.sequence, encodeOid(oid), encode(TAG.octetString, value));
}

/** The signature algorithm for the CA's key type (RSA: sha256WithRSA; EC: ecdsa-with-SHA256). */
function signatureAlgorithm(key: crypto.KeyObject): Buffer {
  if (key.asymmetricKeyType === 'rsa') return algorithmIdentifier(OID.sha256WithRSA, true);
  if (key.asymmetricKeyType === 'ec') return algorithmIdentifier(OID.ecdsaWithSha256, false);
  throw new Error(`cannot sign a CRL with a ${key.asymmetricKeyType} key`);
}

/** Builds and signs a CRL; returns its DER. */
export function buildCrl(input: CrlInput): Buffer {
  const ca = certParts(pemToDer(input.caCertificatePem));
  const algorithm = signatureAlgorithm(input.caKey);
  const revoked = [...input.entries]
    .sort((a, b) => a.revokedAt.getTime() - b.revokedAt.getTime() || a.serial.localeCompare(b.serial))
    .map((e) => encode(
      TAG.sequence,
      encodeUnsignedInteger(e.serial),
      encodeTime(e.revokedAt),
      ...(e.reason ? [encode(TAG.sequence, extension(EXT.crlReason, encode(ENUMERATED, Buffer.from([REASON_CODES[e.reason]]))))] : []),
    ));
  const tbs = encode(
    TAG.sequence,
    encodeUnsignedInteger('1'), // v2
    algorithm,
    raw(ca.subject), // the issuer exactly as the CA certificate names itself
    encodeTime(input.thisUpdate),
    encodeTime(input.nextUpdate),
    ...(revoked.length ? [encode(TAG.sequence, ...revoked)] : []), // omitted when empty (§5.1.2.6)
    encode(TAG.context0, encode(
      TAG.sequence,
      extension(EXT.authorityKeyId, encode(TAG.sequence, encode(KEY_ID, keyIdentifierOf(input.caCertificatePem)))),
      extension(EXT.crlNumber, encodeUnsignedInteger(input.number.toString(16))),
    )),
  );
  const signature = crypto.sign('sha256', tbs, input.caKey);
  return encode(TAG.sequence, tbs, algorithm, encode(TAG.bitString, Buffer.from([0]), signature));
}

export interface PublishedCrl {
  der: Buffer;
  thisUpdate: Date;
  nextUpdate: Date;
  number: bigint;
}

/** How long a CRL is valid: a relying party that caches it sees a revocation within a day. */
const CRL_VALIDITY_MS = 24 * 3600 * 1000;
/** A CRL older than this is made again even when nothing was revoked meanwhile. */
const CRL_REFRESH_MS = 3600 * 1000;

/**
 * Serves the current CRL of one CA. Rows are only ever revoked, never un-revoked or deleted (a
 * trigger sees to it), so the number of revoked rows tells whether anything changed: one count
 * per request, a new CRL only after a revocation (by any process) or once an hour.
 */
export class CrlPublisher {
  private cached: { crl: PublishedCrl; revokedRows: number } | undefined;
  private building: Promise<PublishedCrl> | undefined;
  /** Whether each revoked row's certificate was issued by this CA (a row's answer never changes). */
  private readonly issuedHere = new Map<number, boolean>();
  private readonly ca: crypto.X509Certificate;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly authority: Pick<DocumentAuthority, 'caCertificatePem' | 'caKey'>,
  ) {
    this.ca = new crypto.X509Certificate(authority.caCertificatePem);
  }

  async current(): Promise<PublishedCrl> {
    const { n } = await this.db.selectFrom('user_certificates').select((eb) => eb.fn.countAll<string>().as('n'))
      .where('revoked_at', 'is not', null).executeTakeFirstOrThrow();
    const revokedRows = Number(n);
    const hit = this.cached;
    if (hit && hit.revokedRows === revokedRows && Date.now() - hit.crl.thisUpdate.getTime() < CRL_REFRESH_MS) return hit.crl;
    this.building ??= this.build().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  private async build(): Promise<PublishedCrl> {
    const rows = await this.db.selectFrom('user_certificates').select(['id', 'serial', 'certificate', 'revoked_at', 'revocation_reason'])
      .where('revoked_at', 'is not', null).orderBy('id').execute();
    const entries: CrlEntry[] = [];
    for (const row of rows) {
      if (!this.issuedByCa(row.id, row.certificate)) continue; // e.g. a user's own PKCS#12 from BSrE
      entries.push({ serial: row.serial, revokedAt: new Date(row.revoked_at!), reason: row.revocation_reason });
    }
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    // More entries always give a greater number, whatever the clocks of several servers say.
    const number = (BigInt(entries.length) << 40n) + BigInt(thisUpdate.getTime() / 1000);
    const crl: PublishedCrl = {
      der: buildCrl({ ...this.authority, entries, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS), number }),
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS),
      number,
    };
    this.cached = { crl, revokedRows: rows.length };
    return crl;
  }

  private issuedByCa(id: number, certificatePem: string): boolean {
    let known = this.issuedHere.get(id);
    if (known === undefined) {
      try {
        const cert = new crypto.X509Certificate(certificatePem);
        known = cert.checkIssued(this.ca) && cert.verify(this.ca.publicKey);
      } catch {
        known = false;
      }
      this.issuedHere.set(id, known);
    }
    return known;
  }
}

/** What a verifier reads from a CRL (RFC 5280 §5.1), raw bytes kept for the signature check. */
export interface ParsedCrl {
  der: Buffer;
  issuer: Tlv;
  /** The TBSCertList exactly as signed. */
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serials (lower-case hex, no leading zero octets) and when. */
  revoked: Map<string, Date>;
}

/** Parses a DER CRL; throws DerError when malformed. */
export function parseCrl(der: Buffer): ParsedCrl {
  const list = expectTag(readTlv(der), TAG.sequence, 'a CertificateList');
  const [tbs, algorithm, signature] = children(list);
  const fields = children(expectTag(tbs, TAG.sequence, 'a TBSCertList'));
  let i = fields[0]?.tag === TAG.integer ? 1 : 0; // optional version
  i++; // signature algorithm (repeated outside)
  const issuer = expectTag(fields[i++], TAG.sequence, 'a CRL issuer');
  const thisUpdate = timeOf(fields[i++]!);
  let nextUpdate: Date | undefined;
  if (fields[i] && (fields[i]!.tag === TAG.utcTime || fields[i]!.tag === TAG.generalizedTime)) nextUpdate = timeOf(fields[i++]!);
  const revoked = new Map<string, Date>();
  if (fields[i]?.tag === TAG.sequence) {
    for (const entry of children(fields[i]!)) {
      const [serial, date] = children(expectTag(entry, TAG.sequence, 'a revoked certificate'));
      revoked.set(integerHex(serial!), timeOf(date!));
    }
  }
  const bits = content(expectTag(signature, TAG.bitString, 'a CRL signature'));
  return {
    der: raw(list),
    issuer,
    tbs: raw(tbs!),
    signatureAlgorithm: oidOf(children(expectTag(algorithm, TAG.sequence, 'a CRL signature algorithm'))[0]!),
    signature: bits.subarray(1),
    thisUpdate,
    nextUpdate,
    revoked,
  };
}

/** Did `issuerKey` sign this CRL (sha256/384/512 with RSA or ECDSA). */
export function crlSignedBy(crl: ParsedCrl, issuerKey: crypto.KeyObject): boolean {
  const hash = CRL_HASHES[crl.signatureAlgorithm];
  if (!hash) return false;
  try {
    return crypto.verify(hash, crl.tbs, issuerKey, crl.signature);
  } catch {
    return false;
  }
}

const CRL_HASHES: Record<string, string> = {
  [OID.sha256WithRSA]: 'sha256', [OID.sha384WithRSA]: 'sha384', [OID.sha512WithRSA]: 'sha512',
  [OID.ecdsaWithSha256]: 'sha256', [OID.ecdsaWithSha384]: 'sha384', [OID.ecdsaWithSha512]: 'sha512',
};
