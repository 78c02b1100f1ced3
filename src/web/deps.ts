import type { Request, Router } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import type { DocumentAuthority } from '../documents/authority';
import type { Logger } from '../log';
import type { Metrics } from '../api/metrics';
import type { DocumentPool } from '../documents/pool';
import type { PublicVerify } from '../api/verify-rate';
import type { CheckpointKey } from '../audit/keys';
import type { Policy } from '../audit/tlog';
import type { TransparencyLog } from '../audit/log/service';

export interface WebDeps {
  db: Kysely<Database>;
  engine: Engine;
  /** The server's checkpoint key: its public half derived from the private key, not read from deployment_keys. */
  checkpointKey: CheckpointKey;
  authority: DocumentAuthority;
  /** The deployment's time zone: every time on a page is shown in it. */
  timezone: string;
  /** GRMS_DOCUMENT_PLACE, printed before the date of documents made per request. */
  documentPlace: string;
  logger: Logger;
  /** Transitions fired from the console count in the same metric as the API's. */
  metrics: Metrics;
  /** Renders and signs the PDFs made per request (the auditor's report). */
  pool: DocumentPool;
  /** The public signature check (/verify): its verification threads and bounds. */
  verify: PublicVerify;
  /** Mark cookies Secure even when the request itself arrived over plain HTTP (behind a TLS proxy). */
  secureCookies: boolean;
  /** GRMS_PUBLIC_URL: the base of every link put in a document or a page (never the request's Host). */
  publicUrl: string;
  /** The transparency log's witness quorum: audit exports end at the latest checkpoint that meets it. */
  logPolicy: Policy;
  /** The deployment's transparency log: the audit page shows its state, witnesses and alarms. */
  log: TransparencyLog;
  /** GRMS_PUBLIC_INTAKE_*: the public form's per-client limit and body cap (default: the documented ones). */
  publicIntake?: { rate: { limit: number; windowSeconds: number }; maxBodyBytes: number; maxAttachments?: number };
  /** The deployment settings a package's `publicIntake.org` may read (as PackageDeps.settings). */
  settings?: Readonly<Record<string, unknown>>;
}

/** One page area of the console: a Router of its own, registered once in src/web/router.ts. */
export type PageModule = (deps: WebDeps) => Router;

/** Options every console cookie shares. */
export function cookieOptions(req: Request, deps: WebDeps) {
  return { httpOnly: true, sameSite: 'lax' as const, path: '/', secure: deps.secureCookies || req.secure };
}
