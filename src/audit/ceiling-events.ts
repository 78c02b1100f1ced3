import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types';
import { appendToSideChain, verifySideChain, type SideChainResult } from './side-chain';

/**
 * The hash-chained ceiling_events table: ceilings (pagu) are set in place and this chain keeps
 * every change, a leaf of the transparency log each. The table is the core's (migrations/); the
 * package that sets ceilings writes it through recordCeilingEvent, the audit verifies it.
 */
export async function recordCeilingEvent(
  trx: Transaction<Database>,
  e: { action: 'set_ceiling' | 'baseline'; fiscalYear: number; orgId: string; amount: number; actor: string },
): Promise<void> {
  await appendToSideChain(trx, 'ceiling_events', { action: e.action, fiscal_year: e.fiscalYear, org_id: e.orgId, amount: e.amount, actor: e.actor });
}

/** Recomputes the ceiling_events chain. */
export function verifyCeilingChain(db: Kysely<Database>): Promise<SideChainResult> {
  return verifySideChain(db, 'ceiling_events', ['action', 'fiscal_year', 'org_id', 'amount', 'actor']);
}
