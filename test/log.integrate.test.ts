import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { describeBackends, dropPostgresDatabase } from './support/db';
import { withDatabase } from './support/global-setup';
import { appendEvents, MASTER_KEY, tamper } from './support/audit-fixtures';
import { integrateAll, recomputedLeaves, sourceRowCount, storedLeaves, testSigner, writeOldSourceRows } from './support/log-fixtures';
import { openPglite, openPostgres, type Db, type DbKind } from '../src/db/connect';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate';
import { createCheckpoint, ensureCheckpointKey, verifyAudit } from '../src/audit';
import { exportAudit } from '../src/audit/export';
import { verifyExportFile } from '../src/audit/verify-file';
import { verifyPeopleChain } from '../src/auth/people';
import { verifyOrgChain } from '../src/auth/orgs';
import { recordCeilingBaseline, setCeiling } from '../workflows/budget-proposal/ceilings';
import { verifyCeilingChain } from '../src/audit/ceiling-events';
import { integrateLog } from '../src/audit/log/integrate';
import { logConsistencyProof, logInclusionProof, logRoot, logSize } from '../src/audit/log/nodes';
import { checkpointLog } from '../src/audit/log/checkpoint';
import { LogError } from '../src/audit/log/errors';
import { leafEntry, readLeafEntry } from '../src/audit/log/entry';
import { leafHash, logVerifierKey, openCheckpoint, parseVerifierKey, policyFromKeys, rootOf, verifyConsistency, verifyInclusion } from '../src/audit/tlog';

/**
 * The integrator on a database upgraded to migration 0026: every row written before is a leaf of
 * the first integration; later rows follow in contiguous indices; roots and proofs agree with the
 * tree recomputed from the rows; checkpoints extend each other and refuse a rolled-back tree.
 */

/** A database migrated up to (not including) 0026, as a deployment of the previous version. */
async function previousVersionDb(kind: DbKind): Promise<Db & { url?: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-mig-'));
  for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{4}_.+\.sql$/.test(f) && f < '0026')) {
    fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  }
  let db: Db & { url?: string };
  if (kind === 'pglite') db = await openPglite();
  else {
    const name = `grms_t_${crypto.randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.GRMS_TEST_PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
    const url = withDatabase(process.env.GRMS_TEST_PG_URL!, name);
    const opened = openPostgres({ connectionString: url, max: 5 });
    db = { ...opened, url, close: async () => { await opened.close(); await dropPostgresDatabase(url); } };
  }
  await migrate(db, dir);
  fs.rmSync(dir, { recursive: true });
  return db;
}

describeBackends('the transparency log over an upgraded database', (kind) => {
  let db: Db;
  let instance: string;
  const signer = testSigner();
  const logKey = parseVerifierKey(logVerifierKey(signer.origin, crypto.createPublicKey(signer.privateKey)));

  beforeAll(async () => {
    db = await previousVersionDb(kind);
    instance = await writeOldSourceRows(db.kysely, 4);
    await sql`INSERT INTO ceilings (fiscal_year, org_id, amount, updated_by) VALUES (2027, 'pupr', 5000000000, 'budi')`.execute(db.kysely);
    await createCheckpoint(db.kysely, await ensureCheckpointKey(db.kysely, MASTER_KEY));
    await migrate(db);
  }, 300_000);
  afterAll(async () => {
    await db?.close();
  });

  test('old rows get a transaction id and a salt of their own, and still verify as before (chains, side chains, export)', async () => {
    const k = db.kysely;
    const rows = (await sql<{ log_xid: string; log_salt: string }>`
      SELECT log_xid::text AS log_xid, log_salt FROM audit_events UNION ALL SELECT log_xid::text, log_salt FROM people_events
      UNION ALL SELECT log_xid::text, log_salt FROM org_events UNION ALL SELECT log_xid::text, log_salt FROM documents`.execute(k)).rows;
    expect(rows).toHaveLength(7);
    for (const r of rows) expect(r.log_salt).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(rows.map((r) => r.log_salt)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.log_xid)).size).toBe(1);

    const key = await ensureCheckpointKey(k, MASTER_KEY);
    expect(await verifyAudit(k, key.publicKeyPem, { requireCheckpoint: true })).toMatchObject({ ok: true, checked: 4, covered: 4 });
    expect(await verifyPeopleChain(k)).toMatchObject({ ok: true, checked: 1 });
    expect(await verifyOrgChain(k)).toMatchObject({ ok: true, checked: 1 });
    // Before the first integration no checkpoint covers a row: the export (format 3) holds none,
    // says how many it left out, never shows log_xid, and verifies offline as the empty file it is.
    const policy = policyFromKeys(logVerifierKey('grms.test.example/log', crypto.createPublicKey(key.privateKey)), []);
    let text = '';
    await exportAudit(k, { write: (t) => { text += t; return true; }, drain: async () => undefined }, { format: 'jsonl', filters: {}, policy, timeZone: 'Asia/Jakarta' });
    expect(text).not.toMatch(/log_xid/);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ record: 'meta', log: expect.objectContaining({ checkpoint: null, size: 0 }) }), { record: 'end', rows: 0, leftOut: 4 }]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grms-exp-')), 'export.jsonl');
    fs.writeFileSync(file, text);
    expect(await verifyExportFile(file, { policy })).toMatchObject({ ok: true, checked: 0, log: { leftOut: 4 } });
  });

  test('ceilings set before the chain get one baseline row each, once', async () => {
    expect(await recordCeilingBaseline(db.kysely)).toBe(1);
    expect(await recordCeilingBaseline(db.kysely)).toBe(0);
    const events = await db.kysely.selectFrom('ceiling_events').select(['seq', 'action', 'fiscal_year', 'org_id', 'amount', 'actor']).execute();
    expect(events).toEqual([{ seq: 1, action: 'baseline', fiscal_year: 2027, org_id: 'pupr', amount: 5_000_000_000, actor: 'budi' }]);
  });

  test('the first integration takes every existing row; the leaves are the rows, in log order', async () => {
    const k = db.kysely;
    const total = await sourceRowCount(k);
    expect(total).toBe(8);
    const first = await integrateAll(k);
    expect(first).toMatchObject({ size: total });
    expect(await logSize(k)).toBe(total);
    const leaves = await storedLeaves(k);
    expect(leaves.map((l) => l.idx)).toEqual([...Array(total).keys()]);
    // Order: the migration's rows (one transaction) by source name, then the baseline's transaction.
    expect(leaves.map((l) => l.source)).toEqual(['audit_events', 'audit_events', 'audit_events', 'audit_events', 'documents', 'org_events', 'people_events', 'ceiling_events']);
    expect(leaves.slice(0, 4).map((l) => l.key)).toEqual([1, 2, 3, 4].map((s) => `${instance}/${s}`));
    // Each stored leaf hash is the hash of its row's entry as the row stands.
    const recomputed = await recomputedLeaves(k);
    expect(recomputed.map((h) => h.toString('hex'))).toEqual(leaves.map((l) => l.hash.toString('hex')));
    expect((await logRoot(k, total)).equals(rootOf(recomputed))).toBe(true);
    // Nothing new: nothing integrated, nothing recorded.
    const recorded = await k.selectFrom('log_integrations').select('size').execute();
    expect(await integrateLog(k)).toMatchObject({ size: total, added: 0 });
    expect(await k.selectFrom('log_integrations').select('size').execute()).toEqual(recorded);
  });

  test('a leaf entry is the documented canonical form; a document\'s carries its facts and no bytes', async () => {
    const doc = await db.kysely.selectFrom('documents').select(['id', 'log_salt']).executeTakeFirstOrThrow();
    const e = await readLeafEntry(db.kysely, 'documents', doc.id);
    const parsed = JSON.parse(e.entry) as { v: number; source: string; key: string; salt: string; row: Record<string, unknown> };
    expect(Object.keys(parsed)).toEqual(['key', 'row', 'salt', 'source', 'v']);
    expect(parsed).toMatchObject({ v: 1, source: 'documents', key: doc.id, salt: doc.log_salt });
    expect(Object.keys(parsed.row).sort()).toEqual(['created_at', 'event', 'id', 'instance_id', 'number', 'seq', 'sha256', 'signer_name', 'signer_username', 'stage', 'title', 'workflow']);
    expect(parsed.row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(e.idx).toBe(4);
    expect(e.leafHash.equals(leafHash(Buffer.from(e.entry, 'utf8')))).toBe(true);
    // The same entry from the hashed row given by hand: log columns and nulls left out.
    expect(leafEntry('documents', doc.id, doc.log_salt, { ...parsed.row, log_xid: '1', log_salt: 'x', bytes: '\\x00', title2: null }).toString()).toBe(e.entry);
    await expect(readLeafEntry(db.kysely, 'documents', crypto.randomUUID())).rejects.toMatchObject({ code: 'LOG_ROW_NOT_FOUND' });
    await expect(readLeafEntry(db.kysely, 'audit_events', 'not-a-key')).rejects.toMatchObject({ code: 'LOG_ROW_NOT_FOUND' });
  });

  test('later rows get the next indices; every proof verifies against the tree recomputed from the rows', async () => {
    const k = db.kysely;
    const before = await logSize(k);
    const rootBefore = await logRoot(k, before);
    await appendEvents(k, instance, 5, 7);
    await setCeiling(k, 2027, 'pupr', 6_000_000_000, 'budi');
    expect(await integrateAll(k)).toMatchObject({ size: before + 4 });
    const recomputed = await recomputedLeaves(k);
    expect(recomputed).toHaveLength(before + 4);
    const root = await logRoot(k, recomputed.length);
    expect(root.equals(rootOf(recomputed))).toBe(true);
    for (let i = 0; i < recomputed.length; i++) {
      expect(verifyInclusion(i, recomputed.length, recomputed[i]!, await logInclusionProof(k, i, recomputed.length), root)).toBe(true);
    }
    for (let old = 1; old <= recomputed.length; old++) {
      const oldRoot = rootOf(recomputed.slice(0, old));
      expect(verifyConsistency(old, recomputed.length, oldRoot, root, await logConsistencyProof(k, old, recomputed.length))).toBe(true);
    }
    expect(verifyConsistency(before, recomputed.length, rootBefore, root, await logConsistencyProof(k, before, recomputed.length))).toBe(true);
    await expect(logInclusionProof(k, 0, recomputed.length + 1)).rejects.toMatchObject({ code: 'LOG_RANGE' });
    expect(await verifyCeilingChain(k)).toMatchObject({ ok: true, checked: 2 });
  });

  test('checkpoints extend each other; a rolled-back tree is refused, and signed again once the same rows are back', async () => {
    const k = db.kysely;
    const first = await checkpointLog(k, signer);
    expect(first).toMatchObject({ created: true, previousSize: null, size: await logSize(k) });
    const opened = openCheckpoint(first!.note, logKey);
    expect(opened.body.root.equals(await logRoot(k, first!.size))).toBe(true);
    expect(await checkpointLog(k, signer)).toMatchObject({ created: false, size: first!.size });

    await appendEvents(k, instance, 8, 8);
    await integrateAll(k);
    const second = await checkpointLog(k, signer);
    expect(second).toMatchObject({ created: true, previousSize: first!.size, size: first!.size + 1 });

    // The DBA removes the last integration (its leaves and nodes with it).
    const last = second!.size;
    await tamper(k, () => sql`DELETE FROM log_leaves WHERE idx >= ${first!.size}`.execute(k), 'log_leaves');
    await tamper(k, () => sql`DELETE FROM log_nodes WHERE (idx + 1) * (2 ^ level)::bigint > ${first!.size}`.execute(k), 'log_nodes');
    await tamper(k, () => sql`DELETE FROM log_integrations WHERE size > ${first!.size}`.execute(k), 'log_integrations');
    const refused = await checkpointLog(k, signer).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LogError);
    expect(refused).toMatchObject({ code: 'LOG_ROLLED_BACK', status: 409 });
    // The rows are still there: the next integration takes them again, in the same order, to the same tree.
    expect(await integrateAll(k)).toMatchObject({ size: last });
    expect(await checkpointLog(k, signer)).toMatchObject({ created: false, size: last });
    expect(await k.selectFrom('log_checkpoints').select('size').orderBy('size').execute()).toEqual([{ size: first!.size }, { size: last }]);

    // Leaves removed behind the integrator's back (no integration removed): it refuses to go on.
    await tamper(k, () => sql`DELETE FROM log_leaves WHERE idx = ${last - 1}`.execute(k), 'log_leaves');
    await expect(integrateLog(k)).rejects.toMatchObject({ code: 'LOG_TREE_DAMAGED' });
    // A root that needs the leaf cannot be computed: refused, not guessed.
    await expect(logRoot(k, last)).rejects.toMatchObject({ code: 'LOG_TREE_DAMAGED' });
  });

  test('the log tables are append-only', async () => {
    const k = db.kysely;
    for (const [table, column] of [['log_leaves', 'source'], ['log_nodes', 'hash'], ['log_integrations', 'size'], ['log_checkpoints', 'note'], ['ceiling_events', 'hash']] as const) {
      await expect(sql`UPDATE ${sql.table(table)} SET ${sql.ref(column)} = ${sql.ref(column)}`.execute(k)).rejects.toThrow(/append-only/);
      await expect(sql`DELETE FROM ${sql.table(table)}`.execute(k)).rejects.toThrow(/append-only/);
      await expect(sql`TRUNCATE ${sql.table(table)} CASCADE`.execute(k)).rejects.toThrow(/append-only/);
    }
  });
});
