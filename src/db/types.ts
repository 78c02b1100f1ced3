import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** Typed view of the schema in migrations/. A renamed column fails to compile. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface OrgsTable {
  id: string;
  name: string;
  kind: Generated<string>;
  code: string | null;
  /** Tax number (NPWP) of a supplier org (migrations/0008_procurement.sql). */
  npwp: ColumnType<string | null, string | null | undefined, string | null>;
  /** Letterhead contacts and logo (migrations/0036_org_letterhead.sql). */
  address: ColumnType<string | null, string | null | undefined, string | null>;
  phone: ColumnType<string | null, string | null | undefined, string | null>;
  email: ColumnType<string | null, string | null | undefined, string | null>;
  website: ColumnType<string | null, string | null | undefined, string | null>;
  /** PNG or JPEG, at most 256 KB (src/documents/logo.ts); logo_type and logo_sha256 are set with it. */
  logo: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  logo_type: ColumnType<string | null, string | null | undefined, string | null>;
  logo_sha256: ColumnType<string | null, string | null | undefined, string | null>;
  /** The unit code printed in the office's document numbers, e.g. BPKAD (migrations/0047_document_registers.sql). */
  unit_code: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export interface UsersTable {
  username: string;
  full_name: string;
  position: Generated<string>;
  /** 18 digits (NIP), or null. */
  nip: Generated<string | null>;
  org_id: string;
  active: Generated<boolean>;
  created_at: Generated<Date>;
  password_hash: Generated<string | null>;
  password_changed_at: Generated<Date | null>;
  password_must_change: Generated<boolean>;
}

export interface UserRolesTable {
  username: string;
  role: string;
  org_id: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  token_hash: string;
  username: string;
  created_at: Generated<Date>;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
  /** What made it, when that matters: the demo start's tokens (migrations/0030_console_notices_demo_tokens.sql). */
  note: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DeploymentKeysTable {
  name: string;
  algorithm: string;
  public_key: string;
  private_key: string;
  certificate: string | null;
  created_at: Generated<Date>;
}

export interface CeilingsTable {
  fiscal_year: number;
  org_id: string;
  amount: number;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface WorkflowInstancesTable {
  id: string;
  row_no: Generated<number>;
  workflow: string;
  workflow_version: number;
  state: string;
  version: number;
  snapshot: Json;
  data: Json<Record<string, unknown>>;
  org_id: string;
  title: string;
  fiscal_year: number | null;
  /** The year it is counted in (WorkflowPackage.years); NULL for rows made before migration 0042 (src/engine/years.ts). */
  year_group: ColumnType<number | null, number | null | undefined, number | null>;
  total: number | null;
  submitters: ColumnType<string[], string[] | undefined, string[]>;
  participants: ColumnType<string[], string[] | undefined, string[]>;
  /** Who had a hand in which step: 'state:event:username' (see stepKey), for segregation of duties. */
  step_hands: ColumnType<string[], string[] | undefined, string[]>;
  created_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AuditEventsTable {
  instance_id: string;
  seq: number;
  event: string;
  from_state: string | null;
  to_state: string;
  actor: string;
  actor_role: string | null;
  comment: string | null;
  payload_digest: string | null;
  created_at: ColumnType<Date, string, never>;
  prev_hash: string | null;
  hash: string;
}

export interface AuditCheckpointsTable {
  id: Generated<number>;
  as_of: ColumnType<Date, string, never>;
  row_count: number;
  head_count: number;
  heads: Json<Array<{ instance: string; seq: number; hash: string }>>;
  merkle_root: string;
  previous_id: number | null;
  signature: string;
  key_name: string;
  /** 1: heads of audit_events only; 2: also side_heads (migrations/0023_append_only_everywhere.sql). */
  format: Generated<number>;
  side_heads: Json<Record<string, { seq: number; hash: string } | null>> | null;
}

export interface IdempotencyKeysTable {
  username: string;
  route: string;
  key: string;
  request_hash: string;
  status: number;
  response: Json;
  headers: Json<Record<string, string>>;
  created_at: Generated<Date>;
}

/** One change to people (see src/auth/people.ts); append-only, hash-chained as one chain. */
export interface PeopleEventsTable {
  seq: number;
  action: string;
  username: string;
  role: string | null;
  org_id: string | null;
  details: string | null;
  actor: string;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

/** One change to an organisation (see src/orgs/admin.ts); append-only, hash-chained as one chain. */
export interface OrgEventsTable {
  seq: number;
  action: string;
  org_id: string;
  details: string;
  actor: string;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  api_tokens: ApiTokensTable;
  deployment_keys: DeploymentKeysTable;
  ceilings: CeilingsTable;
  workflow_instances: WorkflowInstancesTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  idempotency_keys: IdempotencyKeysTable;
  auth_failures: AuthFailuresTable;
  trusted_devices: TrustedDevicesTable;
  attachments: AttachmentsTable;
  delegations: DelegationsTable;
  people_events: PeopleEventsTable;
  org_events: OrgEventsTable;
}

export type InstanceRow = Selectable<WorkflowInstancesTable>;
export type NewInstanceRow = Insertable<WorkflowInstancesTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;

// --- Documents (migrations/0002_documents.sql) ---

export interface UserCertificatesTable {
  id: Generated<number>;
  username: string;
  serial: string;
  certificate: string;
  private_key: string | null;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
  /** migrations/0023: why it was revoked, as its CRL entry says. */
  revocation_reason: Generated<RevocationReason | null>;
  /** migrations/0050: the key's CKA_ID (hex) in the deployment's PKCS#11 token; private_key is then NULL. */
  token_key_id: Generated<string | null>;
}

/** CRL reason codes grms records (RFC 5280 §5.3.1). */
export type RevocationReason = 'superseded' | 'cessationOfOperation' | 'keyCompromise' | 'affiliationChanged';

export interface DocumentNumberSequencesTable {
  org_id: string;
  year: number;
  /** The register's document kind (migrations/0047_document_registers.sql); 'umum' is the default register. */
  kind: string;
  sequence_name: string;
  /** Made before registers had kinds: a register of another kind for the same office and year starts after it. */
  legacy: Generated<boolean>;
  start_value: ColumnType<number, number | undefined, never>;
  created_at: Generated<Date>;
}

/** A number's parts (migrations/0047_document_registers.sql); all null on rows of format 1. */
interface NumberPartColumns {
  number_format_version: ColumnType<number | null, number | null | undefined, never>;
  number_org: ColumnType<string | null, string | null | undefined, never>;
  number_kind: ColumnType<string | null, string | null | undefined, never>;
  /** bigint: read it as text or cast it. */
  number_seq: ColumnType<string | number | null, number | null | undefined, never>;
  number_classification: ColumnType<string | null, string | null | undefined, never>;
  number_unit: ColumnType<string | null, string | null | undefined, never>;
  number_format: ColumnType<string | null, string | null | undefined, never>;
}

export interface VoidDocumentNumbersTable extends NumberPartColumns {
  number: string;
  /** The unit code inside the number. */
  org: string;
  year: number;
  reason: string;
  created_at: Generated<Date>;
}

export interface DocumentsTable extends NumberPartColumns {
  id: Generated<string>;
  instance_id: string;
  seq: number;
  workflow: string;
  event: string;
  stage: string;
  number: string;
  title: string;
  signer_username: string | null;
  signer_name: string;
  sha256: string;
  bytes: Buffer;
  number_year: ColumnType<number | null, number | null | undefined, never>;
  created_at: Generated<Date>;
}

// Declaration merging: 0002 adds a column to audit_events and tables to the database.
export interface AuditEventsTable {
  document_sha256: ColumnType<string | null, string | null | undefined, never>;
}

export interface Database {
  user_certificates: UserCertificatesTable;
  document_number_sequences: DocumentNumberSequencesTable;
  void_document_numbers: VoidDocumentNumbersTable;
  documents: DocumentsTable;
}

export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocumentRow = Insertable<DocumentsTable>;

// --- SLA deadlines (migrations/0004_deadlines.sql) ---

export interface HolidaysTable {
  /** A PostgreSQL date; drivers parse it into a Date at local midnight, so read it as text (::text). */
  date: ColumnType<Date, string, string>;
  name: string;
  created_by: string;
  created_at: Generated<Date>;
}

export interface DeadlinesTable {
  instance_id: string;
  kind: 'state' | 'overall';
  workflow: string;
  state: string;
  working_days: number;
  used_days: Generated<number>;
  started_at: Timestamp;
  paused_at: Timestamp | null;
  due_at: Timestamp | null;
  overdue: Generated<boolean>;
  escalated_at: Timestamp | null;
  /** The instance's row_no and org_id, set by a trigger (migrations/0015) for the inbox's indexes. */
  row_no: Generated<number>;
  org_id: Generated<string>;
}

export interface Database {
  holidays: HolidaysTable;
  deadlines: DeadlinesTable;
}

export type DeadlineRow = Selectable<DeadlinesTable>;

// --- Workflow definitions (migrations/0003_workflow_definitions.sql) ---

export interface WorkflowDefinitionsTable {
  workflow: string;
  version: number;
  /** SHA-256 hex: the version's fingerprint (src/engine/fingerprint.ts), or its old definition hash (form). */
  hash: string;
  /** Which of the two `hash` is (migrations/0037_workflow_fingerprints.sql). */
  form: 'definition-hash' | 'fingerprint';
  registered_at: Generated<Date>;
}

/** Definition hashes grms released before fingerprints (migrations/0037_workflow_fingerprints.sql). */
export interface WorkflowReleasedHashesTable {
  workflow: string;
  version: number;
  hash: string;
}

/** A fix applied to a version's running instances (migrations/0018_workflow_definition_fixes.sql). */
export interface WorkflowDefinitionFixesTable {
  workflow: string;
  version: number;
  previous_hash: string;
  hash: string;
  reason: string;
  migration: string;
  recorded_at: Generated<Date>;
  applied_at: Date | null;
}

export interface Database {
  workflow_definitions: WorkflowDefinitionsTable;
  workflow_definition_fixes: WorkflowDefinitionFixesTable;
  workflow_released_hashes: WorkflowReleasedHashesTable;
}

/** One failed (or still running) authentication attempt (migrations/0022_auth_attempts.sql). */
export interface AuthFailuresTable {
  id: Generated<number>;
  client: string;
  username: string | null;
  device: string | null;
  created_at: Generated<Date>;
}

/** A browser a user signed in from (its device cookie's SHA-256), exempt from the per-username limit. */
export interface TrustedDevicesTable {
  id_hash: string;
  username: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
}

// --- Tracking numbers and PINs (migrations/0005_permits.sql, renamed in 0038_tracking.sql) ---

export interface TrackingRegistrationsTable {
  instance_id: string;
  registration_number: string;
  pin_hash: string;
  created_at: Generated<Date>;
}

export interface TrackingFailuresTable {
  id: Generated<number>;
  registration_number: string;
  client_ip: string;
  created_at: Generated<Date>;
}

export interface Database {
  tracking_registrations: TrackingRegistrationsTable;
  tracking_failures: TrackingFailuresTable;
}

export interface AttachmentsTable {
  id: string;
  instance_id: string;
  seq: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  bytes: Buffer;
  uploaded_by: string;
  created_at: Generated<Date>;
}

export interface DelegationsTable {
  id: string;
  delegator: string;
  delegate: string;
  role: string;
  org_id: string;
  /** Plt or Plh (migrations/0040_delegation_kind.sql). */
  kind: 'plt' | 'plh';
  /** The principal's position when the delegation was made (migrations/0048_delegation_principal_position.sql). */
  principal_position: ColumnType<string | null, string | null | undefined, never>;
  starts_on: ColumnType<string, string, string>;
  ends_on: ColumnType<string, string, string>;
  reason: string | null;
  created_by: string;
  created_at: Generated<Date>;
  ended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

// --- Web console sessions (migrations/0014_sessions.sql) ---

export interface WebSessionsTable {
  /** SHA-256 hex of the session id in the cookie; the id itself is never stored. */
  id_hash: string;
  username: string;
  csrf_token: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  last_seen_at: Generated<Date>;
  /** Opened with a temporary password: the one session that may set a new one without the current one. */
  temporary_password: Generated<boolean>;
}

export interface Database {
  web_sessions: WebSessionsTable;
}

// --- One-time console notices (migrations/0030_console_notices_demo_tokens.sql) ---

export interface WebNoticesTable {
  session_hash: string;
  page: string;
  /** AES-256-GCM under a key derived from the session id (src/web/notices.ts). */
  sealed: string;
  expires_at: Timestamp;
}

export interface Database {
  web_notices: WebNoticesTable;
}

// --- Public read routes limited per client (migrations/0027_public_requests.sql) ---

export interface PublicRequestsTable {
  id: Generated<string>;
  route: string;
  client: string;
  created_at: Generated<Date>;
}

export interface Database {
  public_requests: PublicRequestsTable;
}

// --- Public signature checks (migrations/0020_verify_attempts.sql) ---

export interface VerifyAttemptsTable {
  id: Generated<string>;
  client: string;
  created_at: Generated<Date>;
}

export interface Database {
  verify_attempts: VerifyAttemptsTable;
}

// --- The transparency log (migrations/0026_transparency_log.sql) ---

/** The log columns every source of leaves carries: the writing transaction (xid8, read as text) and the leaf's salt. */
interface LogSourceColumns {
  log_xid: ColumnType<string, never, never>;
  log_salt: ColumnType<string, never, never>;
}

export interface AuditEventsTable extends LogSourceColumns {
  /** The instance as the row leaves it (src/audit/instance-digest.ts); null on rows written before 0026. */
  instance_version: ColumnType<number | null, number | null | undefined, never>;
  instance_org: ColumnType<string | null, string | null | undefined, never>;
  instance_digest: ColumnType<string | null, string | null | undefined, never>;
}
export interface PeopleEventsTable extends LogSourceColumns {}
export interface OrgEventsTable extends LogSourceColumns {}
export interface DocumentsTable extends LogSourceColumns {}

/** One change to a ceiling (pagu), hash-chained as one chain like org_events (src/audit/ceiling-events.ts). */
export interface CeilingEventsTable extends LogSourceColumns {
  seq: number;
  action: string;
  fiscal_year: number;
  org_id: string;
  amount: number;
  actor: string;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

export interface LogLeavesTable {
  idx: number;
  source: string;
  source_key: string;
  leaf_hash: Buffer;
}

export interface LogNodesTable {
  level: number;
  idx: number;
  hash: Buffer;
}

export interface LogIntegrationsTable {
  size: number;
  previous_size: number;
  from_xid: ColumnType<string, string, never>;
  watermark: ColumnType<string, string, never>;
  created_at: Generated<Date>;
}

export interface LogCheckpointsTable {
  size: number;
  root: Buffer;
  note: string;
  created_at: Generated<Date>;
}

export interface LogCosignaturesTable {
  size: number;
  witness: string;
  signature: string;
  signed_at: number;
  created_at: Generated<Date>;
}

export interface LogAlarmsTable {
  id: Generated<number>;
  kind: string;
  witness: string | null;
  fatal: boolean;
  tree_size: number;
  reported_size: number | null;
  detail: string;
  created_at: Generated<Date>;
}

export interface Database {
  ceiling_events: CeilingEventsTable;
  log_leaves: LogLeavesTable;
  log_nodes: LogNodesTable;
  log_integrations: LogIntegrationsTable;
  log_checkpoints: LogCheckpointsTable;
  log_cosignatures: LogCosignaturesTable;
  log_alarms: LogAlarmsTable;
}

/** migrations/0039: a public form's once-only record and its receipt until shown (src/web/pages/public-intake.ts). */
export interface PublicFormReceiptsTable {
  form_hash: string;
  client_hash: string;
  page: string;
  sealed: string | null;
  expires_at: Date;
}
export interface Database {
  public_form_receipts: PublicFormReceiptsTable;
}

/** migrations/0043: the data an instance held at each submission (src/engine/submissions.ts). */
export interface SubmittedDataTable {
  instance_id: string;
  seq: number;
  data: Json<Record<string, unknown>>;
}
export interface Database {
  submitted_data: SubmittedDataTable;
}
/** migrations/0041: a browser's proof of a tracking number and PIN, for a while (src/web/pages/public-status.ts). */
export interface TrackingGrantsTable {
  client_hash: string;
  sealed: string;
  expires_at: Date;
}
export interface Database {
  tracking_grants: TrackingGrantsTable;
}

/** Migration 0049: names of budget codes per fiscal year (src/nomenclature). */
export interface NomenclatureTable {
  fiscal_year: number;
  kind: 'urusan' | 'bidang' | 'program' | 'kegiatan' | 'sub_kegiatan' | 'akun';
  code: string;
  name: string;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface Database {
  nomenclature: NomenclatureTable;
}
