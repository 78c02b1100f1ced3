import { spawn } from 'node:child_process';
import path from 'node:path';
import { figure, fmt, type Section } from './context';
import type { Harness } from './harness';
import { percentiles } from './load';
import { grmsEnv, ROOT, serve, waitFor200 } from './server';
import { run } from './pg';

/** Spawns the PGlite-only baseline and resolves with ms from spawn to its "ready" line. */
function pgliteOpen(pgdata: string): Promise<number> {
  const t0 = performance.now();
  const script = path.join(__dirname, 'pglite-open.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, pgdata], { env: grmsEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let readyAt: number | undefined;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (readyAt === undefined && out.includes('ready\n')) readyAt = performance.now() - t0;
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    // Waits for the exit too: the folder must be closed before the server opens it again.
    child.once('close', (code) => (code === 0 && readyAt !== undefined ? resolve(readyAt) : reject(new Error(`pglite-open exited with ${code}: ${out}`))));
  });
}

/** ms for a new node process to run `code` and exit: what loading modules costs before any work. */
async function nodeRun(code: string, times: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const r = await run(process.execPath, ['-e', code], { env: grmsEnv({}), timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`node -e ${code} failed: ${r.stderr}`);
    samples.push(r.ms);
  }
  return percentiles(samples).p50;
}

/** Starts `grms serve` on the embedded folder; ms from spawn until GET /readyz answers 200. */
async function serveReady(h: Harness, dataDir: string, profiled = false): Promise<{ readyMs: number; listeningMs: number; diagnostics: string[] }> {
  const env = { GRMS_DATA_DIR: dataDir };
  const served = profiled ? await h.serve(env) : await serve(env);
  try {
    const readyMs = await waitFor200(`${served.url}/readyz`, served.startedAt);
    return { readyMs, listeningMs: served.listeningMs, diagnostics: [] };
  } finally {
    await served.stop();
    if (profiled) h.shared.coldStartProfile = h.profileOf(served, 'grms serve cold start on the embedded folder (until stopped right after /readyz)');
  }
}

/** 6. Cold start of `grms serve` on an existing embedded data folder vs opening it with PGlite alone. */
export async function benchColdStart(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const dataDir = path.join(h.tmpDir, 'embedded');
  h.log('cold start: first start creates the embedded folder (migrations, keys, demo data with documents)');
  const first = await serveReady(h, dataDir);
  const serveMs: number[] = [];
  const listenMs: number[] = [];
  const pgliteMs: number[] = [];
  for (let i = 0; i < h.opts.sizes.coldStarts; i++) {
    // Alternate the order so neither always runs on a just-warmed page cache.
    const runs = [
      async () => {
        const r = await serveReady(h, dataDir);
        serveMs.push(r.readyMs);
        listenMs.push(r.listeningMs);
      },
      async () => pgliteMs.push(await pgliteOpen(path.join(dataDir, 'pgdata'))),
    ];
    if (i % 2) runs.reverse();
    for (const run of runs) await run();
  }
  if (h.opts.profile) await serveReady(h, dataDir, true);
  const nodeAlone = await nodeRun('0', 3);
  const serverModules = await nodeRun(`require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'server.js'))})`, 3);
  const pgliteModule = await nodeRun(`require(${JSON.stringify(require.resolve('@electric-sql/pglite'))})`, 3);
  const s = percentiles(serveMs);
  const p = percentiles(pgliteMs);
  const l = percentiles(listenMs);
  return {
    id: 6,
    title: 'Cold start of `grms serve` on an existing embedded folder',
    seconds: (performance.now() - t0) / 1000,
    figures: [figure({ label: 'grms serve: spawn → /readyz 200 (median)', value: s.p50, baselineLabel: 'node + PGlite.create(dataDir) + SELECT 1 (median)', baseline: p.p50, unit: 'ms' }, '<=', 1.5)],
    details: [
      '| measured | runs | median | min | max |',
      '|---|---:|---:|---:|---:|',
      `| grms serve: spawn → /readyz 200 | ${s.n} | ${fmt(s.p50)} ms | ${fmt(Math.min(...serveMs))} ms | ${fmt(s.max)} ms |`,
      `| grms serve: spawn → "listening" line | ${l.n} | ${fmt(l.p50)} ms | ${fmt(Math.min(...listenMs))} ms | ${fmt(l.max)} ms |`,
      `| PGlite alone: spawn → "ready" | ${p.n} | ${fmt(p.p50)} ms | ${fmt(Math.min(...pgliteMs))} ms | ${fmt(p.max)} ms |`,
      '',
      `Loading code only (new process, require, exit; median of 3): node alone ${fmt(nodeAlone)} ms; \`require('@electric-sql/pglite')\` ${fmt(pgliteModule)} ms; \`require('dist/src/server.js')\` (the server's whole module graph, nothing started) ${fmt(serverModules)} ms.`,
      '',
      `First start (creating the folder: migrations, CA and keys, demo data with signed documents): ${fmt(first.readyMs)} ms to /readyz.`,
      '',
    ],
    notes: [
      'Both are new processes on the same folder, one after the other (alternating which goes first). grms: `node dist/src/cli.js serve` with GRMS_DATA_DIR and PORT=0, timed from spawn until GET /readyz (SELECT 1 through the app) answers 200 — data-folder lock, PGlite open, migrations check, definition registration, keys, CA, demo tokens, worker pool, HTTP listen. Baseline: `node dist/test/bench/pglite-open.js <folder>/pgdata`, timed from spawn until it has run SELECT 1.',
      '',
    ],
    diagnostics: h.shared.coldStartProfile ?? [],
  };
}
