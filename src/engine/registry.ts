import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { checkSeparations, type WorkflowDefinition } from './definition';
import type { LoadedPackage, WorkflowPackage } from './package';
import { builtinPackages, externalPackages, PackageLoadError } from './packages';
import { CORE_ROLES, installRoles } from '../auth/roles';
import { checkSteps } from './steps';
import { checkSlaFacts } from './timers';
import { packageProblems } from './package-check';
import { fingerprint } from './fingerprint';
import type { VersionFingerprint } from './registration';
import { declareConfidential } from './confidential';
import { numberingProblems } from '../documents/registers';

/**
 * Names the core's own routes take where a workflow's name would stand (/lapor/<name> is a
 * package's public form; /lapor/lacak is the core's status page).
 */
const RESERVED_WORKFLOW_NAMES = new Set(['lacak']);

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
      if (RESERVED_WORKFLOW_NAMES.has(pkg.name)) throw new Error(`workflow package ${pkg.name}: the name is taken by the core's own pages`);
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
        declareConfidential(def, pkg.confidential);
        this.byKey.set(key, def);
        const current = this.newest.get(def.name);
        if (!current || current.version < def.version) this.newest.set(def.name, def);
      }
    }
    // Which register each document is numbered in (the deployment's format is checked at start, src/wiring.ts).
    const numbering = numberingProblems(packages);
    if (numbering.length > 0) throw new Error(numbering.join('; '));
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
 * The built-in packages and those of GRMS_WORKFLOW_PATH's folders (`grms serve`, `grms seed`). An
 * external package that does not load, fails its check (src/engine/package-check.ts) or reuses a
 * workflow name stops the start with a PackageLoadError naming its folder and the reason.
 */
export async function loadRegistry(workflowPath: readonly string[]): Promise<WorkflowRegistry> {
  builtins ??= builtinPackages();
  const external = await externalPackages(workflowPath);
  const seen = new Map<string, string>(builtins.map((p) => [p.name, p.dir]));
  for (const pkg of external) {
    const other = seen.get(pkg.name);
    if (other) throw new PackageLoadError(pkg.dir, `workflow ${pkg.name} is already given by ${other}`);
    seen.set(pkg.name, pkg.dir);
    const problems = packageProblems(pkg);
    if (problems.length > 0) throw new PackageLoadError(pkg.dir, problems.join('; '));
  }
  try {
    return new WorkflowRegistry([...builtins, ...external]);
  } catch (err) {
    // A role declared otherwise than another package declares it, and the like.
    const culprit = external.find((p) => (err as Error).message.includes(`workflow ${p.name}`));
    throw new PackageLoadError(culprit?.dir ?? (external.map((p) => p.dir).join(', ') || 'workflows'), (err as Error).message, { cause: err });
  }
}

/** The fingerprint of every version of the registry's loaded packages (src/engine/fingerprint.ts). */
export function versionFingerprints(registry: WorkflowRegistry): VersionFingerprint[] {
  const out: VersionFingerprint[] = [];
  for (const pkg of registry.packages) {
    if (!('sourceDir' in pkg)) continue;
    for (const v of pkg.versions) out.push({ workflow: pkg.name, version: v.definition.version, fingerprint: fingerprint(pkg, v.source) });
  }
  return out;
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
