import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { DocumentContent } from './content';
import type { SignedDocument, SignerKeys } from './sign';
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
}

/** Where a pool's worker module `name` (next to this file) is, and how a thread loads it. */
export function workerSetup(name = 'worker'): { filename: string; execArgv: string[] } {
  const fromSource = path.extname(__filename) === '.ts';
  const filename = path.join(__dirname, fromSource ? `${name}.ts` : `${name}.js`);
  return { filename, execArgv: fromSource ? ['--require', require.resolve('tsx/cjs')] : [] };
}

export function createDocumentPool({ threads = Math.max(1, os.availableParallelism() - 1), lazy = false }: DocumentPoolOptions = {}): DocumentPool & { start(): void } {
  const { filename, execArgv } = workerSetup();
  let piscina: Piscina<RenderTask, SignedDocument> | undefined;
  const running = () =>
    (piscina ??= new Piscina<RenderTask, SignedDocument>({
      filename,
      execArgv,
      minThreads: threads,
      maxThreads: threads,
      // Rendering is CPU-bound: queue instead of oversubscribing the cores.
      concurrentTasksPerWorker: 1,
    }));
  if (!lazy) running();
  return {
    async renderAndSign(content, identity) {
      const result = await running().run({ content, identity });
      // Structured cloning turns a Buffer into a plain Uint8Array.
      return { pdf: Buffer.from(result.pdf.buffer, result.pdf.byteOffset, result.pdf.byteLength), sha256: result.sha256 };
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
