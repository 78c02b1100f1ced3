import { sql, type Kysely } from 'kysely';
import { figure, fmt, LATENCY_HEADER, latencyRow, ms, type Section } from './context';
import type { Harness } from './harness';
import { ensureTemplate } from './datasets';
import { percentiles, type Percentiles } from './load';
import { createDatabase, dropDatabase, randomName } from './pg';
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
 * 7a. Integration of the benchmark-3 audit data set (its rows are not in the log yet) on a clone:
 * the read-and-hash baseline first, then `integrateLog`, which must arrive at the same root.
 */
async function integrationRate(h: Harness, rows: number) {
  const template = await ensureTemplate(h.opts.serverUrl, 'audit', rows, (m) => h.log(m));
  const name = randomName('grms_bench_log');
  const url = await createDatabase(h.opts.serverUrl, name, template.name);
  const db = await openDb(url);
  try {
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

/** 7. The transparency log: integration rate and inclusion-proof latency as the tree grows. */
export async function benchLog(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const rows = h.opts.sizes.exportRows[0]!;
  const large = h.opts.quick ? 100_000 : 1_000_000;
  const integration = await integrationRate(h, rows);
  const small = await proofLatency(h, SMALL_TREE);
  const big = await proofLatency(h, large);
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
    ],
    notes: [
      `7a integrates the benchmark-3 audit data set (${fmt(rows)} rows, cached template${integration.template.cached ? '' : ', built in this run'}) on a clone; the baseline reads the same rows with the integrator's projection and order in one repeatable-read transaction and hashes the entries and the tree in memory. Both must reach the same root.`,
      `7b times \`logInclusionProof\` (one query for the proof's nodes) for ${fmt(PROOFS)} random leaves per tree after 50 warm-up proofs; every proof is verified. The trees' leaves and complete subtrees are written by SQL (RFC 9162 hashing in PostgreSQL), the tables and query are the server's.`,
      'Not measured here yet: transitions per second with the log and two witnesses on vs integration paused.',
    ],
    diagnostics: [],
  };
}
