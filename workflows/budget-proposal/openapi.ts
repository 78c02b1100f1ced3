import { bearer, body, errors, JSON_BODY, ok } from '../../src/api/openapi-responses';
import { exact, ref, type Schema } from '../../src/api/openapi-schemas';

/** The OpenAPI part of the ceiling routes (ceilings-routes.ts). */
const int: Schema = { type: 'integer' };
const count: Schema = { type: 'integer', minimum: 0 };
const str: Schema = { type: 'string' };
const time: Schema = { type: 'string', format: 'date-time' };
const yearParam = { name: 'year', in: 'path', required: true, schema: { type: 'integer', minimum: 2000, maximum: 2100 } };
const orgParam = { name: 'org', in: 'path', required: true, schema: { type: 'string' } };

export const ceilingsOpenApi = {
  tags: { ceilings: 'Budget ceilings per OPD' },
  schemas: {
    Ceiling: exact({ fiscalYear: int, org: str, orgName: str, amount: count, used: count, remaining: int, updatedBy: str, updatedAt: time }),
    CeilingList: exact({ items: { type: 'array', items: ref('Ceiling') } }),
  },
  paths: {
    '/api/v1/ceilings/{year}': {
      get: {
        operationId: 'listCeilings', tags: ['ceilings'], security: bearer, summary: 'Ceilings with used and remaining per OPD',
        description: 'The budget ceiling of each OPD for a fiscal year, with the amount used by proposals and what remains.',
        parameters: [yearParam], responses: { '200': ok('ceilings', ref('CeilingList')), ...errors() },
      },
    },
    '/api/v1/ceilings/{year}/{org}': {
      put: {
        operationId: 'setCeiling', tags: ['ceilings'], security: bearer, summary: 'Set a ceiling (role tapd)',
        description: 'Sets an OPD\'s budget ceiling for a year; it may not go below the amount already used.',
        parameters: [yearParam, orgParam],
        requestBody: body({ type: 'object', required: ['amount'], additionalProperties: false, properties: { amount: { type: 'integer', minimum: 0 } } }),
        responses: { '200': ok('ceiling', ref('Ceiling')), ...errors(...JSON_BODY, 403, 404) },
      },
    },
  },
};
