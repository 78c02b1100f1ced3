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
import type { WorkflowDefinition, WorkflowInstant } from './definition';
import type { WorkflowListing } from './listing';
import type { DashboardScope } from './dashboard';
import type { Engine } from './engine';
import type { WebDeps } from '../web/deps';
import type { WebContext } from '../web/context';
import type { SafeHtml } from '../web/html';
import type { DocumentAuthority } from '../documents/authority';
import type { DocumentPool } from '../documents/pool';
import type { DocumentSection } from '../documents/content';

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
  /** The choices of an enum field, by `<field>.<value>` (e.g. "document.identity"); unlabelled ones show as they are. */
  values?: Readonly<Record<string, string>>;
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

/**
 * What a rule hook sees: the instance before the transition. A rule runs twice: once before any
 * document is rendered or number taken (`q` the database, `locked` false), and again inside the
 * transition's transaction (`q` that transaction, `locked` true), where it locks what it reads so
 * concurrent transitions from any number of processes are checked one after another.
 */
export interface RuleInput {
  q: Kysely<Database> | Transaction<Database>;
  locked: boolean;
  instance: InstanceRow;
  actor: Actor;
  /** The event fired: its type, and for a step with a payload the payload, valid against its schema. */
  event: { type: string; payload?: Record<string, unknown> };
}

/**
 * Refuses the transition by throwing a GrmsError (a 422 `invalidData` naming the payload's field,
 * e.g. `/data/opd`, for data the rule does not accept). Define it in a file the version's source
 * imports, so the version's fingerprint covers its code (src/engine/fingerprint.ts).
 */
export type RuleHook = (input: RuleInput) => Promise<void>;

export interface WorkflowPackage {
  /** The workflow id: lower case, digits and hyphens (the folder name). */
  name: string;
  title: Labelled;
  versions: readonly PackageVersion[];
  roles: Readonly<Record<string, RoleSpec>>;
  labels: Readonly<Record<'id' | 'en', PackageLabels>>;
  /** Named rules steps refer to by `rule`; a step naming a rule not here is refused when the registry is built. */
  rules?: Readonly<Record<string, RuleHook>>;
  /** The list page and the search (src/engine/listing.ts). */
  listing?: Omit<WorkflowListing, 'workflow'>;
  /**
   * Extra routes. `public`: no sign-in, mounted before authentication with their full paths;
   * `publicPaths` names the paths it serves that are not under /api/ (exact, or a prefix ending in
   * "/"), so the console leaves them alone. `api`: mounted under /api/v1 behind the bearer token,
   * paths relative to it. `console`: console pages with their full paths (signed-in sessions, CSRF),
   * registered without reading `deps` (test/support/console-routes.ts lists them).
   */
  routes?: {
    public?(deps: PackageDeps): Router;
    publicPaths?: readonly string[];
    api?(deps: PackageDeps): Router;
    console?(deps: WebDeps): Router;
  };
  /**
   * OpenAPI paths and component schemas of the package's own routes: each operation carries its
   * operationId, tags and description; `tags` describes the tags it introduces.
   */
  openapi?(deps: { publicUrl: string }): PackageOpenApi;
  /**
   * A section of the console's data forms of this workflow (creating, and events that replace the
   * data), shown above the fields: e.g. a checklist ticked from the data as it stands.
   */
  formSection?(input: FormSectionInput): SafeHtml;
  /** A section of the console's instance page for an instance of this workflow (after its summary). */
  instanceSection?(deps: WebDeps, input: InstanceSectionInput): Promise<SafeHtml>;
  /** A table per OPD on the dashboard, each with a bar chart and an .xlsx download. */
  dashboard?: readonly DashboardFigure[];
  /**
   * Which year an instance counts in, on the dashboard and in the lists' `year` filter alike
   * (src/engine/years.ts); by default the year it was created in on the workflow clock, and the
   * dashboard opens on this year. E.g. `years: { by: 'fiscal', opensOn: 'next' }` for budgets.
   */
  years?: YearRule;
  /** Start-up work, run by every server (and by tools that need it) before it serves: e.g. backfilling a table the package writes. Must be safe to run from several processes at once. */
  onStart?(db: Kysely<Database>): Promise<void>;
  /** The package's part of the demo data set (the embedded default and the tests' fixtures). */
  demo?: PackageDemo;
  /** Demo instances for the embedded default, run after every package's demo users exist, in package order. */
  seed?(ctx: SeedContext): Promise<void>;
  /**
   * Citizens may create instances of this workflow without an account (src/api/public-intake.ts):
   * `POST /api/v1/public/workflows/{name}/instances`, limited per client address, answered with a
   * tracking number and PIN shown once. Their events are steps with scope 'tracking-pin'. E.g.
   * `publicIntake: { org: (s) => String(s.complaintDesk ?? 'diskominfo'), trackingNumber: (seq, at) =>
   * `ADU/${at.instant.getUTCFullYear()}/${String(seq).padStart(6, '0')}`, anonymous: { when: '/anonymous',
   * identity: ['/reporter'] } }`.
   */
  publicIntake?: PublicIntakeSpec;
  /**
   * Data only some readers see (field-level confidentiality, src/engine/confidential.ts): for a
   * reader holding none of `visibleTo` (nor the core auditor role), the value at `pointer` is
   * replaced by "dirahasiakan" in the API's views, the console and stage documents (documents are
   * read by the OPD: always hidden there), when the boolean at `when` is true (always, without
   * `when`). E.g. `confidential: [{ pointer: '/reporter', when: '/confidential', visibleTo: ['complaint_desk'] }]`.
   */
  confidential?: readonly ConfidentialField[];
  /**
   * A stage document laid out by the package (e.g. a DPA-SKPD): asked on the main thread for every
   * document the workflow's steps produce, before rendering; undefined keeps the default layout
   * (summary, budget lines, history). What it returns crosses to the rendering thread: plain data
   * only (src/documents/content.ts `DocumentSection`).
   */
  documentContent?(input: DocumentContentInput): Promise<PackageDocumentContent | undefined>;
  /**
   * How the package's stage documents are numbered, by step (`'<state>/<event>'`, e.g.
   * `'bappeda_verification/verify'`): the document's kind — the register of the issuing office it is
   * numbered in, per year — and its archive classification code, e.g.
   * `{ kind: 'berita-acara', classification: '900.1.4' }`. A document not listed here is numbered in
   * the office's default register ('umum') with its step's `document.classification` (900 when
   * absent). May change in place (not part of a version's fingerprint); a register never restarts.
   * A step whose document carries a stamped number (`numberFrom`) is not numbered from a register.
   */
  documentNumbers?: Readonly<Record<string, DocumentNumbering>>;
}

/** What a package's document layout sees: the instance before the transition, and the step that makes the document. */
export interface DocumentContentInput {
  /** For reference data the document prints (e.g. names of budget codes: src/nomenclature). */
  db: Kysely<Database>;
  instance: InstanceRow;
  /** The data as the document may print it (confidential values hidden). */
  data: Record<string, unknown>;
  /** The state the step leaves and the event fired. */
  state: string;
  event: string;
  /** The step's document title (DocumentSpec.title), e.g. "DPA-SKPD". */
  title: string;
  /** The name of the instance's OPD. */
  orgName: string;
}

export interface PackageDocumentContent {
  /** Printed instead of the default summary table and budget lines. */
  sections: DocumentSection[];
  /** false: the document prints no process history and no discussion (they stay in the audit trail and the earlier documents). */
  history?: boolean;
}

/** A document's register and classification (WorkflowPackage.documentNumbers). */
export interface DocumentNumbering {
  /** Lower-case letters, digits and '-', e.g. 'berita-acara', 'nota-dinas', 'sk', 'dpa'. */
  kind: string;
  /** Archive classification code: digits and dots, e.g. '900.1.4'. */
  classification: string;
}

export interface YearRule {
  /**
   * 'fiscal': the fiscal year the version's normalize gives (an instance without one: as
   * 'created'); 'created': the year it was created in on the workflow clock, in GRMS_TIMEZONE.
   */
  by: 'fiscal' | 'created';
  /** The year the dashboard shows this workflow in when none is asked: this year (the default) or the next. */
  opensOn?: 'this' | 'next';
}

export interface PublicIntakeSpec {
  /** The OPD owning every instance citizens create: an org id, or one taken from the deployment settings. */
  org: string | ((settings: Readonly<Record<string, unknown>>) => string);
  /** The tracking number from the core's sequence value, e.g. `ADU/2026/000042`; unique across workflows. */
  trackingNumber(seq: number, at: WorkflowInstant): string;
  /**
   * When the data's boolean at `when` is true, the values at `identity` (JSON Pointers) are dropped
   * before anything is stored: the instance keeps no identity (the access log and rate-limit rows of
   * public routes keep no address past the limit window either).
   */
  anonymous?: { when: string; identity: readonly string[] };
  /**
   * JSON Pointer of the submission's list of attachments, e.g. '/attachments': the public routes
   * refuse a submission naming more than the deployment allows (GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS)
   * before anything is written.
   */
  attachments?: string;
}

export interface ConfidentialField {
  /** JSON Pointer of the hidden value, e.g. "/reporter". */
  pointer: string;
  /** JSON Pointer of a boolean in the data: hidden only when it is true; always hidden without it. */
  when?: string;
  /** Roles that see the value (auditors always do). */
  visibleTo: readonly string[];
}

/** The texts of a dashboard figure in one language; `{year}` in description and chartTitle is the fiscal year shown. */
export interface DashboardFigureText {
  title: string;
  description: string;
  chartTitle: string;
  /** A header per value column (the OPD column comes first, from the core). */
  columns: readonly string[];
  /** Shown for a null value (e.g. a ceiling not set). */
  missing: string;
}

/** Figures per OPD for one year, served on the dashboard and as /dashboard/<id>.xlsx. */
export interface DashboardFigure {
  /** Lower-case letters: the .xlsx file name and the ids of the page's section and chart. */
  id: string;
  /** How every value is shown: an amount of rupiah or a count. */
  kind: 'rupiah' | 'integer';
  text: Readonly<Record<'id' | 'en', DashboardFigureText>>;
  /** One row per OPD within the scope (every OPD when `scope.orgs` is undefined), ordered by name. */
  rows(db: Kysely<Database>, scope: DashboardScope): Promise<Array<{ org: string; orgName: string; values: Array<number | null> }>>;
}

export interface PackageOpenApi {
  paths?: Record<string, Record<string, unknown>>;
  schemas?: Record<string, unknown>;
  tags?: Record<string, string>;
}

/** What a data form hands a package's form section. */
export interface FormSectionInput {
  ctx: WebContext;
  workflow: string;
  /** The version whose schema the form shows (the newest when creating, the instance's own otherwise). */
  version: number;
  /** The data as the form holds it (empty, as typed, or as stored). */
  data: Record<string, unknown>;
}

/** What the instance page hands a package's section. */
export interface InstanceSectionInput {
  ctx: WebContext;
  actor: Actor;
  instanceId: string;
  /** The create answer's `receipt`, on the one page view right after creating (never again). */
  created?: Record<string, unknown>;
  /** A refused form of the section: what was typed and why it was refused. */
  typed?: string;
  error?: string;
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

/** A demo user holding roles at one organisation (a core demo OPD or one of the package's `orgs`). */
export interface DemoUser {
  username: string;
  fullName: string;
  position: string;
  nip?: string;
  org: string;
  roles: readonly string[];
}

/** An organisation a package's demo needs besides the core's demo OPDs, e.g. a supplier. */
export interface DemoOrg {
  id: string;
  name: string;
  kind?: string;
  npwp?: string;
  /** The unit code its document numbers print (orgs.unit_code); without one it issues no document. */
  unitCode?: string;
}

export interface PackageDemo {
  users?: readonly DemoUser[];
  orgs?: readonly DemoOrg[];
  /** Reference data written in the transaction that creates the demo people, e.g. budget ceilings for `year` and later. */
  reference?(trx: Transaction<Database>, ctx: { year: number }): Promise<void>;
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
