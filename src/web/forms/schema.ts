import { parseNumberInput, type NumberProblem } from './numbers';

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
/** A file's SHA-256 (lower-case hex): the form takes the file and the server computes it. */
const FILE_HASH_PATTERN = '^[0-9a-f]{64}$';
/** An ID number of so many digits (NIK, NIB …): people group its digits with spaces, which are removed. */
const DIGITS_PATTERN = /^\^\[0-9\]\{(\d{1,3})\}\$$/;

export type FieldKind = 'object' | 'rows' | 'enum' | 'money' | 'integer' | 'number' | 'date' | 'longtext' | 'text' | 'boolean' | 'computed' | 'file';

/** How many digits a digits-only field takes (its pattern is `^[0-9]{n}$`), or undefined. */
export function digitsOf(schema: FieldSchema): number | undefined {
  const m = schema.pattern ? DIGITS_PATTERN.exec(schema.pattern) : null;
  return m ? Number(m[1]) : undefined;
}

/** Whether a form of `schema` takes files (some field is a file's hash): it is then sent as multipart/form-data. */
export function takesFiles(schema: FieldSchema): boolean {
  if (schema.pattern === FILE_HASH_PATTERN) return true;
  return Object.values(schema.properties ?? {}).some(takesFiles) || (schema.items ? takesFiles(schema.items) : false);
}

/** Rows holding a file (their hash field): a row left without file or text is no row. */
export const holdsFile = (items: FieldSchema | undefined) => Object.values(items?.properties ?? {}).some((p) => p.pattern === FILE_HASH_PATTERN);

export function kindOf(name: string, schema: FieldSchema, required: boolean): FieldKind {
  if (schema.enum) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object' || schema.properties) return 'object';
  if (type === 'array') return 'rows';
  if (type === 'integer') return !required && COMPUTED.has(name) ? 'computed' : MONEY.has(name) ? 'money' : 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (schema.pattern === DATE_PATTERN) return 'date';
  if (schema.pattern === FILE_HASH_PATTERN) return 'file';
  if ((schema.maxLength ?? 0) > 500) return 'longtext';
  return 'text';
}

/** Rows of an array whose items carry a volume and a unit price: their amounts and total are computed. */
export function hasLineAmounts(items: FieldSchema | undefined): boolean {
  return Boolean(items?.properties?.volume && items.properties.unitPrice && items.properties.amount);
}

export const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
export const inputId = (pointer: string) => `f${pointer.replace(/[^A-Za-z0-9_]+/g, '-')}`;

/** Number fields whose text was refused, by pointer (./numbers says why). */
export type NumberProblems = Record<string, NumberProblem>;

/**
 * Turns submitted fields (flat, named by pointer) into data shaped by the schema: numbers read the
 * Indonesian way (./numbers: 12.500 · 2,5), empty inputs left out (so "required" is reported),
 * array rows renumbered in order. Values that do not parse are passed on as typed, so the
 * schema refuses them and the form shows them again; a number's reason lands in `problems`.
 */
export function parseFields(schema: FieldSchema, fields: Record<string, unknown>, base = '', problems: NumberProblems = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const pointer = `${base}/${escapePointer(name)}`;
    const value = parseValue(name, prop, (schema.required ?? []).includes(name), fields, pointer, problems);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function parseValue(name: string, schema: FieldSchema, required: boolean, fields: Record<string, unknown>, pointer: string, problems: NumberProblems): unknown {
  const kind = kindOf(name, schema, required);
  const raw = typeof fields[pointer] === 'string' ? (fields[pointer] as string) : undefined;
  switch (kind) {
    case 'computed':
      return undefined;
    case 'object': {
      const value = parseFields(schema, fields, pointer, problems);
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
      // A row of files that got neither a file nor any text (the empty row a new form offers) is left out.
      const blank = (i: number) => holdsFile(schema.items) && Object.entries(fields).every(([k, v]) => !k.startsWith(`${prefix}${i}/`) || typeof v !== 'string' || v.trim() === '');
      const rows = [...indexes].sort((a, b) => a - b).filter((i) => !blank(i)).map((i, at) => {
        // Rows are renumbered: a problem is named by the row's new index, as the server's errors are.
        const own: NumberProblems = {};
        const row = parseValue(`${name}[]`, schema.items ?? {}, true, fields, `${pointer}/${i}`, own);
        for (const [p, problem] of Object.entries(own)) problems[`${pointer}/${at}${p.slice(`${pointer}/${i}`.length)}`] = problem;
        return row;
      });
      return rows.length || required ? rows : undefined;
    }
    case 'boolean':
      return raw === 'true' || raw === 'on';
    default: {
      if (raw === undefined || raw.trim() === '') return undefined;
      const text = raw.trim();
      if (kind === 'money' || kind === 'integer' || kind === 'number') {
        const parsed = parseNumberInput(text, kind);
        if (parsed.ok) return parsed.value;
        problems[pointer] = parsed.problem;
        return text;
      }
      if (kind === 'text' && digitsOf(schema) !== undefined) return text.replace(/[\s\u00a0]+/g, '');
      return kind === 'enum' || kind === 'date' || kind === 'file' ? text : raw;
    }
  }
}
