import type { Kysely } from 'kysely';
import type { Config } from './config';
import { systemClock, type Clock } from './clock';
import type { Database } from './db/types';
import { loadRegistry, versionFingerprints, type WorkflowRegistry } from './engine/registry';
import { compileAll } from './engine/validate';
import { registerFingerprints } from './engine/registration';
import { Engine } from './engine/engine';
import { loadDocumentAuthority, type DocumentAuthority } from './documents/authority';
import { createDocumentPool, type DocumentPool } from './documents/pool';
import { CrlPublisher } from './documents/crl';
import { StageDocuments } from './documents/producer';
import { countingPool, createMetrics, type Metrics } from './api/metrics';
import { createVerifyPool, type VerifyPool } from './documents/verify-pool';
import { numberingProblems } from './documents/registers';
import { DEFAULT_FORMAT } from './documents/numbers';

export interface Wired {
  engine: Engine;
  authority: DocumentAuthority;
  /** The pool, counting what it signs, for per-request documents (audit reports). */
  reportPool: DocumentPool;
  metrics: Metrics;
  /** Threads of their own that check uploaded signatures (never the signing threads). */
  verifyPool: VerifyPool;
  /**
   * What start-up does not need, for a server to run once it listens: every workflow schema is
   * compiled (one per turn of the event loop, so requests are served in between), then the
   * signing and verification threads start. Rejects when a schema does not compile.
   */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The base URL certificates may name for their CRL: GRMS_PUBLIC_URL, or the guessed local address
 * for the embedded demo (no DATABASE_URL). A real deployment without GRMS_PUBLIC_URL gets none,
 * and grms refuses to issue certificates rather than bake a wrong address into them for years.
 */
export function certificateBaseUrl(config: Pick<Config, 'publicUrl' | 'publicUrlSet' | 'databaseUrl'>): string | undefined {
  return config.publicUrlSet || !config.databaseUrl ? config.publicUrl : undefined;
}

/**
 * The engine exactly as every entry point uses it (serve, seed): registered definitions, the
 * document CA, a signing pool, SLA settings. Whatever changes an instance goes through this.
 */
export async function wireEngine(
  db: Kysely<Database>, masterKey: Buffer, config: Config, threads = config.documentThreads, clock?: Clock, registry?: WorkflowRegistry,
): Promise<Wired> {
  registry ??= await loadRegistry(config.workflowPath);
  // Refuses to start when two document registers would print the same numbers in this format.
  const numberFormat = config.documentNumberFormat ?? DEFAULT_FORMAT;
  const numbering = numberingProblems(registry.packages, numberFormat);
  if (numbering.length > 0) throw new Error(`GRMS_DOCUMENT_NUMBER_FORMAT: ${numbering.join('; ')}`);
  // Refuses to start when a registered version's source changed without a new version.
  await registerFingerprints(db, versionFingerprints(registry));
  const authority = await loadDocumentAuthority(db, masterKey, { ...config, publicUrl: certificateBaseUrl(config) });
  // Every signature gets the CA's current CRL for its DSS (and a time-stamp when a TSA is configured).
  const crls = new CrlPublisher(db, authority);
  const pool = createDocumentPool({
    threads, lazy: true,
    signing: async () => ({
      tsa: authority.tsa, tsaAnchorsPem: authority.tsaTrustAnchorsPem, fetchTimeoutMs: config.tsa.timeoutMs,
      crls: authority.crlUrl ? [(await crls.current()).der] : [],
    }),
  });
  const metrics = createMetrics(db);
  const v = config.verify;
  const verifyPool = createVerifyPool({
    threads: v.threads, queue: v.queue, budgetMs: v.budgetMs, lazy: true, registry: metrics.registry,
    limits: { maxSignatureBytes: v.maxSignatureBytes, maxCertificates: v.maxCertificates, maxRsaBits: v.maxRsaBits },
  });
  const documents = new StageDocuments(db, masterKey, authority, countingPool(pool, metrics, 'stage'), {
    government: config.government, place: config.documentPlace, timezone: config.timezone, publicUrl: config.publicUrl, clock: clock ?? systemClock,
    numberFormat,
  });
  const engine = new Engine({ db, registry, documents, sla: { timeZone: config.timezone, overrides: config.slaOverrides, clock }, comments: config.comments });
  const warmUp = async () => {
    for (const def of registry.all()) {
      await new Promise((resolve) => setImmediate(resolve));
      compileAll([def]);
    }
    pool.start();
    verifyPool.start();
  };
  const close = async () => {
    await Promise.all([pool.close(), verifyPool.close()]);
  };
  return { engine, authority, reportPool: countingPool(pool, metrics, 'audit-report'), metrics, verifyPool, warmUp, close };
}
