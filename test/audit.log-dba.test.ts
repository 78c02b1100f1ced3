import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { createTestDb, describePostgres, dropPostgresDatabase } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { grms } from './support/cli';
import { initWitness, serveWitness, type ServedWitness } from './support/witness';
import type { Database } from '../src/db/types';
import { openPostgres, type Db } from '../src/db/connect';
import { loadConfig } from '../src/config';
import { ensureCheckpointKey } from '../src/audit/keys';
import { createCheckpoint } from '../src/audit/checkpoint';
import { rowHash } from '../src/audit/hash';
import { addCheckpoint } from '../src/audit/witness/client';
import { appendToSideChain } from '../src/audit/side-chain';
import { integrateAndCheckpoint, openTransparencyLog, type LogRound } from '../src/audit/log/service';
import { documentEvidence } from '../src/audit/evidence/make-bundle';
import { logVerifierKey, newEd25519Key, rootOf, signCheckpoint } from '../src/audit/tlog';

/**
 * The operator turned adversary: a PostgreSQL superuser with the triggers off
 * (session_replication_role = replica) rewrites the record in each way the issue lists, on a copy
 * of one honest database. Each rewrite must be caught by `grms audit verify` with keys the auditor
 * pinned, refused by real witness processes where the log itself is rewritten, and caught with an
 * evidence bundle the auditor took before the tampering.
 */
const ORIGIN = 'dba-test.grms.example.go.id/log';
const ADMIN = () => process.env.GRMS_TEST_PG_URL!;

async function copyDatabase(url: string): Promise<string> {
  const name = `grms_dba_${crypto.randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: ADMIN() });
  await client.connect();
  try {
    // A template must have no sessions: the closed app's pool may still be saying goodbye.
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [new URL(url).pathname.slice(1)]);
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${new URL(url).pathname.slice(1)}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs SQL as the DBA: one session with the triggers (and foreign keys) switched off. */
async function asDba(url: string, statements: (c: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    await statements(client);
  } finally {
    await client.end();
  }
}

/** Integrate and checkpoint until every committed row is a leaf (the xmin horizon is cluster-wide: another test's open transaction holds rows back). */
async function settle(log: ReturnType<typeof openTransparencyLog>): Promise<LogRound> {
  for (let i = 0; ; i++) {
    const round = await integrateAndCheckpoint(log);
    const counts = await sql<{ rows: string; leaves: string }>`
      SELECT (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM people_events) + (SELECT count(*) FROM org_events)
           + (SELECT count(*) FROM ceiling_events) + (SELECT count(*) FROM documents) AS rows,
             (SELECT count(*) FROM log_leaves) AS leaves`.execute(log.db);
    if (counts.rows[0]!.rows === counts.rows[0]!.leaves || i >= 500) return round;
  }
}

describePostgres('a DBA who rewrites the record is caught', () => {
  let goldenUrl: string;
  let app: TestApp;
  let logVkey: string;
  let privateKey: crypto.KeyObject;
  let masterKey: Buffer;
  let keyName: string;
  const witnesses: Array<{ vkey: string; served: ServedWitness; dir: string }> = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-dba-'));
  const bundleFile = path.join(tmp, 'bukti-dokumen.json');
  let instanceId: string;
  let documentId: string;
  let firstSize: number;
  let goldenSize: number;
  const copies: string[] = [];

  const env = () => ({ GRMS_LOG_ORIGIN: ORIGIN, GRMS_WITNESSES: witnesses.map((w) => `${w.vkey} ${w.served.url}`).join('; ') });
  const openLog = (db: Kysely<Database>) => openTransparencyLog(db, privateKey, loadConfig(env()).log, addCheckpoint);
  const keys = () => ['--log-key', logVkey, ...witnesses.flatMap((w) => ['--witness-key', w.vkey])];

  beforeAll(async () => {
    const db = await createTestDb('postgres');
    goldenUrl = db.url!;
    masterKey = crypto.randomBytes(32);
    app = await startTestApp('postgres', { db, masterKey });
    const key = await ensureCheckpointKey(app.db.kysely, masterKey);
    privateKey = key.privateKey;
    keyName = key.name;
    logVkey = logVerifierKey(ORIGIN, crypto.createPublicKey(privateKey));
    for (const name of ['inspektorat.dba-test.example', 'kampus.dba-test.example']) {
      const dir = fs.mkdtempSync(path.join(tmp, 'saksi-'));
      witnesses.push({ vkey: initWitness(dir, name, [logVkey]), served: await serveWitness(dir), dir });
    }
    const log = openLog(app.db.kysely);

    instanceId = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${instanceId}/events`, { type: 'submit' })).status).toBe(200);
    expect((await app.call('admin', 'PUT', '/api/v1/users/kadis.dinkes/password', { password: 'Jembatan Merah 1926' })).status).toBe(204);
    const first = await settle(log);
    expect(first.quorumMet).toBe(true);
    firstSize = first.checkpoint!.size;
    expect((await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${instanceId}/events`, { type: 'approve' })).status).toBe(200);
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${instanceId}/comments`, { comment: 'Lampiran RAB menyusul' })).status).toBe(201);
    const second = await settle(log);
    expect(second.quorumMet).toBe(true);
    goldenSize = second.checkpoint!.size;
    expect(goldenSize).toBeGreaterThan(firstSize + 1);
    await createCheckpoint(app.db.kysely, key);

    const doc = await app.db.kysely.selectFrom('documents').select('id').where('instance_id', '=', instanceId).orderBy('seq').executeTakeFirstOrThrow();
    documentId = doc.id;
    const evidence = await documentEvidence(app.db.kysely, documentId);
    if (evidence.status !== 'logged') throw new Error(`document not logged: ${evidence.status}`);
    fs.writeFileSync(bundleFile, JSON.stringify(evidence.bundle));
    await app.close();
  }, 600_000);

  afterAll(async () => {
    for (const w of witnesses) await w.served.stop();
    for (const url of [...copies, goldenUrl]) if (url) await dropPostgresDatabase(url);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function verify(url: string, extra: string[] = []): { status: number | null; kinds: string[]; out: Record<string, unknown> } {
    const r = grms(['audit', 'verify', ...keys(), '--known-checkpoint', bundleFile, ...extra], { DATABASE_URL: url, GRMS_LOG_ORIGIN: ORIGIN });
    let out: Record<string, unknown>;
    try {
      out = JSON.parse(r.stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`audit verify printed no JSON (exit ${r.status}): ${r.stderr}`);
    }
    const log = out.log as { problems: Array<{ kind: string }> };
    return { status: r.status, kinds: [...new Set(log.problems.map((p) => p.kind))].sort(), out };
  }

  async function tampered(fn: (c: pg.Client) => Promise<void>): Promise<string> {
    const url = await copyDatabase(goldenUrl);
    copies.push(url);
    await asDba(url, fn);
    return url;
  }

  /** What the server would do next on the tampered database: integrate, checkpoint, push to the witnesses. */
  async function serverRound(url: string): Promise<LogRound | Error> {
    const db: Db = openPostgres({ connectionString: url, max: 2 });
    try {
      return await integrateAndCheckpoint(openLog(db.kysely));
    } catch (err) {
      return err as Error;
    } finally {
      await db.close();
    }
  }

  test('the honest database verifies with the pinned keys, the bundle and both witnesses', async () => {
    const url = await copyDatabase(goldenUrl);
    copies.push(url);
    const r = verify(url);
    expect(r.kinds).toEqual([]);
    expect(r.out).toMatchObject({ ok: true, log: { ok: true, latest: { size: goldenSize, cosigners: ['w1', 'w2'], quorumMet: true }, known: [{ size: goldenSize, ok: true }] } });
    expect(r.status).toBe(0);
    // Without keys nothing is verified.
    expect(grms(['audit', 'verify'], { DATABASE_URL: url }).status).toBe(2);
  }, 300_000);

  test('a comment altered and its chain re-hashed consistently: the row is no longer its leaf', async () => {
    const url = await tampered(async (c) => {
      const rows = (await c.query(`SELECT (to_jsonb(a) - 'log_xid' - 'log_salt' - 'hash') || jsonb_build_object('created_at', grms_ts(a.created_at)) AS row
        FROM audit_events a WHERE instance_id = $1 ORDER BY seq`, [instanceId])).rows.map((r: { row: Record<string, unknown> }) => r.row);
      let prev: string | null = null;
      for (const row of rows) {
        if (row.event === 'comment') row.comment = 'Sudah lengkap';
        row.prev_hash = prev;
        const hash = rowHash(row);
        await c.query('UPDATE audit_events SET comment = $1, prev_hash = $2, hash = $3 WHERE instance_id = $4 AND seq = $5', [row.comment, prev, hash, instanceId, row.seq]);
        prev = hash;
      }
    });
    const r = verify(url);
    expect(r.kinds).toContain('row-altered');
    expect(r.status).toBe(1);
  }, 300_000);

  test('the log rebuilt over the falsified history and re-signed by the server: witnesses refuse it, the kept bundle exposes it', async () => {
    const url = await tampered(async (c) => {
      await c.query(`UPDATE documents SET signer_name = 'Pejabat Lain' WHERE id = $1`, [documentId]);
      for (const t of ['log_cosignatures', 'log_checkpoints', 'log_nodes', 'log_leaves', 'log_integrations', 'audit_checkpoints']) await c.query(`DELETE FROM ${t}`);
    });
    const round = await serverRound(url);
    if (round instanceof Error) throw round;
    expect(round.checkpoint).toMatchObject({ created: true, size: goldenSize });
    // Same size, another root: each witness answers 409 (a fork) and records the evidence.
    expect(round.witnesses.map((w) => [w.ok, w.status])).toEqual([[false, 409], [false, 409]]);
    for (const w of witnesses) expect(fs.readFileSync(path.join(w.dir, 'state', 'refusals.jsonl'), 'utf8')).toMatch(/"kind":"fork"/);
    expect(round.quorumMet).toBe(false);
    const r = verify(url);
    expect(r.kinds).toEqual(expect.arrayContaining(['checkpoint-mismatch', 'quorum']));
    expect(r.status).toBe(1);
  }, 300_000);

  test('a whole instance deleted, with its history and documents', async () => {
    const url = await tampered(async (c) => {
      for (const t of ['documents', 'audit_events', 'workflow_instances']) await c.query(`DELETE FROM ${t} WHERE ${t === 'workflow_instances' ? 'id' : 'instance_id'} = $1`, [instanceId]);
    });
    const r = verify(url);
    expect(r.kinds).toContain('row-missing');
    expect(r.status).toBe(1);
  }, 300_000);

  test('people_events re-hashed from its first row', async () => {
    const url = await tampered(async (c) => {
      const rows = (await c.query(`SELECT (to_jsonb(p) - 'log_xid' - 'log_salt' - 'hash') || jsonb_build_object('created_at', grms_ts(p.created_at)) AS row
        FROM people_events p ORDER BY seq`)).rows.map((r: { row: Record<string, unknown> }) => r.row);
      expect(rows.length).toBeGreaterThan(0);
      let prev: string | null = null;
      for (const row of rows) {
        if (Number(row.seq) === 1) row.actor = 'dba';
        row.prev_hash = prev;
        const hash = rowHash(row);
        await c.query('UPDATE people_events SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [row.actor, prev, hash, row.seq]);
        prev = hash;
      }
    });
    const r = verify(url);
    expect(r.kinds).toContain('row-altered');
    expect(r.status).toBe(1);
  }, 300_000);

  test('an instance\'s total multiplied tenfold and its state set back', async () => {
    const url = await tampered(async (c) => {
      await c.query(`UPDATE workflow_instances SET total = total * 10, state = 'draft' WHERE id = $1`, [instanceId]);
    });
    const r = verify(url);
    expect(r.kinds).toEqual(['instance-changed']);
    expect(JSON.stringify(r.out)).toMatch(/state draft/);
    expect(r.status).toBe(1);
  }, 300_000);

  test('a document\'s signer changed', async () => {
    const url = await tampered(async (c) => {
      await c.query(`UPDATE documents SET signer_name = 'Pejabat Lain' WHERE id = $1`, [documentId]);
    });
    const r = verify(url);
    expect(r.kinds).toEqual(['row-altered']);
    expect(r.status).toBe(1);
  }, 300_000);

  test('the public key swapped and checkpoints signed with the DBA\'s own key: refused by the pinned key and by the witnesses', async () => {
    const dba = newEd25519Key();
    let note = '';
    const url = await tampered(async (c) => {
      await c.query(`UPDATE workflow_instances SET total = 1 WHERE id = $1`, [instanceId]);
      const leaves = (await c.query('SELECT leaf_hash FROM log_leaves ORDER BY idx')).rows.map((r: { leaf_hash: Buffer }) => r.leaf_hash);
      leaves.push(crypto.createHash('sha256').update('forged leaf').digest());
      note = signCheckpoint({ origin: ORIGIN, size: leaves.length, root: rootOf(leaves), extensions: [] }, { origin: ORIGIN, privateKey: dba.privateKey });
      await c.query('INSERT INTO log_checkpoints (size, root, note) VALUES ($1, $2, $3)', [leaves.length, rootOf(leaves), note]);
      await c.query(`UPDATE deployment_keys SET public_key = $1 WHERE name = $2`, [dba.publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyName]);
    });
    const r = verify(url);
    expect(r.kinds).toEqual(expect.arrayContaining(['checkpoint-forged', 'instance-changed']));
    expect(r.status).toBe(1);
    for (const w of witnesses) {
      const answer = await addCheckpoint(w.served.url, { oldSize: goldenSize, proof: [], checkpoint: note });
      expect(answer).toMatchObject({ ok: false, status: 403 });
    }
  }, 300_000);

  test('the log rolled back to its first checkpoint: the kept bundle and the witnesses hold the larger tree, and the server halts', async () => {
    const url = await tampered(async (c) => {
      const gone = (await c.query('SELECT source, source_key FROM log_leaves WHERE idx >= $1', [firstSize])).rows as Array<{ source: string; source_key: string }>;
      for (const g of gone) {
        if (g.source === 'audit_events') {
          const [inst, seq] = g.source_key.split('/');
          await c.query('DELETE FROM audit_events WHERE instance_id = $1 AND seq = $2', [inst, Number(seq)]);
        } else if (g.source === 'documents') await c.query('DELETE FROM documents WHERE id = $1', [g.source_key]);
        else await c.query(`DELETE FROM ${g.source} WHERE seq = $1`, [Number(g.source_key)]);
      }
      const head = (await c.query('SELECT to_state, instance_version FROM audit_events WHERE instance_id = $1 ORDER BY seq DESC LIMIT 1', [instanceId])).rows[0] as { to_state: string; instance_version: number };
      await c.query('UPDATE workflow_instances SET state = $1, version = $2 WHERE id = $3', [head.to_state, head.instance_version, instanceId]);
      await c.query('DELETE FROM log_leaves WHERE idx >= $1', [firstSize]);
      await c.query('DELETE FROM log_nodes WHERE (idx + 1) * (2 ^ level)::bigint > $1', [firstSize]);
      await c.query('DELETE FROM log_cosignatures WHERE size > $1', [firstSize]);
      await c.query('DELETE FROM log_checkpoints WHERE size > $1', [firstSize]);
      await c.query('DELETE FROM log_integrations WHERE size > $1', [firstSize]);
      await c.query('DELETE FROM audit_checkpoints');
    });
    const r = verify(url, ['--allow-unchecked-tail']);
    expect(r.kinds).toContain('log-rolled-back');
    expect(r.status).toBe(1);

    // The witnesses' own record, asked through a policy that names their URLs.
    const policy = path.join(tmp, 'policy.txt');
    fs.writeFileSync(policy, [`log ${logVkey}`, ...witnesses.map((w, i) => `witness saksi${i} ${w.vkey} ${w.served.url}`), 'group semua all saksi0 saksi1', 'quorum semua', ''].join('\n'));
    const asked = grms(['audit', 'verify', '--policy', policy, '--ask-witnesses', '--allow-unchecked-tail'], { DATABASE_URL: url, GRMS_LOG_ORIGIN: ORIGIN });
    expect(JSON.parse(asked.stdout).log.problems.map((p: { kind: string }) => p.kind)).toContain('log-rolled-back');
    expect(asked.status).toBe(1);

    // New work on the rolled-back database: the witnesses report their larger tree; the server halts.
    const db = openPostgres({ connectionString: url, max: 2 });
    try {
      await db.kysely.transaction().execute((trx) => appendToSideChain(trx, 'org_events', { action: 'update_org', org_id: 'dinkes', details: '{}', actor: 'admin' }));
    } finally {
      await db.close();
    }
    const alarmsOf = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query('SELECT fatal, reported_size FROM log_alarms')).rows as Array<{ fatal: boolean; reported_size: string }>;
      } finally {
        await c.end();
      }
    };
    // The new row becomes a leaf only once no older transaction of the cluster is running (the
    // xmin horizon is cluster-wide, and other test files write meanwhile): rounds until it is in
    // and pushed, as integrateAll does, never a wait by time.
    let round: LogRound | Error | undefined;
    let alarms: Awaited<ReturnType<typeof alarmsOf>> = [];
    for (let i = 0; i < 1000 && !alarms.some((a) => a.fatal); i++) {
      round = await serverRound(url);
      alarms = await alarmsOf();
    }
    expect(alarms.some((a) => a.fatal && Number(a.reported_size) === goldenSize)).toBe(true);
    const again = await serverRound(url);
    expect(again).toBeInstanceOf(Error);
    expect((again as Error & { code?: string }).code).toBe('LOG_HALTED');
    expect(round).toBeDefined();
  }, 300_000);
});
