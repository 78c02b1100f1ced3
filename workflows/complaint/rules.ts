import type { RuleHook } from '../../src/engine/package';
import { invalidData } from '../../src/errors';

/**
 * The rules a complaint's steps name (`Step.rule`). This file is imported by the version's source,
 * so the version's fingerprint covers it: a change here is a fix migration or a new version.
 */

/** The role that receives a dispatched complaint at its OPD (v1's follow-up and answer steps). */
const RECEIVER = 'complaint_liaison';

/**
 * The desk's dispatch (disposisi) names an OPD that can receive the complaint: an organisation
 * that exists, is an OPD (not a supplier) and has an active liaison (penghubung) to act on it;
 * otherwise the complaint would wait in nobody's inbox. Refused as 422 naming `/data/opd`. Under
 * the transition's lock it reads the org and its liaisons FOR SHARE, so a concurrent change
 * cannot slip between the check and the dispatch.
 */
export const dispatchesToAnOpd: RuleHook = async ({ q, locked, event }) => {
  const opd = event.payload?.opd;
  // The payload's schema requires it; nothing to check without it.
  if (typeof opd !== 'string') return;
  let orgQuery = q.selectFrom('orgs').select(['id', 'kind']).where('id', '=', opd);
  if (locked) orgQuery = orgQuery.forShare();
  const org = await orgQuery.executeTakeFirst();
  let problem: string | undefined;
  if (!org) problem = 'is not a known OPD';
  else if (org.kind !== 'opd') problem = 'is not an OPD';
  else {
    let liaisons = q.selectFrom('user_roles').innerJoin('users', 'users.username', 'user_roles.username').select('users.username')
      .where('user_roles.role', '=', RECEIVER).where('user_roles.org_id', '=', opd).where('users.active', '=', true).limit(1);
    if (locked) liaisons = liaisons.forShare();
    if (!(await liaisons.executeTakeFirst())) problem = 'has no complaint liaison to receive it';
  }
  if (problem) throw invalidData(`The complaint cannot be dispatched to "${opd}": it ${problem}`, [{ path: '/data/opd', message: problem }]);
};

export const complaintRules = { dispatchesToAnOpd };
