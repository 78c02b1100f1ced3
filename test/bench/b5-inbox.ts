import { workflowTime } from '../../src/clock';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../src/db/types';
import { defaultRegistry } from '../../src/engine/registry';
import { listInstances, listTasks } from '../../src/engine/read';
import { loadActor } from '../../src/auth/tokens';
import { figure, fmt, LATENCY_HEADER, latencyRow, type Figure, type Section } from './context';
import type { Harness } from './harness';
import { Client, runLoad, type Percentiles } from './load';
import { DATASET_KEY, ensureTemplate, OPD_COUNT, STATE_MIX, type TemplateInfo } from './datasets';
import { createDatabase, dropDatabase, randomName } from './pg';
import { token } from './server';

interface Probe {
  label: string;
  user: string;
  path: string;
  /** The same read, called in-process for EXPLAIN ANALYZE. */
  read(db: Kysely<Database>): Promise<unknown>;
}

const registry = defaultRegistry();
const actorFor = async (db: Kysely<Database>, username: string) => (await loadActor(db, username, workflowTime()))!;

const PROBES: Probe[] = [
  { label: 'GET /api/v1/tasks — head of an OPD (kadis.dinkes)', user: 'kadis.dinkes', path: '/api/v1/tasks',
    read: async (db) => listTasks(db, registry, await actorFor(db, 'kadis.dinkes'), {}, new Date()) },
  { label: 'GET /api/v1/tasks — global approver (verifikator.bappeda)', user: 'verifikator.bappeda', path: '/api/v1/tasks',
    read: async (db) => listTasks(db, registry, await actorFor(db, 'verifikator.bappeda'), {}, new Date()) },
  { label: 'GET /api/v1/instances?state=opd_review — kadis.dinkes', user: 'kadis.dinkes', path: '/api/v1/instances?state=opd_review',
    read: async (db) => listInstances(db, registry, await actorFor(db, 'kadis.dinkes'), { state: 'opd_review' }, workflowTime()) },
  { label: 'GET /api/v1/instances?state=bappeda_verification — verifikator.bappeda', user: 'verifikator.bappeda', path: '/api/v1/instances?state=bappeda_verification',
    read: async (db) => listInstances(db, registry, await actorFor(db, 'verifikator.bappeda'), { state: 'bappeda_verification' }, workflowTime()) },
];

interface SizeRun {
  size: number;
  template: TemplateInfo;
  latency: Percentiles[];
  items: number[];
  plans: string[];
}

/** EXPLAIN (ANALYZE, BUFFERS) of exactly the SQL the read functions send (captured from Kysely's log). */
async function explainAll(dbUrl: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void (e.level === 'query' && captured.push(e.query)) });
  const out: string[] = [];
  try {
    for (const p of PROBES) {
      captured.length = 0;
      await p.read(db);
      // Every statement of the read that touches the instances (the page, and counts where there are any).
      const reads = captured.filter((c) => /"workflow_instances"/.test(c.sql));
      if (reads.length === 0) throw new Error(`no query on workflow_instances captured for ${p.label}`);
      out.push(`<details><summary>${p.label}</summary>`, '');
      for (const [k, q] of reads.entries()) {
        const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.parameters as unknown[]);
        const time = plan.rows.map((r) => r['QUERY PLAN']).find((l) => l.startsWith('Execution Time'));
        out.push(`Statement ${k + 1} of ${reads.length} (${time ?? 'no time'}):`, '', '```sql', q.sql, `-- parameters: ${JSON.stringify(q.parameters)}`, '```', '', '```', ...plan.rows.map((r) => r['QUERY PLAN']), '```', '');
      }
      out.push('</details>', '');
    }
  } finally {
    await db.destroy();
  }
  return out;
}

/** Loads every probe on a fresh server over a copy of the data set, then EXPLAIN ANALYZEs their queries. */
async function measureSize(h: Harness, size: number): Promise<SizeRun> {
  const template = await ensureTemplate(h.opts.serverUrl, 'inbox', size, (m) => h.log(m));
  const name = randomName('grms_bench_inbox');
  const dbUrl = await createDatabase(h.opts.serverUrl, name, template.name);
  try {
    const env = { DATABASE_URL: dbUrl, GRMS_KEY: DATASET_KEY };
    const tokens = new Map<string, string>();
    for (const u of new Set(PROBES.map((p) => p.user))) tokens.set(u, await token(env, u));
    const served = await h.serve(env);
    const latency: Percentiles[] = [];
    const items: number[] = [];
    const client = new Client(served.url, 8);
    try {
      for (const p of PROBES) {
        const first = await client.expect(200, 'GET', p.path, { token: tokens.get(p.user)! });
        items.push((JSON.parse(first.body) as { items: unknown[] }).items.length);
        h.log(`${fmt(size)} instances: ${p.label}`);
        const r = await runLoad({ clients: 4, warmupMs: 1000, durationMs: h.opts.sizes.inboxSeconds * 1000, maxOps: 5000 }, async () => {
          await client.expect(200, 'GET', p.path, { token: tokens.get(p.user)! });
          return true;
        });
        if (r.errors) throw new Error(`${p.label}: ${r.errors} errors, first: ${r.firstError}`);
        latency.push(r.latencyMs);
      }
    } finally {
      client.close();
      await served.stop();
    }
    const plans = await explainAll(dbUrl);
    return { size, template, latency, items, plans };
  } finally {
    await dropDatabase(h.opts.serverUrl, name);
  }
}

/** 5. Inbox and list latency at a large number of instances vs at the reference size. */
export async function benchInbox(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const small = await measureSize(h, h.opts.sizes.inboxSmall);
  const large = await measureSize(h, h.opts.sizes.inboxLarge);
  const figures: Figure[] = PROBES.map((p, i) =>
    figure({ label: `p95 ${p.label} at ${fmt(large.size)}`, value: large.latency[i]!.p95, baselineLabel: `p95 at ${fmt(small.size)}`, baseline: small.latency[i]!.p95, unit: 'ms' }, '<=', 1.5));
  return {
    id: 5,
    title: `Inbox and list scaling (${fmt(large.size)} vs ${fmt(small.size)} instances)`,
    seconds: (performance.now() - t0) / 1000,
    figures,
    details: [
      ...LATENCY_HEADER,
      ...PROBES.flatMap((p, i) => [
        latencyRow(`${p.label} at ${fmt(small.size)} (${small.items[i]} items)`, small.latency[i]!),
        latencyRow(`${p.label} at ${fmt(large.size)} (${large.items[i]} items)`, large.latency[i]!),
      ]),
      '',
    ],
    notes: [
      `Data: budget proposals across ${OPD_COUNT} OPDs (n mod ${OPD_COUNT}), states by a hash of n: ${STATE_MIX.map(([s, p]) => `${s} ${p} %`).join(', ')}; the same mix at both sizes, so the first page is full at both. Generated in SQL with snapshots made by the real machine and the state deadlines of the workflow's SLA (overdue ones already escalated); no audit rows (these reads do not touch them). ${[small, large].map((r) => `${fmt(r.size)}: ${r.template.cached ? 'cached template' : `generated in ${fmt(r.template.buildSeconds)} s`}`).join('; ')}.`,
      `Load: 4 closed-loop clients per endpoint, first page (default limit 50), 1 s warm-up, then up to ${h.opts.sizes.inboxSeconds} s or 5,000 requests; a fresh server per size.`,
      '',
    ],
    diagnostics: [
      `Plans at ${fmt(small.size)} instances (EXPLAIN ANALYZE of the SQL the read functions send, after the load, same database):`, '', ...small.plans,
      `Plans at ${fmt(large.size)} instances:`, '', ...large.plans,
    ],
  };
}
