import { sql, type Transaction } from 'kysely';
import type { Database } from './types';

/** Advisory lock keys, one per concern, so no two features share a key by accident. */
export const ADVISORY = {
  deploymentKeys: 7_451_203_391_004_222n,
  checkpoint: 7_451_203_391_004_223n,
  scheduler: 7_451_203_391_004_224n,
  workflowDefinitions: 7_451_203_391_004_303n,
  /** One transparency-log integrator at a time (src/audit/log/integrate.ts). */
  logIntegrate: 7_451_203_391_004_304n,
  /** One log checkpoint at a time, so checkpoints form one sequence (src/audit/log/checkpoint.ts). */
  logCheckpoint: 7_451_203_391_004_305n,
} as const;

/** Holds the lock until the transaction ends. */
export async function advisoryXactLock(trx: Transaction<Database>, key: bigint): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${key.toString()}::bigint)`.execute(trx);
}

export async function tryAdvisoryXactLock(trx: Transaction<Database>, key: bigint): Promise<boolean> {
  const r = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${key.toString()}::bigint) AS ok`.execute(trx);
  return r.rows[0]?.ok === true;
}
