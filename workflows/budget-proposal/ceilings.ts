import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../src/db/types';
import { GrmsError, invalidData, notFound } from '../../src/errors';
import { recordCeilingEvent } from '../../src/audit/ceiling-events';
import type { RuleHook } from '../../src/engine/package';

/**
 * The budget ceiling (pagu): TAPD sets one per OPD and fiscal year; the proposals TAPD approved
 * (ratified ones included) may not add up to more. The ceilings table is the core's (migrations/).
 */

export const ceilingExceeded = (detail: string) =>
  new GrmsError('CEILING_EXCEEDED', 422, 'ceiling-exceeded', 'Ceiling exceeded', detail);
export const ceilingMissing = (detail: string) =>
  new GrmsError('CEILING_MISSING', 422, 'ceiling-missing', 'No ceiling set', detail);
export const ceilingBelowUsed = (detail: string) =>
  new GrmsError('CEILING_BELOW_USED', 422, 'ceiling-below-used', 'Ceiling below used amount', detail, [
    { path: '/amount', message: detail },
  ]);

/** States whose proposals count against an OPD's ceiling (pagu). */
export const CEILING_USING_STATES = ['approved', 'ratified'] as const;

type Q = Kysely<Database> | Transaction<Database>;

export async function usedAmount(q: Q, fiscalYear: number, orgId: string, excludeInstance?: string): Promise<number> {
  let query = q
    .selectFrom('workflow_instances')
    .select(sql<number>`coalesce(sum(total), 0)::bigint`.as('used'))
    .where('workflow', '=', 'budget-proposal')
    .where('fiscal_year', '=', fiscalYear)
    .where('org_id', '=', orgId)
    .where('state', 'in', CEILING_USING_STATES);
  if (excludeInstance) query = query.where('id', '!=', excludeInstance);
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.used);
}

/**
 * The ceiling rule for TAPD approval. Inside a transaction it locks the ceiling row, so concurrent
 * approvals for one OPD and year (from any number of API processes) are checked one after another.
 */
export async function checkWithinCeiling(
  q: Q,
  instance: { id: string; org_id: string; fiscal_year: number | null; total: number | null },
  lock: boolean,
): Promise<void> {
  const year = instance.fiscal_year;
  if (year === null || instance.total === null) throw invalidData('The proposal has no fiscal year or total', []);
  let query = q.selectFrom('ceilings').select('amount').where('fiscal_year', '=', year).where('org_id', '=', instance.org_id);
  if (lock) query = query.forUpdate();
  const ceiling = await query.executeTakeFirst();
  if (!ceiling) throw ceilingMissing(`No ceiling is set for ${instance.org_id} in ${year}`);
  const used = await usedAmount(q, year, instance.org_id, instance.id);
  if (used + instance.total > ceiling.amount) {
    throw ceilingExceeded(
      `Approving ${instance.total} would bring ${instance.org_id}'s ${year} total to ${used + instance.total}, over its ceiling of ${ceiling.amount}`,
    );
  }
}

/** The step rule `withinCeiling` (TAPD's approval). */
export const withinCeiling: RuleHook = ({ q, locked, instance }) => checkWithinCeiling(q, instance, locked);

export interface CeilingView {
  fiscalYear: number;
  org: string;
  orgName: string;
  amount: number;
  used: number;
  remaining: number;
  updatedBy: string;
  updatedAt: string;
}

/** Sets an OPD's ceiling; it may not go below what approved and ratified proposals already use. */
export async function setCeiling(db: Kysely<Database>, fiscalYear: number, orgId: string, amount: number, by: string): Promise<void> {
  const org = await db.selectFrom('orgs').select('id').where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound(`No OPD "${orgId}"`);
  await db.transaction().execute(async (trx) => {
    // Insert-if-missing first so the row exists to be locked; then every writer serialises on it.
    await trx
      .insertInto('ceilings')
      .values({ fiscal_year: fiscalYear, org_id: orgId, amount, updated_by: by })
      .onConflict((oc) => oc.columns(['fiscal_year', 'org_id']).doNothing())
      .execute();
    await trx.selectFrom('ceilings').select('amount').where('fiscal_year', '=', fiscalYear).where('org_id', '=', orgId).forUpdate().execute();
    const used = await usedAmount(trx, fiscalYear, orgId);
    if (amount < used) throw ceilingBelowUsed(`The ceiling cannot go below the ${used} already approved for ${orgId} in ${fiscalYear}`);
    await trx
      .updateTable('ceilings')
      .set({ amount, updated_by: by, updated_at: sql<Date>`now()` })
      .where('fiscal_year', '=', fiscalYear)
      .where('org_id', '=', orgId)
      .execute();
    await recordCeilingEvent(trx, { action: 'set_ceiling', fiscalYear, orgId, amount, actor: by });
  });
}

/**
 * Ceilings set before ceiling_events existed get one `baseline` row each (as they stand, by whoever
 * set them last), so every ceiling in the table has a history. Safe to run from several processes
 * at once: the chain's table lock is taken before looking. Returns how many were recorded.
 */
export async function recordCeilingBaseline(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE ceiling_events IN EXCLUSIVE MODE`.execute(trx);
    const missing = await trx
      .selectFrom('ceilings as c')
      .select(['c.fiscal_year', 'c.org_id', 'c.amount', 'c.updated_by'])
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('ceiling_events as e').select('e.seq').whereRef('e.fiscal_year', '=', 'c.fiscal_year').whereRef('e.org_id', '=', 'c.org_id'))))
      .orderBy('c.fiscal_year')
      .orderBy('c.org_id')
      .execute();
    for (const c of missing) {
      await recordCeilingEvent(trx, { action: 'baseline', fiscalYear: c.fiscal_year, orgId: c.org_id, amount: c.amount, actor: c.updated_by });
    }
    return missing.length;
  });
}

export async function listCeilings(db: Kysely<Database>, fiscalYear: number): Promise<CeilingView[]> {
  const rows = await db
    .selectFrom('ceilings')
    .innerJoin('orgs', 'orgs.id', 'ceilings.org_id')
    .select([
      'ceilings.fiscal_year', 'ceilings.org_id', 'orgs.name', 'ceilings.amount', 'ceilings.updated_by', 'ceilings.updated_at',
      (eb) =>
        eb
          .selectFrom('workflow_instances as w')
          .select(sql<number>`coalesce(sum(w.total), 0)::bigint`.as('s'))
          .where('w.workflow', '=', 'budget-proposal')
          .whereRef('w.org_id', '=', 'ceilings.org_id')
          .whereRef('w.fiscal_year', '=', 'ceilings.fiscal_year')
          .where('w.state', 'in', CEILING_USING_STATES)
          .as('used'),
    ])
    .where('ceilings.fiscal_year', '=', fiscalYear)
    .orderBy('ceilings.org_id')
    .execute();
  return rows.map((r) => {
    const used = Number(r.used ?? 0);
    return {
      fiscalYear: r.fiscal_year,
      org: r.org_id,
      orgName: r.name,
      amount: r.amount,
      used,
      remaining: r.amount - used,
      updatedBy: r.updated_by,
      updatedAt: r.updated_at.toISOString(),
    };
  });
}
