import { MAX_COMMENT_LENGTH } from '../engine/comment-rules';
import { ocdsPaths } from '../procurement/ocds/openapi';
/** The OpenAPI 3.1 description of the routes in src/api; a test checks it lists every route. */
const problem = { $ref: '#/components/responses/Problem' };
/** One limit for every comment (src/engine/comment-rules.ts). */
const commentText = { type: 'string', maxLength: MAX_COMMENT_LENGTH };
const bearer = [{ bearer: [] }];
const usernameParam = { name: 'username', in: 'path', required: true, schema: { type: 'string' } };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const pageParams = [
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
];
const listFilters = ['workflow', 'state', 'org'].map((name) => ({ name, in: 'query', schema: { type: 'string' } }));
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const instance = { $ref: '#/components/schemas/Instance' };
const pageOf = (items: object) => ({ type: 'object', properties: { items: { type: 'array', items }, nextCursor: { type: ['string', 'null'] } } });
const count = { type: 'integer', minimum: 0 };
const logProof = (sizes: Record<string, object>) => ({ type: 'object', properties: { ...sizes, proof: { type: 'array', items: { type: 'string', contentEncoding: 'base64' } } } });
const taskPage = {
  type: 'object',
  properties: {
    ...pageOf({ allOf: [instance, { type: 'object', properties: { dueAt: { type: ['string', 'null'], format: 'date-time' }, overdue: { type: 'boolean' } } }] }).properties,
    counts: { type: 'object', properties: { total: count, overdue: count, byWorkflow: { type: 'object', additionalProperties: count }, cap: count } },
  },
};
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, ...json(schema) });
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), problem]));

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'grms API', version: '1', description: 'Workflow engine for regional government: budget proposals, permits and their audit trail. Creating a permit (POST /api/v1/instances, workflow "permit") answers with a `receipt` { registrationNumber, pin } shown only in that response.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    responses: {
      Problem: { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' },
          requestId: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
      Org: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, kind: { enum: ['opd', 'supplier'] }, code: { type: ['string', 'null'] }, npwp: { type: ['string', 'null'] } },
      },
      Instance: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' }, workflow: { type: 'string' }, workflowVersion: { type: 'integer' },
          state: { type: 'string' }, version: { type: 'integer' }, title: { type: 'string' }, org: { type: 'string' },
          fiscalYear: { type: ['integer', 'null'] }, total: { type: ['integer', 'null'] }, data: { type: 'object' },
          createdBy: { type: 'string' }, createdAt: { type: 'string' }, updatedAt: { type: 'string' },
          allowedEvents: { type: 'array', items: { type: 'string' } },
          receipt: { type: 'object', description: 'Only in the create response of workflows that give one (permit: registrationNumber, pin, registeredAt); never replayed' },
        },
      },
    },
  },
  paths: {
    '/healthz': { get: { summary: 'Liveness', responses: { '200': ok('alive') } } },
    '/readyz': { get: { summary: 'Readiness (database reachable)', responses: { '200': ok('ready'), ...errors(503) } } },
    '/metrics': { get: { summary: 'Prometheus metrics of this process', responses: { '200': { description: 'text exposition format', content: { 'text/plain': {} } } } } },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': ok('OpenAPI 3.1') } } },
    '/api/v1/audit/public-key': { get: { summary: 'Ed25519 key that signs audit checkpoints, with its fingerprint (a convenience: auditors pin the key from `grms key show`)', responses: { '200': ok('{ algorithm, keyId, publicKeyPem, fingerprint, base64 }') } } },
    '/api/v1/me': { get: { security: bearer, summary: 'The caller', responses: { '200': ok('user'), ...errors(401) } } },
    '/api/v1/workflows': { get: { security: bearer, summary: 'Registered workflow versions', responses: { '200': ok('workflows'), ...errors(401) } } },
    '/api/v1/instances': {
      get: { security: bearer, summary: 'Instances the caller may read, newest first', parameters: [...listFilters, ...pageParams], responses: { '200': ok('page', pageOf(instance)), ...errors(400, 401) } },
      post: {
        security: bearer, summary: 'Create an instance of the newest version of a workflow',
        parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
        requestBody: json({ type: 'object', required: ['workflow', 'data'], properties: { workflow: { type: 'string' }, data: { type: 'object' } } }),
        responses: { '201': ok('created', instance), ...errors(400, 401, 403, 413, 415, 422) },
      },
    },
    '/api/v1/instances/{id}': { get: { security: bearer, parameters: [idParam], responses: { '200': ok('instance (ETag: "<version>")', instance), ...errors(401, 404) } } },
    '/api/v1/instances/{id}/history': { get: { security: bearer, parameters: [idParam, ...pageParams], responses: { '200': ok('transitions in order'), ...errors(401, 404) } } },
    '/api/v1/instances/{id}/events': {
      post: {
        security: bearer, summary: 'Fire an event',
        parameters: [idParam, { name: 'If-Match', in: 'header', schema: { type: 'string' } }, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
        requestBody: json({ type: 'object', required: ['type'], properties: { type: { type: 'string' }, comment: commentText, data: { type: 'object' } } }),
        responses: { '200': ok('the instance after the transition', instance), ...errors(400, 401, 403, 404, 409, 412, 413, 415, 422) },
      },
    },
    '/api/v1/instances/bulk-events': {
      post: {
        security: bearer, summary: 'Fire up to 500 events; each item succeeds or fails on its own, with a result per item',
        requestBody: json({ type: 'object', required: ['items'], properties: { items: { type: 'array', maxItems: 500, items: { type: 'object', required: ['id', 'type'], properties: { id: { type: 'string' }, type: { type: 'string' }, ifMatch: { type: ['integer', 'string'] }, comment: commentText } } } } }),
        responses: { '200': ok('{ results: [{ id, status, instance | problem }], succeeded, failed }'), ...errors(400, 401, 413, 415, 422) },
      },
    },
    '/api/v1/search': {
      get: {
        security: bearer, summary: 'Find readable instances by document, registration, permit or contract number, NIK/NIB, or title words',
        parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 2, maxLength: 100 } }, pageParams[1]],
        responses: { '200': ok('{ items }'), ...errors(400, 401) },
      },
    },
    '/api/v1/tasks': { get: { security: bearer, summary: "The caller's inbox, soonest due first (tasks without a deadline last); counts stop at counts.cap (a figure equal to it means that many or more)", parameters: [...listFilters, ...pageParams], responses: { '200': ok('page', taskPage), ...errors(401) } } },
    '/api/v1/ceilings/{year}': {
      get: { security: bearer, summary: 'Ceilings with used and remaining per OPD', parameters: [{ name: 'year', in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': ok('ceilings'), ...errors(400, 401) } },
    },
    '/api/v1/ceilings/{year}/{org}': {
      put: {
        security: bearer, summary: 'Set a ceiling (role tapd)',
        parameters: [{ name: 'year', in: 'path', required: true, schema: { type: 'integer' } }, { name: 'org', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: json({ type: 'object', required: ['amount'], properties: { amount: { type: 'integer', minimum: 0 } } }),
        responses: { '200': ok('ceiling'), ...errors(400, 401, 403, 404, 422) },
      },
    },
    '/api/v1/users': {
      get: { security: bearer, summary: 'Users with their roles, hasPassword and passwordMustChange (admin, auditor)', responses: { '200': ok('users'), ...errors(401, 403) } },
      post: {
        security: bearer, summary: 'Create a user (admin); recorded in people_events',
        requestBody: json({ type: 'object', required: ['username', 'fullName', 'org'], properties: { username: { type: 'string' }, fullName: { type: 'string' }, position: { type: 'string' }, org: { type: 'string' }, roles: { type: 'array', items: { type: 'object', required: ['role', 'org'], properties: { role: { type: 'string' }, org: { type: 'string' } } } } } }),
        responses: { '201': ok('created'), ...errors(400, 401, 403, 409, 422) },
      },
    },
    '/api/v1/users/{username}/roles/{role}/{org}': {
      put: { security: bearer, summary: 'Grant a role at an OPD (admin)', parameters: ['username', 'role', 'org'].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })), responses: { '201': ok('granted'), '200': ok('already held'), ...errors(401, 403, 404, 422) } },
      delete: { security: bearer, summary: 'Remove a role (admin)', parameters: ['username', 'role', 'org'].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })), responses: { '204': { description: 'removed' }, ...errors(401, 403, 404) } },
    },
    '/api/v1/users/{username}/deactivate': {
      post: { security: bearer, summary: 'Deactivate a user (admin): tokens stop, signing certificate revoked', parameters: [{ name: 'username', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': ok('{ revokedTokens, revokedCertificates }'), ...errors(401, 403, 404) } },
    },
    '/api/v1/users/{username}/password': {
      put: {
        security: bearer, summary: "Set a user's password (admin); recorded in people_events; ends all the user's console sessions",
        parameters: [usernameParam], requestBody: json({ type: 'object', required: ['password'], properties: { password: { type: 'string', minLength: 10, maxLength: 200 } } }),
        responses: { '204': { description: 'set' }, ...errors(400, 401, 403, 404, 415, 422) },
      },
    },
    '/api/v1/users/{username}/password-reset': {
      post: {
        security: bearer, summary: 'Reset a password (admin): a temporary one, shown only in this response (Cache-Control: no-store), to be changed at next sign-in. Ends all the user\'s console sessions and revokes all their API tokens',
        parameters: [usernameParam],
        responses: { '200': ok('the temporary password', { type: 'object', properties: { username: { type: 'string' }, temporaryPassword: { type: 'string' }, mustChange: { const: true }, endedSessions: { type: 'integer', minimum: 0 }, revokedTokens: { type: 'integer', minimum: 0 } } }), ...errors(401, 403, 404, 422) },
      },
    },
    '/api/v1/me/password': {
      put: {
        security: bearer, summary: 'Change my own password (every role, auditors included); currentPassword is required when one is set and must be absent otherwise. Ends the user\'s console sessions. A wrong one (403 wrong-password) counts as a failed sign-in for the user and the client address; over the limit, 429 with Retry-After',
        requestBody: json({ type: 'object', required: ['newPassword'], properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string', minLength: 10, maxLength: 200 } } }),
        responses: { '204': { description: 'changed' }, ...errors(400, 401, 403, 415, 422, 429) },
      },
    },
    '/api/v1/orgs': {
      get: { security: bearer, summary: 'Organisations (OPDs and suppliers): id, name, kind, code, npwp (any signed-in user)', responses: { '200': ok('organisations', pageOf({ $ref: '#/components/schemas/Org' })), ...errors(401) } },
      post: {
        security: bearer, summary: 'Create an organisation (admin); recorded in org_events. npwp is required for a supplier',
        requestBody: json({ type: 'object', required: ['id', 'name', 'kind'], properties: { id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,39}$' }, name: { type: 'string', maxLength: 200 }, kind: { enum: ['opd', 'supplier'] }, code: { type: ['string', 'null'], maxLength: 50 }, npwp: { type: ['string', 'null'] } } }),
        responses: { '201': ok('created', { $ref: '#/components/schemas/Org' }), ...errors(400, 401, 403, 409, 415, 422) },
      },
    },
    '/api/v1/orgs/{id}': {
      patch: {
        security: bearer, summary: 'Change the name, code or npwp of an organisation (admin; JSON merge patch, null clears code or npwp); the id and kind never change. Recorded in org_events',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { content: Object.fromEntries(['application/merge-patch+json', 'application/json'].map((t) => [t, { schema: { type: 'object', properties: { name: { type: 'string', maxLength: 200 }, code: { type: ['string', 'null'] }, npwp: { type: ['string', 'null'] } } } }])) },
        responses: { '200': ok('the organisation', { $ref: '#/components/schemas/Org' }), ...errors(400, 401, 403, 404, 415, 422) },
      },
    },
    '/api/v1/instances/{id}/comments': {
      post: {
        security: bearer,
        summary: 'Comment on an instance, with up to 5 attachments of 10 MB (multipart/form-data: comment + files). The instance version (ETag) does not change. ' +
          'Per person and instance a limited number of comments per window (429 with Retry-After); per instance an attachment quota (413). ' +
          'Who may not comment is refused before a multipart body is read.',
        parameters: [idParam],
        requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['comment'], properties: { comment: { ...commentText, minLength: 1 } } } }, 'multipart/form-data': { schema: { type: 'object', properties: { comment: { ...commentText, minLength: 1 }, files: { type: 'array', items: { type: 'string', format: 'binary' } } } } } } },
        responses: { '201': ok('{ seq, version, comment, attachments }'), ...errors(400, 401, 403, 404, 413, 415, 422, 429) },
      },
    },
    '/api/v1/instances/{id}/attachments': { get: { security: bearer, summary: "An instance's attachments", parameters: [idParam], responses: { '200': ok('attachments'), ...errors(401, 404) } } },
    '/api/v1/attachments/{id}': { get: { security: bearer, summary: 'Download an attachment', parameters: [idParam], responses: { '200': { description: 'the file', content: { 'application/octet-stream': {} } }, ...errors(401, 404) } } },
    '/api/v1/delegations': {
      get: { security: bearer, summary: 'Delegations (mine; all for admin and auditor)', responses: { '200': ok('delegations'), ...errors(401) } },
      post: {
        security: bearer, summary: 'Delegate a role for a date range (Plt/Plh); an OPD role only within the OPD',
        requestBody: json({ type: 'object', required: ['delegate', 'role', 'org', 'from', 'to'], properties: { delegate: { type: 'string' }, role: { type: 'string' }, org: { type: 'string' }, from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' }, reason: { type: 'string' }, delegator: { type: 'string' } } }),
        responses: { '201': ok('delegation'), ...errors(400, 401, 403, 422) },
      },
    },
    '/api/v1/delegations/{id}': { delete: { security: bearer, summary: 'End a delegation (delegator or admin)', parameters: [idParam], responses: { '204': { description: 'ended' }, ...errors(401, 403, 404) } } },
    '/api/v1/permits/receipt.pdf': {
      post: {
        security: bearer, summary: 'The tanda terima of a registration (front desk): registration number and PIN, checked, signed with the seal; writes nothing',
        requestBody: json({ type: 'object', required: ['registrationNumber', 'pin'], properties: { registrationNumber: { type: 'string' }, pin: { type: 'string' } } }),
        responses: { '200': { description: 'PDF', content: { 'application/pdf': {} } }, ...errors(400, 401, 403, 404, 429) },
      },
    },
    '/api/v1/holidays': {
      get: { security: bearer, summary: 'Holidays of a year (skipped by SLA working days)', parameters: [{ name: 'year', in: 'query', schema: { type: 'integer' } }], responses: { '200': ok('holidays'), ...errors(400, 401) } },
    },
    '/api/v1/holidays/{date}': {
      put: {
        security: bearer, summary: 'Add or rename a holiday (role admin); open deadlines are recomputed',
        parameters: [{ name: 'date', in: 'path', required: true, schema: { type: 'string', format: 'date' } }],
        requestBody: json({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } }),
        responses: { '200': ok('holiday'), ...errors(400, 401, 403, 422) },
      },
      delete: { security: bearer, summary: 'Remove a holiday (role admin)', parameters: [{ name: 'date', in: 'path', required: true, schema: { type: 'string', format: 'date' } }], responses: { '204': { description: 'removed' }, ...errors(400, 401, 403, 404) } },
    },
    '/api/v1/audit/verify': { get: { security: bearer, summary: 'Recompute every chain and checkpoint, the people chain and the organisation chain (role auditor)', responses: { '200': ok('{ ok, checked, checkpoints, covered, broken, people, orgs, trust } (checked with the server\'s own key: trusts the operator)'), ...errors(401, 403) } } },
    '/api/v1/ca.pem': { get: { summary: 'The deployment CA certificate (PEM), to trust its signatures', responses: { '200': { description: 'PEM', content: { 'application/x-pem-file': {} } } } } },
    '/api/v1/tsa-ca.pem': { get: { summary: 'The trusted time-stamping authority\'s CA certificates (PEM); 404 when no TSA is configured', responses: { '200': { description: 'PEM', content: { 'application/x-pem-file': {} } }, ...errors(404) } } },
    '/crl/{ca}.crl': {
      get: {
        summary: 'The CA certificate revocation list (DER)',
        parameters: [{ name: 'ca', in: 'path', required: true, description: 'the CA\'s key identifier (SKI), lower-case hex', schema: { type: 'string', pattern: '^[0-9a-f]+$' } }],
        responses: { '200': { description: 'CRL', content: { 'application/pkix-crl': { schema: { type: 'string', format: 'binary' } } } }, ...errors(404) },
      },
    },
    '/verify/{id}': {
      get: {
        summary: 'What a document QR code opens: number, title, stage, signer, time and SHA-256 (HTML, or JSON with Accept: application/json)',
        parameters: [idParam], responses: { '200': ok('document facts'), ...errors(404) },
      },
    },
    '/api/v1/verify': {
      post: {
        summary: 'Check a PDF: signature, chain to a trust anchor, and which document it is. Bounded: body at most GRMS_VERIFY_MAX_BYTES (413); a signature beyond the limits (/Contents over 64 KB, more than 10 certificates, RSA keys outside 2048–4096 bits or e ≠ 65537, EC curves other than P-256/P-384) is 422 SIGNATURE_LIMITS_EXCEEDED; a check over its time budget 422 VERIFY_BUDGET_EXCEEDED; 429 with Retry-After over the per-client limit; 503 with Retry-After when every verification thread is busy and the queue is full. A well-formed but invalid signature is 200 with valid: false',
        requestBody: { content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
        responses: { '200': ok('{ valid, reason, signer, signedAt (claimed), subFilter, level (PAdES B-B, B-T or B-LT), timestamp, judgedAt, judgedBy (timestamp, registration or verification), notes, documentId, instanceId, stage }'), ...errors(400, 413, 415, 422, 429, 503) },
      },
    },
    '/api/v1/instances/{id}/ocds': {
      get: {
        security: bearer, summary: 'A procurement-delivery contract as an OCDS 1.1 release package (parties, planning.budget, award, contract with termin milestones, SP2D transactions, documents); ocid from GRMS_OCID_PREFIX',
        parameters: [idParam], responses: { '200': ok('OCDS 1.1 release package'), ...errors(401, 404) },
      },
    },
    '/api/v1/instances/{id}/documents': { get: { security: bearer, summary: 'Stage documents of an instance', parameters: [idParam], responses: { '200': ok('documents'), ...errors(401, 404) } } },
    '/api/v1/instances/{id}/audit.pdf': {
      get: { security: bearer, summary: "An instance's whole history as a PDF signed with the deployment seal (role auditor)", parameters: [idParam], responses: { '200': { description: 'PDF', content: { 'application/pdf': {} } }, ...errors(401, 403, 404) } },
    },
    '/api/v1/documents/{id}': {
      get: { security: bearer, summary: 'A signed PDF', parameters: [idParam], responses: { '200': { description: 'PDF', content: { 'application/pdf': {} } }, ...errors(401, 404) } },
    },
    '/api/v1/audit/export': {
      get: {
        security: bearer, summary: 'Stream the audit trail as CSV or JSONL with hashes and the latest checkpoint (role auditor)',
        parameters: ['format', 'from', 'to', 'workflow', 'org', 'actor', 'instance'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: { '200': { description: 'the export', content: { 'text/csv': {}, 'application/x-ndjson': {} } }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/permits/status': {
      post: {
        summary: 'Public status of a permit application, for the applicant (no login). The PIN goes in the body, never in the URL. Wrong PINs: 404 like an unknown number; 429 with Retry-After after 5 per registration number or 20 per client in 15 minutes',
        requestBody: json({ type: 'object', required: ['registration', 'pin'], properties: { registration: { type: 'string', examples: ['REG/DPMPTSP/2026/000123'] }, pin: { type: 'string' } } }),
        responses: {
          '200': ok('{ registrationNumber, permitType, stage { code, label, final }, registeredAt, lastChangeAt, dueDate, permitNumber }'),
          ...errors(400, 404, 415, 429),
        },
      },
    },
    '/permits/status': {
      get: {
        summary: 'The status page (HTML): a form, or the status when registration and pin are given in the query',
        parameters: ['registration', 'pin'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
        responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, '404': { description: 'HTML' }, '429': { description: 'HTML, with Retry-After' } },
      },
      post: {
        summary: 'What the status form posts (application/x-www-form-urlencoded: registration, pin); HTML',
        responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, '404': { description: 'HTML' }, '429': { description: 'HTML, with Retry-After' } },
      },
    },
    '/api/v1/audit/checkpoints': { post: { security: bearer, summary: 'Take a checkpoint now (role admin)', responses: { '201': ok('checkpoint'), ...errors(401, 403) } } },
    '/log/checkpoint': {
      get: {
        summary: 'The latest checkpoint of the transparency log (C2SP tlog-checkpoint signed note) with every witness cosignature stored; 429 with Retry-After over the per-client limit',
        responses: { '200': { description: 'the signed note', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(404, 429) },
      },
    },
    '/log/proof/inclusion': {
      get: {
        summary: 'RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves (base64 hashes)',
        parameters: ['index', 'size'].map((name) => ({ name, in: 'query', required: true, schema: { type: 'integer', minimum: 0 } })),
        responses: { '200': ok('{ index, size, proof }', logProof({ index: count, size: count })), ...errors(400, 429) },
      },
    },
    '/log/proof/consistency': {
      get: {
        summary: 'RFC 9162 consistency proof from the tree of `old` leaves to the tree of `new` leaves (base64 hashes; empty for old 0 or old = new)',
        parameters: ['old', 'new'].map((name) => ({ name, in: 'query', required: true, schema: { type: 'integer', minimum: 0 } })),
        responses: { '200': ok('{ old, new, proof }', logProof({ old: count, new: count })), ...errors(400, 429) },
      },
    },
    '/log/node/{level}/{index}': {
      get: {
        summary: 'One hash of the log\'s tree: a leaf hash (level 0) or the complete subtree over leaves [index·2^level, (index+1)·2^level)',
        parameters: ['level', 'index'].map((name) => ({ name, in: 'path', required: true, schema: { type: 'integer', minimum: 0 } })),
        responses: { '200': ok('{ level, index, hash }', { type: 'object', properties: { level: count, index: count, hash: { type: 'string', contentEncoding: 'base64' } } }), ...errors(400, 429) },
      },
    },
    '/api/v1/log/checkpoint': {
      post: {
        security: bearer, summary: 'Integrate new rows into the transparency log, sign a checkpoint and push it to the witnesses now (role admin); 409 LOG_ROLLED_BACK, LOG_INCONSISTENT or LOG_HALTED when the log must not be signed',
        responses: { '200': ok('{ integration, checkpoint, witnesses, quorumMet }'), ...errors(401, 403, 409) },
      },
    },
    ...ocdsPaths,
  } as Record<string, Record<string, unknown>>,
};
