import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { initialTransition, transition } from 'xstate';
import { openPostgres } from '../../src/db/connect';
import { migrate, migrationsFingerprint } from '../../src/db/migrate';
import type { Database } from '../../src/db/types';
import { fiscalYearOf, seedDemoPeople } from '../../src/seed/demo';
import { dinkesProposal } from '../../workflows/budget-proposal/demo';
import { budgetProposalV1, machine } from '../../workflows/budget-proposal/v1';
import { ensureCheckpointKey } from '../../src/audit/keys';
import { createCheckpoint } from '../../src/audit/checkpoint';
import { integrateLog } from '../../src/audit/log/integrate';
import { checkpointLog } from '../../src/audit/log/checkpoint';
import { loadConfig } from '../../src/config';
import { hashedProjection } from '../../src/audit/verify';
import { rowHash } from '../../src/audit/hash';
import { createDatabase, databaseExists, dropDatabase, listDatabases, withAdmin, quoteIdent } from './pg';
import { BENCH_PUBLIC_URL, ROOT } from './server';
import { auditRowsSql } from './datasets-sql';

/**
 * Generated data sets, cached as template databases between runs. A template is named by a
 * fingerprint of the migrations, this generator and the workflow it imitates, so any change
 * rebuilds it; a run copies it (CREATE DATABASE … TEMPLATE) and drops the copy.
 *
 * - audit/<rows>: rows/8 ratified budget proposals across 40 OPDs, each with a valid 8-row audit
 *   chain computed in SQL (JCS text built by concatenation, sha256() in PostgreSQL) and one signed
 *   checkpoint over all of them, every row a leaf of the log with one log checkpoint; no documents
 *   (document_sha256 is NULL).
 * - inbox/<instances>: budget proposals across 40 OPDs in every state, in fixed proportions, with
 *   the state deadlines of their SLA; no audit rows (the inbox and list queries do not read them).
 */

export type DataSetKind = 'audit' | 'inbox';

/** GRMS_KEY of every generated data set: their deployment keys are encrypted with it. Throwaway data only. */
export const DATASET_KEY = crypto.createHash('sha256').update('grms benchmark data sets (throwaway)').digest('base64');

/** The 40 OPDs instances are spread across: the two demo OPDs and 38 generated ones. */
export const OPD_COUNT = 40;

/** Share of instances per state in the inbox data set (percent). */
export const STATE_MIX: ReadonlyArray<[state: string, percent: number]> = [
  ['draft', 15], ['opd_review', 25], ['bappeda_verification', 10], ['tapd_review', 5], ['approved', 5], ['ratified', 35], ['rejected', 5],
];

const SOURCES = ['test/bench/datasets.ts', 'test/bench/datasets-sql.ts', 'workflows/budget-proposal/v1.ts', 'src/seed/demo.ts'];

export function fingerprint(): string {
  const h = crypto.createHash('sha256').update(migrationsFingerprint());
  for (const f of SOURCES) h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  return h.digest('hex').slice(0, 12);
}

export function templateName(kind: DataSetKind, size: number): string {
  return `grms_bench_tpl_${fingerprint()}_${kind}_${size}`;
}

export interface TemplateInfo {
  name: string;
  cached: boolean;
  /** Seconds spent generating it in this run (0 when cached). */
  buildSeconds: number;
}

/** Returns the template for (kind, size), building it when this fingerprint has none. */
export async function ensureTemplate(serverUrl: string, kind: DataSetKind, size: number, log: (m: string) => void): Promise<TemplateInfo> {
  const name = templateName(kind, size);
  if (await databaseExists(serverUrl, name)) return { name, cached: true, buildSeconds: 0 };
  // Templates of older fingerprints are stale: drop them so they do not fill the disk.
  const prefix = `grms_bench_tpl_${fingerprint()}_`;
  for (const stale of await listDatabases(serverUrl, 'grms\\_bench\\_tpl\\_%')) {
    if (!stale.startsWith(prefix) || stale.endsWith('_building')) await dropDatabase(serverUrl, stale);
  }
  const building = `${name.slice(0, 53)}_building`;
  await dropDatabase(serverUrl, building);
  const t0 = performance.now();
  log(`generating data set ${kind}/${size} (cached afterwards as ${name})`);
  const url = await createDatabase(serverUrl, building);
  const db = openPostgres({ connectionString: url, max: 2 });
  try {
    await migrate(db);
    await seedDemoPeople(db.kysely);
    await generateOrgs(db.kysely);
    if (kind === 'audit') {
      await generateInstances(db.kysely, size / 8, 'ratified');
      for (let seq = 1; seq <= 8; seq++) await sql.raw(auditRowsSql(seq)).execute(db.kysely);
      await checkSomeHashes(db.kysely);
      // A checkpoint over every chain, as a server would have signed: verification replays it.
      const key = await ensureCheckpointKey(db.kysely, Buffer.from(DATASET_KEY, 'base64'));
      await createCheckpoint(db.kysely, key, { lockTimeoutMs: 60_000 });
      // Every row a leaf of the transparency log and one log checkpoint over them, under the origin
      // a server with these settings uses: audit exports end at that checkpoint.
      const rows = Number((await sql<{ n: string }>`SELECT (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM people_events) + (SELECT count(*) FROM org_events)
        + (SELECT count(*) FROM ceiling_events) + (SELECT count(*) FROM documents) AS n`.execute(db.kysely)).rows[0]!.n);
      // An open transaction elsewhere on the cluster holds rows back: integrate again until all are in.
      while ((await integrateLog(db.kysely)).size < rows) await new Promise((resolve) => setImmediate(resolve));
      await checkpointLog(db.kysely, { origin: loadConfig({ GRMS_PUBLIC_URL: BENCH_PUBLIC_URL }).log.origin, privateKey: key.privateKey });
    } else {
      await generateInstances(db.kysely, size, 'mix');
      await generateDeadlines(db.kysely);
    }
  } finally {
    await db.close();
  }
  await withAdmin(serverUrl, async (c) => {
    const vacuum = await import('pg');
    // VACUUM cannot run in a transaction block: a client of its own on the new database.
    const client = new vacuum.default.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('VACUUM (ANALYZE, FREEZE)');
    } finally {
      await client.end();
    }
    await c.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(name)}`);
  });
  const buildSeconds = (performance.now() - t0) / 1000;
  log(`data set ${kind}/${size} generated in ${buildSeconds.toFixed(0)} s`);
  return { name, cached: false, buildSeconds };
}

export function opdIds(): string[] {
  return ['dinkes', 'pupr', ...Array.from({ length: OPD_COUNT - 2 }, (_, i) => `opd${String(i + 3).padStart(2, '0')}`)];
}

/** 38 more OPDs, each with a planner (perencana.<opd>) and a head (kadis.<opd>). */
async function generateOrgs(db: Kysely<Database>): Promise<void> {
  const extra = opdIds().slice(2);
  await db.insertInto('orgs').values(extra.map((id, i) => ({ id, name: `Dinas Generated ${i + 3}`, code: `9.${String(i + 3).padStart(2, '0')}.0.00.0.00.01.0000` }))).execute();
  const users = extra.flatMap((org) => [
    { username: `perencana.${org}`, full_name: `Perencana ${org}`, position: 'Perencana Ahli Muda', org_id: org },
    { username: `kadis.${org}`, full_name: `Kepala ${org}`, position: `Kepala ${org}`, org_id: org },
  ]);
  await db.insertInto('users').values(users).execute();
  await db.insertInto('user_roles').values(extra.flatMap((org) => [
    { username: `perencana.${org}`, role: 'planner', org_id: org },
    { username: `kadis.${org}`, role: 'opd_head', org_id: org },
  ])).execute();
}

const PLANNER = '__planner__';
const TITLE = '__title__';

/** Persisted snapshots of a proposal in each state, made by the real machine (placeholders for who and what). */
function snapshotsByState(data: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  let [s] = initialTransition(machine, { data });
  out.set('draft', machine.getPersistedSnapshot(s));
  const steps: Array<[string, string, string?]> = [
    ['submit', PLANNER], ['approve', 'kadis'], ['verify', 'verifikator.bappeda'], ['approve', 'tapd.sekda'], ['ratify', 'ppkd.bpkad'],
  ];
  let tapdReview: typeof s | undefined;
  for (const [type, actor] of steps) {
    [s] = transition(machine, s, { type, actor });
    if (String(s.value) === 'tapd_review') tapdReview = s;
    out.set(String(s.value), machine.getPersistedSnapshot(s));
  }
  const [rejected] = transition(machine, tapdReview!, { type: 'reject', actor: 'tapd.sekda', comment: 'Tidak sesuai prioritas RKPD.' });
  out.set(String(rejected.value), machine.getPersistedSnapshot(rejected));
  for (const [state] of STATE_MIX) if (!out.has(state)) throw new Error(`no snapshot for state ${state}`);
  return out;
}

const PARTICIPANTS: Record<string, string[]> = {
  draft: [], opd_review: [], bappeda_verification: ['kadis'], tapd_review: ['kadis', 'verifikator.bappeda'],
  approved: ['kadis', 'verifikator.bappeda', 'tapd.sekda'], ratified: ['kadis', 'verifikator.bappeda', 'tapd.sekda', 'ppkd.bpkad'],
  rejected: ['kadis', 'verifikator.bappeda', 'tapd.sekda'],
};
const VERSION: Record<string, number> = { draft: 1, opd_review: 2, bappeda_verification: 3, tapd_review: 4, approved: 5, ratified: 6, rejected: 5 };

/**
 * Inserts `count` proposals in row order (row_no grows with n), OPD = n mod 40, state either all
 * `ratified` or by STATE_MIX on a scrambled n, in batches so each statement stays modest.
 */
async function generateInstances(db: Kysely<Database>, count: number, states: 'ratified' | 'mix'): Promise<void> {
  const year = fiscalYearOf(new Date());
  const normalized = budgetProposalV1.normalize(dinkesProposal(year, TITLE));
  if ('problems' in normalized) throw new Error('demo proposal does not normalise');
  const snapshots = snapshotsByState(normalized.data);
  // state, version, snapshot text, participant kinds: one row per state, joined by bucket.
  const mix = states === 'ratified' ? [['ratified', 100] as const] : STATE_MIX;
  let lo = 0;
  const buckets = mix.map(([state, pct]) => {
    const b = { state, lo, hi: lo + pct };
    lo += pct;
    return b;
  });
  const stateRows = buckets.map((b) =>
    sql`(${b.state}::text, ${b.lo}::int, ${b.hi}::int, ${VERSION[b.state]!}::int, ${JSON.stringify(snapshots.get(b.state))}::text, ${PARTICIPANTS[b.state]!}::text[])`);
  // A hash of n, not n itself: states must not correlate with the OPD (n mod 40).
  const bucket = states === 'ratified' ? sql`0` : sql`mod(abs(hashint4(n)::bigint), 100)`;
  const orgs = opdIds();
  const batch = 50_000;
  for (let from = 1; from <= count; from += batch) {
    const to = Math.min(count, from + batch - 1);
    await sql`
      WITH st(state, lo, hi, version, snap, who) AS (VALUES ${sql.join(stateRows)}),
      gen AS (
        SELECT n, (${sql.val(orgs)}::text[])[1 + n % ${OPD_COUNT}] AS org, 'Usulan Bench ' || n AS title,
               ${bucket} AS bucket
        FROM generate_series(${from}::int, ${to}::int) AS n)
      INSERT INTO workflow_instances (id, workflow, workflow_version, state, version, snapshot, data, org_id, title, fiscal_year, total,
                                      submitters, participants, created_by, created_at, updated_at)
      SELECT md5('grms-bench-' || g.n)::uuid, 'budget-proposal', 2, st.state, st.version,
             replace(replace(st.snap, ${PLANNER}, 'perencana.' || g.org), ${TITLE}, g.title)::jsonb,
             replace(${JSON.stringify(normalized.data)}, ${TITLE}, g.title)::jsonb,
             g.org, g.title, ${normalized.fiscalYear}, ${normalized.total},
             CASE WHEN st.state = 'draft' THEN '{}'::text[] ELSE ARRAY['perencana.' || g.org] END,
             ARRAY['perencana.' || g.org] || ARRAY(SELECT CASE WHEN w = 'kadis' THEN 'kadis.' || g.org ELSE w END FROM unnest(st.who) AS w),
             'perencana.' || g.org,
             now() - interval '60 days' + g.n * interval '1 millisecond', now() - interval '30 days' + g.n * interval '1 millisecond'
      FROM gen g JOIN st ON g.bucket >= st.lo AND g.bucket < st.hi
      ORDER BY g.n`.execute(db);
  }
}

/**
 * The state deadlines the SLA of the budget-proposal definition gives instances in its states (when
 * the schema has a deadlines table and the definition an SLA): started 0–19 days ago, due after the
 * working days (as calendar days × 7/5); those already due are marked overdue and escalated, as the
 * server's scheduler would have done, so it finds nothing to do during a benchmark.
 */
async function generateDeadlines(db: Kysely<Database>): Promise<void> {
  const states = (budgetProposalV1 as { sla?: { states?: Record<string, number> } }).sla?.states;
  const exists = (await sql<{ t: string | null }>`SELECT to_regclass('deadlines')::text AS t`.execute(db)).rows[0]!.t;
  if (!states || !exists || Object.keys(states).length === 0) return;
  const sla = Object.entries(states).map(([state, days]) => sql`(${state}::text, ${days}::int)`);
  await sql`
    WITH sla(state, days) AS (VALUES ${sql.join(sla)}),
    d AS (
      SELECT i.id, i.workflow, i.state, sla.days,
             date_trunc('hour', now()) - interval '1 day' * mod(abs(hashint4(i.row_no::int)), 20) AS started
      FROM workflow_instances i JOIN sla ON sla.state = i.state
      WHERE i.title LIKE 'Usulan Bench %')
    INSERT INTO deadlines (instance_id, kind, workflow, state, working_days, started_at, due_at, overdue, escalated_at)
    SELECT id, 'state', workflow, state, days, started, started + interval '1 day' * days * 7 / 5,
           started + interval '1 day' * days * 7 / 5 < now(),
           CASE WHEN started + interval '1 day' * days * 7 / 5 < now() THEN started + interval '1 day' * days * 7 / 5 END
    FROM d`.execute(db);
}

/** The SQL-built hashes must equal what the application computes; a wrong generator fails here. */
async function checkSomeHashes(db: Kysely<Database>): Promise<void> {
  const projection = await hashedProjection(db);
  const rows = await sql<Record<string, unknown>>`SELECT ${sql.raw(projection)} FROM audit_events ORDER BY random() LIMIT 50`.execute(db);
  for (const row of rows.rows) {
    if (rowHash(row) !== row.hash) throw new Error(`generated audit row ${row.instance_id}/${row.seq} does not hash as the application does`);
  }
}
