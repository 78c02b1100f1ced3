/**
 * What changed between two versions of an instance's data, line by line: each entry names a JSON
 * Pointer into the data and the value before and after. Lists of objects (budget lines) are
 * compared as rows, the way a text diff compares lines: rows left unchanged are matched first
 * (longest common subsequence), so inserting a row in the middle shows one row added rather than
 * every later row changed; between matched rows, a removed and an added row at the same place are
 * one changed row, compared field by field.
 */

export interface DiffEntry {
  /** JSON Pointer into the data: the newer data's row index for added and changed rows, the older one's for removed rows. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** As much of a JSON Schema as orders the keys: properties in the order the schema lists them. */
export interface KeyOrder {
  properties?: Readonly<Record<string, KeyOrder>>;
  items?: KeyOrder;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** JSON with object keys sorted: two values are equal when their keys are. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/**
 * Every difference between `before` and `after`: object keys in the order `schema` lists them (a
 * jsonb column keeps its own order), then any others.
 */
export function diffData(before: unknown, after: unknown, schema?: KeyOrder, path = ''): DiffEntry[] {
  if (isObject(before) && isObject(after)) {
    const out: DiffEntry[] = [];
    const present = new Set([...Object.keys(after), ...Object.keys(before)]);
    const listed = Object.keys(schema?.properties ?? {}).filter((k) => present.has(k));
    const keys = [...listed, ...[...present].filter((k) => !listed.includes(k))];
    for (const key of keys) {
      const at = `${path}/${escape(key)}`;
      if (!(key in before)) out.push({ path: at, kind: 'added', after: after[key] });
      else if (!(key in after)) out.push({ path: at, kind: 'removed', before: before[key] });
      else out.push(...diffData(before[key], after[key], schema?.properties?.[key], at));
    }
    return out;
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].every(isObject)) return diffRows(before, after, schema?.items, path);
  return canonical(before) === canonical(after) ? [] : [{ path, kind: 'changed', before, after }];
}

/** Rows matched by the longest common subsequence of equal rows; see the module comment. */
function diffRows(before: unknown[], after: unknown[], schema: KeyOrder | undefined, path: string): DiffEntry[] {
  const a = before.map(canonical);
  const b = after.map(canonical);
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: DiffEntry[] = [];
  let removed: number[] = [];
  let added: number[] = [];
  const flush = () => {
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k++) out.push(...diffData(before[removed[k]!], after[added[k]!], schema, `${path}/${added[k]}`));
    for (const i of removed.slice(paired)) out.push({ path: `${path}/${i}`, kind: 'removed', before: before[i] });
    for (const j of added.slice(paired)) out.push({ path: `${path}/${j}`, kind: 'added', after: after[j] });
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      added.push(j++);
    } else {
      removed.push(i++);
    }
  }
  flush();
  return out;
}
