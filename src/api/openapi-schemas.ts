/**
 * The component schemas of the OpenAPI document: what each answer holds, exactly (required
 * properties, types, and `additionalProperties: false` where the server builds the object
 * itself). Workflow data is not here: src/api/openapi-workflows.ts generates it from the
 * registered definitions. Routes refer to these as `ref('Name')`.
 */
import { MAX_COMMENT_LENGTH } from '../engine/comment-rules';

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** An object whose every listed property is always there; nothing else is. */
export const exact = (properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object', ...(description && { description }), required: Object.keys(properties), additionalProperties: false, properties,
});

const str: Schema = { type: 'string' };
const strOrNull: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const count: Schema = { type: 'integer', minimum: 0 };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const day: Schema = { type: 'string', format: 'date' };
const uuid: Schema = { type: 'string', format: 'uuid' };
const sha256: Schema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const strings: Schema = { type: 'array', items: str };
const base64: Schema = { type: 'string', contentEncoding: 'base64' };
/** Lists answered whole (no paging yet): `nextCursor` is always null. */
const wholeList = (items: Schema): Schema => exact({ items: { type: 'array', items }, nextCursor: { type: 'null' } });
const page = (items: Schema): Schema => exact({ items: { type: 'array', items }, nextCursor: { ...strOrNull, description: 'Give as `cursor` for the next page; null on the last page' } });

/** Plt (Pelaksana Tugas): the position is vacant or its holder long absent; Plh (Pelaksana Harian): the holder briefly away. */
export const delegationKind: Schema = { enum: ['plt', 'plh'], description: 'plt = Pelaksana Tugas (position vacant or holder long absent); plh = Pelaksana Harian (holder on leave or official travel). Printed as "Plt." or "Plh." before the principal\'s position.' };
export const commentText: Schema = { type: 'string', maxLength: MAX_COMMENT_LENGTH };

const fieldProblem = exact({ path: { type: 'string', description: 'JSON Pointer into the body, or /<name> for a query parameter or form field' }, message: str });
const problemProperties: Record<string, Schema> = {
  type: { type: 'string', format: 'uri' }, title: str, status: { type: 'integer', minimum: 400, maximum: 599 }, detail: str,
  code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', description: 'Stable, for programs' },
  errors: { type: 'array', items: fieldProblem },
};

const checkpoint: Schema = {
  type: 'object',
  description: 'The latest signed audit checkpoint; `created` says whether this call wrote it (false: nothing moved since)',
  required: ['created'],
  properties: {
    created: bool, id: int, asOf: time, rowCount: count, headCount: count, merkleRoot: str, previousId: { type: ['integer', 'null'] },
    signature: str, keyName: str, format: int,
    heads: { type: 'array', items: { type: 'object', required: ['instance', 'seq', 'hash'], properties: { instance: uuid, seq: int, hash: str } } },
    sideHeads: { type: ['object', 'null'], additionalProperties: { type: ['object', 'null'], required: ['seq', 'hash'], properties: { seq: int, hash: str } } },
  },
};

const sideChain = exact({ ok: bool, checked: count, broken: { type: 'array', items: exact({ seq: int, reason: str }) } });

/** Every component schema but the generated workflow ones. */
export const SCHEMAS: Record<string, Schema> = {
  Problem: {
    type: 'object', description: 'RFC 9457 problem details. `requestId` is absent only for requests refused by the HTTP parser, before a request id exists',
    required: ['type', 'title', 'status', 'detail', 'code'], additionalProperties: false,
    properties: { ...problemProperties, requestId: str },
  },
  Health: exact({ status: { const: 'ok' } }),
  Readiness: exact({ status: { const: 'ready' }, log: ref('LogStatus') }),
  LogHalted: exact({ status: { const: 'log-halted' }, code: { const: 'LOG_HALTED' }, log: ref('LogStatus') }, 'A witness holds a larger tree than this database: checkpointing stopped'),
  OpenApiDocument: {
    type: 'object', required: ['openapi', 'info', 'servers', 'paths', 'components', 'tags'],
    properties: {
      openapi: { const: '3.1.0' },
      info: { type: 'object', required: ['title', 'version'], properties: { title: str, version: str } },
      servers: { type: 'array', items: { type: 'object', required: ['url'], properties: { url: str } } },
      paths: {
        type: 'object', description: 'Path Items by path template',
        additionalProperties: {
          type: 'object', description: 'Operations by method',
          additionalProperties: { type: 'object', required: ['operationId', 'summary', 'description', 'tags', 'security', 'responses'], properties: { operationId: str, summary: str, description: str, tags: strings, security: { type: 'array', items: { type: 'object', additionalProperties: strings } }, responses: { type: 'object', additionalProperties: true, description: 'Responses by status' } } },
        },
      },
      components: { type: 'object', required: ['schemas'], properties: { schemas: { type: 'object', additionalProperties: true, description: 'JSON Schemas (2020-12) by name' } }, additionalProperties: true },
      tags: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str } } },
    },
  },
  AuditPublicKey: exact({ algorithm: { const: 'Ed25519' }, keyId: str, publicKeyPem: str, fingerprint: { ...sha256, description: 'SHA-256 of the SubjectPublicKeyInfo DER, hex' }, base64: { ...str, description: 'SubjectPublicKeyInfo DER, base64' } }),
  RoleGrant: {
    type: 'object', required: ['role', 'org'], additionalProperties: false,
    properties: { role: str, org: str, actingFor: { ...exact({ username: str, fullName: str, position: str, kind: delegationKind }), description: 'Held by delegation (Plt/Plh): the official the caller acts for' } },
  },
  Me: exact({ username: str, fullName: str, position: str, org: str, orgName: str, roles: { type: 'array', items: ref('RoleGrant') } }),
  Org: exact({
    id: str, name: str, kind: { enum: ['opd', 'supplier'] }, code: strOrNull,
    unitCode: { ...strOrNull, description: 'Unit code printed in the document numbers of the office, e.g. BPKAD' }, npwp: strOrNull,
    address: { ...strOrNull, description: 'Letterhead (kop surat) address line' }, phone: strOrNull, email: strOrNull, website: strOrNull,
    logo: {
      description: 'The letterhead logo, printed at the left of the kop of documents the organisation issues; its bytes are not returned',
      oneOf: [{ type: 'null' }, exact({ contentType: { enum: ['image/png', 'image/jpeg'] }, sha256: { ...sha256, description: 'SHA-256 of the image, as the organisation chain records it' }, bytes: count })],
    },
  }),
  /** A logo as sent in POST/PATCH /api/v1/orgs: the image in base64 (PNG or JPEG, at most 256 KB, at most 2048×2048 pixels). */
  LogoUpload: exact({ contentType: { enum: ['image/png', 'image/jpeg'] }, data: { ...base64, contentMediaType: 'image/*', description: 'The image bytes in base64; at most 262144 bytes once decoded' } }),
  OrgList: wholeList(ref('Org')),
  User: exact({
    username: str, fullName: str, position: str, nip: { type: ['string', 'null'], pattern: '^[0-9]{18}$', description: 'NIP (18 digits), printed under the name on documents the user signs' }, org: str, active: bool, hasPassword: bool, passwordMustChange: bool,
    roles: { type: 'array', items: exact({ role: str, org: str }) },
  }),
  UserList: wholeList(ref('User')),
  UserCreated: exact({ username: str }),
  RoleGranted: exact({ username: str, role: str, org: str }),
  Deactivated: exact({ revokedTokens: count, revokedCertificates: { type: 'array', items: str, description: 'Serial numbers of the certificates revoked' } }),
  PasswordReset: exact({ username: str, temporaryPassword: str, mustChange: { const: true }, endedSessions: count, revokedTokens: count }),
  HistoryItem: exact({
    seq: { type: 'integer', minimum: 1 }, event: str, from: strOrNull, to: str, actor: str, actorRole: strOrNull, comment: strOrNull, at: time,
    actingFor: { ...strOrNull, description: 'The official the actor acted for (Plt/Plh)' },
    actingKind: { enum: ['plt', 'plh', null], description: 'Plt or Plh when the actor acted for someone: the kind of the delegation they held then' }, payloadDigest: strOrNull, documentSha256: { type: ['string', 'null'], pattern: '^[0-9a-f]{64}$' },
    prevHash: strOrNull, hash: str,
  }),
  HistoryPage: page(ref('HistoryItem')),
  TaskCounts: exact({ total: count, overdue: count, byWorkflow: { type: 'object', additionalProperties: count }, cap: count }),
  BulkResults: exact({
    results: {
      type: 'array',
      items: {
        type: 'object', required: ['id', 'status'], additionalProperties: false,
        properties: {
          id: str, status: { type: 'integer', description: '200, or the status the event alone would have had' }, instance: ref('Instance'),
          problem: { type: 'object', required: ['type', 'title', 'status', 'detail', 'code'], additionalProperties: false, properties: problemProperties },
        },
        oneOf: [{ properties: { status: { const: 200 }, instance: true, problem: false }, required: ['instance'] }, { properties: { status: { type: 'integer', minimum: 400 }, problem: true, instance: false }, required: ['problem'] }],
      },
    },
    succeeded: count, failed: count,
  }),
  Holiday: exact({ date: day, name: str, createdBy: str, createdAt: time }),
  HolidayList: exact({ items: { type: 'array', items: ref('Holiday') } }),
  NomenclatureEntry: exact({ kind: { enum: ['urusan', 'bidang', 'program', 'kegiatan', 'sub_kegiatan', 'akun'] }, code: str, name: str }),
  NomenclatureList: exact({ items: { type: 'array', items: ref('NomenclatureEntry') } }),
  NomenclatureImport: exact({ fiscalYear: { type: 'integer' }, rows: { type: 'integer', minimum: 1 }, created: { type: 'integer', minimum: 0 }, updated: { type: 'integer', minimum: 0 } }),
  Delegation: exact({ id: uuid, kind: delegationKind, delegator: str, delegate: str, role: str, org: str, from: day, to: day, reason: strOrNull, endedAt: { type: ['string', 'null'], format: 'date-time' } }),
  DelegationList: wholeList(ref('Delegation')),
  Attachment: exact({ id: uuid, seq: int, filename: str, contentType: str, size: count, sha256, uploadedBy: str, createdAt: time }),
  AttachmentList: wholeList(ref('Attachment')),
  CommentAdded: exact({
    seq: { type: 'integer', minimum: 1 }, version: { type: 'integer', minimum: 1, description: 'Unchanged by the comment' }, comment: { ...commentText, minLength: 1 },
    attachments: { type: 'array', items: exact({ id: uuid, filename: str, contentType: str, size: count, sha256 }) },
  }),
  Document: exact({
    id: uuid, instanceId: uuid, seq: { type: 'integer', minimum: 1 }, workflow: str, event: str, stage: str, number: str, title: str,
    signer: exact({ username: strOrNull, name: str }), sha256, createdAt: time,
  }),
  DocumentList: wholeList(ref('Document')),
  DocumentFacts: {
    ...exact({ documentId: uuid, number: str, title: str, stage: str, event: str, workflow: str, instanceId: uuid, signer: str, signedAt: time, sha256 }),
    properties: {
      documentId: uuid, number: str, title: str, stage: str, event: str, workflow: str, instanceId: uuid, signer: str, signedAt: time, sha256,
      log: { ...ref('PublicLogView'), description: 'Its place in the public transparency log; absent for a document no leaf source holds' },
    },
  },
  PublicLogView: {
    oneOf: [
      exact({ status: { const: 'logged' }, leafIndex: count, treeSize: count, witnesses: strings, inclusionProof: { type: 'array', items: base64 }, checkpoint: { ...str, description: 'The cosigned checkpoint (signed note)' }, evidence: { ...str, description: 'Where its evidence bundle is' } }),
      exact({ status: { const: 'pending' }, leafIndex: { type: ['integer', 'null'], minimum: 0 } }),
    ],
  },
  EvidenceBundle: exact({
    format: { const: 'grms-evidence/1' }, document: exact({ id: uuid, number: str, title: str, stage: str, signer: str, sha256 }),
    entry: { ...str, description: 'The leaf entry (canonical JSON text) whose leaf hash is in the log' }, proof: { ...str, description: 'c2sp.org/tlog-proof@v1 text' },
  }),
  LogStatus: exact({
    origin: str, size: count, checkpointSize: { type: ['integer', 'null'], minimum: 0 },
    witnesses: { type: 'array', items: exact({ name: str, cosignedSize: { type: ['integer', 'null'], minimum: 0 } }) },
    quorumMet: bool, halted: { oneOf: [exact({ alarm: int, reportedSize: count, detail: str }), { type: 'null' }] }, trust: str,
  }),
  LogInclusionProof: exact({ index: count, size: count, proof: { type: 'array', items: base64 } }),
  LogConsistencyProof: exact({ old: count, new: count, proof: { type: 'array', items: base64 } }),
  LogNode: exact({ level: count, index: count, hash: base64 }),
  LogRound: exact({
    integration: exact({ previousSize: count, size: count, added: count, watermark: { ...str, description: 'xid8, decimal' } }),
    checkpoint: { oneOf: [exact({ size: count, root: base64, note: str, created: bool, previousSize: { type: ['integer', 'null'], minimum: 0 } }), { type: 'null' }] },
    witnesses: {
      type: 'array',
      items: { type: 'object', required: ['witness', 'ok', 'cosignedSize', 'detail'], additionalProperties: false, properties: { witness: str, ok: bool, cosignedSize: { type: ['integer', 'null'] }, status: int, fatal: bool, detail: str } },
    },
    quorumMet: bool,
  }),
  UploadCheck: exact({
    valid: bool, reason: str, signer: { oneOf: [exact({ name: str, org: str, serial: str }), { type: 'null' }] }, signedAt: { type: ['string', 'null'], format: 'date-time' },
    subFilter: { ...strOrNull, description: 'ETSI.CAdES.detached (PAdES) or adbe.pkcs7.detached (documents of earlier versions)' },
    level: { type: ['string', 'null'], enum: ['B-B', 'B-T', 'B-LT', null], description: 'PAdES baseline level' },
    timestamp: { oneOf: [exact({ time: { type: 'string', format: 'date-time' }, authority: str }), { type: 'null' }] },
    judgedAt: { type: ['string', 'null'], format: 'date-time', description: 'The time validity was decided at' },
    judgedBy: { type: ['string', 'null'], enum: ['timestamp', 'witnesses', 'registration', 'verification', null], description: 'What proved that time' },
    notes: { type: 'array', items: str },
    sha256, documentId: { type: ['string', 'null'], format: 'uuid', description: 'Set when the file is a document this deployment signed' }, instanceId: { type: ['string', 'null'], format: 'uuid' }, stage: strOrNull,
  }),
  AuditVerification: {
    type: 'object', required: ['ok', 'checked', 'checkpoints', 'covered', 'broken', 'people', 'orgs', 'ceilings', 'trust'],
    properties: {
      ok: bool, checked: count, checkpoints: count, covered: count,
      broken: { type: 'array', items: { type: 'object', required: ['instanceId', 'reason'], properties: { instanceId: str, seq: int, checkpointId: int, reason: str } } },
      people: sideChain, orgs: sideChain, ceilings: { ...sideChain, description: 'The chain of ceiling changes (pagu), one row per change' }, trust: { ...str, description: 'What a check run by the server is worth' },
    },
  },
  Checkpoint: checkpoint,
};

