import { ChainCert } from './chain';
import { crlSignedBy, parseCrl, type ParsedCrl } from './crl';
import { EXT, crlUrlsOf } from './der';
import { certShape, mayHaveIssued, sameName } from './signature-limits';

/**
 * The validation material of a PAdES B-LT signature: every certificate of the signer's chain and
 * of the time-stamping authority's chain, and a CRL for every certificate in them that has an
 * issuer (a root is a trust anchor, which revocation does not apply to). The deployment CA's own
 * CRL comes from the caller (it is made from the database); any other issuer's is fetched from the
 * certificate's CRL distribution point, with a bounded timeout, and cached until its nextUpdate.
 */

export interface RevocationSources {
  /** CRLs known without the network (the deployment CA's current one), DER. */
  crls: Buffer[];
  /** Each CRL download is abandoned after this. */
  fetchTimeoutMs: number;
}

export interface ValidationMaterial {
  certs: Buffer[];
  crls: Buffer[];
  /** Certificates without revocation data (and why): the signature is then B-T at most. */
  missing: string[];
}

const MAX_CRL_BYTES = 8 * 1024 * 1024;
const fetched = new Map<string, { crl: ParsedCrl; until: number }>();

/** The path from `leafDer` through `pool` as far as it goes (to a self-signed root when the pool has it). */
export function pathOf(leafDer: Buffer, pool: Buffer[]): ChainCert[] {
  const certs = pool.filter((d) => !d.equals(leafDer)).map((d) => new ChainCert(certShape(d)));
  const path = [new ChainCert(certShape(leafDer))];
  for (let current = path[0]!; path.length < 8 && !selfIssued(current); ) {
    const next = certs.find((c) => !path.includes(c) && mayHaveIssued(c.shape, current.shape) && current.signedBy(c));
    if (!next) break;
    path.push(next);
    current = next;
  }
  return path;
}

function selfIssued(c: ChainCert): boolean {
  return sameName(c.shape.subject, c.shape.issuer) && c.signedBy(c);
}

function subjectOf(c: ChainCert): string {
  return c.x509.subject.replace(/\n/g, ', ');
}

async function download(url: string, timeoutMs: number): Promise<ParsedCrl> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_CRL_BYTES) throw new Error('CRL too large');
  return parseCrl(body);
}

/** A current CRL of `issuer` covering `cert`: a local one, else from the certificate's distribution points. */
async function crlFor(cert: ChainCert, issuer: ChainCert, local: ParsedCrl[], timeoutMs: number): Promise<ParsedCrl | string> {
  const now = Date.now();
  const fits = (crl: ParsedCrl) => sameName(crl.issuer, cert.shape.issuer) && (!crl.nextUpdate || crl.nextUpdate.getTime() > now) && crlSignedBy(crl, issuer.x509.publicKey);
  const hit = local.find(fits);
  if (hit) return hit;
  const urls = crlUrlsOf(cert.shape.extensions.get(EXT.crlDistributionPoints)).filter((u) => /^https?:\/\//i.test(u));
  if (urls.length === 0) return 'no CRL distribution point';
  const problems: string[] = [];
  for (const url of urls) {
    const cached = fetched.get(url);
    if (cached && cached.until > now && fits(cached.crl)) return cached.crl;
    try {
      const crl = await download(url, timeoutMs);
      if (!fits(crl)) throw new Error('not a current CRL of the issuer');
      if (fetched.size > 100) fetched.clear();
      fetched.set(url, { crl, until: crl.nextUpdate?.getTime() ?? now + 3600_000 });
      return crl;
    } catch (err) {
      problems.push(`${url}: ${(err as Error).message}`);
    }
  }
  return problems.join('; ');
}

/** Collects certificates and CRLs for `chains` (each leaf first). */
export async function collectMaterial(chains: ChainCert[][], sources: RevocationSources): Promise<ValidationMaterial> {
  const local = sources.crls.flatMap((der) => {
    try {
      return [parseCrl(der)];
    } catch {
      return [];
    }
  });
  const certs: Buffer[] = [];
  const crls: Buffer[] = [];
  const missing: string[] = [];
  const add = (list: Buffer[], der: Buffer) => {
    if (!list.some((d) => d.equals(der))) list.push(der);
  };
  for (const chain of chains) {
    for (const [i, cert] of chain.entries()) {
      add(certs, cert.shape.der);
      if (selfIssued(cert)) continue;
      const issuer = chain[i + 1];
      if (!issuer) {
        missing.push(`${subjectOf(cert)}: its issuer's certificate is not known`);
        continue;
      }
      const crl = await crlFor(cert, issuer, local, sources.fetchTimeoutMs);
      if (typeof crl === 'string') missing.push(`${subjectOf(cert)}: ${crl}`);
      else add(crls, crl.der);
    }
  }
  return { certs, crls, missing };
}
