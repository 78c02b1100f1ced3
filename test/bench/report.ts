import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, REPORTED, type Figure, type Options, type Section } from './context';
import { query, run, serverVersion } from './pg';
import { ROOT } from './server';

export interface Machine {
  nproc: number;
  memoryGiB: number;
  cpu: string;
  node: string;
  postgres: string;
  /** Settings that decide commit cost and caching, as the server reports them. */
  postgresSettings: string;
  date: string;
  commit: string;
  loadStart: number[];
  loadEnd?: number[];
}

export async function machine(serverUrl: string): Promise<Machine> {
  const postgres = await serverVersion(serverUrl);
  const settings = await query<{ name: string; setting: string; unit: string | null }>(serverUrl,
    "SELECT name, setting, unit FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections') ORDER BY name");
  const postgresSettings = settings.map((r) => `${r.name}=${r.setting}${r.unit ? ` (${r.unit})` : ''}`).join(', ');
  const head = await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).catch(() => null);
  const dirty = await run('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']).catch(() => null);
  // A run from an exported tree (git archive) has no .git: the exporter names the commit.
  const commit = head?.code === 0
    ? `${head.stdout.trim()}${dirty?.stdout.trim() ? ' (plus uncommitted changes in the working tree)' : ''}`
    : process.env.GRMS_BENCH_COMMIT ? `${process.env.GRMS_BENCH_COMMIT} (exported tree)` : 'unknown';
  return {
    nproc: os.availableParallelism(), memoryGiB: os.totalmem() / 2 ** 30, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version,
    postgres, postgresSettings, date: new Date().toISOString(), commit, loadStart: os.loadavg(),
  };
}

function value(f: Figure, v: number): string {
  if (f.unit === '/s') return `${fmt(v, v < 100 ? 2 : 0)}/s`;
  if (f.unit === 'ms') return `${fmt(v, v < 10 ? 2 : 1)} ms`;
  return `${fmt(v, 0)} ${f.unit}`;
}

function summaryRows(sections: Section[]): string[] {
  return sections.flatMap((s) =>
    s.figures.map((f) => `| ${s.id} | ${f.label} | ${value(f, f.value)} | ${f.baselineLabel}: ${value(f, f.baseline)} | **${f.ratio.toFixed(2)}** | ${f.target} | ${f.target === REPORTED ? '' : f.met ? 'met' : '**missed**'} |`));
}

/** RESULTS.md: machine, one summary table (figure, baseline, ratio, target), then each benchmark. */
export function renderReport(opts: Options, m: Machine, sections: Section[], failures: Array<{ id: number; error: string }>, totalSeconds: number): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    '# grms benchmarks',
    '',
    `Written by \`npm run bench${opts.quick ? ' -- --quick' : ''}\` (test/bench/run.ts): every figure below was measured by this run, each next to a baseline measured in the same run on the same machine. Do not edit by hand; run it again.`,
    '',
    '## Machine',
    '',
    `- date: ${m.date}`,
    `- nproc: ${m.nproc} (${m.cpu}), memory: ${fmt(m.memoryGiB, 1)} GiB`,
    `- node ${m.node}, PostgreSQL ${m.postgres} (${new URL(opts.serverUrl).host}, shared with other users of this machine; ${m.postgresSettings})`,
    `- grms commit ${m.commit}`,
    `- load average (1/5/15 min) at start ${load(m.loadStart)}${m.loadEnd ? `, at end ${load(m.loadEnd)}` : ''} — the machine is shared and noisy; ratios compare figures taken minutes apart`,
    `- mode: ${opts.quick ? '**quick** (small sizes: a smoke run, not the figures to judge by)' : 'full'}; benchmarks ${[...opts.only].sort().join(', ')}; ${opts.profile ? 'servers ran with `--cpu-prof` (sampling profiler on the main thread, a few % overhead)' : 'no profiling'}; total ${fmt(totalSeconds / 60, 1)} min`,
    '',
    '## Summary',
    '',
    '| # | figure | grms | baseline (same run) | ratio | target | |',
    '|---|---|---:|---|---:|---|---|',
    ...summaryRows(sections),
    ...failures.map((f) => `| ${f.id} | **failed**: ${f.error.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 400)} | | | | | |`),
    '',
  ];
  for (const s of sections) {
    lines.push(`## ${s.id}. ${s.title}`, '', ...s.details, ...s.notes.map((n) => (n ? `- ${n}` : '')), '');
    if (s.diagnostics.length) lines.push('### Diagnostics (gathered by this run)', '', ...s.diagnostics, '');
    lines.push(`(${fmt(s.seconds, 0)} s)`, '');
  }
  const analysis = path.join(ROOT, 'test', 'bench', 'ANALYSIS.md');
  if (fs.existsSync(analysis)) {
    lines.push('## What limits the figures (analysis)', '', '(Written by hand from the diagnostics of earlier runs; figures quoted there are dated and named by run. This run\'s are above.)', '', fs.readFileSync(analysis, 'utf8').trim(), '');
  }
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}
