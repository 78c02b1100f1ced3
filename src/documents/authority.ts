import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database } from '../db/types';
import { getOrCreateDeploymentKey, replaceKeyCertificate } from '../auth/deployment-keys';
import { ADVISORY, advisoryXactLock } from '../db/advisory';
import { splitPemBundle } from './der';
import { AuthorityConfigError } from './errors';
import type { TsaSettings } from './timestamp';
import type { SignerKeys } from './sign';
import { inspectTokenKey, tokenKeyName, type TokenKeyRef } from './pkcs11';
import {
  assertKeyMatches, certificateFingerprint, generateRsaKeyPair, issueCertificate, keyIdentifierOf, keyIdentifiersAgree,
  randomSerialHex, readPkcs12, reissueSelfSigned, serialOf,
} from './certs';

/**
 * The document CA of a deployment. Terminology:
 * - CA: issues the certificates documents are signed with. Generated on first start and kept in
 *   `deployment_keys`, or given by configuration (a government CA, or one chained to BSrE).
 * - Seal: the deployment's own signing identity, for documents no person signs.
 * - Trust anchors: certificates a verifier accepts as chain roots (our CA plus GRMS_TRUST_ANCHORS).
 * - CRL: the list of revoked certificates the CA signs and publishes at `crlUrl`, named in every
 *   certificate it issues (src/documents/crl.ts).
 */

/**
 * Everything needed to sign as someone: plain data, so it can cross to a worker thread. The key is
 * a PEM (a file key: decrypted from user_certificates, or read from a PKCS#12), or a reference to a
 * key in the deployment's PKCS#11 token (GRMS_PKCS11_USER_KEYS), which only ever signs there.
 */
export type SigningIdentity = {
  serial: string;
  certificatePem: string;
  /** Issuers of the certificate, nearest first, embedded in each signature. */
  chainPems: string[];
  name: string;
  org: string;
} & SignerKeys;

/**
 * The deployment seal: a key in deployment_keys (the default), or one held in a PKCS#11 token
 * (GRMS_PKCS11_*), which this process only ever asks to sign.
 */
export type SealIdentity = SigningIdentity;

export interface DocumentAuthority {
  caCertificatePem: string;
  /** Lower-case hex SHA-256 of the CA certificate. */
  caFingerprint: string;
  /** Lower-case hex of the CA's key identifier (its SKI): names its CRL. */
  caKeyId: string;
  /**
   * Earlier certificates of the same CA key and name (a root re-issued with RFC 5280 key
   * identifiers): still trust anchors, so what they verified keeps verifying.
   */
  previousCaCertificatesPem: string[];
  /** Where the CRL is published; undefined when certificates may not be issued (no public URL). */
  crlUrl: string | undefined;
  /** The CA's own issuers when it is not a root (from a configured bundle or PKCS#12). */
  caChainPems: string[];
  /** The CA key; a KeyObject never prints its material. */
  readonly caKey: crypto.KeyObject;
  /** True when the CA came from configuration rather than deployment_keys. */
  configured: boolean;
  seal: SealIdentity;
  trustAnchorsPem: string[];
  /** The RFC 3161 time-stamping authority signatures are time-stamped by (B-T), if configured. */
  tsa?: TsaSettings;
  /** The CAs trusted to issue time-stamping certificates (GRMS_TSA_TRUST_ANCHORS). */
  tsaTrustAnchorsPem: string[];
  /** Per-user PKCS#12 files instead of certificates issued by the CA. */
  userP12?: { dir: string; passphrase: string };
  /**
   * The deployment's PKCS#11 token (GRMS_PKCS11_*, without the seal's key name), when configured:
   * users' keys held there are found in it by their CKA_ID. `userKeys` (GRMS_PKCS11_USER_KEYS):
   * the keys of certificates issued from now on are generated in it.
   */
  token?: { ref: Omit<TokenKeyRef, 'keyLabel' | 'keyId'>; userKeys: boolean };
  /** Decrypted user identities by certificate serial (decryption is the slow part of signing). */
  readonly identityCache: Map<string, SigningIdentity>;
}

export type DocumentAuthorityConfig = Pick<
  Config,
  'government' | 'trustAnchorsFile' | 'caCertFile' | 'caKeyFile' | 'caP12File' | 'caPassphrase' | 'userP12Dir' | 'userP12Passphrase'
> & Partial<Pick<Config, 'tsa' | 'pkcs11' | 'pkcs11UserKeys'>> & {
  /**
   * The public base URL the CRL is published under, which every issued certificate names for
   * years. Undefined (a non-embedded deployment without GRMS_PUBLIC_URL): nothing is issued.
   */
  publicUrl: string | undefined;
};

export const PUBLIC_URL_REQUIRED =
  'GRMS_PUBLIC_URL is not set: every certificate grms issues names its revocation list at GRMS_PUBLIC_URL/crl/…, '
  + 'an address relying parties use for years, so certificates are not issued until it is set to the address '
  + 'the public reaches this deployment at (e.g. https://grms.semarangkota.go.id)';

const CA_KEY_NAME = 'document-ca';
/** A Julian year: certificate lifetimes are given in these. */
export const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** The seal is re-issued every SEAL_PERIOD and valid a year longer, so a running server's seal never lapses. */
const SEAL_PERIOD_MS = 2 * YEAR_MS;
const SEAL_VALIDITY_MS = SEAL_PERIOD_MS + YEAR_MS;
/** Clock skew between servers must not make a fresh certificate "not yet valid". */
const BACKDATE_MS = 10 * 60 * 1000;

function readConfigFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new AuthorityConfigError(`cannot read ${what} at ${file}`, { cause: err });
  }
}

interface CaMaterial {
  certificatePem: string;
  chainPems: string[];
  key: crypto.KeyObject;
  configured: boolean;
  /** Earlier certificates of a generated CA (re-issued roots). */
  previousPems?: string[];
}

async function loadCa(db: Kysely<Database>, masterKey: Buffer, config: DocumentAuthorityConfig): Promise<CaMaterial> {
  if (config.caP12File) {
    const p12 = readPkcs12(readConfigFile(config.caP12File, 'GRMS_CA_P12'), config.caPassphrase ?? '', 'GRMS_CA_P12');
    const key = crypto.createPrivateKey(p12.privateKeyPem);
    return { certificatePem: p12.certificatePem, chainPems: p12.chainPems, key, configured: true };
  }
  if (config.caCertFile || config.caKeyFile) {
    if (!config.caCertFile || !config.caKeyFile) throw new AuthorityConfigError('GRMS_CA_CERT and GRMS_CA_KEY must be set together');
    const [certificatePem, ...chainPems] = splitPemBundle(readConfigFile(config.caCertFile, 'GRMS_CA_CERT').toString('utf8'));
    if (!certificatePem) throw new AuthorityConfigError(`GRMS_CA_CERT (${config.caCertFile}) holds no PEM certificate`);
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey({ key: readConfigFile(config.caKeyFile, 'GRMS_CA_KEY'), passphrase: config.caPassphrase });
    } catch (err) {
      throw new AuthorityConfigError('cannot read GRMS_CA_KEY (wrong GRMS_CA_PASSPHRASE or not a PEM key)', { cause: err });
    }
    return { certificatePem, chainPems, key, configured: true };
  }
  const stored = await getOrCreateDeploymentKey(db, masterKey, CA_KEY_NAME, async () => {
    const pair = await generateRsaKeyPair(3072);
    const now = Date.now();
    const certificate = issueCertificate(
      {
        subject: { commonName: `grms Document CA - ${config.government}`, organizationName: config.government },
        publicKeyPem: pair.publicKeyPem,
        serialHex: randomSerialHex(),
        notBefore: new Date(now - BACKDATE_MS),
        notAfter: new Date(now + 20 * YEAR_MS),
        profile: 'ca',
      },
      { privateKey: crypto.createPrivateKey(pair.privateKeyPem) },
    );
    return { algorithm: 'rsa-3072', publicKey: pair.publicKeyPem, privateKey: pair.privateKeyPem, certificate };
  });
  if (!stored.certificate) throw new AuthorityConfigError(`deployment key ${CA_KEY_NAME} has no certificate`);
  const key = crypto.createPrivateKey(stored.privateKey);
  let [certificatePem, ...previous] = splitPemBundle(stored.certificate);
  if (!certificatePem) throw new AuthorityConfigError(`deployment key ${CA_KEY_NAME} holds no PEM certificate`);
  if (!keyIdentifiersAgree(certificatePem)) [certificatePem, ...previous] = await reissueStoredRoot(db, masterKey, key, stored.privateKey);
  return { certificatePem: certificatePem!, chainPems: [], key, configured: false, previousPems: previous };
}

/**
 * A root made by an earlier version names another key identifier as its AKI than its SKI, so
 * OpenSSL does not take it for self-signed. It is re-issued with the same key, name and validity
 * and stored first in the row, the old certificate(s) after it: the leaves it issued chain to the
 * new one unchanged, and both stay trust anchors. Once, under the deployment-keys lock.
 */
async function reissueStoredRoot(db: Kysely<Database>, masterKey: Buffer, key: crypto.KeyObject, privateKeyPem: string): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    await advisoryXactLock(trx, ADVISORY.deploymentKeys);
    const row = await trx.selectFrom('deployment_keys').select('certificate').where('name', '=', CA_KEY_NAME).executeTakeFirstOrThrow();
    const pems = splitPemBundle(row.certificate ?? '');
    if (keyIdentifiersAgree(pems[0]!)) return pems; // another process got there first
    const bundle = [reissueSelfSigned(pems[0]!, key), ...pems];
    await replaceKeyCertificate(trx, masterKey, CA_KEY_NAME, privateKeyPem, bundle.join(''));
    return bundle;
  });
}

function tsaAnchors(file: string): string[] {
  const pems = splitPemBundle(readConfigFile(file, 'GRMS_TSA_TRUST_ANCHORS').toString('utf8'));
  if (pems.length === 0) throw new AuthorityConfigError(`GRMS_TSA_TRUST_ANCHORS (${file}) holds no PEM certificate`);
  return pems;
}

/** Issues a signing certificate from the CA for a new key pair: the one path for users and the seal. */
export async function issueSigningCertificate(
  ca: Pick<DocumentAuthority, 'caCertificatePem' | 'caKey' | 'crlUrl'>,
  subject: { name: string; org: string },
  validityMs: number,
  /** Certify this key (one held in a token) instead of a new key pair; privateKeyPem is then empty. */
  publicKeyPem?: string,
  /** The serial to give it (chosen beforehand, e.g. to name the key made for it in a token); default random. */
  serialHex?: string,
): Promise<{ serial: string; certificatePem: string; privateKeyPem: string; publicKeyPem: string }> {
  if (!ca.crlUrl) throw new AuthorityConfigError(PUBLIC_URL_REQUIRED);
  const pair = publicKeyPem ? { publicKeyPem, privateKeyPem: '' } : await generateRsaKeyPair(2048);
  const serial = serialHex ?? randomSerialHex();
  const now = Date.now();
  // Never valid beyond the CA: a chain is only as long-lived as its root.
  const caNotAfter = Date.parse(new crypto.X509Certificate(ca.caCertificatePem).validTo);
  const certificatePem = issueCertificate(
    {
      subject: { commonName: subject.name, organizationName: subject.org },
      publicKeyPem: pair.publicKeyPem,
      serialHex: serial,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + validityMs, caNotAfter)),
      profile: 'signer',
      crlUrl: ca.crlUrl,
    },
    { certificatePem: ca.caCertificatePem, privateKey: ca.caKey },
  );
  return { serial, certificatePem, privateKeyPem: pair.privateKeyPem, publicKeyPem: pair.publicKeyPem };
}

type SealCa = Pick<DocumentAuthority, 'caCertificatePem' | 'caKey' | 'crlUrl'>;

/** One seal per CA, CRL address and period (the deployment_keys name's suffix). */
function sealTag(caFingerprint: string, crlUrl: string | undefined): string {
  // A deployment that switches CA or public address, or enters a new period, gets a seal issued
  // for it (the old ones stay in deployment_keys).
  const crlTag = crypto.createHash('sha256').update(crlUrl ?? '').digest('hex').slice(0, 8);
  const period = Math.floor(Date.now() / SEAL_PERIOD_MS);
  return `${caFingerprint.slice(0, 16)}-${crlTag}-p${period}`;
}

/** The default seal: a key pair generated by grms, kept (encrypted) in deployment_keys. */
async function fileSeal(db: Kysely<Database>, masterKey: Buffer, ca: SealCa, caFingerprint: string, name: { name: string; org: string }): Promise<SealIdentity> {
  const sealKey = await getOrCreateDeploymentKey(db, masterKey, `document-seal-${sealTag(caFingerprint, ca.crlUrl)}`, async () => {
    const issued = await issueSigningCertificate(ca, name, SEAL_VALIDITY_MS);
    return { algorithm: 'rsa-2048', publicKey: issued.publicKeyPem, privateKey: issued.privateKeyPem, certificate: issued.certificatePem };
  });
  const certificatePem = sealKey.certificate!;
  return { serial: serialOf(certificatePem), certificatePem, privateKeyPem: sealKey.privateKey, chainPems: [], ...name };
}

/**
 * The seal whose key a PKCS#11 token holds: the token's key is checked at start (a wrong module,
 * slot, PIN or key stops the start with a TokenConfigError), and its certificate issued by the CA
 * for the token's public key. The deployment_keys row keeps the certificate and, in place of a
 * private key, the key's reference without the PIN; its name carries the public key's hash, so
 * another key in the token gets a certificate of its own.
 */
async function tokenSeal(
  db: Kysely<Database>, masterKey: Buffer, ca: SealCa, caFingerprint: string, name: { name: string; org: string }, ref: TokenKeyRef,
): Promise<SealIdentity> {
  const { publicKey } = inspectTokenKey(ref);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyTag = crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  const stored = await getOrCreateDeploymentKey(db, masterKey, `document-seal-pkcs11-${keyTag}-${sealTag(caFingerprint, ca.crlUrl)}`, async () => {
    const issued = await issueSigningCertificate(ca, name, SEAL_VALIDITY_MS, publicKeyPem);
    return { algorithm: 'rsa-pkcs11', publicKey: publicKeyPem, privateKey: tokenKeyName(ref), certificate: issued.certificatePem };
  }, { privateKeyInToken: true });
  const certificatePem = stored.certificate!;
  if (!new crypto.X509Certificate(certificatePem).publicKey.equals(publicKey) || !crypto.createPublicKey(stored.publicKey).equals(publicKey)) {
    throw new AuthorityConfigError(`deployment key ${stored.name}: its certificate is not for the key in the token`);
  }
  return { serial: serialOf(certificatePem), certificatePem, token: ref, chainPems: [], ...name };
}

function tokenOf(config: DocumentAuthorityConfig): DocumentAuthority['token'] {
  if (!config.pkcs11) {
    if (config.pkcs11UserKeys) throw new AuthorityConfigError('GRMS_PKCS11_USER_KEYS=true needs the token configured (GRMS_PKCS11_MODULE …)');
    return undefined;
  }
  const { keyLabel: _label, keyId: _id, ...ref } = config.pkcs11;
  return { ref, userKeys: config.pkcs11UserKeys === true };
}

/** Path of a CA's CRL, by its key identifier (the same for a re-issued root). */
export function crlPath(caKeyId: string): string {
  return `/crl/${caKeyId}.crl`;
}

/**
 * Loads (first start: creates) the document CA and the deployment seal. Several processes starting
 * together end up with one CA and one seal: creation runs under the deployment-keys advisory lock.
 */
export async function loadDocumentAuthority(
  db: Kysely<Database>,
  masterKey: Buffer,
  config: DocumentAuthorityConfig,
): Promise<DocumentAuthority> {
  const ca = await loadCa(db, masterKey, config);
  assertKeyMatches(ca.certificatePem, ca.key, 'document CA');
  if (!new crypto.X509Certificate(ca.certificatePem).ca) throw new AuthorityConfigError('the document CA certificate is not a CA (basicConstraints)');
  const caFingerprint = certificateFingerprint(ca.certificatePem);
  const caKeyId = keyIdentifierOf(ca.certificatePem).toString('hex');
  const crlUrl = config.publicUrl === undefined ? undefined : `${config.publicUrl.replace(/\/+$/, '')}${crlPath(caKeyId)}`;
  const caChainPems = [ca.certificatePem, ...ca.chainPems];
  const sealName = { name: `Segel Elektronik ${config.government}`, org: config.government };
  const caForSeal = { caCertificatePem: ca.certificatePem, caKey: ca.key, crlUrl };
  const seal: SealIdentity = config.pkcs11
    ? await tokenSeal(db, masterKey, caForSeal, caFingerprint, sealName, config.pkcs11)
    : await fileSeal(db, masterKey, caForSeal, caFingerprint, sealName);
  const anchors = config.trustAnchorsFile
    ? splitPemBundle(readConfigFile(config.trustAnchorsFile, 'GRMS_TRUST_ANCHORS').toString('utf8'))
    : [];
  return {
    caCertificatePem: ca.certificatePem,
    caFingerprint,
    caKeyId,
    previousCaCertificatesPem: ca.previousPems ?? [],
    crlUrl,
    caChainPems: ca.chainPems,
    caKey: ca.key,
    configured: ca.configured,
    seal: { ...seal, chainPems: caChainPems },
    trustAnchorsPem: [ca.certificatePem, ...(ca.previousPems ?? []), ...anchors],
    tsa: config.tsa?.url ? { url: config.tsa.url, timeoutMs: config.tsa.timeoutMs } : undefined,
    tsaTrustAnchorsPem: config.tsa?.trustAnchorsFile ? tsaAnchors(config.tsa.trustAnchorsFile) : [],
    userP12: config.userP12Dir ? { dir: config.userP12Dir, passphrase: config.userP12Passphrase ?? '' } : undefined,
    token: tokenOf(config),
    identityCache: new Map(),
  };
}
