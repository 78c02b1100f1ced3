import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import type { FieldProblem } from '../errors';
import type { WorkflowDefinition } from './definition';
import { escapePointer, isReservedKey } from '../reserved-keys';

const ajv = new Ajv2020({ allErrors: true, strict: true });
const compiled = new WeakMap<WorkflowDefinition, ValidateFunction>();

function validatorFor(def: WorkflowDefinition): ValidateFunction {
  let fn = compiled.get(def);
  if (!fn) {
    fn = ajv.compile(def.schema);
    compiled.set(def, fn);
  }
  return fn;
}

/** Schema problems of `data`, with paths prefixed by `base` (a JSON Pointer into the body). */
export function schemaProblems(def: WorkflowDefinition, data: unknown, base: string): FieldProblem[] {
  const validate = validatorFor(def);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'required' ? `/${(e.params as { missingProperty: string }).missingProperty}` :
      e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : '';
    return { path: `${base}${e.instancePath}${extra}`, message: e.message ?? e.keyword };
  });
}

/** Compiles schemas ahead of their first request (a server does it once it listens, and stops on a broken one). */
export function compileAll(defs: readonly WorkflowDefinition[]): void {
  for (const def of defs) validatorFor(def);
}

/**
 * Text with NUL or lone surrogates cannot be stored faithfully (PostgreSQL refuses NUL in text and
 * jsonb; a lone surrogate is not Unicode): report every such string as invalid data. A reserved
 * property name (`__proto__` …, src/reserved-keys.ts) is invalid too, whoever called the engine.
 */
export function invalidTextProblems(value: unknown, path = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  const walk = (v: unknown, p: string, depth: number) => {
    if (depth > 64) {
      out.push({ path: p, message: 'nested too deeply' });
      return;
    }
    if (typeof v === 'string') {
      if (v.includes('\u0000')) out.push({ path: p, message: 'must not contain NUL characters' });
      else if (!v.isWellFormed()) out.push({ path: p, message: 'must not contain lone surrogates' });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${p}/${i}`, depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (k.includes('\u0000') || !k.isWellFormed()) out.push({ path: `${p}/${escapePointer(k)}`, message: 'property name must be valid text' });
        else if (isReservedKey(k)) {
          out.push({ path: `${p}/${k}`, message: 'is a reserved name' });
          continue;
        }
        walk(item, `${p}/${escapePointer(k)}`, depth + 1);
      }
    }
  };
  walk(value, path, 0);
  return out;
}
