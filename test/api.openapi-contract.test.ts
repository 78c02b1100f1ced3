import fs from 'node:fs';
import path from 'node:path';
import { servedOpenApi } from '../src/api/openapi-operations';
import { defaultRegistry } from '../src/engine/registry';
import { startTestApp, type TestApp } from './support/app';
import { ContractViolation, OpenApiContract, type Answer } from './support/openapi-contract';
import { proposal } from './support/proposals';

/**
 * The OpenAPI document as a contract: every 2xx JSON answer is described precisely, the workflow
 * data is the registered schemas', and the checker the test client runs every answer through
 * reports answers that break the document (a canary for each kind of fault).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const document = JSON.parse(JSON.stringify(servedOpenApi({ publicUrl: 'https://grms.example', government: 'grms', registry: defaultRegistry() }))) as Json;
const resolve = (ref: string): Json => ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce((n: Json, p) => n[p], document);
const types = (s: Json) => (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]) as string[];
const DECLARES = ['properties', 'additionalProperties', 'patternProperties', 'propertyNames', 'allOf', 'oneOf', 'anyOf', 'const', 'enum', '$ref'];

/** Where, under `schema`, an object schema declares nothing of its shape, or lists properties without saying which are required. */
function vagueObjects(schema: Json, where: string, seen = new Set<Json>()): string[] {
  if (typeof schema !== 'object' || schema === null || seen.has(schema)) return [];
  seen.add(schema);
  const out: string[] = [];
  if (schema.$ref) return vagueObjects(resolve(schema.$ref), `${where} -> ${schema.$ref}`, seen);
  if (types(schema).includes('object')) {
    if (!DECLARES.some((k) => k in schema)) out.push(`${where}: a bare object`);
    if (schema.properties && !Array.isArray(schema.required)) out.push(`${where}: properties without required`);
  }
  for (const [k, sub] of Object.entries(schema.properties ?? {})) out.push(...vagueObjects(sub as Json, `${where}.${k}`, seen));
  for (const k of ['items', 'additionalProperties', 'not']) if (typeof schema[k] === 'object') out.push(...vagueObjects(schema[k], `${where}/${k}`, seen));
  for (const k of ['allOf', 'oneOf', 'anyOf', 'prefixItems']) (schema[k] ?? []).forEach((s: Json, i: number) => out.push(...vagueObjects(s, `${where}/${k}/${i}`, seen)));
  return out;
}

test('every 2xx JSON answer has a schema with required properties, and no object in it is left vague', () => {
  const faults: string[] = [];
  let checked = 0;
  for (const [p, item] of Object.entries(document.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        if (!/^2/.test(status)) continue;
        for (const [type, media] of Object.entries(((response as Json).content ?? {}) as Json)) {
          if (type !== 'application/json' && !type.endsWith('+json')) continue;
          checked++;
          const where = `${method.toUpperCase()} ${p} ${status} ${type}`;
          const schema = media.schema?.$ref ? resolve(media.schema.$ref) : media.schema;
          if (!schema) faults.push(`${where}: no schema`);
          else if (!Array.isArray(schema.required) || schema.required.length === 0) faults.push(`${where}: no required properties`);
          faults.push(...vagueObjects(media.schema ?? {}, where));
        }
      }
    }
  }
  expect(checked).toBeGreaterThan(35);
  expect(faults).toEqual([]);

  // The rule itself: a bare object and an object without required are found.
  expect(vagueObjects({ type: 'object' }, 'x')).toEqual(['x: a bare object']);
  expect(vagueObjects({ type: 'object', required: ['a'], properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } }, 'x')).toEqual(['x.a: properties without required']);
});

test('instance data is one of the registered workflow versions\' schemas, taken from their files', () => {
  const schemas = document.components.schemas as Json;
  const registry = defaultRegistry();
  const branches = schemas.WorkflowData.oneOf as Json[];
  expect(branches.map((b) => [b.properties.workflow.const, b.properties.workflowVersion.const]).sort())
    .toEqual(registry.all().map((d) => [d.name, d.version]).sort());
  for (const def of registry.all()) {
    const file = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'schemas', def.name, `v${def.version}.schema.json`), 'utf8')) as Json;
    const { $schema: _s, $id: _i, $defs: _d, ...fromFile } = file;
    const name = def.name.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + `V${def.version}`;
    // Only the newest version is created, so only it has a creation input.
    if (registry.latest(def.name) === def) {
      const { description: _desc, ...input } = schemas[`${name}Input`] as Json;
      expect(input).toEqual(fromFile);
    } else {
      expect(schemas[`${name}Input`]).toBeUndefined();
    }
    // What an instance holds has every property the file names.
    expect(Object.keys(schemas[`${name}Data`].properties)).toEqual(expect.arrayContaining(Object.keys(fromFile.properties)));
  }
  expect(schemas.Instance.allOf).toEqual([{ $ref: '#/components/schemas/WorkflowData' }]);
});

describe('the contract checker', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(() => app.close());

  const answerOf = async (user: string | undefined, method: string, url: string, body?: unknown): Promise<Answer & { json: Json }> => {
    const r = await app.callUnchecked(user, method, url, body);
    return { method, url, status: r.status, headers: r.headers, text: r.text, json: r.body as Json };
  };
  const withBody = (a: Answer, body: unknown): Answer => ({ ...a, text: JSON.stringify(body) });
  const withHeaders = (a: Answer, change: (h: Headers) => void): Answer => {
    const headers = new Headers(a.headers);
    change(headers);
    return { ...a, headers };
  };

  test('every JSON answer\'s schema compiles under Ajv 2020 in strict mode', () => {
    expect(new OpenApiContract(app.contract.document).compileAll()).toBeGreaterThan(100);
  });

  test('passes real answers, and reports each kind of deliberately wrong one (the canary)', async () => {
    const me = await answerOf('perencana.dinkes', 'GET', '/api/v1/me');
    expect(app.contract.check(me)).toEqual([]);
    const created = await answerOf('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() });
    expect(created.status).toBe(201);
    expect(app.contract.check(created)).toEqual([]);
    const refused = await answerOf(undefined, 'GET', '/api/v1/me');
    expect(app.contract.check(refused)).toEqual([]);

    const { username: _u, ...noUsername } = me.json;
    const reports = {
      missingProperty: app.contract.check(withBody(me, noUsername)),
      extraProperty: app.contract.check(withBody(me, { ...me.json, password: 'x' })),
      wrongType: app.contract.check(withBody(me, { ...me.json, roles: 'planner' })),
      undocumentedStatus: app.contract.check({ ...me, status: 418 }),
      undocumentedMediaType: app.contract.check(withHeaders(me, (h) => h.set('content-type', 'text/plain'))),
      notJson: app.contract.check({ ...me, text: '<html>' }),
      bodyWhereNoneIsDocumented: app.contract.check({ ...me, method: 'DELETE', url: '/api/v1/holidays/2030-01-01', status: 204 }),
      missingHeader: app.contract.check(withHeaders(refused, (h) => h.delete('www-authenticate'))),
      problemOfAnotherStatus: app.contract.check({ ...refused, url: '/api/v1/users', status: 403 }),
      undocumentedRouteAnswering: app.contract.check({ ...me, url: '/api/v1/whatever' }),
      // Workflow data: a budget proposal's total is always there once stored.
      dataAgainstItsWorkflow: app.contract.check(withBody(created, { ...created.json, data: { ...created.json.data, total: undefined } })),
      dataOfAnotherWorkflow: app.contract.check(withBody(created, { ...created.json, workflow: 'permit' })),
    };
    for (const [fault, found] of Object.entries(reports)) expect([fault, found.length]).not.toEqual([fault, 0]);
    expect(reports.missingProperty.join()).toMatch(/must have required property 'username'/);
    expect(reports.undocumentedStatus.join()).toMatch(/status 418 is not documented/);
  });

  test('the test client fails a call whose answer the document does not allow', async () => {
    // A document that no longer lists 200 for /healthz: the real answer now breaks it.
    const narrowed = JSON.parse(JSON.stringify(app.contract.document)) as Json;
    delete narrowed.paths['/healthz'].get.responses['200'];
    const contract = new OpenApiContract(narrowed);
    const answer = await answerOf(undefined, 'GET', '/healthz');
    expect(contract.check(answer)).toEqual([expect.stringMatching(/GET \/healthz 200: status 200 is not documented/)]);
    const original = app.contract.check;
    app.contract.check = contract.check.bind(contract);
    try {
      await expect(app.call(undefined, 'GET', '/healthz')).rejects.toBeInstanceOf(ContractViolation);
    } finally {
      app.contract.check = original;
    }
    await expect(app.call(undefined, 'GET', '/healthz')).resolves.toMatchObject({ status: 200 });
  });
});
