import fs from 'node:fs';
import path from 'node:path';
import { fmt } from './context';

/** Summaries of a V8 .cpuprofile (node --cpu-prof) of a benchmarked server's main thread. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Where a function lives: a package, grms's own code, node's internals, or a V8 pseudo-frame. */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('wasm://')) return 'WebAssembly (PGlite)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/dist\/(src|workflows)\/([^/]+)/.exec(url);
  if (own) return `grms ${own[1]}/${own[2]!.replace(/\.js$/, '')}`;
  return path.basename(url);
}

/** The newest .cpuprofile in `dir` written by process `pid` (node names them CPU.<date>.<pid>.…). */
export function findProfile(dir: string, pid: number): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`));
  return files.length ? path.join(dir, files.sort().at(-1)!) : undefined;
}

/** Markdown: self time by area and the top functions by self time (idle excluded from shares). */
export function summariseProfile(file: string, title: string, top = 12): string[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const totalSamples = profile.samples.length;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, totalSamples);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  for (const [id, n] of hits) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += n;
      continue;
    }
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + n);
    const fn = `${functionName || '(anonymous)'} ${url ? `${area}:${lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + n);
  }
  const busy = totalSamples - idle;
  const pct = (n: number) => `${((100 * n) / Math.max(1, busy)).toFixed(1)} %`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `**${title}** — main thread ${fmt((totalSamples * msPerSample) / 1000, 1)} s profiled, ${fmt((busy * msPerSample) / 1000, 1)} s busy (${((100 * busy) / Math.max(1, totalSamples)).toFixed(0)} %); shares below are of busy time.`,
    '',
    '| area (self time) | share |',
    '|---|---:|',
    ...sorted(areas).map(([a, n]) => `| ${a} | ${pct(n)} |`),
    '',
    '| function (self time) | share |',
    '|---|---:|',
    ...sorted(functions).map(([f, n]) => `| \`${f.replace(/\|/g, '\\|')}\` | ${pct(n)} |`),
    '',
  ];
}
