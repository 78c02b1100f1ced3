import { invalidData, reservedKey } from '../../errors';
import { isReservedKey } from '../../reserved-keys';
import type { FieldSchema } from './schema';

/**
 * The no-script row buttons: "add:/lines" appends a row, "remove:/lines/1" takes one out. The
 * pointer comes from the browser, so it is resolved against the workflow's JSON Schema, never
 * against the submitted data: each part must be a name listed in `properties` or an index of a
 * row that exists, and it must end at an array of rows. Only then is the data walked, by names
 * the schema gave; nothing the client chose becomes a property name.
 */

const ACTION = /^(add|remove):(\/[^\s]{0,300})$/;

type Step = { kind: 'property'; name: string; schema: FieldSchema } | { kind: 'index'; index: number; schema: FieldSchema };

const unescape = (part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~');

/** The schema path a pointer names, or the 422 that says why it names none. */
function resolve(schema: FieldSchema, pointer: string, named = pointer): Step[] {
  const parts = pointer.split('/').slice(1).map(unescape);
  const reserved = parts.filter(isReservedKey);
  if (reserved.length) throw reservedKey([{ path: named, message: 'is a reserved name' }]);
  const refuse = () => invalidData(`The row button names "${named}", which is no list of rows in this form`, [{ path: named, message: 'is not a list of rows' }]);
  const steps: Step[] = [];
  let at = schema;
  for (const part of parts) {
    if (at.properties && Object.hasOwn(at.properties, part)) {
      at = at.properties[part]!;
      steps.push({ kind: 'property', name: part, schema: at });
    } else if (at.type === 'array' && at.items && /^(0|[1-9]\d{0,3})$/.test(part)) {
      at = at.items;
      steps.push({ kind: 'index', index: Number(part), schema: at });
    } else {
      throw refuse();
    }
  }
  if (at.type !== 'array' || !at.items?.properties) throw refuse();
  return steps;
}

/** The rows `steps` lead to in `data`, making the missing objects and lists on the way (by the schema's names). */
function rowsAt(data: Record<string, unknown>, steps: Step[], pointer: string): Record<string, unknown>[] {
  let node: unknown = data;
  for (const step of steps) {
    if (step.kind === 'property') {
      const record = node as Record<string, unknown>;
      const wanted = step.schema.type === 'array' ? Array.isArray : (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
      if (!wanted(record[step.name])) record[step.name] = step.schema.type === 'array' ? [] : {};
      node = record[step.name];
    } else {
      const list = node as unknown[];
      const row = list[step.index];
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw invalidData(`The row button names "${pointer}", whose row does not exist`, [{ path: pointer, message: 'is not a list of rows' }]);
      }
      node = row;
    }
  }
  return node as Record<string, unknown>[];
}

/**
 * Applies a row button of a form built from `schema` to its parsed `data`. False when `action` is
 * no row button (the form is being saved); a pointer outside the schema is refused with a 422.
 */
export function applyRowAction(schema: FieldSchema, data: Record<string, unknown>, action: unknown): boolean {
  if (typeof action !== 'string') return false;
  const m = ACTION.exec(action);
  if (!m) return false;
  const [, verb, pointer] = m as unknown as [string, 'add' | 'remove', string];
  if (verb === 'add') {
    const steps = resolve(schema, pointer);
    const rows = rowsAt(data, steps, pointer);
    const max = steps.at(-1)?.schema.maxItems;
    if (max === undefined || rows.length < max) rows.push({});
    return true;
  }
  // "remove:/lines/1": the list is everything before the last part, which is the row's index.
  const cut = pointer.lastIndexOf('/');
  const index = pointer.slice(cut + 1);
  const listPointer = pointer.slice(0, cut);
  if (!/^(0|[1-9]\d{0,3})$/.test(index) || listPointer === '') {
    resolve(schema, pointer); // a reserved part is refused as such
    throw invalidData(`The row button names "${pointer}", which is no row of this form`, [{ path: pointer, message: 'is not a row' }]);
  }
  const rows = rowsAt(data, resolve(schema, listPointer, pointer), pointer);
  rows.splice(Number(index), 1);
  return true;
}
