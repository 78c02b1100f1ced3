import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openPglite } from '../db/connect';
import { migrate } from '../db/migrate';
import { builtinPackageAt, loadPackageFolder, PackageLoadError } from '../engine/packages';
import { packageProblems } from '../engine/package-check';
import { defaultRegistry, loadRegistry, versionFingerprints } from '../engine/registry';
import { walkPackage, type WalkExamples } from '../engine/package-walk';
import { scaffoldFiles } from './workflow-scaffold';

/** A package whose check found problems: every one is named, and the command exits 1. */
export class PackageInvalid extends Error {
  readonly code = 'WORKFLOW_PACKAGE_INVALID';
  constructor(readonly dir: string, readonly problems: string[]) {
    super(`workflow package ${dir} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Loads and checks a package folder as `grms serve` would, beside the built-in packages. A built-in
 * package's folder (`workflows/<name>`, TypeScript sources, or its compiled `dist/workflows/<name>`)
 * is checked as the built-in grms loads.
 */
async function checkedPackage(folder: string) {
  const dir = path.resolve(folder);
  const builtin = builtinPackageAt(dir);
  if (builtin) {
    const problems = packageProblems(builtin);
    if (problems.length > 0) throw new PackageInvalid(dir, problems);
    return { pkg: builtin, registry: defaultRegistry() };
  }
  const pkg = await loadPackageFolder(dir);
  const problems = packageProblems(pkg);
  if (problems.length > 0) throw new PackageInvalid(dir, problems);
  // Name clashes and roles declared otherwise than a built-in package declares them.
  const registry = await loadRegistry([dir]).catch((err: unknown) => {
    throw err instanceof PackageLoadError ? new PackageInvalid(dir, [err.reason]) : err;
  });
  return { pkg, registry };
}

/** `grms workflow …`: scaffold, check and walk a workflow package kept outside the checkout. */
export function registerWorkflowCommands(program: Command): void {
  const workflow = program.command('workflow').description('workflow packages: scaffold one, check one before a server loads it (GRMS_WORKFLOW_PATH)');

  workflow
    .command('check <folder>')
    .description('validate one package folder: it loads, its schemas compile, machine and steps agree, labels in id and en, roles declared, versions unique, fingerprints computable; exits 1 naming every problem')
    .action(async (folder: string) => {
      const { pkg, registry } = await checkedPackage(folder);
      const prints = versionFingerprints(registry).filter((v) => v.workflow === pkg.name);
      process.stdout.write(`workflow package ${pkg.name} (${pkg.dir}) is valid\n`);
      for (const v of prints) process.stdout.write(`  v${v.version} fingerprint ${v.fingerprint}\n`);
      process.stdout.write(`  roles: ${Object.keys(pkg.roles).join(', ')}\n`);
    });

  workflow
    .command('walk <folder>')
    .description('walk every path of the package\'s newest version on a fresh embedded database, with the example data of --examples')
    .requiredOption('--examples <file>', 'JSON: { "data": {…}, "payloads": { "state/event": {…} } }')
    .action(async (folder: string, opts: { examples: string }) => {
      const { pkg } = await checkedPackage(folder);
      const examples = JSON.parse(fs.readFileSync(opts.examples, 'utf8')) as WalkExamples;
      const db = await openPglite();
      try {
        await migrate(db);
        const result = await walkPackage(db.kysely, pkg, examples);
        for (const p of result.paths) process.stdout.write(`  ${p.join(' → ')}\n`);
        if (result.problems.length > 0) throw new PackageInvalid(pkg.dir, result.problems);
        process.stdout.write(`walked ${result.paths.length} paths of ${pkg.name}\n`);
      } finally {
        await db.close();
      }
    });

  workflow
    .command('new <name>')
    .description('write a new JavaScript package (two-step machine, schema, roles, labels id/en, a node --test test) into DIR/<name>')
    .option('--dir <dir>', 'the folder to create it in (e.g. one of GRMS_WORKFLOW_PATH)', '.')
    .action(async (name: string, opts: { dir: string }) => {
      if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new PackageInvalid(name, ['a workflow name is lower case letters, digits and hyphens, starting with a letter']);
      const dir = path.resolve(opts.dir, name);
      if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new PackageInvalid(dir, ['the folder exists and is not empty: nothing was written']);
      for (const [file, text] of Object.entries(scaffoldFiles(name))) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      }
      process.stdout.write(`wrote ${dir}\n  next: edit v1.js and index.js, then: grms workflow check ${dir} && node --test ${path.join(dir, 'test')}\n`);
    });
}
