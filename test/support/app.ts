import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import type { Db, DbKind } from '../../src/db/connect';
import { createLogger } from '../../src/log';
import { defaultRegistry } from '../../src/engine/registry';
import { Engine } from '../../src/engine/engine';
import { ensureCheckpointKey } from '../../src/audit/keys';
import { createApp } from '../../src/api/app';
import { DEMO_USERNAMES, seedDemoPeople } from '../../src/seed/demo';
import { mintToken } from '../../src/auth/tokens';
import { createTestDb } from './db';
import { loadConfig } from '../../src/config';
import { loadDocumentAuthority, type DocumentAuthority } from '../../src/documents/authority';
import { createDocumentPool } from '../../src/documents/pool';
import { StageDocuments } from '../../src/documents/producer';
import type { Express } from 'express';
import { countingPool, createMetrics } from '../../src/api/metrics';
import { registerDefinitions } from '../../src/engine/definition-hash';

export const PUBLIC_URL = 'https://grms.semarangkota.example';

/** The app as `grms serve` builds it (documents signed in a worker thread), without listening. */
export async function buildApp(db: Db, masterKey: Buffer): Promise<{ app: Express; engine: Engine; authority: DocumentAuthority; close(): Promise<void> }> {
  const config = loadConfig({});
  const authority = await loadDocumentAuthority(db.kysely, masterKey, config);
  const pool = createDocumentPool({ threads: 1 });
  const metrics = createMetrics(db.kysely);
  const documents = new StageDocuments(db.kysely, masterKey, authority, countingPool(pool, metrics, 'stage'), {
    government: config.government, place: config.documentPlace, timezone: config.timezone, publicUrl: PUBLIC_URL,
  });
  const registry = defaultRegistry();
  await registerDefinitions(db.kysely, registry.all());
  const engine = new Engine({ db: db.kysely, registry, documents });
  const checkpointKey = await ensureCheckpointKey(db.kysely, masterKey);
  const app = createApp({ db: db.kysely, engine, checkpointKey, authority, pool: countingPool(pool, metrics, 'audit-report'), metrics, timezone: config.timezone, logger: createLogger('silent') });
  return { app, engine, authority, close: () => pool.close() };
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
  tokens: Record<string, string>;
  masterKey: Buffer;
  /** A real HTTP request to the running server as `user` (undefined: no token). */
  call(user: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

/** Serves the real app over HTTP on a random port, on a database of its own (or the one given). */
export async function startTestApp(kind: DbKind, opts: { db?: Db; masterKey?: Buffer; seed?: boolean } = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDb(kind));
  const masterKey = opts.masterKey ?? crypto.randomBytes(32);
  if (opts.seed !== false) await seedDemoPeople(db.kysely);
  const { app, engine, authority, close } = await buildApp(db, masterKey);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens: Record<string, string> = {};
  const present = await db.kysely.selectFrom('users').select('username').where('username', 'in', DEMO_USERNAMES).execute();
  for (const { username } of present) tokens[username] = await mintToken(db.kysely, username);
  return {
    url, db, engine, authority, tokens, masterKey,
    async call(user, method, path, body, headers = {}) {
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
