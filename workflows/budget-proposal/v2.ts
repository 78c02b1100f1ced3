import schema from '../../schemas/budget-proposal/v2.schema.json';
import type { WorkflowDefinition } from '../../src/engine/definition';
import { requiring, withProperties } from '../../src/engine/stored-schema';
import { budgetProposalV1 } from './v1';

/** As stored: normalize computes every line's amount and the total (as v1). */
const lines = schema.properties.lines;
const storedSchema = requiring(withProperties(schema, { lines: { ...lines, items: requiring(lines.items, ['amount']) } }), ['total']);

/**
 * Budget proposal v2: v1 with the sub kegiatan's location (`location`, required), which the
 * DPA-SKPD prints. Same steps, rules and amounts as v1 (its machine and normalize); new proposals
 * take v2, those created under v1 finish under v1 (and their DPA prints no location).
 */
export const budgetProposalV2: WorkflowDefinition = {
  ...budgetProposalV1,
  version: 2,
  schema,
  storedSchema,
};
