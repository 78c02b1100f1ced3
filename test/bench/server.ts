import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run, type ProcessResult } from './pg';

/** The repository root, whether this file runs compiled (dist/test/bench) or from source. */
export const ROOT = path.resolve(__dirname, '..', '..', ...(__dirname.split(path.sep).includes('dist') ? ['..'] : []));
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

export class BenchServerError extends Error {
  readonly code = 'BENCH_SERVER';
}

/** The public address benchmark servers name in their certificates (GRMS_PUBLIC_URL). */
export const BENCH_PUBLIC_URL = 'https://grms.bench.example';

/** Environment of a grms child: ours without grms settings, plus `env`. */
export function grmsEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRMS_') && k !== 'DATABASE_URL' && k !== 'PORT'));
  // A server on PostgreSQL issues no certificate without GRMS_PUBLIC_URL.
  return { ...base, GRMS_PUBLIC_URL: BENCH_PUBLIC_URL, ...env };
}

/** Runs `grms <args>` to completion; a non-zero exit is an error. */
export async function grms(args: string[], env: Record<string, string>): Promise<ProcessResult> {
  const r = await run(process.execPath, [CLI, ...args], { env: grmsEnv(env), timeoutMs: 600_000 });
  if (r.code !== 0) throw new BenchServerError(`grms ${args.join(' ')} exited with ${r.code}: ${r.stderr}${r.stdout.slice(-2000)}`);
  return r;
}

/** Mints a bearer token through the CLI (`grms token <username>`). */
export async function token(env: Record<string, string>, username: string): Promise<string> {
  const out = (await grms(['token', username], env)).stdout.trim();
  if (!/^grms_\S+$/.test(out)) throw new BenchServerError(`grms token ${username} printed "${out}"`);
  return out;
}

/**
 * The processes of a running `grms serve`: the process itself and its worker processes (its
 * children, read from /proc: Linux). One process when it runs a single worker.
 */
export function processTree(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces): state, then the parent's pid.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return [pid, ...children];
}

export interface Served {
  child: ChildProcess;
  /** The worker processes answering (GRMS_WORKERS > 1), as they were once it listened; empty for one process. */
  workerPids: number[];
  /** Statements sent to PostgreSQL so far; null unless started with count-queries preloaded. */
  statements(): Promise<number | null>;
  pid: number;
  url: string;
  /** ms from spawn to the "listening" line. */
  listeningMs: number;
  startedAt: number;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<Served>();

/**
 * Starts `node dist/src/cli.js serve` (PORT=0) and resolves when it prints its URL. Its stdout
 * (JSON access log at the production default level) is read and only the tail kept.
 */
export function serve(env: Record<string, string>, opts: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<Served> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'serve'], {
    cwd: ROOT, env: grmsEnv({ PORT: '0', HOST: '127.0.0.1', ...env }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let listening = false;
  let partial = '';
  const reports: Array<{ pid: number; n: number }> = [];
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-20_000);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const m = /^grms-bench-statements (\d+) (\d+)$/.exec(line);
      if (m) reports.push({ pid: Number(m[1]), n: Number(m[2]) });
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new BenchServerError(`grms serve did not start within ${opts.timeoutMs ?? 180_000} ms:\n${tail}`));
    }, opts.timeoutMs ?? 180_000);
    let head = '';
    const onData = (chunk: Buffer) => {
      keep(chunk);
      if (listening) return;
      head += chunk.toString();
      const url = /grms is listening on (http:\/\/\S+)/.exec(head)?.[1];
      if (!url) return;
      listening = true;
      clearTimeout(timer);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const served: Served = {
        child, pid: child.pid!, workerPids: processTree(child.pid!).slice(1), url, listeningMs: performance.now() - startedAt, startedAt,
        output: () => tail,
        async statements() {
          if (!(opts.nodeArgs ?? []).some((a) => a.endsWith('count-queries.js'))) return null;
          // Every process of the server counts its own statements: ask each, add them up.
          const before = reports.length;
          const pids = processTree(child.pid!);
          for (const pid of pids) process.kill(pid, 'SIGUSR2');
          for (let i = 0; i < 200; i++) {
            await new Promise((r) => setTimeout(r, 10));
            const got = new Map(reports.slice(before).map((r) => [r.pid, r.n]));
            if (pids.every((p) => got.has(p))) return pids.reduce((sum, p) => sum + got.get(p)!, 0);
          }
          throw new BenchServerError('the server did not report its statement count');
        },
        async stop() {
          running.delete(served);
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killer);
        },
      };
      running.add(served);
      resolve(served);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!listening) reject(new BenchServerError(`grms serve exited (${code ?? signal}) before listening:\n${tail}`));
    });
  });
}

/** Stops every server this process started and has not stopped (on errors and interrupts). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

export interface Memory {
  /** Resident set now, MiB. */
  rssMiB: number;
  /** Peak resident set since start or the last resetPeak, MiB (VmHWM). */
  peakMiB: number;
}

/** RSS of a process from /proc/<pid>/status (Linux). */
export function memoryOf(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new BenchServerError(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) / 1024;
  };
  return { rssMiB: kb('VmRSS'), peakMiB: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs), so a phase's own peak can be read. */
export function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers 200; returns ms since `since` (performance.now() time). */
export async function waitFor200(url: string, since: number, timeoutMs = 180_000): Promise<number> {
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() - since > timeoutMs) throw new BenchServerError(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
