import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { DocumentContent } from './content';
import type { SignedDocument, SignerKeys, SigningOptions } from './sign';
import type { RenderTask } from './worker';

/**
 * Worker threads that render and sign PDFs, so a 100 ms render never stalls the event loop.
 * In production the worker is the compiled dist/…/worker.js next to this file; when this module
 * runs from its .ts source (jest, tsx) the worker is worker.ts and each thread preloads tsx's
 * CommonJS hook to compile it.
 */
export interface DocumentPool {
  renderAndSign(content: DocumentContent, identity: SignerKeys): Promise<SignedDocument>;
  /** Waits for running tasks, then stops the threads. */
  close(): Promise<void>;
}

export interface DocumentPoolOptions {
  /** Worker threads; default: cores - 1, at least 1. */
  threads?: number;
  /**
   * Start the threads on first use or start(), not now: a server starts them once it listens,
   * so loading the PDF libraries in each thread does not compete with its start-up.
   */
  lazy?: boolean;
  /**
   * What each signature is made with beyond the key (TSA, the deployment CA's current CRL), asked
   * for every document so the CRL is current. Default: B-B signatures with a DSS of certificates only.
   */
  signing?: () => SigningOptions | Promise<SigningOptions>;
}

/** Where a pool's worker module `name` (next to this file) is, and how a thread loads it. */
export function workerSetup(name = 'worker'): { filename: string; execArgv: string[] } {
  const fromSource = path.extname(__filename) === '.ts';
  const filename = path.join(__dirname, fromSource ? `${name}.ts` : `${name}.js`);
  return { filename, execArgv: fromSource ? ['--require', require.resolve('tsx/cjs')] : [] };
}

export function createDocumentPool({ threads = Math.max(1, os.availableParallelism() - 1), lazy = false, signing }: DocumentPoolOptions = {}): DocumentPool & { start(): void } {
  const { filename, execArgv } = workerSetup();
  let piscina: Piscina<RenderTask, SignedDocument> | undefined;
  const running = () =>
    (piscina ??= new Piscina<RenderTask, SignedDocument>({
      filename,
      execArgv,
      minThreads: threads,
      maxThreads: threads,
      // Rendering is CPU-bound: queue instead of oversubscribing the cores. A few tasks per thread let
      // others render while some wait for the time-stamping authority.
      concurrentTasksPerWorker: 4,
    }));
  if (!lazy) running();
  return {
    async renderAndSign(content, identity) {
      const result = await running().run({ content, identity, signing: (await signing?.()) ?? {} });
      // Structured cloning turns a Buffer into a plain Uint8Array.
      return { ...result, pdf: Buffer.from(result.pdf.buffer, result.pdf.byteOffset, result.pdf.byteLength) };
    },
    /** Starts the threads now if they are not running yet. */
    start() {
      running();
    },
    async close() {
      await piscina?.close();
    },
  };
}
