import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types';
import { appendToSideChain } from '../../src/audit/side-chain';
import { appendEvents, seedInstance } from './audit-fixtures';
import { readLeafEntry } from '../../src/audit/log/entry';
import { asBuffer } from '../../src/audit/log/nodes';
import { isLogSource, LOG_SOURCES } from '../../src/audit/log/sources';
import type { LogSigner } from '../../src/audit/tlog';
import { integrateLog, type Integration } from '../../src/audit/log/integrate';

/** A log signer of its own for a test (the log key is any Ed25519 key). */
export function testSigner(origin = 'grms.test.example/log'): LogSigner {
  return { origin, privateKey: crypto.generateKeyPairSync('ed25519').privateKey };
}

/**
 * Rows in the sources that exist before migration 0026 (audit_events, people_events, org_events,
 * documents), written without the engine: an instance with `events` audit rows, one people and
 * one org change, and a document. Returns the instance id.
 */
export async function writeOldSourceRows(db: Kysely<Database>, events = 3): Promise<string> {
  const id = await seedInstance(db);
  await appendEvents(db, id, 1, events);
  await db.transaction().execute(async (trx) => {
    await appendToSideChain(trx, 'people_events', { action: 'grant_role', username: 'budi', role: 'planner', org_id: 'pupr', details: null, actor: 'admin' });
    await appendToSideChain(trx, 'org_events', { action: 'update_org', org_id: 'pupr', details: '{"name":"Dinas PUPR"}', actor: 'admin' });
  });
  const bytes = crypto.randomBytes(64);
  await sql`
    INSERT INTO documents (instance_id, seq, workflow, event, stage, number, title, signer_username, signer_name, sha256, bytes)
    VALUES (${id}, 1, 'budget', 'create', 'draft', ${`DOC/${id.slice(0, 8)}`}, 'Surat Pengantar', 'budi', 'Budi Santoso',
            ${crypto.createHash('sha256').update(bytes).digest('hex')}, ${bytes})`.execute(db);
  return id;
}

/** How many rows all sources hold (what a complete log has as leaves). */
export async function sourceRowCount(db: Kysely<Database>): Promise<number> {
  let n = 0;
  for (const s of LOG_SOURCES) n += Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(s)}`.execute(db)).rows[0]!.n);
  return n;
}

/** The stored leaves in index order. */
export async function storedLeaves(db: Kysely<Database>): Promise<Array<{ idx: number; source: string; key: string; hash: Buffer }>> {
  const rows = await db.selectFrom('log_leaves').select(['idx', 'source', 'source_key', 'leaf_hash']).orderBy('idx').execute();
  return rows.map((r) => ({ idx: Number(r.idx), source: r.source, key: r.source_key, hash: asBuffer(r.leaf_hash) }));
}

/** Every stored leaf's hash recomputed from its row as the table holds it now (salt included). */
export async function recomputedLeaves(db: Kysely<Database>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const l of await storedLeaves(db)) {
    if (!isLogSource(l.source)) throw new Error(`unknown source ${l.source}`);
    out.push((await readLeafEntry(db, l.source, l.key)).leafHash);
  }
  return out;
}

/**
 * Integrates until every row committed so far is a leaf. The horizon (pg_snapshot_xmin) is
 * cluster-wide: a write transaction of another test file's database, running at that moment,
 * holds rows back for as long as it runs. So integration is triggered again until the log has
 * caught up (a bounded number of rounds), never by waiting for a time.
 */
export async function integrateAll(db: Kysely<Database>): Promise<Integration> {
  const want = await sourceRowCount(db);
  let last: Integration | undefined;
  for (let round = 0; round < 20_000; round++) {
    last = await integrateLog(db);
    if (last.size >= want) return last;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`the log holds ${last?.size} of ${want} committed rows after 20,000 integrations: a transaction of the cluster stays open`);
}
