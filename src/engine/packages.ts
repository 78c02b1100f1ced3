/**
 * Finds workflow packages: every folder of the built-in `workflows/` and, in the folders named by
 * GRMS_WORKFLOW_PATH, every package folder. The core names no workflow: it learns them here.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedPackage, WorkflowPackage } from './package';

/** The built-in workflows folder, beside src/ in the checkout and in dist/ once built. */
export const BUILTIN_WORKFLOWS_DIR = path.resolve(__dirname, '..', '..', 'workflows');
const SCHEMAS_DIR = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []), 'schemas');

export class PackageLoadError extends Error {
  readonly code = 'WORKFLOW_PACKAGE_INVALID';
  constructor(readonly dir: string, readonly reason: string) {
    super(`workflow package ${dir}: ${reason}`);
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
    return { ...mod.default, dir, schemaDir: path.join(SCHEMAS_DIR, name) };
  });
}
