import type { PackageOpenApi } from '../../src/engine/package';
import { bearer, body, errors, JSON_BODY, ok, pdf, publicErrors, statusPageResponses } from '../../src/api/openapi-responses';
import { exact, ref, type Schema } from '../../src/api/openapi-schemas';

/** The OpenAPI paths, schema and tag of the permit's own routes (./routes.ts). */
const registrationNumber = { type: 'string', maxLength: 64, examples: ['REG/DPMPTSP/2026/000123'] };
const pin = { type: 'string', maxLength: 32 };
const str: Schema = { type: 'string' };
const op = (operationId: string, description: string) => ({ operationId, tags: ['permits'], description });

export function permitOpenApi(): PackageOpenApi {
  return {
    tags: { permits: 'Permit applicants\' receipts and status' },
    schemas: {
      PermitStatus: exact({
        registrationNumber: str, permitType: exact({ code: str, label: str }), stage: exact({ code: str, label: str, final: { type: 'boolean' } }),
        registeredAt: { type: 'string', format: 'date-time' }, lastChangeAt: { type: 'string', format: 'date-time' },
        dueDate: { type: ['string', 'null'], format: 'date-time' }, permitNumber: { type: ['string', 'null'] },
        nextStep: exact({ id: str, en: str }, 'What the applicant can expect next at this stage'),
        office: exact(
          { government: str, name: str, address: { type: ['string', 'null'] }, phone: { type: ['string', 'null'] }, email: { type: ['string', 'null'] }, website: { type: ['string', 'null'] } },
          'Who handles the application: the government (GRMS_GOVERNMENT) and the owning office with its contacts',
        ),
      }),
    },
    paths: {
      '/api/v1/permits/receipt.pdf': {
        post: {
          ...op('getPermitReceipt', 'A signed PDF receipt for a permit registration, after checking its PIN.'),
          security: bearer, summary: 'The tanda terima of a registration (front desk): registration number and PIN, checked, signed with the seal; writes nothing',
          requestBody: body({ type: 'object', required: ['registrationNumber', 'pin'], properties: { registrationNumber, pin } }),
          responses: { '200': pdf, ...errors(...JSON_BODY, 403, 404) },
        },
      },
      '/api/v1/permits/status': {
        post: {
          ...op('getPermitStatus', 'The status of a permit application for its applicant, by registration number and PIN; rate-limited.'),
          summary: 'Public status of a permit application, for the applicant (no login). The PIN goes in the body, never in the URL. Wrong PINs: 404 like an unknown number; 429 with Retry-After after 5 per registration number or 20 per client in 15 minutes. `registration` is accepted for `registrationNumber` (its former name)',
          requestBody: body({ type: 'object', required: ['registrationNumber', 'pin'], properties: { registrationNumber, pin, registration: { ...registrationNumber, deprecated: true, description: 'Former name of registrationNumber' } } }),
          responses: { '200': ok('the status (Cache-Control: no-store)', ref('PermitStatus')), ...publicErrors(...JSON_BODY, 404, 429, 503) },
        },
      },
      '/permits/status': {
        get: {
          ...op('permitStatusPage', 'The applicant\'s status page in HTML.'),
          summary: 'The status page (HTML): a form, or the status when registrationNumber and pin are given in the query',
          parameters: [{ name: 'registrationNumber', in: 'query', schema: registrationNumber }, { name: 'pin', in: 'query', schema: pin }, { name: 'registration', in: 'query', deprecated: true, description: 'Former name of registrationNumber', schema: registrationNumber }],
          responses: statusPageResponses([]),
        },
        post: {
          ...op('permitStatusForm', 'The applicant\'s status form, answered in HTML.'),
          summary: 'What the status form posts (application/x-www-form-urlencoded: registrationNumber, pin); HTML',
          requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { registrationNumber, pin, registration: { ...registrationNumber, deprecated: true } } } } } },
          responses: statusPageResponses([413, 415]),
        },
      },
    },
  };
}
