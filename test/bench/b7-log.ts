import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { figure, fmt, LATENCY_HEADER, latencyRow, ms, type Section } from './context';
import type { Harness } from './harness';
import { ensureTemplate } from './datasets';
import { percentiles, type Percentiles } from './load';
import { createDatabase, dropDatabase, randomName } from './pg';
import { CLI, grms, grmsEnv } from './server';
import { updateLoad, type UpdateLoad } from './b1-transitions';
import { ADVISORY } from '../../src/db/advisory';
import type { Database } from '../../src/db/types';

/** Inclusion proofs timed per tree size. */
const PROOFS = 2000;
const SMALL_TREE = 10_000;

type Db = Kysely<Database>;

async function openDb(url: string) {
  const { openPostgres } = await import('../../src/db/connect');
  return openPostgres({ connectionString: url, max: 2 });
}

/** RFC 9162 root of leaf hashes held in memory (MTH), the bare work the stored tree saves. */
async function memoryRoot(leaves: Buffer[]): Promise<Buffer> {
  const { nodeHash, splitPoint, EMPTY_TREE_HASH } = await import('../../src/audit/tlog');
  const mth = (lo: number, hi: number): Buffer => {
    if (hi - lo === 1) return leaves[lo]!;
    const k = splitPoint(hi - lo);
    return nodeHash(mth(lo, lo + k), mth(lo + k, hi));
  };
  return leaves.length ? mth(0, leaves.length) : EMPTY_TREE_HASH;
}

/**
 * The baseline of 7a: what integration cannot avoid — reading every source row as the integrator
 * does (the same hashed projection, in leaf order) and hashing its canonical entry and the tree —
 * without storing leaves, nodes or the integration. Returns the leaves it hashed and the root.
 */
async function readAndHash(db: Db): Promise<{ leaves: number; root: Buffer; hashMs: number }> {
  const { LOG_SOURCES, keyOf, leafEntry } = await import('../../src/audit/log');
  const { readProjections, orderColumns } = await import('../../src/audit/log/sources');
  const { leafHash } = await import('../../src/audit/tlog');
  const read: Array<{ xid: bigint; entry: Buffer }> = [];
  await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const projections = await readProjections(trx);
    for (const source of LOG_SOURCES) {
      const rows = await sql<Record<string, unknown> & { _log_xid: string; _log_salt: string }>`
        SELECT s.log_xid::text AS _log_xid, s.log_salt AS _log_salt, ${projections[source]}
        FROM ${sql.table(source)} AS s ORDER BY ${orderColumns(source)}`.execute(trx);
      for (const { _log_xid: xid, _log_salt: salt, ...row } of rows.rows) {
        read.push({ xid: BigInt(xid), entry: leafEntry(source, keyOf(source, row), salt, row) });
      }
    }
  });
  // Leaf order as the integrator merges the sources: log_xid, then source (a stable sort keeps the rest).
  read.sort((a, b) => (a.xid < b.xid ? -1 : a.xid > b.xid ? 1 : 0));
  const entries = read.map((r) => r.entry);
  const hashes = entries.map((e) => leafHash(e));
  const root = await memoryRoot(hashes);
  // Hashing alone (entries already in memory), reported beside the figure.
  const t0 = performance.now();
  await memoryRoot(entries.map((e) => leafHash(e)));
  return { leaves: hashes.length, root, hashMs: performance.now() - t0 };
}

/**
 * 7a. Integration of the benchmark-3 audit data set (its log emptied first) on a clone:
 * the read-and-hash baseline first, then `integrateLog`, which must arrive at the same root.
 */
async function integrationRate(h: Harness, rows: number) {
  const template = await ensureTemplate(h.opts.serverUrl, 'audit', rows, (m) => h.log(m));
  const name = randomName('grms_bench_log');
  const url = await createDatabase(h.opts.serverUrl, name, template.name);
  const db = await openDb(url);
  try {
    // The data set comes integrated (benchmark 3 exports up to its checkpoint): empty the log on
    // this clone, past its append-only triggers, so its rows are integrated again here.
    await db.kysely.transaction().execute(async (trx) => {
      const tables = ['log_cosignatures', 'log_checkpoints', 'log_integrations', 'log_nodes', 'log_leaves'];
      for (const t of tables) await sql`ALTER TABLE ${sql.table(t)} DISABLE TRIGGER USER`.execute(trx);
      await sql.raw(`TRUNCATE ${tables.join(', ')}`).execute(trx);
      for (const t of tables) await sql`ALTER TABLE ${sql.table(t)} ENABLE TRIGGER USER`.execute(trx);
    });
    const { integrateLog, logRoot } = await import('../../src/audit/log');
    h.log(`7a: read and hash ${fmt(rows)} audit rows (baseline), then integrate them`);
    let t = performance.now();
    const bare = await readAndHash(db.kysely);
    const bareMs = performance.now() - t;
    t = performance.now();
    const done = await integrateLog(db.kysely);
    const integrateMs = performance.now() - t;
    if (done.added !== bare.leaves) throw new Error(`integration added ${done.added} leaves, the baseline hashed ${bare.leaves}`);
    if (!(await logRoot(db.kysely, done.size)).equals(bare.root)) throw new Error('the integrated tree and the baseline disagree on the root');
    return { leaves: done.added, bareMs, integrateMs, hashMs: bare.hashMs, template };
  } finally {
    await db.close();
    await dropDatabase(h.opts.serverUrl, name);
  }
}

/**
 * A tree of `size` synthetic leaves written straight into log_leaves and log_nodes (every complete
 * subtree, level by level, hashed by PostgreSQL as RFC 9162 says), so proofs run against the same
 * tables and query as in production without integrating a million rows first.
 */
async function syntheticTree(db: Db, size: number): Promise<void> {
  await sql`INSERT INTO log_leaves (idx, source, source_key, leaf_hash)
    SELECT i, 'documents', i::text, sha256('\\x00'::bytea || int8send(i)) FROM generate_series(0, ${size - 1}::bigint) AS i`.execute(db);
  await sql`INSERT INTO log_nodes (level, idx, hash)
    SELECT 1, l.idx / 2, sha256('\\x01'::bytea || l.leaf_hash || r.leaf_hash)
    FROM log_leaves l JOIN log_leaves r ON r.idx = l.idx + 1 WHERE l.idx % 2 = 0`.execute(db);
  for (let level = 2; 2 ** level <= size; level++) {
    await sql`INSERT INTO log_nodes (level, idx, hash)
      SELECT ${level}, l.idx / 2, sha256('\\x01'::bytea || l.hash || r.hash)
      FROM log_nodes l JOIN log_nodes r ON r.level = l.level AND r.idx = l.idx + 1
      WHERE l.level = ${level - 1} AND l.idx % 2 = 0`.execute(db);
  }
  await sql`INSERT INTO log_integrations (size, previous_size, from_xid, watermark) VALUES (${size}, 0, '1'::xid8, '2'::xid8)`.execute(db);
  // A log that reached this size over months is vacuumed and checkpointed: time proofs in that
  // steady state, not while autovacuum and the checkpointer work through the rows just written.
  await sql`VACUUM (ANALYZE) log_leaves, log_nodes`.execute(db);
  await sql`CHECKPOINT`.execute(db);
}

/** p50/p95 of `logInclusionProof` for random leaves of a synthetic tree of `size`, each proof checked. */
async function proofLatency(h: Harness, size: number): Promise<{ latency: Percentiles; buildMs: number }> {
  const { migrate } = await import('../../src/db/migrate');
  const { logInclusionProof, logRoot } = await import('../../src/audit/log');
  const { verifyInclusion, leafHash } = await import('../../src/audit/tlog');
  const name = randomName('grms_bench_tree');
  const url = await createDatabase(h.opts.serverUrl, name);
  const db = await openDb(url);
  try {
    await migrate(db);
    h.log(`7b: a tree of ${fmt(size)} leaves`);
    const t0 = performance.now();
    await syntheticTree(db.kysely, size);
    const buildMs = performance.now() - t0;
    const root = await logRoot(db.kysely, size);
    const leafOf = (i: number) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(i));
      return leafHash(b);
    };
    // Warm the connection and the plan, then time each proof as a client would wait for it.
    for (let i = 0; i < 50; i++) await logInclusionProof(db.kysely, Math.floor(Math.random() * size), size);
    const samples: number[] = [];
    for (let i = 0; i < PROOFS; i++) {
      const index = Math.floor(Math.random() * size);
      const t = performance.now();
      const proof = await logInclusionProof(db.kysely, index, size);
      samples.push(performance.now() - t);
      if (!verifyInclusion(index, size, leafOf(index), proof, root)) throw new Error(`the proof of leaf ${index} of ${size} does not verify`);
    }
    return { latency: percentiles(samples), buildMs };
  } finally {
    await db.close();
    await dropDatabase(h.opts.serverUrl, name);
  }
}

/** A `grms witness serve` of its own (its own folder and key), pinned to the log's verifier key. */
async function startWitness(dir: string, name: string, logVkey: string): Promise<{ vkey: string; url: string; child: ChildProcess }> {
  const vkey = (await grms(['witness', 'init', '--dir', dir, '--name', name, '--listen', '127.0.0.1:0', '--log-key', logVkey], {})).stdout.trim();
  const child = spawn(process.execPath, [CLI, 'witness', 'serve', '--dir', dir, '--listen', '127.0.0.1:0'], { env: grmsEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`witness ${name} did not start:\n${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /grms witness is listening on (http:\/\/\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`witness ${name} exited with ${code}:\n${out}`)));
  });
  return { vkey, url, child };
}

async function rows(url: string, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  } finally {
    await c.end();
  }
}

/**
 * 7c. The update load of benchmark 1, served with the log integrated and checkpointed every second
 * and pushed to two witnesses, against the same load while the bench holds the integrator's and
 * the checkpointer's advisory locks from a connection of its own (the bench-only pause: grms serve
 * has no setting that turns the log off). A paused server's integrator waits on the lock, holding
 * one pooled connection per process meanwhile.
 */
async function witnessedLoad(h: Harness): Promise<{ on: UpdateLoad; paused: UpdateLoad; checkpoints: number; cosignatures: number }> {
  const main = await h.main();
  const origin = 'grms.bench.example/log';
  const logVkey = /^log vkey:\s+(\S+)$/m.exec((await grms(['key', 'show'], { ...main.env, GRMS_LOG_ORIGIN: origin })).stdout)?.[1];
  if (!logVkey) throw new Error('grms key show printed no log vkey');
  const witnesses: Array<{ vkey: string; url: string; child: ChildProcess }> = [];
  try {
    for (const name of ['inspektorat.bench.example', 'kampus.bench.example']) {
      const dir = fs.mkdtempSync(path.join(h.tmpDir, 'witness-'));
      witnesses.push(await startWitness(dir, name, logVkey));
    }
    const env = {
      ...main.env, GRMS_LOG_ORIGIN: origin, GRMS_LOG_INTERVAL_SECONDS: '1',
      GRMS_WITNESSES: witnesses.map((w) => `${w.vkey} ${w.url}`).join('; '),
    };
    const run = async (pause: boolean): Promise<UpdateLoad> => {
      const holder = new pg.Client({ connectionString: main.dbUrl });
      await holder.connect();
      try {
        if (pause) await holder.query('SELECT pg_advisory_lock($1), pg_advisory_lock($2)', [String(ADVISORY.logIntegrate), String(ADVISORY.logCheckpoint)]);
        const served = await h.serve(env);
        try {
          h.log(`7c: update load, log ${pause ? 'paused (advisory locks held by the bench)' : 'on, two witnesses, every second'}`);
          return await updateLoad(h, served, main, h.opts.sizes.loadSeconds);
        } finally {
          await served.stop();
        }
      } finally {
        await holder.end();
      }
    };
    const paused = await run(true);
    const cosignaturesBefore = await rows(main.dbUrl, 'log_cosignatures');
    const checkpointsBefore = await rows(main.dbUrl, 'log_checkpoints');
    const on = await run(false);
    return {
      on, paused,
      checkpoints: (await rows(main.dbUrl, 'log_checkpoints')) - checkpointsBefore,
      cosignatures: (await rows(main.dbUrl, 'log_cosignatures')) - cosignaturesBefore,
    };
  } finally {
    for (const w of witnesses) w.child.kill('SIGTERM');
  }
}

/** 7. The transparency log: integration rate and inclusion-proof latency as the tree grows. */
export async function benchLog(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const rows = h.opts.sizes.exportRows[0]!;
  const large = h.opts.quick ? 100_000 : 1_000_000;
  const integration = await integrationRate(h, rows);
  const small = await proofLatency(h, SMALL_TREE);
  const big = await proofLatency(h, large);
  const witnessed = await witnessedLoad(h);
  const rate = (n: number, msTaken: number) => n / (msTaken / 1000);
  return {
    id: 7,
    title: 'Transparency log: integration and inclusion proofs',
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure({
        label: `integration leaves/s (${fmt(integration.leaves)} audit rows)`, value: rate(integration.leaves, integration.integrateMs),
        baselineLabel: 'reading and hashing the same leaves and tree, nothing stored', baseline: rate(integration.leaves, integration.bareMs), unit: '/s',
      }, '>=', 0.5),
      figure({
        label: `inclusion proof p95 at ${fmt(large)} leaves`, value: big.latency.p95,
        baselineLabel: `the same at ${fmt(SMALL_TREE)} leaves`, baseline: small.latency.p95, unit: 'ms',
      }, '<=', 1.5),
      figure({
        label: 'update transitions/s, log on with two witnesses', value: witnessed.on.result.perSecond,
        baselineLabel: 'the same load, integration and pushes paused', baseline: witnessed.paused.result.perSecond, unit: '/s',
      }, '>=', 0.95),
    ],
    details: [
      `Integration: ${fmt(integration.leaves)} leaves in ${fmt(integration.integrateMs / 1000, 2)} s = **${fmt(rate(integration.leaves, integration.integrateMs))}/s**; ` +
        `reading and hashing them (same projection and order, no writes) ${fmt(integration.bareMs / 1000, 2)} s = ${fmt(rate(integration.leaves, integration.bareMs))}/s; ` +
        `hashing alone (entries in memory) ${fmt(integration.hashMs)} ms = ${fmt(rate(integration.leaves, integration.hashMs))}/s.`,
      '',
      ...LATENCY_HEADER,
      latencyRow(`inclusion proof, ${fmt(SMALL_TREE)} leaves`, small.latency),
      latencyRow(`inclusion proof, ${fmt(large)} leaves`, big.latency),
      '',
      `Synthetic trees written in ${fmt(small.buildMs / 1000, 1)} s and ${fmt(big.buildMs / 1000, 1)} s.`,
      '',
      `Log on: ${fmt(witnessed.on.result.ops)} transitions in ${fmt(witnessed.on.result.seconds, 1)} s = **${fmt(witnessed.on.result.perSecond, 1)}/s**, ${witnessed.on.result.errors} errors, ` +
        `${witnessed.checkpoints} checkpoints signed and ${witnessed.cosignatures} cosignatures stored meanwhile; paused: ${fmt(witnessed.paused.result.ops)} in ${fmt(witnessed.paused.result.seconds, 1)} s = ${fmt(witnessed.paused.result.perSecond, 1)}/s, ${witnessed.paused.result.errors} errors.`,
      '',
      ...LATENCY_HEADER,
      latencyRow('POST …/events `update`, log on', witnessed.on.result.latencyMs),
      latencyRow('POST …/events `update`, log paused', witnessed.paused.result.latencyMs),
    ],
    notes: [
      `7a integrates the benchmark-3 audit data set (${fmt(rows)} rows, cached template${integration.template.cached ? '' : ', built in this run'}) on a clone; the baseline reads the same rows with the integrator's projection and order in one repeatable-read transaction and hashes the entries and the tree in memory. Both must reach the same root.`,
      `7b times \`logInclusionProof\` (one query for the proof's nodes) for ${fmt(PROOFS)} random leaves per tree after 50 warm-up proofs; every proof is verified. The trees' leaves and complete subtrees are written by SQL (RFC 9162 hashing in PostgreSQL), the tables and query are the server's.`,
      `7c runs benchmark 1's update load (${h.opts.sizes.clients} clients, ${h.opts.sizes.loadSeconds} s) on the demo database with GRMS_LOG_INTERVAL_SECONDS=1 and two \`grms witness serve\` processes in GRMS_WITNESSES; the paused run comes first, the bench holding the integrator's and checkpointer's advisory locks, and the log-on run then integrates its rows too.`,
    ],
    diagnostics: [],
  };
}
