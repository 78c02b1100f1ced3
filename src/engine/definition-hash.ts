/**
 * Terminology:
 * - definition hash: SHA-256 (hex) of the RFC 8785 (JCS) form of what decides how one workflow
 *   version behaves: name, version, the xstate machine config, the source text of its guards and
 *   actions, the steps table, creatorRoles and the data schema. Functions anywhere in these (inline
 *   guards, the context factory, step hooks such as payload.merge) count by their source text,
 *   printed in one style by definition-source.ts. Not included: title, normalize, onCreate and
 *   documentFields (presentation, or code whose helpers a hash of its text could not see anyway).
 * - registration: the first start that runs a version stores its hash in workflow_definitions;
 *   every later start compares, so a version edited in place (instead of given a new number, which
 *   would leave running instances on the old behaviour) is refused before anything runs.
 * - fix: a security or correctness fix that must reach running instances changes a version in
 *   place on purpose; the migration shipping it records the hash it replaces, the new hash and a
 *   reason in workflow_definition_fixes, and registration follows such records from the stored
 *   hash to the code's.
 */
import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/types';
import { ADVISORY, advisoryXactLock } from '../db/advisory';
import type { WorkflowDefinition } from './definition';
import { normalizeSource } from './definition-source';

/** A stored version whose hash differs from the code's, with the message an operator can act on. */
export interface ChangedDefinition {
  workflow: string;
  version: number;
  storedHash: string;
  hash: string;
  message: string;
}

export class DefinitionChanged extends Error {
  readonly code = 'WORKFLOW_DEFINITION_CHANGED';
  constructor(readonly changed: ChangedDefinition[]) {
    super(changed.map((c) => c.message).join('\n'));
  }
}

export interface RegisteredVersion {
  workflow: string;
  version: number;
  hash: string;
  registeredAt: Date;
  /** Instances (in any state) that run on this version. */
  instances: number;
}

/** SHA-256 hex of the canonical form of `def`'s behaviour; the same in every process and run. */
export function definitionHash(def: WorkflowDefinition): string {
  const machine = def.machine as unknown as { config: unknown; implementations: Record<string, unknown> };
  const impl = machine.implementations ?? {};
  const behaviour = {
    name: def.name,
    version: def.version,
    config: describe(machine.config),
    implementations: {
      guards: describe(impl.guards ?? {}),
      actions: describe(impl.actions ?? {}),
      actors: describe(impl.actors ?? {}),
      delays: describe(impl.delays ?? {}),
    },
    steps: describe(def.steps),
    creatorRoles: describe(def.creatorRoles),
    schema: describe(def.schema),
  };
  const text = canonicalize(behaviour);
  if (text === undefined) throw new TypeError(`workflow ${def.name} v${def.version} has no canonical form`);
  return crypto.createHash('sha256').update(text).digest('hex');
}

// Properties xstate puts on its built-in actions and guards that hold xstate's own code.
const XSTATE_INTERNALS = new Set(['resolve', 'execute', 'retryResolve', 'check']);

/** A JSON value standing for `value`: functions become their normalised source text. */
function describe(value: unknown, seen = new Set<object>()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || typeof value === 'symbol') return undefined;
  if (seen.has(value)) throw new TypeError('a workflow definition must not contain cycles');
  seen.add(value);
  try {
    if (typeof value === 'function') {
      const fn = value as ((...args: unknown[]) => unknown) & Record<string, unknown>;
      // assign(), raise(), not(), and() … are xstate functions carrying the workflow's arguments
      // as properties: hash those arguments, not xstate's function body.
      const builtin = typeof fn.type === 'string' && fn.type.startsWith('xstate.') ? fn.type : typeof fn.check === 'function' ? `xstate.${fn.name}` : undefined;
      if (!builtin) return { function: normalizeSource(Function.prototype.toString.call(fn)) };
      const args: Record<string, unknown> = {};
      for (const key of Object.keys(fn)) if (!XSTATE_INTERNALS.has(key) && key !== 'type') args[key] = describe(fn[key], seen);
      return { builtin, args };
    }
    if (Array.isArray(value)) return value.map((v) => describe(v, seen) ?? null);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = describe(v, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * Records each unknown (workflow, version) with its hash and refuses to go on when a known one's
 * hash differs, naming every such version. Runs in one transaction under an advisory lock, so
 * several processes starting together register each version once.
 */
export async function registerDefinitions(db: Kysely<Database>, defs: readonly WorkflowDefinition[]): Promise<void> {
  const wanted = new Map<string, { workflow: string; version: number; hash: string }>();
  for (const def of defs) {
    const key = `${def.name}@${def.version}`;
    if (wanted.has(key)) throw new Error(`workflow ${def.name} v${def.version} is given twice`);
    wanted.set(key, { workflow: def.name, version: def.version, hash: definitionHash(def) });
  }
  if (wanted.size === 0) return;
  await db.transaction().execute(async (trx) => {
    await advisoryXactLock(trx, ADVISORY.workflowDefinitions);
    const stored = await trx.selectFrom('workflow_definitions').select(['workflow', 'version', 'hash']).execute();
    const known = new Map(stored.map((r) => [`${r.workflow}@${r.version}`, r.hash]));
    const fixes = await trx.selectFrom('workflow_definition_fixes').select(['workflow', 'version', 'previous_hash', 'hash']).execute();
    const fixed: Array<{ workflow: string; version: number; from: string; steps: string[]; hash: string }> = [];
    const newest = new Map<string, number>();
    for (const r of [...stored, ...wanted.values()]) newest.set(r.workflow, Math.max(newest.get(r.workflow) ?? 0, r.version));
    const changed: ChangedDefinition[] = [];
    const fresh: Array<{ workflow: string; version: number; hash: string }> = [];
    for (const [key, w] of wanted) {
      const storedHash = known.get(key);
      if (storedHash === undefined) fresh.push(w);
      else if (storedHash !== w.hash) {
        const steps = fixChain(fixes.filter((f) => f.workflow === w.workflow && f.version === w.version), storedHash, w.hash);
        if (steps) {
          fixed.push({ ...w, from: storedHash, steps });
          continue;
        }
        const next = newest.get(w.workflow)! + 1;
        changed.push({
          ...w,
          storedHash,
          message:
            `workflow ${w.workflow} v${w.version} changed since it was first registered; ` +
            `give the change a new version number (workflows/${w.workflow}/v${next}.ts)`,
        });
      }
    }
    if (changed.length > 0) throw new DefinitionChanged(changed);
    // No ON CONFLICT: under the lock no other process can have inserted these rows meanwhile.
    if (fresh.length > 0) await trx.insertInto('workflow_definitions').values(fresh).execute();
    for (const f of fixed) {
      await trx.updateTable('workflow_definitions').set({ hash: f.hash }).where('workflow', '=', f.workflow).where('version', '=', f.version).where('hash', '=', f.from).execute();
      await trx.updateTable('workflow_definition_fixes').set({ applied_at: sql<Date>`now()` })
        .where('workflow', '=', f.workflow).where('version', '=', f.version).where('previous_hash', 'in', f.steps).where('applied_at', 'is', null).execute();
    }
  });
}

/**
 * The previous hashes of the recorded fixes that lead from `from` to `to`, in order; undefined when
 * no chain of fixes does (the version was changed in some other way).
 */
function fixChain(fixes: ReadonlyArray<{ previous_hash: string; hash: string }>, from: string, to: string): string[] | undefined {
  const next = new Map(fixes.map((f) => [f.previous_hash, f.hash]));
  const steps: string[] = [];
  for (let at = from; at !== to; at = next.get(at)!) {
    if (!next.has(at) || steps.includes(at)) return undefined;
    steps.push(at);
  }
  return steps;
}

/** Every registered version, oldest first per workflow, with how many instances run on it. */
export async function listRegisteredVersions(db: Kysely<Database>): Promise<RegisteredVersion[]> {
  const rows = await db
    .selectFrom('workflow_definitions as d')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('workflow_instances')
          .select(['workflow', 'workflow_version', sql<number>`count(*)::integer`.as('instances')])
          .groupBy(['workflow', 'workflow_version'])
          .as('i'),
      (join) => join.onRef('i.workflow', '=', 'd.workflow').onRef('i.workflow_version', '=', 'd.version'),
    )
    .select(['d.workflow', 'd.version', 'd.hash', 'd.registered_at', 'i.instances'])
    .orderBy('d.workflow')
    .orderBy('d.version')
    .execute();
  return rows.map((r) => ({ workflow: r.workflow, version: r.version, hash: r.hash, registeredAt: r.registered_at, instances: r.instances ?? 0 }));
}
