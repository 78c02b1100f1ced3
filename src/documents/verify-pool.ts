import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import client from 'prom-client';
import { verifyBudgetExceeded, verifyBusy, signatureLimitsExceeded } from '../errors';
import type { Revocation } from './identities';
import { workerSetup } from './pool';
import type { SignatureLimits } from './signature-limits';
import type { VerifyResult } from './verify';
import type { VerifyOutcome, VerifyTask } from './verify-worker';

/**
 * Worker threads that check uploaded signatures, apart from the signing threads: an anonymous
 * upload never runs on the event loop and never delays a document being signed. Each check has a
 * time budget that starts when a thread takes it up (a thread that runs over is stopped and
 * replaced); the queue in front of the threads is bounded, and a full queue is a 503.
 */
export interface VerifyPool {
  /**
   * Verifies `pdf` in a verification thread. A malformed or invalid signature is a result; throws
   * SIGNATURE_LIMITS_EXCEEDED, VERIFY_BUDGET_EXCEEDED (422) or VERIFY_BUSY (503) as GrmsErrors.
   */
  verify(pdf: Buffer, trustAnchorsPem: string[], opts: VerifyTaskOptions): Promise<VerifyResult>;
  /** Starts the threads now if they are not running yet. */
  start(): void;
  /** Stops running checks and the threads. */
  close(): Promise<void>;
}

export interface VerifyTaskOptions {
  revocations: Revocation[];
  /** The earliest witness cosignature over the document's leaf, if any: judged at without a time-stamp. */
  witnessedAt?: Date;
  /** When grms registered the document, if it did: judged at without a time-stamp or a witness. */
  registeredAt?: Date;
  /** The time-stamping authorities trusted. */
  tsaAnchorsPem: string[];
  /**
   * Move `pdf`'s memory to the thread instead of copying it (a copy of megabytes is a long step on
   * the event loop). Only for a Buffer that owns its memory (not a slice of Node's pool); it is
   * unusable afterwards.
   */
  transfer?: boolean;
}

export interface VerifyPoolOptions {
  threads: number;
  /** Checks that may wait for a thread. */
  queue: number;
  budgetMs: number;
  limits: SignatureLimits;
  /** Start the threads on first use or start(), not now. */
  lazy?: boolean;
  /** Where to publish the pool's gauges and refusal counts. */
  registry?: client.Registry;
}

/** Heap of one verification thread: a 5 MB upload needs a few times that; a runaway is stopped. */
const THREAD_HEAP_MB = 256;
const OVER_BUDGET = 'over budget';

export function createVerifyPool({ threads, queue, budgetMs, limits, lazy = false, registry }: VerifyPoolOptions): VerifyPool {
  const { filename, execArgv } = workerSetup('verify-worker');
  let piscina: Piscina<VerifyTask, VerifyOutcome> | undefined;
  let closed = false;
  let runningNow = 0;
  const inFlight = new Set<AbortController>();
  const pool = () =>
    (piscina ??= new Piscina<VerifyTask, VerifyOutcome>({
      filename, execArgv, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 1,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    }));
  const refusals = new client.Counter({
    name: 'grms_verify_refusals_total', help: 'Uploaded signatures refused without a verdict, by reason (limits, budget, busy)', labelNames: ['reason'], registers: registry ? [registry] : [],
  });
  new client.Gauge({
    name: 'grms_verify_checks', help: 'Signature checks of uploads in this process, running in a verification thread or queued', labelNames: ['state'],
    registers: registry ? [registry] : [],
    collect() {
      this.set({ state: 'running' }, runningNow);
      this.set({ state: 'queued' }, inFlight.size - runningNow);
    },
  });
  const refuse = (reason: string, err: Error) => {
    refusals.inc({ reason });
    return err;
  };
  if (!lazy) pool();

  return {
    async verify(pdf, trustAnchorsPem, { revocations, witnessedAt, registeredAt, tsaAnchorsPem, transfer = false }) {
      if (closed || inFlight.size >= threads + queue) throw refuse('busy', verifyBusy());
      const abort = new AbortController();
      const { port1, port2 } = new MessageChannel();
      let timer: NodeJS.Timeout | undefined;
      let running = false;
      port1.once('message', () => {
        running = true;
        runningNow++;
        timer = setTimeout(() => abort.abort(OVER_BUDGET), budgetMs);
      });
      const bytes = transfer ? pdf : new Uint8Array(pdf);
      inFlight.add(abort);
      try {
        const outcome = await pool().run(
          { pdf: bytes, trustAnchorsPem, tsaAnchorsPem, revocations, witnessedAt, registeredAt, limits, started: port2 },
          { signal: abort.signal, transferList: [port2, bytes.buffer as ArrayBuffer] },
        );
        if ('limitsExceeded' in outcome) throw refuse('limits', signatureLimitsExceeded(outcome.limitsExceeded));
        return outcome.result;
      } catch (err) {
        if (abort.signal.reason === OVER_BUDGET) throw refuse('budget', verifyBudgetExceeded(`Checking this signature took longer than ${budgetMs} ms; it was stopped`));
        if (abort.signal.aborted) throw verifyBusy(); // the server is closing
        if ((err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
          throw refuse('budget', verifyBudgetExceeded('Checking this signature needed more memory than a check may use; it was stopped'));
        }
        throw err;
      } finally {
        clearTimeout(timer);
        port1.close();
        inFlight.delete(abort);
        if (running) runningNow--;
      }
    },
    start() {
      if (!closed) pool();
    },
    async close() {
      closed = true;
      for (const abort of inFlight) abort.abort('closing');
      await piscina?.close();
    },
  };
}
