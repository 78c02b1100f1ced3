/**
 * Finds workflow packages: every folder of the built-in `workflows/` and the packages of the
 * folders GRMS_WORKFLOW_PATH names. The core names no workflow: it learns them here.
 *
 * An external package is a folder holding `index.js` or `index.cjs` (CommonJS, loaded with
 * require) or `index.mjs` (ESM, loaded with import()) that exports `definePackage(grms)`, and its
 * JSON Schemas in `<folder>/schemas/`. A GRMS_WORKFLOW_PATH entry is either such a folder itself
 * or a folder of them (each subfolder holding an index module; other subfolders are skipped).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LoadedPackage, WorkflowPackage } from './package';
import { grmsPackageApi, type DefinePackage } from './package-api';

const inDist = __dirname.includes(`${path.sep}dist${path.sep}`);
/** The built-in workflows folder, beside src/ in the checkout and in dist/ once built. */
export const BUILTIN_WORKFLOWS_DIR = path.resolve(__dirname, '..', '..', 'workflows');
// The checkout's folders (also when running from dist/): the sources the fingerprints read, and the schemas.
const CHECKOUT_WORKFLOWS_DIR = path.resolve(__dirname, '..', '..', ...(inDist ? ['..'] : []), 'workflows');
const SCHEMAS_DIR = path.resolve(__dirname, '..', '..', ...(inDist ? ['..'] : []), 'schemas');
/** The module an external package folder holds, in the order looked for. */
export const PACKAGE_MODULES = ['index.js', 'index.cjs', 'index.mjs'];

export class PackageLoadError extends Error {
  readonly code = 'WORKFLOW_PACKAGE_INVALID';
  constructor(readonly dir: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`workflow package ${dir}: ${reason}`, options);
  }
}

/** The built-in packages, in folder-name order (loaded synchronously: they are part of grms). */
export function builtinPackages(): LoadedPackage[] {
  const dirs = fs.readdirSync(BUILTIN_WORKFLOWS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  return dirs.map((name) => {
    const dir = path.join(BUILTIN_WORKFLOWS_DIR, name);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, 'index')) as { default?: WorkflowPackage };
    if (!mod.default) throw new PackageLoadError(dir, 'index has no default export (the package)');
    return { ...mod.default, dir, schemaDir: path.join(SCHEMAS_DIR, name), sourceDir: path.join(CHECKOUT_WORKFLOWS_DIR, name) };
  });
}

/**
 * The built-in package whose folder `dir` is, if any: its source folder in the checkout
 * (`workflows/<name>`, TypeScript) or, when grms runs from dist/, its compiled folder
 * (`dist/workflows/<name>`). `grms workflow check` takes a built-in by its folder this way.
 */
export function builtinPackageAt(dir: string): LoadedPackage | undefined {
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  const at = real(dir);
  for (const root of new Set([BUILTIN_WORKFLOWS_DIR, CHECKOUT_WORKFLOWS_DIR])) {
    if (path.dirname(at) !== real(root)) continue;
    return builtinPackages().find((p) => p.name === path.basename(at));
  }
  return undefined;
}

/** The package folders a GRMS_WORKFLOW_PATH list names, in list order, each entry's subfolders by name. */
export function packageFolders(paths: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of paths) {
    const dir = path.resolve(entry);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new PackageLoadError(dir, 'GRMS_WORKFLOW_PATH names a folder that does not exist');
    if (packageModule(dir)) {
      found.push(dir);
      continue;
    }
    const subs = fs.readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
      .map((d) => path.join(dir, d.name)).filter((d) => packageModule(d) !== undefined).sort();
    if (subs.length === 0) throw new PackageLoadError(dir, 'holds no workflow package (neither it nor a subfolder has index.js, index.cjs or index.mjs)');
    found.push(...subs);
  }
  return found;
}

function packageModule(dir: string): string | undefined {
  return PACKAGE_MODULES.map((m) => path.join(dir, m)).find((f) => fs.existsSync(f));
}

// tsc compiles `import()` to require() under CommonJS; an ESM package needs the real one.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/**
 * Loads one external package folder: requires or imports its index module, calls its
 * `definePackage(grms)` and checks the result's shape. Every failure is a PackageLoadError naming
 * the folder.
 */
export async function loadPackageFolder(dir: string): Promise<LoadedPackage> {
  const abs = path.resolve(dir);
  const file = packageModule(abs);
  if (!file) {
    // TypeScript sources outside the built-in workflows/ (a copy of one, say): nothing to load.
    const ts = ['index.ts', 'index.mts', 'index.cts'].find((m) => fs.existsSync(path.join(abs, m)));
    throw new PackageLoadError(abs, ts
      ? `${ts} is TypeScript, and the folder is not one of grms's built-in workflows/: a package outside the checkout is JavaScript (${PACKAGE_MODULES.join(', ')}); compile it first`
      : `no ${PACKAGE_MODULES.join(' or ')} in the folder`);
  }
  let mod: Record<string, unknown>;
  try {
    if (file.endsWith('.mjs')) mod = await importModule(pathToFileURL(file).href);
    else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(file) as Record<string, unknown>;
    }
  } catch (err) {
    throw new PackageLoadError(abs, `${path.basename(file)} failed to load: ${(err as Error).message}`, { cause: err });
  }
  const define = (mod.definePackage ?? (mod.default as Record<string, unknown> | undefined)?.definePackage) as DefinePackage | undefined;
  if (typeof define !== 'function') throw new PackageLoadError(abs, `${path.basename(file)} exports no definePackage(grms) function`);
  let pkg: WorkflowPackage;
  try {
    pkg = await define(grmsPackageApi);
  } catch (err) {
    throw new PackageLoadError(abs, `definePackage(grms) failed: ${(err as Error).message}`, { cause: err });
  }
  const problem = shapeProblem(pkg);
  if (problem) throw new PackageLoadError(abs, problem);
  return { ...pkg, dir: abs, schemaDir: path.join(abs, 'schemas'), sourceDir: abs };
}

/** The external packages of GRMS_WORKFLOW_PATH's folders, in order. */
export async function externalPackages(paths: readonly string[]): Promise<LoadedPackage[]> {
  const out: LoadedPackage[] = [];
  for (const dir of packageFolders(paths)) out.push(await loadPackageFolder(dir));
  return out;
}

/** What is wrong with the outline of what definePackage returned, if anything (details: package-check.ts). */
function shapeProblem(pkg: unknown): string | undefined {
  if (!pkg || typeof pkg !== 'object') return 'definePackage(grms) returned no package object';
  const p = pkg as Partial<WorkflowPackage>;
  if (typeof p.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(p.name)) return 'name must be lower case letters, digits and hyphens';
  if (!p.title || typeof p.title.id !== 'string' || typeof p.title.en !== 'string') return 'title needs an id and an en text';
  if (!Array.isArray(p.versions) || p.versions.length === 0) return 'versions must list at least one { definition, source }';
  for (const [i, v] of p.versions.entries()) {
    if (!v || typeof v !== 'object' || !v.definition || typeof v.source !== 'string') return `versions[${i}] needs a definition and its source file`;
  }
  if (!p.roles || typeof p.roles !== 'object') return 'roles must be an object (role id → { label: { id, en } })';
  if (!p.labels || typeof p.labels.id !== 'object' || typeof p.labels.en !== 'object') return 'labels needs an id and an en part';
  return undefined;
}
