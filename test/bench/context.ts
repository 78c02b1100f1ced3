import type { Percentiles } from './load';

/** What a run was asked to do (`npm run bench -- --only 1,3 --quick`). */
export interface Options {
  only: Set<number>;
  quick: boolean;
  /** postgres://… of the server (its `postgres` database is used for CREATE/DROP DATABASE). */
  serverUrl: string;
  /** DATABASE_URL when given: benchmarks 1 and 2 run on it (not dropped); else a fresh database. */
  databaseUrl: string | undefined;
  out: string;
  /** Run the benchmarked servers with --cpu-prof and summarise where their time went. */
  profile: boolean;
  sizes: Sizes;
}

export interface Sizes {
  /** Seconds of measured load in benchmarks 1 and 2 (pgbench -T and the bare pool run the same). */
  loadSeconds: number;
  warmupSeconds: number;
  clients: number;
  pgbenchScale: number;
  /** Audit rows exported, smallest first. */
  exportRows: number[];
  verifyRows: number;
  /** Instances: the reference size and the large one. */
  inboxSmall: number;
  inboxLarge: number;
  inboxSeconds: number;
  coldStarts: number;
}

export const FULL: Sizes = {
  loadSeconds: 20, warmupSeconds: 3, clients: 16, pgbenchScale: 10,
  exportRows: [100_000, 1_000_000], verifyRows: 1_000_000,
  inboxSmall: 10_000, inboxLarge: 1_000_000, inboxSeconds: 8, coldStarts: 5,
};

export const QUICK: Sizes = {
  loadSeconds: 5, warmupSeconds: 2, clients: 16, pgbenchScale: 10,
  exportRows: [10_000, 50_000], verifyRows: 50_000,
  inboxSmall: 10_000, inboxLarge: 50_000, inboxSeconds: 3, coldStarts: 2,
};

/** One measured figure next to its baseline from the same run. */
export interface Figure {
  label: string;
  value: number;
  baselineLabel: string;
  baseline: number;
  unit: string;
  /** value / baseline. */
  ratio: number;
  /** e.g. ">= 0.6" */
  target: string;
  met: boolean;
}

export interface Section {
  id: number;
  title: string;
  figures: Figure[];
  /** Markdown lines: tables and measured details. */
  details: string[];
  /** Markdown lines: how it was measured, data used, caveats. */
  notes: string[];
  /** Markdown lines: diagnostics gathered by the run (plans, profiles). */
  diagnostics: string[];
  seconds: number;
}

export function figure(f: Omit<Figure, 'ratio' | 'met' | 'target'>, compare: '>=' | '<=', threshold: number): Figure {
  const ratio = f.value / f.baseline;
  return { ...f, ratio, target: `${compare} ${threshold}`, met: compare === '>=' ? ratio >= threshold : ratio <= threshold };
}

/** A figure shown for what it tells, with no target to meet (e.g. what the worker processes bring). */
export function reported(f: Omit<Figure, 'ratio' | 'met' | 'target'>): Figure {
  return { ...f, ratio: f.value / f.baseline, target: REPORTED, met: true };
}
export const REPORTED = 'reported';

export interface Shared {
  /** GET /healthz under load 1 (benchmark 2 compares against it). */
  healthUnderLoad1?: Percentiles;
  /** Markdown summary of a profiled cold start (with --profile). */
  coldStartProfile?: string[];
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ms(n: number): string {
  return `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)} ms`;
}

export function latencyRow(name: string, p: Percentiles): string {
  return `| ${name} | ${fmt(p.n)} | ${ms(p.p50)} | ${ms(p.p95)} | ${ms(p.p99)} | ${ms(p.max)} |`;
}

export const LATENCY_HEADER = ['| measured | requests | p50 | p95 | p99 | max |', '|---|---:|---:|---:|---:|---:|'];
