import crypto from 'node:crypto';
import { mayHaveIssued, type CertShape } from './signature-limits';

/**
 * Path building from a certificate to a configured trust anchor through the certificates a
 * signature (or time-stamp token) carries: issuers are picked by name and key identifier before any
 * signature is checked, and a trust anchor is one of the configured certificates, never whatever
 * claims to be a root.
 */

/** Why a certificate does not chain (or was not valid at the time asked). */
export class ChainError extends Error {}

/** A certificate in chain building: its shape read by the DER reader, parsed by OpenSSL only when needed. */
export class ChainCert {
  private parsed?: crypto.X509Certificate;
  constructor(readonly shape: CertShape) {}
  get x509(): crypto.X509Certificate {
    return (this.parsed ??= new crypto.X509Certificate(this.shape.der));
  }
  /** Did `issuer`'s key sign this certificate (the one place a chain costs a public-key operation). */
  signedBy(issuer: ChainCert): boolean {
    return this.x509.verify(issuer.x509.publicKey);
  }
}

export function validAt(cert: crypto.X509Certificate, at: Date): boolean {
  return Date.parse(cert.validFrom) <= at.getTime() && at.getTime() <= Date.parse(cert.validTo);
}

/**
 * The path from `leaf` to a trust anchor (leaf first, anchor last), every certificate valid at `at`.
 * Throws ChainError.
 */
export function buildChain(leaf: ChainCert, embedded: ChainCert[], anchors: ChainCert[], at: Date, what = 'the signer certificate'): ChainCert[] {
  let current = leaf;
  const path = [leaf];
  const used = new Set<ChainCert>([leaf]);
  for (let depth = 0; depth < 8; depth++) {
    if (!validAt(current.x509, at)) throw new ChainError(`certificate "${current.x509.subject.replace(/\n/g, ', ')}" was not valid at ${at.toISOString()}`);
    if (anchors.some((a) => a.shape.der.equals(current.shape.der))) return path;
    // Candidates by name and key identifier first; only those are checked cryptographically.
    const anchor = anchors.filter((a) => mayHaveIssued(a.shape, current.shape)).find((a) => current.signedBy(a));
    if (anchor) {
      if (!validAt(anchor.x509, at)) throw new ChainError(`the trust anchor was not valid at ${at.toISOString()}`);
      return [...path, anchor];
    }
    const next = embedded
      .filter((c) => !used.has(c) && mayHaveIssued(c.shape, current.shape))
      .find((c) => c.x509.ca && current.signedBy(c));
    if (!next) throw new ChainError(`${what} does not chain to a trusted CA`);
    used.add(next);
    path.push(next);
    current = next;
  }
  throw new ChainError('certificate chain too long');
}
