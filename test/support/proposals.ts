import { fiscalYearOf } from '../../src/seed/demo';
import { dinkesProposal } from '../../workflows/budget-proposal/demo';

export const YEAR = fiscalYearOf(new Date());

/** A valid two-line Dinkes proposal; total 46,250,000 + 54,922,875 + 43,200,000 = 144,372,875. */
export function proposal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...dinkesProposal(YEAR, 'Kelas Ibu Hamil Kecamatan Tembalang'), ...overrides };
}

export const PROPOSAL_TOTAL = 144_372_875;
