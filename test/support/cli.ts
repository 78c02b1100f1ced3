import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = [`--require`, require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts')];

/**
 * The environment a CLI child gets: this one without grms settings, plus `env`. A served grms is
 * one process unless the test asks for workers (GRMS_WORKERS): two jest workers on two cores are
 * busy enough without a worker process per core in every server they start.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GRMS_') && k !== 'DATABASE_URL' && k !== 'PORT'));
  return { ...base, LOG_LEVEL: 'warn', GRMS_WORKERS: '1', ...env };
}

/** Runs `grms …` to completion (`input`: what its stdin holds, a pipe rather than a terminal). */
export function grms(args: string[], env: Record<string, string>, input = ''): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, env: childEnv(env), encoding: 'utf8', timeout: 240_000, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Served {
  child: ChildProcess;
  url: string;
  tokens: Record<string, string>;
  /** Demo passwords printed next to the tokens (absent for a user whose own password was kept). */
  passwords: Record<string, string>;
  output(): string;
}

/** The rows of the demo sign-ins' table (USER  ROLE (OPD)  CONSOLE PASSWORD  BEARER TOKEN), as printed or as saved. */
export function demoSignIns(text: string): { tokens: Record<string, string>; passwords: Record<string, string> } {
  const tokens: Record<string, string> = {};
  const passwords: Record<string, string> = {};
  for (const m of text.matchAll(/^\s{4}(\S+)\s{2,}.+?\s{2,}(\S+)\s{2,}(grms_\S+)$/gm)) {
    tokens[m[1]!] = m[3]!;
    if (m[2] !== '(kept)') passwords[m[1]!] = m[2]!;
  }
  return { tokens, passwords };
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
      // The demo sign-ins' table ends with the path of the file that keeps it.
      if (url && (/demo sign-ins saved in \S+/.test(out) || env.DATABASE_URL)) {
        clearTimeout(timer);
        resolve({ child, url, ...demoSignIns(out), output: () => out });
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

/** Whether `script` (util-linux) is here to give a child a terminal. */
export function terminalAvailable(): boolean {
  const r = spawnSync('script', ['--version'], { stdio: 'ignore' });
  return !r.error;
}

/**
 * Runs `grms …` on a pseudo-terminal (through `script`), typing each answer once its prompt has
 * appeared; resolves with everything the terminal showed, so a test can tell what was echoed.
 */
export function grmsOnTerminal(args: string[], env: Record<string, string>, answers: Array<{ prompt: string; type: string }>): Promise<{ status: number | null; screen: string }> {
  const command = [process.execPath, ...CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let next = 0;
  const onData = (chunk: Buffer) => {
    screen += chunk.toString();
    const answer = answers[next];
    // Each prompt is looked for after the previous answer's, so "Again: " is not the first prompt seen twice.
    if (answer && screen.split(answer.prompt).length - 1 > answers.slice(0, next).filter((a) => a.prompt === answer.prompt).length) {
      next++;
      child.stdin!.write(`${answer.type}\r`);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((resolve) => child.once('exit', (status) => {
    clearTimeout(timer);
    resolve({ status, screen });
  }));
}

/** The deployment's log key as `grms key show` prints it (base64 SPKI), for `audit verify --log-key`. */
export function logKey(env: Record<string, string>): string {
  const shown = grms(['key', 'show'], env);
  const key = /^base64:\s+(\S+)$/m.exec(shown.stdout)?.[1];
  if (shown.status !== 0 || !key) throw new Error(`grms key show failed (${shown.status}): ${shown.stderr}${shown.stdout}`);
  return key;
}

/** Starts a long-running `grms …` (e.g. `witness serve`) and resolves with the first match of `ready` in its output. */
export function startGrms(args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 120_000): Promise<{ child: ChildProcess; match: RegExpExecArray; output(): string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`grms ${args.join(' ')} did not start in time:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`grms ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}
