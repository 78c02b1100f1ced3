import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = [`--require`, require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts')];

/** The environment a CLI child gets: this one without grms settings, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRMS_') && k !== 'DATABASE_URL' && k !== 'PORT'));
  return { ...base, LOG_LEVEL: 'warn', ...env };
}

/** Runs `grms …` to completion. */
export function grms(args: string[], env: Record<string, string>, input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 240_000, input: input ?? '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Served {
  child: ChildProcess;
  url: string;
  tokens: Record<string, string>;
  /** Demo users' console passwords, as printed. */
  passwords: Record<string, string>;
  output(): string;
}

/** Starts `grms serve` and resolves once it prints its URL and (embedded) the demo tokens. */
export function serve(env: Record<string, string>, timeoutMs = 180_000): Promise<Served> {
  const child = spawn(process.execPath, [...CLI, 'serve'], { cwd: ROOT, env: childEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`grms serve did not start in time:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /grms is listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url && (/try: curl/.test(out) || env.DATABASE_URL)) {
        clearTimeout(timer);
        const tokens: Record<string, string> = {};
        for (const m of out.matchAll(/^\s{4}(\S+)\s+(grms_\S+)$/gm)) tokens[m[1]!] = m[2]!;
        const passwords: Record<string, string> = {};
        for (const m of out.matchAll(/^\s{4}(\S+)\s+([A-Za-z0-9]{20})$/gm)) passwords[m[1]!] = m[2]!;
        resolve({ child, url, tokens, passwords, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`grms serve exited with ${code}:\n${out}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
