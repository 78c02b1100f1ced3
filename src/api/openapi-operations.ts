import { documentPaths, openApiDocument } from './openapi';
import { workflowSchemas } from './openapi-workflows';
import type { WorkflowRegistry } from '../engine/registry';
import { publicIntakeOperations } from './openapi-public';

/**
 * What a client generator and a reader need beside each operation of the OpenAPI document: a
 * stable `operationId`, a tag, a description (and a summary where the document has none). Kept
 * apart from the paths so the two read side by side; `servedOpenApi` refuses an entry that names
 * no operation, and the lint test (test/api.openapi-lint.test.ts) an operation without an entry.
 */
type Operation = [operationId: string, tag: string, description: string, summary?: string];

const OPERATIONS: Record<string, Operation> = {
  'GET /healthz': ['getHealth', 'health', 'Answers 200 while the process runs; it does not touch the database.'],
  'GET /readyz': ['getReadiness', 'health', 'Answers 200 when the database answers, 503 `DATABASE_UNAVAILABLE` otherwise; for load balancers. Reports the transparency log (size, checkpoint, witnesses, quorum, and plainly when no witness cosigns it); 503 `LOG_HALTED` when a witness holds a larger tree than the database.'],
  'GET /metrics': ['getMetrics', 'health', 'Prometheus text exposition: request durations by route template and status, transitions, documents signed, overdue tasks and Node process metrics.'],
  'GET /openapi.json': ['getOpenApi', 'meta', 'The OpenAPI 3.1 description of this API, with `servers` set to the deployment\'s public URL.'],
  'GET /api/v1/audit/public-key': ['getAuditPublicKey', 'audit', 'The Ed25519 public key (PEM) an outside verifier uses to check audit checkpoints.'],
  'GET /api/v1/me': ['getMe', 'people', 'The signed-in caller: username, organisation, roles and delegated roles.'],
  'GET /api/v1/workflows': ['listWorkflows', 'meta', 'Every registered workflow version with its definition hash, states and instance count.'],
  'GET /api/v1/instances': ['listInstances', 'instances', 'A page of the instances the caller may read, filtered by workflow, state or organisation; follow `nextCursor` for the next page.'],
  'POST /api/v1/instances': ['createInstance', 'instances', 'Creates an instance with the given data, validated against the workflow\'s JSON Schema; an `Idempotency-Key` makes a retry safe.'],
  'GET /api/v1/instances/{id}': ['getInstance', 'instances', 'One instance with its data, state, version (also the ETag) and the events the caller may fire now.', 'An instance'],
  'GET /api/v1/instances/{id}/history': ['getInstanceHistory', 'instances', 'The instance\'s audit events in order, with their hashes (each links to the one before), page by page.', 'History of an instance'],
  'POST /api/v1/instances/{id}/events': ['fireEvent', 'instances', 'Applies one workflow event; `If-Match` with the version guards against lost updates, `Idempotency-Key` against double submission.'],
  'POST /api/v1/instances/bulk-events': ['fireEvents', 'instances', 'Applies many events in one call; the answer carries a status and the instance or a problem per item.'],
  'GET /api/v1/search': ['searchInstances', 'instances', 'Searches the instances the caller may read by number, registration, NIK/NIB or title words.'],
  'GET /api/v1/tasks': ['listTasks', 'tasks', 'The instances waiting for the caller (or a role delegated to them), with due dates, overdue flags and counts.'],
  'GET /api/v1/users': ['listUsers', 'people', 'Every user with roles and password state; for administrators and auditors.'],
  'POST /api/v1/users': ['createUser', 'people', 'Creates a user at an organisation, optionally with roles; recorded in the people chain.'],
  'PUT /api/v1/users/{username}/roles/{role}/{org}': ['grantRole', 'people', 'Grants a role at an organisation; 200 when the user already holds it.'],
  'DELETE /api/v1/users/{username}/roles/{role}/{org}': ['revokeRole', 'people', 'Removes a role a user holds at an organisation.'],
  'POST /api/v1/users/{username}/deactivate': ['deactivateUser', 'people', 'Deactivates a user: their tokens stop working and their signing certificate is revoked.'],
  'PUT /api/v1/users/{username}/password': ['setPassword', 'people', 'Sets a user\'s console password; recorded in the people chain.'],
  'POST /api/v1/users/{username}/password-reset': ['resetPassword', 'people', 'Gives a user a temporary password, returned once, which must be changed at the next sign-in.'],
  'PUT /api/v1/me/password': ['changeMyPassword', 'people', 'Changes the caller\'s own password; a wrong current password counts toward the authentication rate limit.'],
  'GET /api/v1/orgs': ['listOrgs', 'orgs', 'The organisations: OPDs of the government and suppliers.'],
  'POST /api/v1/orgs': ['createOrg', 'orgs', 'Creates an OPD or a supplier; ids are never reused. Recorded in the organisation chain.'],
  'PATCH /api/v1/orgs/{id}': ['updateOrg', 'orgs', 'Changes an organisation\'s name, code, NPWP, letterhead contacts or logo by JSON merge patch.'],
  'POST /api/v1/instances/{id}/comments': ['addComment', 'comments', 'Adds a comment, with attachments when sent as multipart/form-data, to an instance the caller may act on.'],
  'GET /api/v1/instances/{id}/attachments': ['listAttachments', 'comments', 'The files attached to an instance\'s comments, with their sizes and hashes.'],
  'GET /api/v1/attachments/{id}': ['getAttachment', 'comments', 'The bytes of one attachment, for a caller who may read its instance.'],
  'GET /api/v1/delegations': ['listDelegations', 'delegations', 'Delegations given or received by the caller; every delegation for administrators and auditors.'],
  'POST /api/v1/delegations': ['createDelegation', 'delegations', 'Lends a role to another person for a date range (Plt/Plh), within the rules on who may stand in for whom.'],
  'DELETE /api/v1/delegations/{id}': ['endDelegation', 'delegations', 'Ends a delegation early.'],
  'GET /api/v1/holidays': ['listHolidays', 'holidays', 'The holidays of a year, which SLA working-day counts skip.'],
  'PUT /api/v1/holidays/{date}': ['setHoliday', 'holidays', 'Adds or renames a holiday; open deadlines move accordingly.'],
  'DELETE /api/v1/holidays/{date}': ['removeHoliday', 'holidays', 'Removes a holiday; open deadlines move accordingly.'],
  'GET /api/v1/nomenclature/{year}': ['listNomenclature', 'nomenclature', 'The names of urusan, bidang, program, kegiatan, sub kegiatan and account codes for a fiscal year, as documents print them.'],
  'POST /api/v1/nomenclature/{year}': ['importNomenclature', 'nomenclature', 'Imports a CSV file of code names for a fiscal year in one transaction: every row, or none when any is refused.'],
  'GET /api/v1/audit/verify': ['verifyAudit', 'audit', 'Recomputes every hash chain and checkpoint signature and reports what is broken.'],
  'GET /api/v1/ca.pem': ['getCaCertificate', 'documents', 'The CA certificate that issues the deployment\'s signing certificates, to trust signed PDFs.'],
  'GET /api/v1/tsa-ca.pem': ['getTsaCaCertificates', 'documents', 'The CA certificates of the time-stamping authority the deployment trusts (GRMS_TSA_TRUST_ANCHORS), to check a signature\'s time-stamp with openssl ts -verify.'],
  'GET /crl/{ca}.crl': ['getCrl', 'documents', 'The CA\'s certificate revocation list (RFC 5280, DER, signed by the CA), at the address every certificate it issues names; a deactivated user\'s certificate is listed from the moment of deactivation.'],
  'GET /verify/{id}': ['verifyDocumentPage', 'documents', 'The facts of a signed document, as the QR code printed on it opens them.'],
  'GET /verify/{id}/evidence': ['getDocumentEvidence', 'documents', 'The evidence bundle of a signed document: its leaf entry, the inclusion proof of its leaf and the cosigned checkpoint it is in, checkable offline against pinned keys.'],
  'POST /api/v1/verify': ['verifyPdf', 'documents', 'Checks an uploaded PDF\'s signature and tells which grms document it is.'],
  'GET /api/v1/instances/{id}/documents': ['listInstanceDocuments', 'documents', 'The signed documents issued at an instance\'s stages, with numbers and hashes.'],
  'GET /api/v1/instances/{id}/audit.pdf': ['getInstanceAuditPdf', 'audit', 'The instance\'s history as a PDF signed with the deployment seal.'],
  'GET /api/v1/documents/{id}': ['getDocument', 'documents', 'The bytes of one signed PDF, for a caller who may read its instance.'],
  'GET /api/v1/audit/export': ['exportAudit', 'audit', 'The audit trail as CSV or JSON Lines, with hashes an outside tool can recompute.'],
  'POST /api/v1/audit/checkpoints': ['takeCheckpoint', 'audit', 'Signs a checkpoint over the audit chains now, besides the scheduled ones.'],
  'GET /log/checkpoint': ['getLogCheckpoint', 'log', 'The latest signed tree head of the transparency log as a C2SP signed note: origin, tree size, root hash, the log\'s Ed25519 signature and the witnesses\' cosignatures. Verify it with the log key from `grms key show`.'],
  'GET /log/proof/inclusion': ['getLogInclusionProof', 'log', 'The hashes that prove a leaf is in a tree of the given size; with the leaf entry (from whoever may read the row) and a cosigned checkpoint of that size, anyone can check it offline.'],
  'GET /log/proof/consistency': ['getLogConsistencyProof', 'log', 'The hashes that prove the tree of `new` leaves extends the tree of `old` leaves unchanged: what witnesses check before they cosign.'],
  'GET /log/node/{level}/{index}': ['getLogNode', 'log', 'One stored hash of the tree, for verifiers that compute proofs themselves.'],
  'POST /api/v1/log/checkpoint': ['checkpointLog', 'log', 'Integrates committed rows into the log, signs a checkpoint when the tree grew, and pushes it to the configured witnesses; the server also does this every GRMS_LOG_INTERVAL_SECONDS.'],
  ...publicIntakeOperations,
};

const TAGS: Record<string, string> = {
  health: 'Liveness, readiness and metrics',
  meta: 'This document and the registered workflows',
  instances: 'Workflow instances and their events',
  tasks: 'What waits for the caller',
  people: 'Users, roles and passwords',
  orgs: 'OPDs and suppliers',
  comments: 'Comments and attachments',
  delegations: 'Roles lent for a date range (Plt/Plh)',
  holidays: 'Holidays skipped by SLA working days',
  nomenclature: 'Names of budget codes per fiscal year',
  audit: 'Hash chains, checkpoints and exports',
  documents: 'Signed PDFs and their verification',
  log: 'The transparency log: checkpoints, cosignatures and proofs',
  public: 'Citizens without an account: submissions, tracking and their own events',
};

export interface ServedOpenApiSettings {
  /** GRMS_PUBLIC_URL: where clients reach this deployment. */
  publicUrl: string;
  /** GRMS_GOVERNMENT: who runs this deployment. */
  government: string;
  /** The registered workflows, whose data schemas the document carries. */
  registry: WorkflowRegistry;
}

/** The document as served at /openapi.json: operations described, public ones marked, servers from the deployment. */
export function servedOpenApi({ publicUrl, government, registry }: ServedOpenApiSettings): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const unused = new Set(Object.keys(OPERATIONS));
  for (const [path, item] of Object.entries(documentPaths(registry.packages, publicUrl))) {
    paths[path] = {};
    for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) {
      const key = `${method.toUpperCase()} ${path}`;
      const entry = OPERATIONS[key];
      unused.delete(key);
      const [operationId, tag, description, summary] = entry ?? [];
      paths[path][method] = {
        ...(operationId && { operationId }),
        ...(summary && { summary }),
        ...op,
        ...(tag && { tags: [tag] }),
        ...(description && { description }),
        // No security requirement listed means none: said explicitly, so no reader assumes a default.
        security: op.security ?? [],
      };
    }
  }
  if (unused.size > 0) throw new Error(`OpenAPI operation descriptions name no route: ${[...unused].join(', ')}`);
  const contributed = { schemas: {} as Record<string, unknown>, tags: {} as Record<string, string> };
  for (const pkg of registry.packages) {
    const parts = pkg.openapi?.({ publicUrl });
    Object.assign(contributed.schemas, parts?.schemas);
    Object.assign(contributed.tags, parts?.tags);
  }
  return {
    ...openApiDocument,
    info: { ...openApiDocument.info, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' }, contact: { name: government, url: publicUrl } },
    servers: [{ url: publicUrl, description: 'This deployment (GRMS_PUBLIC_URL)' }],
    components: { ...openApiDocument.components, schemas: { ...openApiDocument.components.schemas, ...workflowSchemas(registry), ...contributed.schemas } },
    tags: Object.entries({ ...TAGS, ...contributed.tags }).map(([name, description]) => ({ name, description })),
    paths,
  };
}
