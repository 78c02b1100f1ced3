import { sql } from 'kysely';
import type { Db } from '../../src/db/connect';

/** The names that lead to a prototype when used as a property name. */
export const RESERVED = ['__proto__', 'constructor', 'prototype'] as const;

/** A hostile key and the path its 422 must name. */
export interface Hostile {
  /** A flat name (form field, query parameter), a raw JSON body, or a row button's value. */
  value: string;
  path: string;
}

/**
 * Flat names with a reserved part at depths 1 to 3, in objects and in rows: pointers as the
 * console's fields are named, bracket and dotted names as other parsers would nest them.
 */
export function reservedNames(): Hostile[] {
  const out: Hostile[] = [];
  for (const k of RESERVED) {
    for (const name of [k, `/${k}`, `/${k}/x`, `/title/${k}`, `/subKegiatan/${k}/x`, `/lines/${k}/0`, `/lines/0/${k}`, `/a/b/${k}`, `a[${k}][x]`, `a.${k}.x`]) {
      out.push({ value: name, path: name.startsWith('/') ? name : `/${name}` });
    }
  }
  out.push({ value: '/constructor/prototype/x', path: '/constructor/prototype/x' });
  return out;
}

/** `items` in groups of at most `size` (several hostile names in one request, each of which must be named). */
export function chunks<T>(items: readonly T[], size = 8): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Raw JSON bodies (JSON.stringify cannot write an own "__proto__") with a reserved key at depths 1 to 3, in objects and arrays. */
export function reservedJsonBodies(): Hostile[] {
  const out: Hostile[] = [];
  for (const k of RESERVED) {
    out.push(
      { value: `{"${k}":{"x":1}}`, path: `/${k}` },
      { value: `{"type":"submit","${k}":"x"}`, path: `/${k}` },
      { value: `{"data":{"${k}":{"x":1}}}`, path: `/data/${k}` },
      { value: `{"items":[{"${k}":{"x":1}}]}`, path: `/items/0/${k}` },
      { value: `{"data":{"lines":[{"${k}":{"x":1}}]}}`, path: `/data/lines/0/${k}` },
      { value: `{"a":{"b":{"${k}":1}}}`, path: `/a/b/${k}` },
      { value: `[{"${k}":1}]`, path: `/0/${k}` },
    );
  }
  out.push({ value: '{"constructor":{"prototype":{"x":1}}}', path: '/constructor' });
  return out;
}

/** The no-script row buttons' values naming reserved parts, at depths 1 to 3. */
export function reservedRowActions(): Hostile[] {
  const out: Hostile[] = [];
  for (const k of RESERVED) {
    for (const pointer of [`/${k}`, `/${k}/x`, `/lines/${k}`, `/lines/0/${k}`, `/subKegiatan/${k}/x`]) {
      out.push({ value: `add:${pointer}`, path: pointer });
      out.push({ value: `remove:${pointer}/1`, path: `${pointer}/1` });
    }
  }
  out.push({ value: 'add:/constructor/prototype/x', path: '/constructor/prototype/x' }, { value: 'remove:/__proto__', path: '/__proto__' });
  return out;
}

/** What a polluted prototype would change: the own properties of the built-in prototypes. */
export function prototypeState(): string {
  const describe = (o: object) => Object.getOwnPropertyNames(o).sort().join(',');
  return JSON.stringify([Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype].map(describe));
}

const TABLES = [
  'orgs', 'users', 'user_roles', 'api_tokens', 'ceilings', 'workflow_instances', 'audit_events', 'idempotency_keys', 'attachments',
  'delegations', 'people_events', 'org_events', 'documents', 'void_document_numbers', 'holidays', 'tracking_registrations', 'web_sessions',
  'submitted_data',
] as const;

/** Row counts of every table a request could write, instance versions, and who may sign in how. */
export async function databaseState(db: Db): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) {
    const r = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  const v = await sql<{ v: string | null; c: string | null }>`SELECT (SELECT sum(version)::text FROM workflow_instances) AS v, (SELECT sum(amount)::text FROM ceilings) AS c`.execute(db.kysely);
  out.versions = v.rows[0]?.v ?? null;
  out.ceilingSum = v.rows[0]?.c ?? null;
  const users = await db.kysely.selectFrom('users').select(['username', 'password_hash', 'active', 'password_must_change']).orderBy('username').execute();
  out.users = users.map((u) => `${u.username}:${u.active}:${u.password_must_change}:${u.password_hash?.slice(-12) ?? '-'}`).join(' ');
  const revoked = await db.kysely.selectFrom('api_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('revoked_at', 'is not', null).executeTakeFirstOrThrow();
  out.revokedTokens = Number(revoked.n);
  return out;
}

/** The request-duration count Prometheus shows for one route and status (the metrics hook still counting). */
export function requestCount(metricsText: string, method: string, route: string, status: number): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`grms_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}
