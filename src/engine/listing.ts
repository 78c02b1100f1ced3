/**
 * What a workflow contributes to the list pages and the search: the page's title, what the search
 * box finds, and which of its numbers name an instance. Data, one entry per workflow, kept in the
 * workflow's folder (workflows/<name>/listing.ts) and collected here, the way the registry
 * collects definitions, so the core matches no workflow's field by name.
 */
import { budgetProposalListing } from '../../workflows/budget-proposal/listing';
import { permitListing } from '../../workflows/permit/listing';
import { procurementDeliveryListing } from '../../workflows/procurement-delivery/listing';

/** A text in each console language. */
export interface Labelled {
  id: string;
  en: string;
}

export interface WorkflowListing {
  workflow: string;
  /** The list page's heading ("Daftar usulan"). */
  title: Labelled;
  /** What the search box finds, as the hint under it says. */
  searchHint: Labelled;
  /** Data fields the search matches exactly, as paths into the instance's data (["applicant", "nik"]). */
  exactData: ReadonlyArray<readonly string[]>;
  /** Tables with a number that names an instance (column `instance_id`), matched exactly. */
  numberTables: ReadonlyArray<{ table: string; column: string }>;
}

export const LISTINGS: readonly WorkflowListing[] = [budgetProposalListing, permitListing, procurementDeliveryListing];

export function listingOf(workflow: string): WorkflowListing | undefined {
  return LISTINGS.find((l) => l.workflow === workflow);
}
