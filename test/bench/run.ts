import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FULL, QUICK, REPORTED, type Options, type Section, type Sizes } from './context';
import { Harness } from './harness';
import { DEFAULT_SERVER, urlOf } from './pg';
import { ROOT, stopAllServers } from './server';
import { machine, renderReport } from './report';
import { benchTransitions } from './b1-transitions';
import { benchDocuments } from './b2-documents';
import { benchExport } from './b3-export';
import { benchVerify } from './b4-verify';
import { benchInbox } from './b5-inbox';
import { benchColdStart } from './b6-coldstart';
import { benchLog } from './b7-log';

/**
 * `npm run bench [-- --only 1,3] [--quick] [--out FILE] [--no-profile]`
 * Benchmarks of grms against a real PostgreSQL, each figure next to a baseline measured in the
 * same run. A full run of every benchmark writes test/bench/RESULTS.md; quick or partial runs
 * write to a temporary file unless --out is given.
 */

const BENCHES: Record<number, (h: Harness) => Promise<Section>> = {
  1: benchTransitions, 2: benchDocuments, 3: benchExport, 4: benchVerify, 5: benchInbox, 6: benchColdStart, 7: benchLog,
};

const USAGE = 'usage: npm run bench -- [--only 1,2,…] [--quick] [--out FILE] [--no-profile] [--seconds N] [--export-rows N,M] [--verify-rows N] [--inbox-large N]';

function numbers(v: string | undefined, flag: string): number[] {
  const list = (v ?? '').split(',').map((x) => Number(x.trim().replace(/_/g, '')));
  if (!list.length || list.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new Error(`${flag} takes positive integers (${USAGE})`);
  return list;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options {
  let only = new Set(Object.keys(BENCHES).map(Number));
  let quick = false;
  let profile = true;
  let out: string | undefined;
  const overrides: Partial<Sizes> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i];
    if (a === '--only') only = new Set(numbers(next(), '--only'));
    else if (a === '--quick') quick = true;
    else if (a === '--no-profile') profile = false;
    else if (a === '--out') out = next();
    else if (a === '--seconds') overrides.loadSeconds = numbers(next(), a)[0];
    else if (a === '--export-rows') overrides.exportRows = numbers(next(), a).sort((x, y) => x - y);
    else if (a === '--verify-rows') overrides.verifyRows = numbers(next(), a)[0];
    else if (a === '--inbox-large') overrides.inboxLarge = numbers(next(), a)[0];
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  for (const n of only) if (!BENCHES[n]) throw new Error(`there is no benchmark ${n} (1–7)`);
  for (const n of [...(overrides.exportRows ?? []), overrides.verifyRows ?? 8]) if (n % 8) throw new Error('audit row counts must be multiples of 8 (chains of 8 rows)');
  const complete = !quick && only.size === Object.keys(BENCHES).length && Object.keys(overrides).length === 0;
  const databaseUrl = env.DATABASE_URL || undefined;
  return {
    only, quick, profile, databaseUrl,
    serverUrl: databaseUrl ? urlOf(databaseUrl, 'postgres') : DEFAULT_SERVER,
    out: out ? path.resolve(out) : complete ? path.join(ROOT, 'test', 'bench', 'RESULTS.md') : path.join(os.tmpdir(), `grms-bench-${quick ? 'quick' : 'partial'}-RESULTS.md`),
    sizes: { ...(quick ? QUICK : FULL), ...overrides },
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const opts = parseArgs(process.argv.slice(2), process.env);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli.js'))) throw new Error('dist/src/cli.js is missing: run `npm run build` (npm run bench does)');
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-bench-'));
  const h = new Harness(opts, tmpDir);
  const m = await machine(opts.serverUrl);
  const interrupted = async (signal: string) => {
    h.log(`${signal}: stopping servers and dropping this run's databases`);
    await stopAllServers();
    await h.cleanup();
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted('SIGINT'));
  process.once('SIGTERM', () => void interrupted('SIGTERM'));
  const sections: Section[] = [];
  const failures: Array<{ id: number; error: string }> = [];
  try {
    for (const id of [...opts.only].sort()) {
      h.log(`benchmark ${id}`);
      try {
        const section = await BENCHES[id]!(h);
        sections.push(section);
        for (const f of section.figures) h.log(`  ${f.label}: ratio ${f.ratio.toFixed(2)} (target ${f.target})${f.target === REPORTED ? '' : f.met ? ' met' : ' MISSED'}`);
      } catch (err) {
        // One broken benchmark must not lose the others' figures: it is reported as failed.
        failures.push({ id, error: (err as Error).message });
        h.log(`benchmark ${id} failed: ${(err as Error).stack}`);
        await stopAllServers();
      }
    }
  } finally {
    await stopAllServers();
    await h.cleanup();
  }
  m.loadEnd = os.loadavg();
  fs.writeFileSync(opts.out, renderReport(opts, m, sections, failures, (performance.now() - t0) / 1000));
  fs.rmSync(tmpDir, { recursive: true, force: true });
  h.log(`results written to ${opts.out}`);
  if (failures.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
