import crypto from 'node:crypto';
import { SignPdf } from '@signpdf/signpdf';
import { Signer } from '@signpdf/utils';
import { signDetached, type CmsSigningKey } from './cms';
import type { DocumentContent } from './content';
import { pemToDer } from './der';
import { SigningError } from './errors';
import { renderDocumentPdf } from './render';

/** The key material a signature needs; plain strings so it crosses to a worker thread. */
export interface SignerKeys {
  certificatePem: string;
  privateKeyPem: string;
  /** Issuer certificates, nearest first; embedded so verifiers can build the chain. */
  chainPems: string[];
}

export interface SignedDocument {
  pdf: Buffer;
  /** Lower-case hex SHA-256 of the whole signed file (documents.sha256). */
  sha256: string;
}

/** A @signpdf Signer on node's crypto: native RSA/ECDSA, key parsed once and reused. */
export class CmsSigner extends Signer {
  constructor(private readonly key: CmsSigningKey) {
    super();
  }

  override async sign(pdfBuffer: Buffer, signingTime?: Date): Promise<Buffer> {
    return signDetached(pdfBuffer, this.key, signingTime ?? new Date());
  }
}

// Parsed keys by certificate: parsing PEM keys is cheap but not free, and a worker signs for the
// same few people all day.
const parsed = new Map<string, CmsSigningKey>();
const PARSED_LIMIT = 1000;

function signingKey(keys: SignerKeys): CmsSigningKey {
  const hit = parsed.get(keys.certificatePem);
  if (hit) return hit;
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(keys.privateKeyPem);
  } catch (err) {
    throw new SigningError('cannot read the signing key', { cause: err });
  }
  if (!new crypto.X509Certificate(keys.certificatePem).checkPrivateKey(privateKey)) {
    throw new SigningError('the signing key does not belong to the certificate');
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

/** Fills the placeholder of `pdf` with a CMS signature by `keys`. */
export async function signPdf(pdf: Buffer, keys: SignerKeys, signingTime = new Date()): Promise<Buffer> {
  try {
    return await new SignPdf().sign(pdf, new CmsSigner(signingKey(keys)), signingTime);
  } catch (err) {
    if (err instanceof SigningError) throw err;
    throw new SigningError(`signing the PDF failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Render + sign in the calling thread: what the worker pool runs, and what benchmarks call bare. */
export async function renderAndSign(content: DocumentContent, keys: SignerKeys): Promise<SignedDocument> {
  const pdf = await signPdf(await renderDocumentPdf(content), keys);
  return { pdf, sha256: crypto.createHash('sha256').update(pdf).digest('hex') };
}
