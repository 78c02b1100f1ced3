import schema from '../../schemas/procurement-delivery/v1.schema.json';
import { withProperties } from '../../src/engine/stored-schema';

/**
 * The data a procurement-delivery v1 contract holds, as the API answers it: the award as given
 * (schemas/procurement-delivery/v1.schema.json) plus what normalize sets at the award and the
 * events record (money.ts names the money parts). Describes only.
 */
const rupiah = { type: 'integer', minimum: 0 };
const day = { type: 'string', format: 'date' };
const time = { type: 'string', format: 'date-time' };
const percent = { type: 'number', minimum: 0, maximum: 100 };
const exact = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: 'object', required, additionalProperties: false, properties });

const money = { gross: rupiah, retention: rupiah, penalty: rupiah, net: rupiah };
/** A termin claim names its termin; the retention claim does not. */
const kind = { oneOf: [{ properties: { kind: { const: 'termin' }, termin: true }, required: ['kind', 'termin'] }, { properties: { kind: { const: 'retention' }, termin: false }, required: ['kind'] }] };
const claim = {
  ...exact({ kind: { enum: ['termin', 'retention'] }, termin: { type: 'integer', minimum: 1 }, returnTo: { enum: ['in_progress', 'maintenance', 'closed'] }, ...money, status: { enum: ['review', 'approved', 'paid', 'rejected'] } },
    ['kind', 'returnTo', 'gross', 'retention', 'penalty', 'net', 'status']),
  ...kind,
};
const payment = { ...exact({ kind: { enum: ['termin', 'retention'] }, termin: { type: 'integer', minimum: 1 }, ...money, paidAt: time }, ['kind', 'gross', 'retention', 'penalty', 'net', 'paidAt']), ...kind };
const signature = exact({ by: { type: 'string' }, at: time });

export const storedSchema = withProperties(schema, {
  progress: percent,
  progressReports: { type: 'array', items: exact({ percent, at: time }) },
  payments: { type: 'array', items: payment },
  signatures: { ...exact({ ppk: signature, provider: signature }, []), description: 'Each party\'s signature of the contract, once given' },
  claim: { oneOf: [claim, { type: 'null' }], description: 'The payment on its way (or the last one, paid or rejected)' },
  penalty: { oneOf: [exact({ days: { type: 'integer', minimum: 0 }, amount: rupiah, deducted: rupiah }), { type: 'null' }], description: 'Set at the handover request' },
  versions: {
    type: 'array', minItems: 1, description: 'The contract terms: the award (version 1), then each amendment',
    items: exact({ version: { type: 'integer', minimum: 1 }, value: rupiah, endDate: schema.properties.endDate, reason: { type: 'string' }, at: time, by: { type: 'string' } }, ['version', 'value', 'endDate', 'reason']),
  },
  handoverRequested: day,
  bastDate: day,
  fhoDate: day,
  closedAt: time,
}, ['maintenanceDays', 'retentionPercent', 'progress', 'progressReports', 'payments', 'signatures', 'claim', 'penalty', 'versions']);
