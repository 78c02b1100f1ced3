import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { isConsolePath } from '../../src/web/router';

/**
 * Checks answers against the OpenAPI document the app serves: the operation the method and path
 * name, a status it lists, a media type it lists for that status (no body where it lists none),
 * the headers it requires, and a JSON body valid against the schema (JSON Schema 2020-12, Ajv).
 * The test client (test/support/app.ts) runs every answer of the API test suites through it, so
 * the document cannot drift from what the server does.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DOC_ID = 'https://grms.invalid/openapi.json';
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const mediaTypeOf = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

/** What a path no operation names may answer: 404, or a refusal that comes before routing. */
const NO_ROUTE = [400, 401, 404, 413, 415, 422, 429, 503];

interface Template { path: string; pattern: RegExp; literal: number }

export interface Answer {
  method: string;
  /** Path and query, as requested. */
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

export class OpenApiContract {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly templates: Template[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    // The document's own fields (its root is compiled as the base every $ref resolves against), and
    // the keywords OpenAPI 3.1 adds to JSON Schema: known, with nothing to check. Strict mode stays
    // on for everything else, so a misspelt keyword in a schema fails here.
    this.ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components', 'tags', 'security', 'webhooks', 'externalDocs', 'jsonSchemaDialect', 'example', 'discriminator', 'xml']);
    this.ajv.addSchema(document, DOC_ID);
    this.templates = Object.keys(document.paths as Json).map((path) => ({
      path,
      pattern: new RegExp(`^${path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('([^/]+)')}$`),
      literal: path.replace(/\{[^}]+\}/g, '').length,
    }));
  }

  /** The documented path template Express would route `path` to for `method`, if any. */
  operationPath(method: string, path: string): string | undefined {
    const m = method.toLowerCase();
    return this.templates
      .filter((t) => t.pattern.test(path) && (this.document.paths as Json)[t.path][m])
      .sort((a, b) => b.literal - a.literal)[0]?.path;
  }

  /** What in `answer` the document does not allow; empty when it matches. */
  check(answer: Answer): string[] {
    const method = answer.method.toLowerCase();
    if (!METHODS.has(method)) return [];
    const path = new URL(answer.url, 'http://x').pathname;
    const template = this.operationPath(method, path);
    if (!template) {
      // The console's pages are HTML for browsers, outside the API document by design.
      if (isConsolePath(path)) return [];
      // Anything else undocumented is the catch-all's 404 problem, unless a check every request
      // passes refused it first (the request guard, the JSON parser, the token under /api/v1).
      if (!NO_ROUTE.includes(answer.status)) return [`${answer.method} ${path} is not in the document, yet answered ${answer.status}`];
      return this.checkResponse(answer, '#/components/responses/Problem', `${answer.method} ${path} (no route)`);
    }
    const operation = `#/paths/${escapePointer(template)}/${method}`;
    const responses = this.resolve(`${operation}/responses`) as Json;
    const key = String(answer.status) in responses ? String(answer.status) : 'default' in responses ? 'default' : undefined;
    const where = `${answer.method} ${template} ${answer.status}`;
    if (!key) return [`${where}: status ${answer.status} is not documented (documented: ${Object.keys(responses).join(', ')})`];
    return this.checkResponse(answer, `${operation}/responses/${key}`, where);
  }

  private checkResponse(answer: Answer, pointer: string, where: string): string[] {
    let response = this.resolve(pointer) as Json;
    while (typeof response.$ref === 'string') {
      pointer = response.$ref;
      response = this.resolve(pointer) as Json;
    }
    const out: string[] = [];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Json)) {
      if (header.required && !answer.headers.has(name)) out.push(`${where}: header ${name} is required`);
    }
    const content = response.content as Json | undefined;
    const mediaType = mediaTypeOf(answer.headers.get('content-type'));
    if (!content) {
      if (answer.text !== '') out.push(`${where}: no body is documented, yet one came (${mediaType})`);
      return out;
    }
    if (!(mediaType in content)) return [...out, `${where}: content type ${mediaType || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`];
    if (!isJson(mediaType) || !content[mediaType].schema) return out;
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return [...out, `${where}: the ${mediaType} body is not JSON: ${answer.text.slice(0, 200)}`];
    }
    const validate = this.validator(`${pointer}/content/${escapePointer(mediaType)}/schema`);
    if (!validate(body)) {
      out.push(...(validate.errors ?? []).slice(0, 10).map((e) => `${where}: body${e.instancePath} ${e.message} (${e.schemaPath}${e.params ? ` ${JSON.stringify(e.params)}` : ''})`));
    }
    if (mediaType === 'application/problem+json' && (body as Json | null)?.status !== answer.status) out.push(`${where}: the problem says status ${(body as Json | null)?.status}`);
    return out;
  }

  /** Compiles the schema of every JSON answer the document lists (strict: a schema mistake throws); returns how many. */
  compileAll(): number {
    let n = 0;
    for (const [path, item] of Object.entries(this.document.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        if (!METHODS.has(method)) continue;
        for (const status of Object.keys(op.responses as Json)) {
          let pointer = `#/paths/${escapePointer(path)}/${method}/responses/${status}`;
          let response = this.resolve(pointer) as Json;
          while (typeof response.$ref === 'string') response = this.resolve((pointer = response.$ref)) as Json;
          for (const [type, media] of Object.entries((response.content ?? {}) as Json)) {
            if (!isJson(type) || !media.schema) continue;
            this.validator(`${pointer}/content/${escapePointer(type)}/schema`);
            n++;
          }
        }
      }
    }
    return n;
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.validators.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${DOC_ID}${pointer}` });
      this.validators.set(pointer, v);
    }
    return v;
  }

  private resolve(pointer: string): unknown {
    return pointer.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], this.document);
  }
}

/** Thrown by the test client for an answer the document does not allow. */
export class ContractViolation extends Error {
  constructor(readonly problems: string[], answer: Answer) {
    super(`The answer breaks the OpenAPI document (src/api/openapi.ts):\n  ${problems.join('\n  ')}\nbody: ${answer.text.slice(0, 500)}`);
    this.name = 'ContractViolation';
  }
}
