/**
 * What a workflow contributes to the list pages and the search: the page's title, what the search
 * box finds, and which of its numbers name an instance. Data, one entry per workflow, given by the
 * workflow's package (`listing`) and collected here from the registry, so the core matches no
 * workflow's field by name.
 */
import { defaultRegistry, type WorkflowRegistry } from './registry';

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

/** Every registered package's listing (read when asked: packages import the core, so not at load time). */
export function listings(registry: WorkflowRegistry = defaultRegistry()): WorkflowListing[] {
  return registry.packages.flatMap((pkg) => (pkg.listing ? [{ ...pkg.listing, workflow: pkg.name }] : []));
}

export function listingOf(workflow: string, registry: WorkflowRegistry = defaultRegistry()): WorkflowListing | undefined {
  return listings(registry).find((l) => l.workflow === workflow);
}
