/**
 * Terminology: a reserved key is `__proto__`, `constructor` or `prototype`. Assigned as a property
 * name (`obj[key] = …`) the first reaches Object.prototype and the others lead to it, so one such
 * key from a client could change every object of the process. No client-chosen key with one of
 * these names is accepted anywhere (src/api/request-guard.ts at the edge, the engine's data
 * checks behind it); flat names (form fields, query parameters) are checked part by part, split
 * at `/`, `.` and `[…]`, the ways pointers and bracket names are walked.
 */
import type { FieldProblem } from './errors';

const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Reported problems per value: enough to name the keys, bounded whatever the value holds. */
const MAX_PROBLEMS = 20;

export const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}

/** A flat name (form field, query parameter, multipart field) with a reserved part: "/a/__proto__/x", "a[constructor]", "x.prototype". */
export function hasReservedPart(name: string): boolean {
  return name.split(/[/.[\]]/).some((part) => RESERVED_KEYS.has(part.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/**
 * Every reserved key in a parsed JSON value, as pointers under `base`. Walks without recursion
 * (a 1 MB body may nest thousands deep) and builds a path only for what it reports.
 */
export function reservedKeyProblems(value: unknown, base = ''): FieldProblem[] {
  interface Node { value: unknown; key?: string; parent?: Node }
  const pathOf = (n: Node): string => {
    const parts: string[] = [];
    for (let at: Node | undefined = n; at?.key !== undefined; at = at.parent) parts.push(escapePointer(at.key));
    return base + parts.reverse().map((p) => `/${p}`).join('');
  };
  const out: FieldProblem[] = [];
  const stack: Node[] = [{ value }];
  while (stack.length && out.length < MAX_PROBLEMS) {
    const node = stack.pop()!;
    const v = node.value;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: String(i), parent: node });
    } else if (v !== null && typeof v === 'object') {
      // Own keys only: JSON.parse makes "__proto__" an own property, never the prototype.
      const children: Node[] = [];
      for (const key of Object.keys(v)) {
        const child: Node = { value: (v as Record<string, unknown>)[key], key, parent: node };
        if (RESERVED_KEYS.has(key)) out.push({ path: pathOf(child), message: 'is a reserved name' });
        else children.push(child);
      }
      stack.push(...children.reverse());
    }
  }
  return out;
}

