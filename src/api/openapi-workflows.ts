/**
 * The OpenAPI schemas that depend on which workflows are registered, generated from their
 * definitions (never copied by hand): per workflow version the data it takes at creation
 * (`schemas/<workflow>/v<n>.schema.json`), the data an instance holds (`storedSchema`) and the
 * create receipt; and `Instance`, whose `data` is a `oneOf` over workflow × version.
 */
import type { WorkflowDefinition } from '../engine/definition';
import type { WorkflowRegistry } from '../engine/registry';
import { exact, ref, type Schema } from './openapi-schemas';
import { HIDDEN } from '../engine/confidential';

const pascal = (name: string) => name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
const baseName = (def: WorkflowDefinition) => `${pascal(def.name)}V${def.version}`;

/** A workflow schema as a component: its own identity and bundled payload schemas stay in the file. */
function component(schema: Record<string, unknown>, description: string): Schema {
  const { $schema: _s, $id: _i, $defs: _d, ...rest } = schema;
  return { ...rest, description };
}

const str: Schema = { type: 'string' };
const time: Schema = { type: 'string', format: 'date-time' };

/** What every instance answer holds besides the workflow-specific part. */
const instanceProperties: Record<string, Schema> = {
  id: { type: 'string', format: 'uuid' }, workflow: str, workflowVersion: { type: 'integer', minimum: 1 },
  state: { ...str, description: 'The machine state; nested states as parent.child' },
  version: { type: 'integer', minimum: 1, description: 'Counts state and data changes; the ETag' },
  title: str, org: { ...str, description: 'The OPD the instance belongs to' }, fiscalYear: { type: ['integer', 'null'] },
  total: { type: ['integer', 'null'], description: 'Integer rupiah' }, data: { description: 'The workflow data: one of the per-workflow schemas (allOf below)' },
  createdBy: str, createdAt: time, updatedAt: time,
  allowedEvents: { type: 'array', items: str, description: 'Events the caller may fire now' },
};
const instanceRequired = Object.keys(instanceProperties);

/**
 * The data schema with each confidential value (a package's `confidential` pointers) also allowed
 * to read HIDDEN: what a reader without the named roles gets in its place.
 */
function withHidden(schema: Schema, pointers: readonly string[]): Schema {
  const hide = (node: Schema, path: string[]): Schema => {
    const [key, ...rest] = path;
    const props = (node as { properties?: Record<string, Schema> }).properties;
    if (key === undefined || !props?.[key]) return node;
    const leaf = rest.length ? hide(props[key], rest) : { anyOf: [props[key], { const: HIDDEN, description: 'Confidential: hidden from this reader' }] };
    return { ...node, properties: { ...props, [key]: leaf } };
  };
  return pointers.reduce((out, pointer) => hide(out, pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))), schema);
}

/** Per workflow × version: which data schema and receipt go with it. */
function branches(defs: readonly WorkflowDefinition[], withReceipt: boolean): Schema {
  return {
    oneOf: defs.map((def) => ({
      type: 'object',
      required: ['workflow', 'workflowVersion', 'data'],
      properties: {
        workflow: { const: def.name },
        workflowVersion: { const: def.version },
        data: ref(`${baseName(def)}Data`),
        // Only the create answer of a workflow that gives a receipt carries one.
        receipt: withReceipt && def.receiptSchema ? ref(`${baseName(def)}Receipt`) : false,
      },
    })),
  };
}

/** `Instance`, `Task`, the pages and lists of them, `Workflow`, and each workflow's data schemas. */
export function workflowSchemas(registry: WorkflowRegistry): Record<string, Schema> {
  const defs = [...registry.all()].sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
  const out: Record<string, Schema> = {};
  for (const def of defs) {
    // Only the newest version of a workflow is created (NewInstance): an older one has no creation input.
    if (registry.latest(def.name) === def) out[`${baseName(def)}Input`] = component(def.schema, `${def.title} (v${def.version}): the data given at creation (schemas/${def.name}/v${def.version}.schema.json)`);
    const hidden = (registry.package(def.name)?.confidential ?? []).map((f) => f.pointer);
    out[`${baseName(def)}Data`] = withHidden(component(def.storedSchema ?? def.schema, `${def.title} (v${def.version}): the data an instance holds, as the API answers it`), hidden);
    if (def.receiptSchema) out[`${baseName(def)}Receipt`] = { ...def.receiptSchema, description: `Shown once, in the answer that created the ${def.name}` };
  }
  const instance = (extra: Record<string, Schema>, withReceipt: boolean): Schema => ({
    type: 'object',
    required: [...instanceRequired, ...Object.keys(extra)],
    additionalProperties: false,
    properties: { ...instanceProperties, ...extra, ...(withReceipt && { receipt: { description: 'Per workflow (allOf below); absent for workflows that give none' } }) },
    allOf: [ref(withReceipt ? 'WorkflowDataCreated' : 'WorkflowData')],
  });
  out.WorkflowData = branches(defs, false);
  out.WorkflowDataCreated = branches(defs, true);
  out.Instance = instance({}, false);
  out.InstanceCreated = instance({}, true);
  out.Task = instance({
    dueAt: { type: ['string', 'null'], format: 'date-time' }, overdue: { type: 'boolean' },
    escalated: { type: 'boolean', description: "The step's deadline was missed and escalated: the step's escalation scope (if any) may act too" },
  }, false);
  out.InstancePage = exact({ items: { type: 'array', items: ref('Instance') }, nextCursor: { type: ['string', 'null'] } });
  out.SearchResults = exact({ items: { type: 'array', items: ref('Instance') } });
  out.TaskPage = exact({ items: { type: 'array', items: ref('Task') }, nextCursor: { type: ['string', 'null'] }, counts: ref('TaskCounts') });
  out.NewInstance = {
    type: 'object', required: ['workflow', 'data'],
    properties: { workflow: { enum: [...new Set(defs.map((d) => d.name))] }, data: { description: 'The data schema of the newest version of that workflow' } },
    // Created with the newest version of the workflow named.
    oneOf: [...new Set(defs.map((d) => d.name))].map((name) => {
      const def = registry.latest(name)!;
      return { required: ['workflow'], properties: { workflow: { const: name }, data: ref(`${baseName(def)}Input`) } };
    }),
  };
  out.WorkflowStep = exact({
    state: str, type: str, roles: { type: 'array', items: str }, scope: { enum: ['instance-org', 'global', 'submitter', 'data-org', 'timer', 'tracking-pin'] },
    task: { type: 'boolean' }, review: { type: 'boolean' }, requiresComment: { type: 'boolean' }, document: { type: ['string', 'null'] },
  });
  out.Workflow = exact({
    name: str, version: { type: 'integer', minimum: 1 }, title: str, newest: { type: 'boolean' }, instances: { type: 'integer', minimum: 0 },
    definitionHash: { type: ['string', 'null'], pattern: '^[0-9a-f]{64}$' }, states: { type: 'array', items: str }, initial: str,
    events: { type: 'array', items: ref('WorkflowStep') },
    schema: {
      type: 'object', description: 'The data schema this version validates with (the <Workflow>V<n>Input component)',
      required: ['$schema', 'type'], properties: { $schema: { const: 'https://json-schema.org/draft/2020-12/schema' }, type: { const: 'object' } },
    },
  });
  out.WorkflowList = exact({ items: { type: 'array', items: ref('Workflow') } });
  return out;
}
