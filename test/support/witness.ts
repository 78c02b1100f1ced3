import type { ChildProcess } from 'node:child_process';
import { exited, grms, startGrms } from './cli';

/** `grms witness init` in `dir`; returns the cosignature verifier key it prints. */
export function initWitness(dir: string, name: string, logKeys: string[]): string {
  const r = grms(['witness', 'init', '--dir', dir, '--name', name, '--listen', '127.0.0.1:0', ...logKeys.flatMap((k) => ['--log-key', k])], {});
  if (r.status !== 0) throw new Error(`grms witness init failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

export interface ServedWitness {
  child: ChildProcess;
  /** The submission prefix URL (POST `${url}/add-checkpoint`). */
  url: string;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** A real `grms witness serve` process on `dir`, on any free port. */
export async function serveWitness(dir: string): Promise<ServedWitness> {
  const started = await startGrms(['witness', 'serve', '--dir', dir, '--listen', '127.0.0.1:0'], {}, /grms witness is listening on (http:\/\/\S+)\n/);
  const { child } = started;
  return {
    child, url: started.match[1]!, output: started.output,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited(child);
    },
  };
}
