import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import type { Db, DbKind } from '../../src/db/connect';
import { createLogger, type Logger } from '../../src/log';
import type { Engine } from '../../src/engine/engine';
import { ensureCheckpointKey } from '../../src/audit/keys';
import { createApp } from '../../src/api/app';
import { answerClientErrors } from '../../src/api/client-error';
import { demoUsernames, seedDemoPeople } from '../../src/seed/demo';
import { mintToken } from '../../src/auth/tokens';
import { createTestDb } from './db';
import { defaultLogOrigin, loadConfig, type Config } from '../../src/config';
import { openTransparencyLog } from '../../src/audit/log/service';
import { addCheckpoint } from '../../src/audit/witness/client';
import type { Express } from 'express';
import type { DocumentAuthority } from '../../src/documents/authority';
import { wireEngine } from '../../src/wiring';
import type { WorkflowRegistry } from '../../src/engine/registry';
import type { Metrics } from '../../src/api/metrics';
import type { MetricsAccess } from '../../src/api/metrics-endpoint';
import { servedOpenApi } from '../../src/api/openapi-operations';
import { ContractViolation, OpenApiContract } from './openapi-contract';

export const PUBLIC_URL = 'https://grms.semarangkota.example';

/** The app as `grms serve` builds it (documents signed in a worker thread), without listening. */
export async function buildApp(
  db: Db, masterKey: Buffer, opts: { timezone?: string; clock?: () => Date; /** settings as environment variables, read by loadConfig */ env?: NodeJS.ProcessEnv; config?: Partial<Config>; logger?: Logger; metricsAccess?: MetricsAccess; /** default: the built-in packages */ registry?: WorkflowRegistry } = {},
): Promise<{ app: Express; engine: Engine; authority: DocumentAuthority; metrics: Metrics; close(): Promise<void> }> {
  const defaults = loadConfig(opts.env ?? {});
  const config = { ...defaults, publicUrl: PUBLIC_URL, publicUrlSet: true, timezone: opts.timezone ?? defaults.timezone, ...opts.config };
  const { engine, authority, reportPool, metrics, verifyPool, close } = await wireEngine(db.kysely, masterKey, config, 1, opts.clock, opts.registry);
  const checkpointKey = await ensureCheckpointKey(db.kysely, masterKey);
  // The log as `grms serve` opens it (GRMS_LOG_ORIGIN, GRMS_WITNESSES … from opts.env); origin from the test's public URL otherwise.
  const logConfig = opts.env?.GRMS_LOG_ORIGIN ? config.log : { ...config.log, origin: defaultLogOrigin(PUBLIC_URL) };
  const log = openTransparencyLog(db.kysely, checkpointKey.privateKey, logConfig, addCheckpoint);
  const app = createApp({
    db: db.kysely, engine, checkpointKey, authority, pool: reportPool, metrics, timezone: config.timezone, logger: opts.logger ?? createLogger('silent'),
    verify: { pool: verifyPool, settings: config.verify }, publicUrl: PUBLIC_URL, metricsAccess: opts.metricsAccess, trustProxy: config.trustProxy, settings: { ocdsRate: config.ocdsRate, publicIntake: config.publicIntake, government: config.government },
    log, logRate: config.log.rate,
  });
  return { app, engine, authority, metrics, close };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface TestApp {
  url: string;
  db: Db;
  engine: Engine;
  authority: DocumentAuthority;
  /** The app's Prometheus registry (for a separate /metrics listener). */
  metrics: Metrics;
  tokens: Record<string, string>;
  masterKey: Buffer;
  /**
   * A real HTTP request to the running server as `user` (undefined: no token). The answer must
   * match the OpenAPI document (status, media type, headers, JSON schema): otherwise it throws.
   */
  call(user: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** The same request, its answer not checked against the document: only for answers outside any contract (a broken deployment's 500). */
  callUnchecked(user: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** The OpenAPI document this app serves, as a checker. */
  contract: OpenApiContract;
  close(): Promise<void>;
}

/** Serves the real app over HTTP on a random port, on a database of its own (or the one given). */
export async function startTestApp(
  kind: DbKind,
  opts: {
    db?: Db; masterKey?: Buffer; seed?: boolean; /** GRMS_TIMEZONE */ timezone?: string; /** the engine's clock */ clock?: () => Date;
    /** further settings as environment variables (e.g. GRMS_VERIFY_*), read by loadConfig */ env?: NodeJS.ProcessEnv;
    /** where the app logs (default: nowhere) */ logger?: Logger; /** GRMS_METRICS_TOKEN / _ADDRESS */ metricsAccess?: MetricsAccess;
    /** Settings as if read from the environment (e.g. comment limits). */ config?: Partial<Config>;
    /** The workflow packages (default: the built-in ones), e.g. with a test-only package added. */ registry?: WorkflowRegistry;
  } = {},
): Promise<TestApp> {
  const db = opts.db ?? (await createTestDb(kind));
  const masterKey = opts.masterKey ?? crypto.randomBytes(32);
  if (opts.seed !== false) await seedDemoPeople(db.kysely);
  const { app, engine, authority, metrics, close } = await buildApp(db, masterKey, opts);
  const server = http.createServer(app);
  answerClientErrors(server);
  // Longer than the client's idle reuse, so a loaded machine cannot race a reused socket's close.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens: Record<string, string> = {};
  const present = await db.kysely.selectFrom('users').select('username').where('username', 'in', demoUsernames()).execute();
  for (const { username } of present) tokens[username] = await mintToken(db.kysely, username);
  const contract = new OpenApiContract(JSON.parse(JSON.stringify(servedOpenApi({ publicUrl: PUBLIC_URL, government: 'grms tests', registry: engine.registry }))));
  const callUnchecked: TestApp['callUnchecked'] = async (user, method, path, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (user) h.authorization = `Bearer ${tokens[user] ?? user}`;
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    url, db, engine, authority, metrics, tokens, masterKey, contract, callUnchecked,
    async call(user, method, path, body, headers) {
      const reply = await callUnchecked(user, method, path, body, headers);
      const problems = contract.check({ method, url: path, status: reply.status, headers: reply.headers, text: reply.text });
      if (problems.length) throw new ContractViolation(problems, { method, url: path, status: reply.status, headers: reply.headers, text: reply.text });
      return reply;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await close();
      if (!opts.db) await db.close();
    },
  };
}

/** Row counts of every table a refused request must leave untouched. */
export async function writeCounts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['workflow_instances', 'audit_events', 'idempotency_keys', 'ceilings'] as const) {
    const r = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  const v = await db.kysely.selectFrom('workflow_instances').select((eb) => eb.fn.sum<number>('version').as('v')).executeTakeFirstOrThrow();
  out.versions = Number(v.v ?? 0);
  return out;
}
