import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely, Selectable } from 'kysely';
import type { Database, RevocationReason, UserCertificatesTable } from '../db/types';
import { decryptSecret, encryptSecret } from '../auth/secrets';
import { PUBLIC_URL_REQUIRED, YEAR_MS, issueSigningCertificate, type DocumentAuthority, type SigningIdentity } from './authority';
import { randomSerialHex, readPkcs12, serialOf } from './certs';
import { destroyTokenKey, generateTokenKey, type TokenKeyRef } from './pkcs11';
import { EXT, OID, certParts, crlUrlsOf, nameAttributes, pemToDer } from './der';
import { AuthorityConfigError, NoSigningCertificate } from './errors';

/** The person a document is signed for. */
export interface SignerUser {
  username: string;
  fullName: string;
  /** OPD name, the certificate's O. */
  orgName: string;
}

/** A revoked certificate, as verifyPdf takes it. */
export interface Revocation {
  serial: string;
  revokedAt: Date;
}

type CertRow = Selectable<UserCertificatesTable>;

/** Two years, as personal signing certificates commonly run; renewed by the next signature after that. */
const USER_CERT_MS = 2 * YEAR_MS;
/** A certificate this close to expiry is replaced rather than used for one more document. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;
const CACHE_LIMIT = 5000;
const P12_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function remember(authority: DocumentAuthority, identity: SigningIdentity): SigningIdentity {
  const cache = authority.identityCache;
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!); // oldest first
  cache.set(identity.serial, identity);
  return identity;
}

function activeRow(db: Kysely<Database>, username: string): Promise<CertRow | undefined> {
  return db.selectFrom('user_certificates').selectAll().where('username', '=', username).where('revoked_at', 'is', null).executeTakeFirst();
}

/** What a certificate says, once its signature by the CA is checked: the only costly part. */
interface CheckedCertificate {
  certificatePem: string;
  caCertificatePem: string;
  issuedByCa: boolean;
  validToMs: number;
  commonName: string | undefined;
  organization: string | undefined;
  crlUrls: string[];
}

/**
 * Checked certificates per authority (so per CA), by serial. Revocation is not cached: the row
 * comes from the active certificates on every call.
 */
const checkedCertificates = new WeakMap<DocumentAuthority, Map<string, CheckedCertificate>>();

function checkCertificate(row: CertRow, authority: DocumentAuthority): CheckedCertificate {
  let checked = checkedCertificates.get(authority);
  if (!checked) checkedCertificates.set(authority, (checked = new Map()));
  const hit = checked.get(row.serial);
  if (hit && hit.certificatePem === row.certificate && hit.caCertificatePem === authority.caCertificatePem) return hit;
  const cert = new crypto.X509Certificate(row.certificate);
  const ca = new crypto.X509Certificate(authority.caCertificatePem);
  const parts = certParts(pemToDer(row.certificate));
  const subject = nameAttributes(parts.subject);
  const result: CheckedCertificate = {
    certificatePem: row.certificate,
    caCertificatePem: authority.caCertificatePem,
    issuedByCa: cert.checkIssued(ca) && cert.verify(ca.publicKey),
    validToMs: Date.parse(cert.validTo),
    commonName: subject.get(OID.commonName),
    organization: subject.get(OID.organizationName),
    crlUrls: crlUrlsOf(parts.extensions.get(EXT.crlDistributionPoints)),
  };
  if (checked.size >= CACHE_LIMIT) checked.delete(checked.keys().next().value!); // oldest first
  checked.set(row.serial, result);
  return result;
}

/**
 * Still fit to sign with: issued by the current CA, not about to expire, naming the user as they
 * are now (a renamed user or one moved to another OPD gets a new certificate), and of the current
 * profile: naming the CA's CRL where it is published now (which certificates of earlier versions,
 * without a CRL or the signing EKUs, do not).
 */
function usable(row: CertRow, authority: DocumentAuthority, user: SignerUser): boolean {
  // A key in the token is usable while the token is configured, whether or not new users' keys
  // still go there; neither a file key nor a token key: came from a PKCS#12 no longer configured.
  if (row.token_key_id !== null ? !authority.token : row.private_key === null) return false;
  const c = checkCertificate(row, authority);
  return c.issuedByCa && c.validToMs - Date.now() > RENEW_BEFORE_MS && c.commonName === user.fullName && c.organization === user.orgName
    && c.crlUrls.length === 1 && c.crlUrls[0] === authority.crlUrl;
}

/**
 * Makes `fresh` the user's active certificate, retiring `stale` (if any) in the same transaction.
 * When another process got there first, the partial unique index makes our insert a no-op and the
 * winner's row is returned instead.
 */
async function install(
  db: Kysely<Database>,
  username: string,
  stale: CertRow | undefined,
  fresh: { serial: string; certificate: string; private_key: string | null; token_key_id?: string },
): Promise<CertRow> {
  return db.transaction().execute(async (trx) => {
    if (stale) {
      await trx.updateTable('user_certificates').set({ revoked_at: new Date(), revocation_reason: 'superseded' })
        .where('id', '=', stale.id).where('revoked_at', 'is', null).execute();
    }
    const inserted = await trx
      .insertInto('user_certificates')
      .values({ username, ...fresh })
      .onConflict((oc) => oc.column('username').where('revoked_at', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    return inserted ?? (await activeRow(trx, username))!;
  });
}

/** The reference to a user's key in the deployment's token: found there by its CKA_ID (the serial). */
function userTokenKey(authority: DocumentAuthority, keyId: string, username?: string): TokenKeyRef {
  if (!authority.token) throw new NoSigningCertificate('the key of this certificate is in a PKCS#11 token, which is not configured (GRMS_PKCS11_MODULE)');
  return { ...authority.token.ref, keyId, ...(username !== undefined && { keyLabel: `grms-user:${username}` }) };
}

/** What the row's key is, for signing: the decrypted PEM, or the reference to the token's key. */
function keysOfRow(row: CertRow, masterKey: Buffer, authority: DocumentAuthority, username: string): { privateKeyPem: string } | { token: TokenKeyRef } {
  if (row.token_key_id !== null) return { token: userTokenKey(authority, row.token_key_id) };
  if (row.private_key === null) throw new NoSigningCertificate(`the active certificate of ${username} has no stored key`);
  return { privateKeyPem: decryptSecret(masterKey, row.private_key).toString('utf8') };
}

function identityFromRow(
  row: CertRow, keys: { privateKeyPem: string } | { token: TokenKeyRef }, authority: DocumentAuthority, user: SignerUser, chainPems?: string[],
): SigningIdentity {
  return {
    serial: row.serial,
    certificatePem: row.certificate,
    ...keys,
    chainPems: chainPems ?? [authority.caCertificatePem, ...authority.caChainPems],
    name: user.fullName,
    org: user.orgName,
  };
}

async function fromPkcs12(db: Kysely<Database>, authority: DocumentAuthority, user: SignerUser): Promise<SigningIdentity> {
  const { dir, passphrase } = authority.userP12!;
  if (!P12_NAME.test(user.username)) throw new AuthorityConfigError(`username ${JSON.stringify(user.username)} cannot name a PKCS#12 file`);
  const file = path.join(dir, `${user.username}.p12`);
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (err) {
    throw new NoSigningCertificate(`no signing certificate for ${user.username} (expected ${file})`, { cause: err });
  }
  // The file's hash keys the cache, so a replaced file is picked up without decrypting every time.
  const cacheKey = `p12:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
  const cached = authority.identityCache.get(cacheKey);
  const p12 = cached?.privateKeyPem !== undefined
    ? { certificatePem: cached.certificatePem, privateKeyPem: cached.privateKeyPem, chainPems: cached.chainPems }
    : readPkcs12(bytes, passphrase, file);
  const serial = serialOf(p12.certificatePem);
  let row = await activeRow(db, user.username);
  if (!row || row.serial !== serial || row.private_key !== null || row.token_key_id !== null) {
    row = await install(db, user.username, row, { serial, certificate: p12.certificatePem, private_key: null });
  }
  const identity = identityFromRow(row, { privateKeyPem: p12.privateKeyPem }, authority, user, p12.chainPems);
  authority.identityCache.set(cacheKey, identity);
  return identity;
}

/**
 * The identity `user` signs documents with: the active certificate, issued from the CA the first
 * time it is needed (or read from `<username>.p12` when the deployment configures PKCS#12 files).
 */
export async function signingIdentityFor(
  db: Kysely<Database>,
  masterKey: Buffer,
  authority: DocumentAuthority,
  user: SignerUser,
): Promise<SigningIdentity> {
  if (authority.userP12) return fromPkcs12(db, authority, user);
  let row = await activeRow(db, user.username);
  if (!row || !usable(row, authority, user)) {
    // Key generation and issuing happen outside the transaction: it stays short, and a lost race
    // only wastes one key pair.
    row = authority.token?.userKeys
      ? await issueWithTokenKey(db, authority, user, row)
      : await issueWithFileKey(db, masterKey, authority, user, row);
  }
  const cached = authority.identityCache.get(row.serial);
  if (cached && cached.certificatePem === row.certificate) return { ...cached, name: user.fullName, org: user.orgName };
  return remember(authority, identityFromRow(row, keysOfRow(row, masterKey, authority, user.username), authority, user));
}

/** The default: a key pair made by grms, stored encrypted with GRMS_KEY in the certificate's row. */
async function issueWithFileKey(db: Kysely<Database>, masterKey: Buffer, authority: DocumentAuthority, user: SignerUser, stale: CertRow | undefined): Promise<CertRow> {
  const issued = await issueSigningCertificate(authority, { name: user.fullName, org: user.orgName }, USER_CERT_MS);
  return install(db, user.username, stale, {
    serial: issued.serial,
    certificate: issued.certificatePem,
    private_key: encryptSecret(masterKey, issued.privateKeyPem),
  });
}

/**
 * GRMS_PKCS11_USER_KEYS: the key pair is generated in the token (sensitive, not extractable), named
 * there by CKA_ID = the certificate's serial (chosen first) and CKA_LABEL "grms-user:<username>",
 * and the row records that CKA_ID instead of a key. A key whose certificate is not stored (issuing
 * failed, or another process issued the user's certificate first) is destroyed again.
 */
async function issueWithTokenKey(db: Kysely<Database>, authority: DocumentAuthority, user: SignerUser, stale: CertRow | undefined): Promise<CertRow> {
  if (!authority.crlUrl) throw new AuthorityConfigError(PUBLIC_URL_REQUIRED); // before a key is made for nothing
  const serial = randomSerialHex();
  const ref = userTokenKey(authority, serial, user.username);
  const publicKey = await generateTokenKey(ref, 2048);
  let row: CertRow | undefined;
  try {
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const issued = await issueSigningCertificate(authority, { name: user.fullName, org: user.orgName }, USER_CERT_MS, publicKeyPem, serial);
    row = await install(db, user.username, stale, { serial: issued.serial, certificate: issued.certificatePem, private_key: null, token_key_id: serial });
    return row;
  } finally {
    if (row?.token_key_id !== serial) {
      try {
        destroyTokenKey(ref);
      } catch {
        // left in the token, unused: its CKA_ID names no certificate
      }
    }
  }
}

/**
 * Revokes the user's active certificate (deactivation: no longer needed, RFC 5280's
 * cessationOfOperation); it is on the CRL from now on. Returns the serials revoked.
 */
export async function revokeCertificate(
  db: Kysely<Database>, username: string, at: Date = new Date(), reason: RevocationReason = 'cessationOfOperation',
): Promise<string[]> {
  const rows = await db.updateTable('user_certificates').set({ revoked_at: at, revocation_reason: reason })
    .where('username', '=', username).where('revoked_at', 'is', null)
    .returning('serial').execute();
  return rows.map((r) => r.serial);
}

/** Every revoked certificate, for verifyPdf's `revocations`. */
export async function loadRevocations(db: Kysely<Database>): Promise<Revocation[]> {
  const rows = await db.selectFrom('user_certificates').select(['serial', 'revoked_at']).where('revoked_at', 'is not', null).execute();
  return rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at! }));
}
