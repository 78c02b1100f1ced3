import fs from 'node:fs';
import { fmt } from './context';
import { nameOf, query } from './pg';
import { processTree } from './server';

/**
 * Where the CPU went during a load: the grms server's processes (all their threads), the PostgreSQL
 * backends serving its database, and this process (the load generator). Read from
 * /proc/<pid>/stat (utime + stime, in clock ticks of 1/100 s on Linux).
 */

const TICKS_PER_SECOND = 100;

function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), 1-based field 14 = utime, 15 = stime.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null; // exited, or not readable
  }
}

/** Busy CPU seconds of the whole machine (all processes, all cores) since boot, from /proc/stat. */
function machineBusySeconds(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, ...ticks] = line.trim().split(/\s+/);
  const n = ticks.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - n[3]! - n[4]!) / TICKS_PER_SECOND; // minus idle and iowait
}

export interface CpuSnapshot {
  at: number;
  machine: number;
  /** CPU seconds by process of the server (its worker processes included). */
  server: Map<number, number>;
  backends: Map<number, number>;
  generator: number;
}

async function backendPids(dbUrl: string): Promise<number[]> {
  const rows = await query<{ pid: number }>(dbUrl, 'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [nameOf(dbUrl)]);
  return rows.map((r) => r.pid);
}

export async function cpuSnapshot(serverPid: number, dbUrl: string): Promise<CpuSnapshot> {
  const backends = new Map<number, number>();
  for (const pid of await backendPids(dbUrl)) {
    const s = cpuSecondsOf(pid);
    if (s !== null) backends.set(pid, s);
  }
  const server = new Map<number, number>();
  for (const pid of processTree(serverPid)) {
    const s = cpuSecondsOf(pid);
    if (s !== null) server.set(pid, s);
  }
  const usage = process.cpuUsage();
  return { at: performance.now(), machine: machineBusySeconds(), server, backends, generator: (usage.user + usage.system) / 1e6 };
}

/** One Markdown line: CPU seconds and cores used by each party between two snapshots. */
export function cpuLine(a: CpuSnapshot, b: CpuSnapshot, cores: number): string {
  const wall = (b.at - a.at) / 1000;
  const spent = (before: Map<number, number>, after: Map<number, number>) => {
    let sum = 0;
    for (const [pid, end] of after) sum += end - (before.get(pid) ?? end);
    return sum;
  };
  const backends = spent(a.backends, b.backends);
  const server = spent(a.server, b.server);
  const part = (name: string, s: number) => `${name} ${fmt(s, 1)} s (${fmt(s / wall, 2)} cores)`;
  const total = server + backends + (b.generator - a.generator);
  return `CPU over ${fmt(wall, 1)} s of load on ${cores} cores: ${part(`grms server (${b.server.size > 1 ? `${b.server.size} processes, ` : ''}all threads)`, server)}, ` +
    `${part("PostgreSQL backends of grms's connections", backends)}, ${part('load generator (this process)', b.generator - a.generator)}; ` +
    `together ${fmt(total / wall, 2)} of ${cores} cores. The whole machine was busy ${fmt((b.machine - a.machine) / wall, 2)} cores meanwhile: ` +
    `${fmt(Math.max(0, b.machine - a.machine - total) / wall, 2)} cores went to other processes (other users' tests, PostgreSQL background work).`;
}

/** Runs `fn` and returns its result with the cores the whole machine kept busy meanwhile. */
export async function withMachineLoad<T>(fn: () => Promise<T>): Promise<{ value: T; machineCores: number }> {
  const t0 = performance.now();
  const m0 = machineBusySeconds();
  const value = await fn();
  return { value, machineCores: (machineBusySeconds() - m0) / ((performance.now() - t0) / 1000) };
}
