/**
 * The small part of JSON Schema (2020-12) the console's forms understand: what the workflow
 * schemas use. Field names are JSON Pointers into the data ("/lines/0/unitPrice"), the same paths
 * the server's problem+json `errors` name, so each error lands beside its input.
 */
export interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, FieldSchema>;
  required?: string[];
  items?: FieldSchema;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
  default?: unknown;
}

/** Integer properties that hold rupiah (money is integer rupiah everywhere in grms). */
const MONEY = new Set(['unitPrice', 'amount', 'total', 'value', 'fee', 'ceiling', 'price']);
/** Amounts the server computes (volume × unit price, sums): shown live, never submitted. */
const COMPUTED = new Set(['amount', 'total']);
const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

export type FieldKind = 'object' | 'rows' | 'enum' | 'money' | 'integer' | 'number' | 'date' | 'longtext' | 'text' | 'boolean' | 'computed';

export function kindOf(name: string, schema: FieldSchema, required: boolean): FieldKind {
  if (schema.enum) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties) return 'object';
  if (type === 'array') return 'rows';
  if (type === 'integer') return !required && COMPUTED.has(name) ? 'computed' : MONEY.has(name) ? 'money' : 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (schema.pattern === DATE_PATTERN) return 'date';
  if ((schema.maxLength ?? 0) > 500) return 'longtext';
  return 'text';
}

/** Rows of an array whose items carry a volume and a unit price: their amounts and total are computed. */
export function hasLineAmounts(items: FieldSchema | undefined): boolean {
  return Boolean(items?.properties?.volume && items.properties.unitPrice && items.properties.amount);
}

export const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
export const inputId = (pointer: string) => `f${pointer.replace(/[^A-Za-z0-9_]+/g, '-')}`;

/**
 * Turns submitted fields (flat, named by pointer) into data shaped by the schema: rupiah without
 * its dots, decimals with a comma or a dot, empty inputs left out (so "required" is reported),
 * array rows renumbered in order. Values that do not parse are passed on as typed so the
 * server's validation names them.
 */
export function parseFields(schema: FieldSchema, fields: Record<string, unknown>, base = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const pointer = `${base}/${escapePointer(name)}`;
    const value = parseValue(name, prop, (schema.required ?? []).includes(name), fields, pointer);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function parseValue(name: string, schema: FieldSchema, required: boolean, fields: Record<string, unknown>, pointer: string): unknown {
  const kind = kindOf(name, schema, required);
  const raw = typeof fields[pointer] === 'string' ? (fields[pointer] as string) : undefined;
  switch (kind) {
    case 'computed':
      return undefined;
    case 'object': {
      const value = parseFields(schema, fields, pointer);
      return Object.keys(value).length || required ? value : undefined;
    }
    case 'rows': {
      const indexes = new Set<number>();
      const prefix = `${pointer}/`;
      for (const key of Object.keys(fields)) {
        if (!key.startsWith(prefix)) continue;
        const m = /^(\d{1,4})(?:\/|$)/.exec(key.slice(prefix.length));
        if (m) indexes.add(Number(m[1]));
      }
      const rows = [...indexes].sort((a, b) => a - b).map((i) => parseValue(`${name}[]`, schema.items ?? {}, true, fields, `${pointer}/${i}`));
      return rows.length || required ? rows : undefined;
    }
    case 'boolean':
      return raw === 'true' || raw === 'on';
    default: {
      if (raw === undefined || raw.trim() === '') return undefined;
      const text = raw.trim();
      if (kind === 'money' || kind === 'integer') {
        const digits = kind === 'money' ? text.replace(/^Rp\s*/i, '').replace(/[.\s]/g, '') : text;
        return /^-?\d{1,16}$/.test(digits) ? Number(digits) : text;
      }
      if (kind === 'number') {
        const n = text.replace(',', '.');
        // Past Number's range a numeral is Infinity, which is no number JSON or the schema knows: kept as typed.
        return /^-?\d+(\.\d+)?$/.test(n) && Number.isFinite(Number(n)) ? Number(n) : text;
      }
      return kind === 'enum' || kind === 'date' ? text : raw;
    }
  }
}
