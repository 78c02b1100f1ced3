/**
 * The workflow package contract: everything one workflow knows, in one folder (`workflows/<name>/`
 * for the built-in ones, a folder of GRMS_WORKFLOW_PATH for a regency's own), handed to the core
 * through this one object. The core reads workflows only through it and never names one.
 *
 * - versions: each registered version with the source file it is defined in (relative to the
 *   package folder); the version's fingerprint is taken from that file and what it imports inside
 *   the package and its schema folder (src/engine/fingerprint.ts).
 * - roles: the package's roles with their labels; a role another package also declares must be
 *   declared the same way (a role is one office's duty, whichever workflow it acts in).
 * - labels: states, events, fields and the package's own texts in both console languages; may
 *   change in place.
 * - hooks: named rules a step runs inside its transaction (`Step.rule`), routes, OpenAPI paths,
 *   demo data, list and dashboard facts.
 */
import type { Router } from 'express';
import type { Kysely, Transaction } from 'kysely';
import type { Database, InstanceRow } from '../db/types';
import type { Actor } from '../auth/roles';
import type { WorkflowDefinition } from './definition';
import type { WorkflowListing } from './listing';
import type { Engine } from './engine';
import type { WebDeps } from '../web/deps';
import type { DocumentAuthority } from '../documents/authority';
import type { DocumentPool } from '../documents/pool';

/** A text in each console language. */
export interface Labelled {
  id: string;
  en: string;
}

export interface RoleSpec {
  label: Labelled;
  /** Acts across every OPD (Bappeda, TAPD …); otherwise only at the OPD where the role is held. */
  global?: boolean;
}

/** Labels of one language; a name missing here is shown with spaces for underscores. */
export interface PackageLabels {
  /** By state id; nested states as `parent.child` too. */
  states?: Readonly<Record<string, string>>;
  events?: Readonly<Record<string, string>>;
  /** By data property name. */
  fields?: Readonly<Record<string, string>>;
  /**
   * The package's own sentences by key (a dashboard section's heading, a receipt's note), with
   * `{name}` for a value filled in; the console's own words stay in src/web/i18n.
   */
  texts?: Readonly<Record<string, string>>;
}

export interface PackageVersion {
  definition: WorkflowDefinition;
  /** The file (relative to the package folder, without extension) that defines this version. */
  source: string;
}

/** What a rule hook sees: the instance before the transition, its data after, inside the transaction. */
export interface RuleInput {
  trx: Transaction<Database>;
  instance: InstanceRow;
  data: Record<string, unknown>;
  actor: Actor;
}

/** Refuses the transition by throwing a GrmsError; runs inside the transition's transaction. */
export type RuleHook = (input: RuleInput) => Promise<void>;

export interface WorkflowPackage {
  /** The workflow id: lower case, digits and hyphens (the folder name). */
  name: string;
  title: Labelled;
  versions: readonly PackageVersion[];
  roles: Readonly<Record<string, RoleSpec>>;
  labels: Readonly<Record<'id' | 'en', PackageLabels>>;
  /** Named rules steps refer to by `rule`. */
  rules?: Readonly<Record<string, RuleHook>>;
  /** The list page and the search (src/engine/listing.ts). */
  listing?: Omit<WorkflowListing, 'workflow'>;
  /** Extra routes: public ones (no sign-in), API ones under /api/v1 behind the bearer token, console pages. */
  routes?: {
    public?(deps: PackageDeps): Router;
    api?(deps: PackageDeps): Router;
    console?(deps: WebDeps): Router;
  };
  /** OpenAPI paths and component schemas of the package's own routes. */
  openapi?(deps: { publicUrl: string }): { paths?: Record<string, unknown>; schemas?: Record<string, unknown> };
  /** Demo data for the embedded default, run after the core's demo organisations and users exist. */
  seed?(ctx: SeedContext): Promise<void>;
}

/** What package routes may use: the app's dependencies with their defaults filled in. */
export interface PackageDeps {
  db: Kysely<Database>;
  engine: Engine;
  authority: DocumentAuthority;
  pool: DocumentPool;
  timezone: string;
  publicUrl: string;
  documentPlace: string;
  /** GRMS_GOVERNMENT and the other deployment settings a package may print. */
  settings: Readonly<Record<string, unknown>>;
}

export interface SeedContext {
  db: Kysely<Database>;
  engine: Engine;
  /** Users the core seeded, by username, e.g. to act as them. */
  actor(username: string): Promise<Actor>;
}

/** Where a package's code and schemas are, as the loader found them. */
export interface LoadedPackage extends WorkflowPackage {
  /** The folder its module was loaded from (dist/workflows/<name> for a built-in run from dist/). */
  dir: string;
  /** Its JSON Schemas: schemas/<name>/ for a built-in, `<dir>/schemas/` for an external package. */
  schemaDir: string;
  /** Its source files, which the fingerprint reads: the checkout's workflows/<name>/ for a built-in, else `dir`. */
  sourceDir: string;
}
