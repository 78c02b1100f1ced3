import crypto from 'node:crypto';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { ChainCert, buildChain } from './chain';
import { prepareDetached, type CmsSigningKey, type KeySigner } from './cms';
import type { DocumentContent } from './content';
import { pemToDer } from './der';
import { issuedByBsre } from './certs';
import { appendDss } from './dss';
import { SigningError } from './errors';
import { tokenSigner, type TokenKeyRef } from './pkcs11';
import { collectMaterial, pathOf } from './ltv';
import { SIGNATURE_LENGTH, renderDocumentPdf } from './render';
import { certShape } from './signature-limits';
import { checkToken, requestTimestamp, timestampAttribute, type TsaSettings } from './timestamp';

/**
 * The key material a signature needs; plain data so it crosses to a worker thread: a PEM private
 * key (the default), or where a PKCS#11 token holds the key (the thread signs through its own
 * session with the token, src/documents/pkcs11.ts).
 */
export type SignerKeys = {
  certificatePem: string;
  /** Issuer certificates, nearest first; embedded so verifiers can build the chain. */
  chainPems: string[];
} & ({ privateKeyPem: string; token?: undefined } | { token: TokenKeyRef; privateKeyPem?: undefined });

/**
 * How a signature is made beyond the key: the time-stamping authority (B-T) and the revocation data
 * known locally (B-LT). Plain data, so it crosses to a worker thread.
 */
export interface SigningOptions {
  tsa?: TsaSettings;
  /** The TSAs trusted for time-stamps: a token that does not chain to one is not used. */
  tsaAnchorsPem?: string[];
  /** CRLs known without the network (the deployment CA's current one), DER. */
  crls?: Uint8Array[];
  /** Timeout of each CRL download for certificates of other issuers (default: the TSA's, else 5 s). */
  fetchTimeoutMs?: number;
}

/** PAdES baseline level reached: B-B (signed), B-T (+ time-stamp), B-LT (+ complete validation material). */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT';

export interface SignedDocument {
  pdf: Buffer;
  /** Lower-case hex SHA-256 of the whole signed file, DSS revision included (documents.sha256). */
  sha256: string;
  level: PadesLevel;
  /** What kept the signature below B-LT (an unreachable TSA, a CRL that could not be fetched). */
  problems: string[];
}

/** A @signpdf Signer on node's crypto: native RSA/ECDSA, key parsed once and reused; time-stamps the signature value when it can. */
export class CmsSigner extends Signer {
  /** The time-stamp embedded by the last sign(), if any, with its authority's chain. */
  stamped?: Stamp;
  readonly problems: string[] = [];

  constructor(private readonly key: CmsSigningKey, private readonly stamp?: (signature: Buffer) => Promise<Stamp>) {
    super();
  }

  override async sign(pdfBuffer: Buffer): Promise<Buffer> {
    const pending = prepareDetached(pdfBuffer, this.key);
    this.stamped = undefined;
    if (!this.stamp) return pending.assemble();
    try {
      const stamp = await this.stamp(pending.signature);
      const stamped = pending.assemble([timestampAttribute(stamp.token)]);
      // A signature that no longer fits the placeholder is made without its time-stamp (B-B) rather than not at all.
      if (stamped.length > SIGNATURE_LENGTH) throw new Error(`the time-stamped signature needs ${stamped.length} bytes, the placeholder holds ${SIGNATURE_LENGTH}`);
      this.stamped = stamp;
      return stamped;
    } catch (err) {
      this.problems.push(`no signature time-stamp: ${(err as Error).message}`);
      return pending.assemble();
    }
  }
}

// Parsed keys by certificate: parsing PEM keys is cheap but not free, and a worker signs for the
// same few people all day.
const parsed = new Map<string, CmsSigningKey>();
const PARSED_LIMIT = 1000;

function signingKey(keys: SignerKeys): CmsSigningKey {
  const hit = parsed.get(keys.certificatePem);
  if (hit) return hit;
  let privateKey: crypto.KeyObject | KeySigner;
  const certificate = new crypto.X509Certificate(keys.certificatePem);
  if (keys.token) {
    const signer = tokenSigner(keys.token);
    if (!certificate.publicKey.equals(signer.publicKey)) throw new SigningError('the key in the token does not belong to the certificate');
    privateKey = signer;
  } else {
    try {
      privateKey = crypto.createPrivateKey(keys.privateKeyPem);
    } catch (err) {
      throw new SigningError('cannot read the signing key', { cause: err });
    }
    if (!certificate.checkPrivateKey(privateKey)) throw new SigningError('the signing key does not belong to the certificate');
  }
  const certificateDer = pemToDer(keys.certificatePem);
  const key: CmsSigningKey = {
    certificateDer,
    chainDers: keys.chainPems.map(pemToDer).filter((der) => !der.equals(certificateDer)),
    privateKey,
  };
  if (parsed.size >= PARSED_LIMIT) parsed.delete(parsed.keys().next().value!);
  parsed.set(keys.certificatePem, key);
  return key;
}

/** A signature time-stamp token and the chain of the authority that made it (TSA first, its trust anchor last). */
interface Stamp {
  token: Buffer;
  chain: ChainCert[];
}

/** Gets a token over `signature` and checks it chains to one of the trusted TSAs. */
function stamper(tsa: TsaSettings, anchorsPem: string[]): (signature: Buffer) => Promise<Stamp> {
  const anchors = anchorsPem.map((p) => new ChainCert(certShape(pemToDer(p))));
  return async (signature) => {
    const token = await requestTimestamp(tsa, signature);
    const checked = checkToken(token, signature);
    const embedded = checked.cms.certificates.map((d) => new ChainCert(certShape(d)));
    const chain = buildChain(new ChainCert(certShape(checked.signerDer)), embedded, anchors, checked.info.genTime, 'the time-stamping authority');
    return { token, chain };
  };
}

/**
 * Fills the placeholder of `pdf` with a PAdES signature by `keys`, time-stamped when a TSA is
 * configured and reachable, and appends the DSS revision with the validation material. Never fails
 * for want of a time-stamp or a CRL: the level says what was reached, `problems` why not more.
 */
export async function signPdf(pdf: Buffer, keys: SignerKeys, opts: SigningOptions = {}): Promise<Omit<SignedDocument, 'sha256'>> {
  try {
    const key = signingKey(keys);
    const signer = new CmsSigner(key, opts.tsa ? stamper(opts.tsa, opts.tsaAnchorsPem ?? []) : undefined);
    const signed = await new SignPdf().sign(pdf, signer);
    const stamped = signer.stamped;
    const chains = [pathOf(key.certificateDer, key.chainDers), ...(stamped ? [stamped.chain] : [])];
    const material = await collectMaterial(chains, {
      crls: (opts.crls ?? []).map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
      fetchTimeoutMs: opts.fetchTimeoutMs ?? opts.tsa?.timeoutMs ?? 5000,
    });
    const problems = [...signer.problems, ...material.missing.map((m) => `no revocation data for ${m}`)];
    return {
      pdf: appendDss(signed, { certs: material.certs, crls: material.crls, ocsps: [] }),
      level: !stamped ? 'B-B' : material.missing.length ? 'B-T' : 'B-LT',
      problems,
    };
  } catch (err) {
    if (err instanceof SigningError) throw err;
    throw new SigningError(`signing the PDF failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Render + sign in the calling thread: what the worker pool runs, and what benchmarks call bare. */
export async function renderAndSign(content: DocumentContent, keys: SignerKeys, opts: SigningOptions = {}): Promise<SignedDocument> {
  // The caption under the QR code names BSrE only when the certificate really is BSrE's.
  const signed = await signPdf(await renderDocumentPdf({ ...content, bsre: issuedByBsre(keys.certificatePem) }), keys, opts);
  return { ...signed, sha256: crypto.createHash('sha256').update(signed.pdf).digest('hex') };
}
