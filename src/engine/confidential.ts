/**
 * Field-level confidentiality and anonymity, as packages declare them (`confidential`,
 * `publicIntake.anonymous` in ./package.ts). A confidential value stays stored (auditors and the
 * roles a package names read it); every other reader gets HIDDEN in its place, in the API's views,
 * the console and stage documents. An anonymous value is never stored at all.
 */
import type { Actor } from '../auth/roles';
import type { WorkflowDefinition } from './definition';
import type { ConfidentialField } from './package';

/** What a hidden value reads as, in every language (the word citizens' complaint forms use). */
export const HIDDEN = 'dirahasiakan';

/** The core role that always reads confidential values: auditors hold everyone to account. */
const ALWAYS_VISIBLE_TO = 'auditor';

const fieldsOf = new WeakMap<WorkflowDefinition, readonly ConfidentialField[]>();

/** Called by the registry for each version of a package that declares confidential fields. */
export function declareConfidential(def: WorkflowDefinition, fields: readonly ConfidentialField[] | undefined): void {
  if (fields?.length) fieldsOf.set(def, fields);
}

function tokens(pointer: string): string[] {
  if (pointer === '' || !pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON Pointer to a property`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer` in `data`, or undefined. */
export function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const t of tokens(pointer)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, t)) return undefined;
    node = (node as Record<string, unknown>)[t];
  }
  return node;
}

/** A copy of `data` with the value at `pointer` replaced (`undefined`: removed); absent paths are left alone. */
function withValueAt(data: Record<string, unknown>, pointer: string, value: unknown): Record<string, unknown> {
  const path = tokens(pointer);
  const copy = (node: unknown, depth: number): unknown => {
    if (node === null || typeof node !== 'object') return node;
    const key = path[depth]!;
    if (!Object.hasOwn(node, key)) return node;
    const out: Record<string, unknown> = Array.isArray(node) ? ([...node] as never) : { ...(node as Record<string, unknown>) };
    if (depth === path.length - 1) {
      if (value === undefined) delete out[key];
      else out[key] = value;
    } else {
      out[key] = copy(out[key], depth + 1);
    }
    return out;
  };
  return copy(data, 0) as Record<string, unknown>;
}

/** Whether `actor` (undefined: a document, read by the OPD) reads the field's value. */
function sees(field: ConfidentialField, actor: Actor | undefined): boolean {
  return actor !== undefined && actor.roles.some((g) => g.role === ALWAYS_VISIBLE_TO || field.visibleTo.includes(g.role));
}

/** `data` as `actor` may read it: each confidential value it may not see replaced by HIDDEN. */
export function hideConfidential(def: WorkflowDefinition, data: Record<string, unknown>, actor: Actor | undefined): Record<string, unknown> {
  let out = data;
  for (const field of fieldsOf.get(def) ?? []) {
    if (field.when !== undefined && valueAt(data, field.when) !== true) continue;
    if (sees(field, actor) || valueAt(data, field.pointer) === undefined) continue;
    out = withValueAt(out, field.pointer, HIDDEN);
  }
  return out;
}

/** The confidential pointers of `def` that `actor` may not see in `data` (for search and forms). */
export function hiddenPointers(def: WorkflowDefinition, data: Record<string, unknown>, actor: Actor | undefined): string[] {
  return (fieldsOf.get(def) ?? []).filter((f) => (f.when === undefined || valueAt(data, f.when) === true) && !sees(f, actor)).map((f) => f.pointer);
}

/**
 * The confidential fields of `packages` that `actor` may not read, as paths of property names:
 * hidden in every instance of `workflow` (where the boolean at `when` is true, when given). The
 * decision hideConfidential takes per instance, for queries (the search leaves them out).
 */
export function hiddenFields(packages: ReadonlyArray<{ name: string; confidential?: readonly ConfidentialField[] }>, actor: Actor): Array<{ workflow: string; path: string[]; when?: string[] }> {
  return packages.flatMap((p) => (p.confidential ?? []).filter((f) => !sees(f, actor))
    .map((f) => ({ workflow: p.name, path: tokens(f.pointer), ...(f.when !== undefined && { when: tokens(f.when) }) })));
}

/** `data` without the values at `identity` when the boolean at `when` is true (anonymous intake). */
export function withoutIdentity(data: unknown, anonymous: { when: string; identity: readonly string[] } | undefined): unknown {
  if (!anonymous || data === null || typeof data !== 'object' || Array.isArray(data) || valueAt(data, anonymous.when) !== true) return data;
  return anonymous.identity.reduce((d, pointer) => withValueAt(d, pointer, undefined), data as Record<string, unknown>);
}
