/**
 * The OpenAPI paths of the public OCDS publication (routes.ts), with their operation entries,
 * kept beside the code that serves them. The bodies are OCDS 1.1 packages: the schemas below say
 * what every answer holds; the official OCDS schemas define the rest
 * (https://standard.open-contracting.org/1.1/en/schema/).
 */
const problem = { $ref: '#/components/responses/Problem' };
const json = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const ocidParam = {
  name: 'ocid', in: 'path', required: true, description: 'Open Contracting ID: GRMS_OCID_PREFIX, a hyphen and the contract\'s instance id',
  schema: { type: 'string', examples: ['ocds-xxxxxx-grms-0b8e5c8e-2f4a-4d7e-9a61-3c1f0e6d2b10'] },
};
const uri = { type: 'string', format: 'uri' };
const dateTime = { type: 'string', format: 'date-time' };
const money = { type: 'object', required: ['amount', 'currency'], properties: { amount: { type: 'integer' }, currency: { const: 'IDR' } } };

/** An OCDS 1.1 release: the members every release has (the official release schema defines the rest). */
export const ocdsReleaseSchema = {
  type: 'object',
  description: 'An OCDS 1.1 release (https://standard.open-contracting.org/1.1/en/schema/release/)',
  required: ['ocid', 'id', 'date', 'tag', 'initiationType', 'parties', 'buyer', 'planning', 'tender', 'awards'],
  properties: {
    ocid: { type: 'string' }, id: { type: 'string' }, date: dateTime,
    tag: { type: 'array', minItems: 1, items: { enum: ['award', 'awardCancellation', 'contract', 'contractAmendment', 'implementation', 'contractTermination', 'compiled'] } },
    initiationType: { const: 'tender' }, language: { const: 'id' },
    parties: { type: 'array', items: { type: 'object', required: ['id', 'name', 'roles'], properties: { id: { type: 'string' }, name: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } } } },
    buyer: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    planning: {
      type: 'object', required: ['budget'],
      properties: { budget: { type: 'object', required: ['id', 'description', 'amount'], properties: { id: { type: 'string' }, description: { type: 'string' }, amount: money, projectID: { type: 'string' } } } },
    },
    tender: { type: 'object', required: ['id', 'status', 'procurementMethod'], properties: { id: { type: 'string' }, status: { const: 'complete' }, procurementMethod: { type: 'string' } } },
    awards: { type: 'array', minItems: 1, items: { type: 'object', required: ['id', 'status'], properties: { id: { type: 'string' }, status: { enum: ['active', 'cancelled'] } } } },
    contracts: { type: 'array', minItems: 1, items: { type: 'object', required: ['id', 'awardID', 'status'], properties: { id: { type: 'string' }, awardID: { type: 'string' }, status: { enum: ['active', 'terminated'] } } } },
  },
};

const packageHead = {
  uri: { ...uri, description: 'Where this package is served' },
  version: { const: '1.1' },
  publishedDate: { ...dateTime, description: 'The date of the newest release in it' },
  publisher: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  license: uri,
};

export const ocdsReleasePackageSchema = {
  type: 'object',
  description: 'An OCDS 1.1 release package',
  required: ['uri', 'version', 'publishedDate', 'publisher', 'license', 'releases'],
  properties: { ...packageHead, releases: { type: 'array', minItems: 1, items: ocdsReleaseSchema } },
};

const recordPackageSchema = {
  type: 'object',
  description: 'An OCDS 1.1 record package with the one record of the ocid',
  required: ['uri', 'version', 'publishedDate', 'publisher', 'license', 'packages', 'records'],
  properties: {
    ...packageHead,
    packages: { type: 'array', items: uri },
    records: {
      type: 'array', minItems: 1, maxItems: 1,
      items: {
        type: 'object', required: ['ocid', 'releases', 'compiledRelease'],
        properties: { ocid: { type: 'string' }, releases: { type: 'array', minItems: 1, items: ocdsReleaseSchema }, compiledRelease: ocdsReleaseSchema },
      },
    },
  },
};

const indexSchema = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object', required: ['ocid', 'title', 'releases', 'record'], additionalProperties: false,
        properties: { ocid: { type: 'string' }, title: { type: 'string' }, releases: uri, record: uri },
      },
    },
    nextCursor: { type: ['string', 'null'] },
  },
};

const limited = 'Public, no token; at most GRMS_OCDS_RATE_LIMIT requests per client address per GRMS_OCDS_RATE_WINDOW_SECONDS (429 with Retry-After beyond).';

export const ocdsPaths: Record<string, Record<string, unknown>> = {
  '/api/v1/ocds': {
    get: {
      summary: 'The contracting processes published as OCDS, newest first',
      parameters: [
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
      ],
      responses: { '200': json('a page of published ocids with the URLs of their packages', indexSchema), '400': problem, '429': problem },
    },
  },
  '/api/v1/ocds/{ocid}/releases': {
    get: {
      summary: 'Every release of a published contracting process, as an OCDS 1.1 release package',
      parameters: [ocidParam],
      responses: { '200': json('OCDS 1.1 release package', ocdsReleasePackageSchema), '404': problem, '429': problem },
    },
  },
  '/api/v1/ocds/{ocid}/record': {
    get: {
      summary: 'The record of a published contracting process (its releases and the compiled release), as an OCDS 1.1 record package',
      parameters: [ocidParam],
      responses: { '200': json('OCDS 1.1 record package', recordPackageSchema), '404': problem, '429': problem },
    },
  },
};

/** operationId, tag, description per operation (see src/api/openapi-operations.ts). */
export const ocdsOperations: Record<string, [operationId: string, tag: string, description: string]> = {
  'GET /api/v1/ocds': ['listOcdsProcesses', 'procurement', `The procurement contracts published so far (from their signature by both parties on), with the URLs of each one's release package and record. ${limited}`],
  'GET /api/v1/ocds/{ocid}/releases': ['getOcdsReleases', 'procurement', `A release per published step (award, signed contract, each addendum, progress report, payment, handover, termination or completion), each the whole picture at that moment; 404 for an ocid not published. ${limited}`],
  'GET /api/v1/ocds/{ocid}/record': ['getOcdsRecord', 'procurement', `The same releases with the compiled release merged from them by the OCDS merge rules; 404 for an ocid not published. ${limited}`],
};
