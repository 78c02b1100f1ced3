import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Engine } from '../engine/engine';
import type { CheckpointKey } from '../audit/keys';
import { notFound } from '../errors';
import type { Logger } from '../log';
import { accessLog, requestId, requireAuth } from './middleware';
import { problemHandler } from './problem';
import { guardRequest } from './request-guard';
import { healthRouter, metaRouter } from './meta';
import { instancesRouter } from './instances';
import { auditPublicRouter, auditRouter } from './audit';
import { servedOpenApi } from './openapi-operations';
import { documentsRouter, verificationRouter } from './documents';
import type { DocumentAuthority } from '../documents/authority';
import type { DocumentPool } from '../documents/pool';
import { measureRequests, type Metrics } from './metrics';
import { metricsEndpoint, type MetricsAccess } from './metrics-endpoint';
import { holidaysRouter } from './holidays';
import { nomenclatureRouter } from './nomenclature';
import { peopleRouter } from './people';
import { orgsRouter } from './orgs';
import { passwordsRouter } from './passwords';
import { commentsRouter } from './comments';
import { delegationsRouter } from './delegations';
import type { PackageDeps } from '../engine/package';
import type { PublicRate } from './public-rate';
import { loadConfig, type Config, type TrustProxy } from '../config';
import { webRouter } from '../web/router';
import type { PublicVerify } from './verify-rate';
import { defaultLogOrigin } from '../config';
import { openTransparencyLog, type TransparencyLog } from '../audit/log/service';
import { addCheckpoint } from '../audit/witness/client';
import { logAdminRouter, logPublicRouter } from './log';
import { PUBLIC_PREFIX, publicBody, publicIntakeRouter, withoutClientAddress } from './public-intake';

export interface AppDeps {
  db: Kysely<Database>;
  engine: Engine;
  checkpointKey: CheckpointKey;
  authority: DocumentAuthority;
  /** Renders and signs PDFs off the event loop (audit reports are made per request). */
  pool: DocumentPool;
  metrics: Metrics;
  /** The deployment's time zone (working days, deadlines). */
  timezone: string;
  logger: Logger;
  /** The deployment's settings (the Config) workflow packages' routes read, e.g. GRMS_OCID_PREFIX; default: the documented defaults. */
  settings?: Partial<Config>;
  /** The public signature check: its verification threads and bounds. */
  verify: PublicVerify;
  /** Console cookies get `Secure` even on plain-HTTP requests (TLS ends at a proxy); default: only on HTTPS requests. */
  secureCookies?: boolean;
  /** GRMS_DOCUMENT_PLACE for documents signed per request; the documented default when absent. */
  documentPlace?: string;
  /** GRMS_PUBLIC_URL, the base of links in documents and pages; default: the documented default. */
  publicUrl?: string;
  /** GRMS_METRICS_TOKEN / GRMS_METRICS_ADDRESS; default: /metrics public on this app. */
  metricsAccess?: MetricsAccess;
  /** GRMS_TRUST_PROXY: the proxies allowed to name the client address (X-Forwarded-For); default none. */
  trustProxy?: TrustProxy;
  /** The transparency log; default: unwitnessed, its origin from the public URL. */
  log?: TransparencyLog;
  /** GRMS_LOG_RATE_LIMIT / _WINDOW_SECONDS for the public log routes; default: the documented defaults. */
  logRate?: PublicRate;
}


const JSON_LIMIT = '1mb';

/** The HTTP API: parse, authenticate, call the engine, map errors to problem+json. */
export function createApp({ db, engine, checkpointKey, authority, pool, metrics, timezone, logger, settings, verify, secureCookies = false, documentPlace = loadConfig({}).documentPlace, publicUrl = loadConfig({}).publicUrl, metricsAccess = {}, trustProxy = false, log, logRate = loadConfig({}).log.rate }: AppDeps): Express {
  const publicIntake = settings?.publicIntake ?? loadConfig({}).publicIntake;
  const transparencyLog = log ?? openTransparencyLog(db, checkpointKey.privateKey, { ...loadConfig({}).log, origin: defaultLogOrigin(publicUrl) }, addCheckpoint);
  const app = express();
  app.disable('x-powered-by');
  // req.ip (src/api/client-address.ts) is the address X-Forwarded-For gives only behind these proxies.
  app.set('trust proxy', trustProxy === false ? false : typeof trustProxy === 'number' ? trustProxy : [...trustProxy]);
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestId());
  app.use(accessLog(logger));
  app.use(measureRequests(metrics, logger));
  // The console runs on closed networks over plain HTTP too: upgrading its asset requests to HTTPS
  // would break it there, so the upgrade is asked for only where the deployment says TLS is in front.
  // Styles come from grms's own stylesheets only: no inline style (an injected `style=` cannot
  // restyle a page into a phishing form), no style from elsewhere.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: secureCookies ? [] : null, styleSrc: ["'self'"] } } }));
  // Public submissions (no account) get a smaller body cap, parsed first, and log no client address.
  app.use(PUBLIC_PREFIX, withoutClientAddress, publicBody(publicIntake.maxBodyBytes));
  app.use(express.json({ limit: JSON_LIMIT, type: ['application/json', 'application/*+json'] }));
  // Reserved keys (__proto__ …) in the query or a JSON body, and unusable query values, are
  // refused here for every route, the console's included; its forms are checked as they are parsed.
  app.use(guardRequest());

  // Public: no token.
  app.use(healthRouter(db, transparencyLog));
  // Not here at all when a listener of its own serves it: the 404 below answers.
  if (!metricsAccess.ownListener) app.get('/metrics', metricsEndpoint(metricsAccess.source ?? metrics, metricsAccess.token));
  // loadConfig({}) reads no environment: the documented defaults, for what `settings` leaves out.
  const packageSettings: Config = { ...loadConfig({}), ...settings };
  const packageDeps: PackageDeps = { db, engine, authority, pool, timezone, publicUrl, documentPlace, settings: { ...packageSettings } };
  const openApi = servedOpenApi({ publicUrl: packageSettings.publicUrl, government: packageSettings.government, registry: engine.registry });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  // The web console (HTML pages at /, its own sessions and CSRF); it leaves /api/* and the public
  // endpoints above to their routers, and answers /verify/:id only for browsers.
  // The transparency log's public reads (checkpoint, proofs, nodes): hashes only.
  app.use(logPublicRouter(transparencyLog, logRate));
  app.use(webRouter({ db, engine, checkpointKey, authority, pool, timezone, documentPlace, logger, metrics, verify, secureCookies, publicUrl, logPolicy: transparencyLog.policy, log: transparencyLog, publicIntake, settings: packageDeps.settings }));
  app.use('/api/v1', auditPublicRouter(checkpointKey));
  app.use(verificationRouter(db, authority, verify));
  // Workflow packages' public routes (no sign-in): their paths are their own.
  for (const pkg of engine.registry.packages) {
    const router = pkg.routes?.public?.(packageDeps);
    if (router) app.use(router);
  }
  // Creation without an account and citizens' events by tracking number and PIN (packages' publicIntake).
  app.use(publicIntakeRouter(db, engine, { ...publicIntake, settings: packageDeps.settings }));

  // Everything else under /api/v1 needs a bearer token.
  app.use('/api/v1', requireAuth(db, engine.time));
  app.use('/api/v1', metaRouter(db, engine.registry));
  app.use('/api/v1', instancesRouter(db, engine, metrics));
  app.use('/api/v1', holidaysRouter(db, engine.time));
  app.use('/api/v1', nomenclatureRouter(db));
  app.use('/api/v1', peopleRouter(db));
  app.use('/api/v1', orgsRouter(db));
  app.use('/api/v1', passwordsRouter(db));
  app.use('/api/v1', commentsRouter(db, engine));
  app.use('/api/v1', delegationsRouter(db));
  app.use('/api/v1', auditRouter(db, checkpointKey, transparencyLog.policy, timezone));
  app.use('/api/v1', logAdminRouter(transparencyLog));
  app.use('/api/v1', documentsRouter(db, engine, authority, pool, { publicUrl, documentPlace }));
  // Workflow packages' API routes, behind the bearer token like the core's.
  for (const pkg of engine.registry.packages) {
    const router = pkg.routes?.api?.(packageDeps);
    if (router) app.use('/api/v1', router);
  }

  app.use((req) => {
    throw notFound(`No route ${req.method} ${req.path}`);
  });
  app.use(problemHandler(logger));
  return app;
}
