import type { Transaction } from 'kysely';
import type { Database, InstanceRow } from '../../src/db/types';
import { invalidBudgetLink, invalidSupplier } from './errors';

/**
 * Checks a new award inside its creating transaction: the supplier is an org of kind 'supplier'
 * with an NPWP, and the budget link names a ratified budget proposal (a DPA) of the same OPD whose
 * sub kegiatan and one of whose lines' account it repeats.
 */
export async function checkAward(trx: Transaction<Database>, row: InstanceRow): Promise<Record<string, unknown>> {
  const data = row.data as { supplier: string; budget: { proposalId: string; subKegiatan: string; account: string } };
  const supplier = await trx.selectFrom('orgs').select(['kind', 'npwp']).where('id', '=', data.supplier).executeTakeFirst();
  if (!supplier || supplier.kind !== 'supplier' || !supplier.npwp) {
    throw invalidSupplier(`"${data.supplier}" is not a supplier organisation with an NPWP`);
  }
  const proposal = await trx
    .selectFrom('workflow_instances').select(['state', 'data', 'org_id'])
    .where('id', '=', data.budget.proposalId).where('workflow', '=', 'budget-proposal')
    .executeTakeFirst();
  if (!proposal || proposal.state !== 'ratified' || proposal.org_id !== row.org_id) {
    throw invalidBudgetLink(`${data.budget.proposalId} is not a ratified budget proposal of ${row.org_id}`);
  }
  const p = proposal.data as { subKegiatan: { code: string }; lines: Array<{ account: string }> };
  if (p.subKegiatan.code !== data.budget.subKegiatan || !p.lines.some((l) => l.account === data.budget.account)) {
    throw invalidBudgetLink(`The budget proposal has no line for sub kegiatan ${data.budget.subKegiatan}, account ${data.budget.account}`);
  }
  return {};
}
