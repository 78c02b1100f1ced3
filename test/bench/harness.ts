import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Options, Shared } from './context';
import { createDatabase, dropDatabase, nameOf, randomName } from './pg';
import { grms, serve, token, type Served } from './server';
import { findProfile, summariseProfile } from './profile';

/** The deployment benchmarks 1 and 2 share: a database seeded with the demo regency. */
export interface MainDb {
  dbUrl: string;
  /** Environment of every grms process on it. */
  env: Record<string, string>;
  tokens: { planner: string; head: string };
  documentThreads: number;
  masterKey: Buffer;
}

/** What every benchmark gets: options, logging, servers (profiled on request), cleanup. */
export class Harness {
  readonly shared: Shared = {};
  private mainDb: Promise<MainDb> | undefined;
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(
    readonly opts: Options,
    readonly tmpDir: string,
  ) {}

  log(message: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  }

  /** Runs at the end of the run, last registered first, even when a benchmark failed. */
  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    while (this.cleanups.length) {
      try {
        await this.cleanups.pop()!();
      } catch (err) {
        this.log(`cleanup failed: ${(err as Error).message}`);
      }
    }
  }

  /** `grms serve` on `env`, with --cpu-prof into the run's folder when profiling. */
  serve(env: Record<string, string>): Promise<Served> {
    const nodeArgs = this.opts.profile
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(this.tmpDir, 'profiles')}`, '--require', path.join(__dirname, 'count-queries.js')]
      : [];
    return serve(env, { nodeArgs });
  }

  /** After `served` stopped: where its main thread spent its time (empty without --profile). */
  profileOf(served: Served, title: string): string[] {
    if (!this.opts.profile) return [];
    // With several workers the primary only forwards connections: the first worker's profile is the one that tells.
    const pid = served.workerPids[0] ?? served.pid;
    const of = served.workerPids.length ? `${title}; worker process 1 of ${served.workerPids.length}` : title;
    const file = findProfile(path.join(this.tmpDir, 'profiles'), pid);
    if (!file) return [`(no CPU profile was written for ${of})`, ''];
    return summariseProfile(file, of);
  }

  /** Creates (once) the database of benchmarks 1 and 2: `grms seed --demo`, tokens from `grms token`. */
  main(): Promise<MainDb> {
    this.mainDb ??= this.openMain();
    return this.mainDb;
  }

  private async openMain(): Promise<MainDb> {
    let dbUrl = this.opts.databaseUrl;
    if (!dbUrl) {
      const name = randomName('grms_bench');
      dbUrl = await createDatabase(this.opts.serverUrl, name);
      this.onCleanup(() => dropDatabase(this.opts.serverUrl, name));
      this.log(`created database ${name}`);
    } else {
      this.log(`using DATABASE_URL (database ${nameOf(dbUrl)}; not dropped)`);
    }
    // A given database may already hold keys encrypted with its GRMS_KEY: pass that one on.
    const key = (this.opts.databaseUrl && process.env.GRMS_KEY) || crypto.randomBytes(32).toString('base64');
    const documentThreads = Math.max(1, os.availableParallelism() - 1);
    const env = { DATABASE_URL: dbUrl, GRMS_KEY: key, GRMS_DOCUMENT_THREADS: String(documentThreads) };
    await grms(['seed', '--demo'], env);
    const [planner, head] = await Promise.all([token(env, 'perencana.dinkes'), token(env, 'kadis.dinkes')]);
    return { dbUrl, env, tokens: { planner, head }, documentThreads, masterKey: Buffer.from(key, 'base64') };
  }
}
