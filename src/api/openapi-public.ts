import { body, JSON_BODY, ok, publicErrors } from './openapi-responses';
import { exact, type Schema } from './openapi-schemas';

/** The OpenAPI paths of the public intake and citizen routes (./public-intake.ts), beside their operation entries. */
const str: Schema = { type: 'string' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const registrationNumber: Schema = { type: 'string', maxLength: 64, examples: ['ADU/2026/000042'] };
const pin: Schema = { type: 'string', maxLength: 32 };
const labelled = exact({ code: str, label: str });

const receipt = exact({
  registrationNumber: str, pin: { type: 'string', description: 'Shown only in this answer; only its hash is stored' },
  registeredAt: dateTime, workflow: str, state: str,
});
const citizenStatus = exact({
  registrationNumber: str, workflow: str, state: labelled,
  events: { type: 'array', description: 'The events the holder of the number and PIN may send now', items: exact({ type: str, label: str }) },
  registeredAt: dateTime, lastChangeAt: dateTime, dueDate: { type: ['string', 'null'], format: 'date-time' },
});
const proof = { registrationNumber, pin };

export const publicIntakePaths: Record<string, Record<string, unknown>> = {
  '/api/v1/public/workflows/{workflow}/instances': {
    post: {
      summary: 'Creates an instance without an account, for a workflow that takes public submissions; answers its tracking number and PIN once',
      parameters: [{ name: 'workflow', in: 'path', required: true, schema: str }],
      requestBody: body(exact({ data: { type: 'object', description: 'The instance data, validated by the workflow\'s data schema (components.schemas)' } })),
      responses: {
        '201': ok('created (Cache-Control: no-store)', receipt),
        ...publicErrors(...JSON_BODY, 404, 429, 503),
      },
    },
  },
  '/api/v1/public/tracking/status': {
    post: {
      summary: 'The state of an instance for whoever holds its tracking number and PIN, with the events theirs to send; wrong PINs count toward a limit before they are checked',
      requestBody: body({ type: 'object', required: ['registrationNumber', 'pin'], properties: proof }),
      responses: { '200': ok('the status (Cache-Control: no-store)', citizenStatus), ...publicErrors(...JSON_BODY, 404, 429, 503) },
    },
  },
  '/api/v1/public/tracking/events': {
    post: {
      summary: 'Fires an event the workflow gives to the holder of the tracking number and PIN (a step with scope tracking-pin), validated, recorded and documented like any transition',
      requestBody: body({
        type: 'object', required: ['registrationNumber', 'pin', 'type'],
        properties: { ...proof, type: str, comment: { type: ['string', 'null'] }, data: { type: 'object' } },
      }),
      responses: { '200': ok('the status after the event (Cache-Control: no-store)', citizenStatus), ...publicErrors(...JSON_BODY, 403, 404, 409, 429, 503) },
    },
  },
};

export const publicIntakeOperations: Record<string, [string, string, string]> = {
  'POST /api/v1/public/workflows/{workflow}/instances': ['createPublicInstance', 'public', 'Creates an instance for a citizen without an account (the workflow package declares publicIntake). Limited per client address (GRMS_PUBLIC_INTAKE_RATE_LIMIT), body capped (GRMS_PUBLIC_INTAKE_MAX_BODY_BYTES), and a list of attachments longer than GRMS_PUBLIC_INTAKE_MAX_ATTACHMENTS gets 413 TOO_MANY_ATTACHMENTS naming its path before anything is written; bad data gets 422 with field paths and stores nothing. The client address is not logged.'],
  'POST /api/v1/public/tracking/status': ['getPublicTrackingStatus', 'public', 'The state, dates and citizen events of an instance, by tracking number and PIN (in the body, never in the URL). Wrong PINs: 404 like an unknown number; 429 with Retry-After after 5 per number or 20 per client in 15 minutes.'],
  'POST /api/v1/public/tracking/events': ['firePublicTrackingEvent', 'public', 'A citizen\'s event (one of the steps the workflow gives the reporter) by tracking number and PIN: 403 for an event that is an official\'s, 409 for one the state does not have, 422 for invalid data; the PIN limits of the status route apply.'],
};
