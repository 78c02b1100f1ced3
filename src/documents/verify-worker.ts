import type { MessagePort } from 'node:worker_threads';
import { SignatureLimitsExceeded } from './errors';
import type { Revocation } from './identities';
import type { SignatureLimits } from './signature-limits';
import { verifyPdf, type VerifyResult } from './verify';

/** One check of an uploaded PDF, run in a verification thread (src/documents/verify-pool.ts). */
export interface VerifyTask {
  pdf: Uint8Array;
  trustAnchorsPem: string[];
  tsaAnchorsPem: string[];
  revocations: Revocation[];
  witnessedAt: Date | undefined;
  registeredAt: Date | undefined;
  limits: SignatureLimits;
  /** Told when the thread starts on this task: the time budget counts from then, not from queueing. */
  started: MessagePort;
}

/** A verdict, or the reason the signature was refused unread. */
export type VerifyOutcome = { result: VerifyResult } | { limitsExceeded: string };

/** Piscina calls the default export with each task. */
export default function run(task: VerifyTask): VerifyOutcome {
  task.started.postMessage('started');
  task.started.close();
  const pdf = Buffer.from(task.pdf.buffer, task.pdf.byteOffset, task.pdf.byteLength);
  try {
    return { result: verifyPdf(pdf, task.trustAnchorsPem, { revocations: task.revocations, witnessedAt: task.witnessedAt, registeredAt: task.registeredAt, tsaAnchorsPem: task.tsaAnchorsPem, limits: task.limits }) };
  } catch (err) {
    // Error classes do not survive the trip back to the main thread: say it in data.
    if (err instanceof SignatureLimitsExceeded) return { limitsExceeded: err.message };
    throw err;
  }
}
