import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { checkSeparations, type WorkflowDefinition } from './definition';
import type { LoadedPackage, WorkflowPackage } from './package';
import { builtinPackages } from './packages';
import { CORE_ROLES, installRoles } from '../auth/roles';
import { checkSteps } from './steps';
import { checkSlaFacts } from './timers';

/** Every registered workflow version; instances keep the version they started with. */
export class WorkflowRegistry {
  private readonly byKey = new Map<string, WorkflowDefinition>();
  private readonly newest = new Map<string, WorkflowDefinition>();
  private readonly byName = new Map<string, WorkflowPackage>();

  constructor(readonly packages: readonly (WorkflowPackage | LoadedPackage)[]) {
    // The core's own dashboard tables: a package's figure may not take their file names.
    const figures = new Set(['states', 'overdue']);
    for (const pkg of packages) {
      for (const f of pkg.dashboard ?? []) {
        if (!/^[a-z]+$/.test(f.id) || figures.has(f.id)) throw new Error(`workflow package ${pkg.name}: dashboard figure "${f.id}" is taken or not lower-case letters`);
        figures.add(f.id);
      }
      if (this.byName.has(pkg.name)) throw new Error(`workflow ${pkg.name} is given by two packages`);
      this.byName.set(pkg.name, pkg);
      installRoles(pkg);
      for (const { definition: def } of pkg.versions) {
        if (def.name !== pkg.name) throw new Error(`workflow package ${pkg.name} holds a version of ${def.name}`);
        const key = `${def.name}@${def.version}`;
        if (this.byKey.has(key)) throw new Error(`workflow ${key} is registered twice`);
        checkSteps(def, new Set([...Object.keys(pkg.roles), ...Object.keys(CORE_ROLES)]));
        checkSeparations(def);
        checkSlaFacts(def);
        for (const [state, events] of Object.entries(def.steps)) {
          for (const [event, step] of Object.entries(events)) {
            if (step.rule && !pkg.rules?.[step.rule]) throw new Error(`workflow ${key}: step ${state} ${event} names rule "${step.rule}", which the package does not define`);
          }
        }
        this.byKey.set(key, def);
        const current = this.newest.get(def.name);
        if (!current || current.version < def.version) this.newest.set(def.name, def);
      }
    }
  }

  get(name: string, version: number): WorkflowDefinition | undefined {
    return this.byKey.get(`${name}@${version}`);
  }

  latest(name: string): WorkflowDefinition | undefined {
    return this.newest.get(name);
  }

  all(): WorkflowDefinition[] {
    return [...this.byKey.values()];
  }

  /** The package of a workflow. */
  package(name: string): WorkflowPackage | undefined {
    return this.byName.get(name);
  }
}

/** Runs every package's start-up work (WorkflowPackage.onStart), in package order. */
export async function startPackages(db: Kysely<Database>, registry: WorkflowRegistry): Promise<void> {
  for (const pkg of registry.packages) await pkg.onStart?.(db);
}

let builtins: LoadedPackage[] | undefined;

/** The built-in packages only (tests, tools); `grms serve` adds GRMS_WORKFLOW_PATH's. */
export function defaultRegistry(): WorkflowRegistry {
  builtins ??= builtinPackages();
  return new WorkflowRegistry(builtins);
}

/**
 * A registry of exactly these versions (tests and tools trying a changed or extra version): each
 * workflow keeps its built-in package's roles and labels.
 */
export function registryOf(defs: readonly WorkflowDefinition[]): WorkflowRegistry {
  builtins ??= builtinPackages();
  const byName = new Map<string, WorkflowPackage>();
  for (const def of defs) {
    const base = byName.get(def.name) ?? builtins.find((p) => p.name === def.name) ?? { name: def.name, title: { id: def.title, en: def.title }, roles: {}, labels: { id: {}, en: {} }, versions: [] };
    byName.set(def.name, { ...base, versions: [...(byName.has(def.name) ? base.versions : []), { definition: def, source: `v${def.version}` }] });
  }
  return new WorkflowRegistry([...byName.values()]);
}
