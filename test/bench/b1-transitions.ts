import os from 'node:os';
import { fiscalYearOf } from '../../src/seed/demo';
import { dinkesProposal } from '../../workflows/budget-proposal/demo';
import { figure, fmt, reported, LATENCY_HEADER, latencyRow, ms, type Section } from './context';
import type { Harness, MainDb } from './harness';
import { Client, probeHealth, runLoad, type LoadResult, type Percentiles } from './load';
import { createDatabase, dropDatabase, pgbench, pgbenchInit, randomName, type PgbenchResult } from './pg';
import type { Served } from './server';
import { cpuLine, cpuSnapshot, withMachineLoad } from './cpu';

/** Draft proposals per client: a client cycles over its own, so clients never wait on each other's row locks. */
const PER_CLIENT = 4;

/** Creates `count` draft proposals as the Dinkes planner; returns their ids. */
export async function createDrafts(client: Client, tokenOfPlanner: string, count: number, label: string): Promise<string[]> {
  const year = fiscalYearOf(new Date());
  const ids: string[] = [];
  for (let i = 0; i < count; i += 16) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(16, count - i) }, (_, k) =>
        client.expect(201, 'POST', '/api/v1/instances', {
          token: tokenOfPlanner, body: { workflow: 'budget-proposal', data: dinkesProposal(year, `${label} ${i + k + 1}`) },
        }),
      ),
    );
    ids.push(...batch.map((r) => (JSON.parse(r.body) as { id: string }).id));
  }
  return ids;
}

export interface UpdateLoad {
  result: LoadResult;
  health: Percentiles;
  /** Statements sent to PostgreSQL per transition (with --profile), or null. */
  statementsPerOp: number | null;
  /** Where the CPU went during the load (Markdown line). */
  cpu: string;
}

/** Statements per operation between two counts of a profiled server. */
export function perOp(before: number | null, after: number | null, ops: number): number | null {
  return before === null || after === null || ops === 0 ? null : (after - before) / ops;
}

/**
 * Load 1: `clients` clients each firing `update` (new data, no document) at its own draft
 * proposals for `seconds`, while GET /healthz is probed.
 */
export async function updateLoad(h: Harness, served: Served, main: MainDb, seconds: number): Promise<UpdateLoad> {
  const { clients, warmupSeconds } = h.opts.sizes;
  const client = new Client(served.url, clients + 2);
  try {
    const ids = await createDrafts(client, main.tokens.planner, clients * PER_CLIENT, 'Bench update');
    const year = fiscalYearOf(new Date());
    const probe = probeHealth(served.url, { warmupMs: warmupSeconds * 1000 });
    const before = await served.statements();
    const cpu0 = await cpuSnapshot(served.pid, main.dbUrl);
    const result = await runLoad({ clients, warmupMs: warmupSeconds * 1000, durationMs: seconds * 1000 }, async (c, i) => {
      const id = ids[c * PER_CLIENT + (i % PER_CLIENT)]!;
      const r = await client.expect(200, 'POST', `/api/v1/instances/${id}/events`, {
        token: main.tokens.planner, body: { type: 'update', data: dinkesProposal(year, `Bench update ${c}.${i}`) },
      });
      if (!r.body.includes('"state":"draft"')) throw new Error(`update left the draft: ${r.body.slice(0, 200)}`);
      return true;
    });
    const cpu = cpuLine(cpu0, await cpuSnapshot(served.pid, main.dbUrl), os.availableParallelism());
    const statementsPerOp = perOp(before, await served.statements(), result.allOps);
    const health = await probe.stop();
    return { result, health, statementsPerOp, cpu };
  } finally {
    client.close();
  }
}

async function runPgbench(h: Harness): Promise<{ result: PgbenchResult; initMs: number; machineCores: number }> {
  const name = randomName('grms_bench_pgbench');
  const url = await createDatabase(h.opts.serverUrl, name);
  try {
    const initMs = await pgbenchInit(url, h.opts.sizes.pgbenchScale);
    const { clients, loadSeconds } = h.opts.sizes;
    h.log(`pgbench -c ${clients} -j 2 -T ${loadSeconds} (scale ${h.opts.sizes.pgbenchScale})`);
    const { value, machineCores } = await withMachineLoad(() => pgbench(url, clients, 2, loadSeconds));
    return { result: value, initMs, machineCores };
  } finally {
    await dropDatabase(h.opts.serverUrl, name);
  }
}

/** Load 1 on a server started with `env` (GRMS_WORKERS as given, default one per core). */
async function loadOn(h: Harness, main: MainDb, env: Record<string, string>, label: string): Promise<{ load: UpdateLoad; served: Served }> {
  const served = await h.serve(env);
  try {
    h.log(`${label}: ${h.opts.sizes.clients} clients firing update for ${h.opts.sizes.loadSeconds} s`);
    return { load: await updateLoad(h, served, main, h.opts.sizes.loadSeconds), served };
  } finally {
    await served.stop();
  }
}

/** The aim for benchmark 1 (issue 16's compass); the target printed is this step's. */
const AIM = 0.6;
const TARGET = 0.35;

/**
 * 1. Transitions per second through the HTTP API vs pgbench's TPC-B-like transactions; 1b. the
 * same load on one worker process vs the default (one per core), which shows what the cores bring.
 */
export async function benchTransitions(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const { clients, loadSeconds, pgbenchScale } = h.opts.sizes;
  const cores = os.availableParallelism();
  const pg = await runPgbench(h);
  const main = await h.main();
  const { load, served } = await loadOn(h, main, main.env, `load 1 (default GRMS_WORKERS: ${cores})`);
  const single = (await loadOn(h, main, { ...main.env, GRMS_WORKERS: '1' }, 'load 1b (GRMS_WORKERS=1)')).load;
  h.shared.healthUnderLoad1 = load.health;
  const r = load.result;
  const r1 = single.result;
  return {
    id: 1,
    title: 'Transitions per second through the HTTP API (no document)',
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure({ label: `update transitions/s (HTTP, ${clients} clients, ${served.workerPids.length || 1} worker processes)`, value: r.perSecond, baselineLabel: `pgbench TPC-B-like tps (scale ${pgbenchScale}, -c ${clients} -j 2)`, baseline: pg.result.tps, unit: '/s' }, '>=', TARGET),
      reported({ label: '1b: the same with GRMS_WORKERS=1', value: r1.perSecond, baselineLabel: `the same with the default GRMS_WORKERS (${cores}, one per core)`, baseline: r.perSecond, unit: '/s' }),
    ],
    details: [
      `grms (default GRMS_WORKERS, ${served.workerPids.length || 1} worker processes): ${fmt(r.ops)} transitions in ${fmt(r.seconds, 1)} s = **${fmt(r.perSecond, 1)}/s**, ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}.`,
      `grms with GRMS_WORKERS=1 (1b): ${fmt(r1.ops)} transitions in ${fmt(r1.seconds, 1)} s = **${fmt(r1.perSecond, 1)}/s**, ${r1.errors} errors${r1.firstError ? ` (first: ${r1.firstError})` : ''}.`,
      `pgbench: ${fmt(pg.result.transactions)} transactions, **${fmt(pg.result.tps, 1)} tps**, latency average ${ms(pg.result.latencyAvgMs)}` +
        `${pg.result.latencyStddevMs !== null ? `, stddev ${ms(pg.result.latencyStddevMs)}` : ''}, ${pg.result.failed} failed (init ${fmt(pg.initMs / 1000, 1)} s); the whole machine was busy ${fmt(pg.machineCores, 2)} of ${os.availableParallelism()} cores meanwhile.`,
      '',
      ...LATENCY_HEADER,
      latencyRow('POST …/events `update` (grms)', r.latencyMs),
      latencyRow('POST …/events `update` (grms, GRMS_WORKERS=1)', r1.latencyMs),
      latencyRow('GET /healthz during the load (one prober)', load.health),
      '',
      load.cpu,
      '',
      `1b (GRMS_WORKERS=1): ${single.cpu}`,
      '',
      ...(load.statementsPerOp !== null ? [`Statements sent to PostgreSQL per \`update\` transition (counted in the server): ${fmt(load.statementsPerOp, 1)}; pgbench's TPC-B-like script sends 7 per transaction (BEGIN, 3 UPDATE, SELECT, INSERT, END).`, ''] : []),
    ],
    notes: [
      `Load: ${clients} closed-loop clients on loopback, keep-alive, each firing \`update\` (full new data, 3 budget lines) at its own ${PER_CLIENT} draft proposals` +
        ` (no document, no row-lock waits between clients); ${h.opts.sizes.warmupSeconds} s warm-up not counted, then ${loadSeconds} s measured.` +
        ' Each transition: token check, load (with the audit chain\'s head), xstate transition, JSON Schema validation, UPDATE of the instance and an audit row (hash chained) in one statement, committed before the answer.',
      `Baseline: \`pgbench -i -s ${pgbenchScale}\` in a database of its own on the same server, then \`pgbench -c ${clients} -j 2 -T ${loadSeconds}\`, run just before.`,
      `Target ${TARGET} of pgbench for this step; the aim stays ${AIM}. 1b runs the same load (fresh drafts) on a server started with GRMS_WORKERS=1, right after: its ratio is the single process's share of what the default workers do.`,
      '',
    ],
    diagnostics: h.profileOf(served, 'grms serve during load 1 (includes start-up and proposal creation)'),
  };
}
