import crypto from 'node:crypto';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/types';
import { createPostgresDatabase, describePostgres, dropPostgresDatabase } from './support/db';
import { appendEvents, seedInstance } from './support/audit-fixtures';
import { integrateAll, recomputedLeaves, sourceRowCount, storedLeaves, testSigner } from './support/log-fixtures';
import { grms } from './support/cli';
import { openPostgres, type Db } from '../src/db/connect';
import { appendToSideChain } from '../src/audit/side-chain';
import { integrateLog } from '../src/audit/log/integrate';
import { checkpointLog } from '../src/audit/log/checkpoint';
import { logConsistencyProof, logRoot, logSize } from '../src/audit/log/nodes';
import { LogError } from '../src/audit/log/errors';
import { logVerifierKey, openCheckpoint, parseVerifierKey, rootOf, signCheckpoint, verifyConsistency } from '../src/audit/tlog';

/**
 * The integrator under real concurrency (PostgreSQL): a transaction that took its id first and
 * commits last is neither lost nor doubled; two integrators (two pools, as two processes would
 * have) racing writers give one contiguous leaf sequence and one checkpoint sequence; a DBA with
 * triggers off cannot make the server sign a smaller or rewritten tree.
 */
describePostgres('the transparency log under concurrency', () => {
  let url: string;
  let db: Db;
  beforeAll(async () => {
    url = await createPostgresDatabase();
    db = openPostgres({ connectionString: url, max: 10 });
  });
  afterAll(async () => {
    await db?.close();
    if (url) await dropPostgresDatabase(url);
  });

  test('a row whose transaction has the lower id but commits later waits for it, then is taken once', async () => {
    const k = db.kysely;
    const instance = await seedInstance(k);
    await appendEvents(k, instance, 1, 1);
    await integrateAll(k);
    const base = await logSize(k);

    const early = new pg.Client({ connectionString: url });
    const late = new pg.Client({ connectionString: url });
    await early.connect();
    await late.connect();
    try {
      // `early` takes its transaction id first, and writes a people change under it …
      await early.query('BEGIN');
      const earlyXid = BigInt((await early.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
      await early.query(`INSERT INTO people_events (seq, action, username, actor, created_at, hash) VALUES (1, 'grant_role', 'budi', 'admin', now(), 'h1')`);
      // … `late` takes a higher id and commits first.
      await late.query('BEGIN');
      const lateXid = BigInt((await late.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x);
      await late.query(`INSERT INTO org_events (seq, action, org_id, details, actor, created_at, hash) VALUES (1, 'update_org', 'pupr', '{}', 'admin', now(), 'h2')`);
      await late.query('COMMIT');
      expect(lateXid).toBeGreaterThan(earlyXid);

      // The committed row of the later transaction is held back while the earlier one runs.
      expect(await integrateLog(k)).toMatchObject({ added: 0, size: base });
      expect(await integrateLog(k)).toMatchObject({ added: 0, size: base });
      await early.query('COMMIT');
      expect(await integrateAll(k)).toMatchObject({ size: base + 2 });
      expect((await storedLeaves(k)).slice(base).map((l) => `${l.source}:${l.key}`)).toEqual(['people_events:1', 'org_events:1']);
      expect(await integrateLog(k)).toMatchObject({ added: 0 });
    } finally {
      await early.end();
      await late.end();
    }
    // A rolled-back transaction's rows are never leaves.
    await k.transaction().execute(async (trx) => {
      await appendToSideChain(trx, 'org_events', { action: 'update_org', org_id: 'pupr', details: '{}', actor: 'admin' });
      throw new Error('roll back');
    }).catch(() => undefined);
    expect(await integrateLog(k)).toMatchObject({ added: 0 });
    expect(await logSize(k)).toBe(await sourceRowCount(k));
  }, 120_000);

  test('two integrators on two pools race writers: one contiguous leaf sequence, one checkpoint sequence', async () => {
    const other = openPostgres({ connectionString: url, max: 5 });
    const signer = testSigner();
    const logKey = parseVerifierKey(logVerifierKey(signer.origin, crypto.createPublicKey(signer.privateKey)));
    try {
      const instances = await Promise.all([1, 2, 3, 4].map(() => seedInstance(db.kysely)));
      let writing = true;
      const writers = instances.map(async (id, w) => {
        for (let seq = 1; seq <= 12; seq++) {
          await appendEvents(db.kysely, id, seq, seq);
          if (w === 0 && seq % 3 === 0) {
            await db.kysely.transaction().execute((trx) => appendToSideChain(trx, 'people_events', { action: 'grant_role', username: 'budi', role: 'planner', org_id: 'pupr', details: null, actor: 'admin' }));
          }
        }
      });
      const refused: unknown[] = [];
      const integrator = async (k: Kysely<Database>) => {
        while (writing) {
          await integrateLog(k);
          await checkpointLog(k, signer).catch((e: unknown) => refused.push(e));
        }
      };
      const both = [integrator(db.kysely), integrator(other.kysely)];
      await Promise.all(writers);
      writing = false;
      await Promise.all(both);
      await integrateAll(other.kysely);
      await checkpointLog(db.kysely, signer);
      expect(refused).toEqual([]);

      // Every row exactly once, indices 0..n-1, hashes as the rows say.
      const leaves = await storedLeaves(db.kysely);
      const total = await sourceRowCount(db.kysely);
      expect(leaves.map((l) => l.idx)).toEqual([...Array(total).keys()]);
      expect(new Set(leaves.map((l) => `${l.source}:${l.key}`)).size).toBe(total);
      const recomputed = await recomputedLeaves(db.kysely);
      expect(recomputed.map((h) => h.toString('hex'))).toEqual(leaves.map((l) => l.hash.toString('hex')));
      // Each chain's rows in seq order (a chain is written one transaction after the other).
      for (const id of instances) {
        const seqs = leaves.filter((l) => l.key.startsWith(`${id}/`)).map((l) => Number(l.key.split('/')[1]));
        expect(seqs).toEqual([...Array(12).keys()].map((i) => i + 1));
      }
      // Checkpoints: strictly growing, each signed and consistent with the one before, the last over the whole tree.
      const cps = await db.kysely.selectFrom('log_checkpoints').select(['size', 'note']).orderBy('size').execute();
      expect(cps.length).toBeGreaterThan(1);
      let prev: { size: number; root: Buffer } | undefined;
      for (const cp of cps) {
        const { body } = openCheckpoint(cp.note, logKey);
        expect(body.size).toBe(Number(cp.size));
        expect(body.root.equals(rootOf(recomputed.slice(0, body.size)))).toBe(true);
        if (prev && prev.size > 0) {
          expect(verifyConsistency(prev.size, body.size, prev.root, body.root, await logConsistencyProof(db.kysely, prev.size, body.size))).toBe(true);
        }
        prev = { size: body.size, root: body.root };
      }
      expect(prev!.size).toBe(total);
      const integrations = await db.kysely.selectFrom('log_integrations').select(['size', 'previous_size']).orderBy('size').execute();
      integrations.forEach((r, i) => expect(r.previous_size).toBe(i === 0 ? 0 : integrations[i - 1]!.size));
    } finally {
      await other.close();
    }
  }, 300_000);

  test('a DBA with triggers off: a rolled-back or rewritten tree is refused, never signed over', async () => {
    const own = await createPostgresDatabase();
    const dbaDb = openPostgres({ connectionString: own, max: 5 });
    try {
      await dbaScenario(dbaDb.kysely);
    } finally {
      await dbaDb.close();
      await dropPostgresDatabase(own);
    }
  }, 120_000);

  async function dbaScenario(k: Kysely<Database>): Promise<void> {
    const signer = testSigner('dba.test.example/log');
    const asDba = (fn: (trx: Kysely<Database>) => Promise<unknown>) =>
      k.transaction().execute(async (trx) => {
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await fn(trx);
      });
    const instance = await seedInstance(k);
    await appendEvents(k, instance, 1, 2);
    await integrateAll(k);
    await appendEvents(k, instance, 3, 3);
    await integrateAll(k);
    const issued = (await checkpointLog(k, signer))!;
    expect(issued).toMatchObject({ created: true, size: 3 });

    // Roll the log back one integration and remove that integration's audit row: the tree is smaller.
    const keep = 2;
    await asDba(async (trx) => {
      await sql`DELETE FROM log_leaves WHERE idx >= ${keep}`.execute(trx);
      await sql`DELETE FROM log_nodes WHERE (idx + 1) * (2 ^ level)::bigint > ${keep}`.execute(trx);
      await sql`DELETE FROM log_integrations WHERE size > ${keep}`.execute(trx);
      await sql`DELETE FROM audit_events WHERE instance_id = ${instance} AND seq = 3`.execute(trx);
    });
    await expect(checkpointLog(k, signer)).rejects.toMatchObject({ code: 'LOG_ROLLED_BACK' });
    await integrateAll(k);
    expect(await logSize(k)).toBeLessThan(issued.size);
    await expect(checkpointLog(k, signer)).rejects.toMatchObject({ code: 'LOG_ROLLED_BACK' });
    // New rows make the tree as large again, but not the same: rewritten history, refused.
    await appendEvents(k, instance, 3, 4);
    await integrateAll(k);
    expect(await logSize(k)).toBeGreaterThanOrEqual(issued.size);
    const inconsistent = await checkpointLog(k, signer).catch((e: unknown) => e);
    expect(inconsistent).toBeInstanceOf(LogError);
    expect(inconsistent).toMatchObject({ code: 'LOG_INCONSISTENT', status: 409 });

    // Emptying log_checkpoints too does not help while this process remembers what it signed.
    await asDba((trx) => sql`TRUNCATE log_checkpoints CASCADE`.execute(trx));
    await expect(checkpointLog(k, signer)).rejects.toMatchObject({ code: 'LOG_INCONSISTENT' });
    // A forged row in log_checkpoints (another key) is refused, not extended.
    const forger = testSigner('dba.test.example/log');
    const root = await logRoot(k, await logSize(k));
    const forged = signCheckpoint({ origin: forger.origin, size: await logSize(k), root, extensions: [] }, forger);
    await asDba((trx) => sql`INSERT INTO log_checkpoints (size, root, note) VALUES (${999_999}, ${root}, ${forged})`.execute(trx));
    await expect(checkpointLog(k, signer)).rejects.toMatchObject({ code: 'LOG_CHECKPOINT_INVALID' });
  }

  test('grms log checkpoint integrates and signs from the command line; grms key show prints the log key', async () => {
    const env = { DATABASE_URL: url, GRMS_KEY: crypto.randomBytes(32).toString('base64'), GRMS_PUBLIC_URL: 'https://grms.semarangkota.example', GRMS_LOG_ORIGIN: 'cli.grms.example/log' };
    // The database above holds checkpoints of another origin: the log's name never changes, exit 1.
    const run = grms(['log', 'checkpoint'], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/LOG_ORIGIN_CHANGED/);
    const fresh = await createPostgresDatabase();
    const f = openPostgres({ connectionString: fresh, max: 2 });
    try {
      await appendEvents(f.kysely, await seedInstance(f.kysely), 1, 2);
      // The horizon is cluster-wide: integrated here first, so the command's round finds them in the tree.
      await integrateAll(f.kysely);
      const ok = grms(['log', 'checkpoint'], { ...env, DATABASE_URL: fresh });
      expect(ok.stderr).toMatch(/only as trustworthy as its operator/);
      expect(ok.status).toBe(0);
      const round = JSON.parse(ok.stdout);
      expect(round).toMatchObject({ integration: { size: 2 }, checkpoint: { size: 2, created: true, previousSize: null }, witnesses: [], quorumMet: true });
      const shown = grms(['key', 'show'], { ...env, DATABASE_URL: fresh });
      const vkey = /^log vkey: +(\S+)$/m.exec(shown.stdout)?.[1];
      expect(vkey).toMatch(/^cli\.grms\.example\/log\+[0-9a-f]{8}\+/);
      expect(openCheckpoint(round.checkpoint.note, parseVerifierKey(vkey!)).body).toMatchObject({ origin: 'cli.grms.example/log', size: 2 });
      expect((await logRoot(f.kysely, 2)).toString('base64')).toBe(round.checkpoint.root);
    } finally {
      await f.close();
      await dropPostgresDatabase(fresh);
    }
  }, 300_000);
});
