/**
 * Terminology:
 * - fingerprint: SHA-256 (hex) over the source files that define one workflow version: the
 *   version's own file (`PackageVersion.source`) and every file it reaches by relative import
 *   (`import … from './x'`, `export … from`, `import('./x')`, `require('./x')`) inside the
 *   package's source folder or its schema folder, followed recursively. Files outside (the core,
 *   node_modules) are not covered: they are grms's own, versioned with grms. Line endings are
 *   normalised and the files are taken in the order of their folder-relative names, so the
 *   fingerprint depends on what the author wrote, not on how it is compiled or bundled.
 * - what it covers: machine, step facts, guards, hooks and schemas a version imports. Labels,
 *   templates, demo data and SLA defaults live in other files (the package's index, its listing)
 *   and may change in place.
 * - source folder: where the package's source files are. For a built-in package the checkout's
 *   `workflows/<name>/` (the .ts files, also when grms runs from dist/); for a package of
 *   GRMS_WORKFLOW_PATH its own folder (.js, .cjs, .mjs).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Raised when a version's files cannot be read; names the file. */
export class FingerprintError extends Error {
  readonly code = 'WORKFLOW_FINGERPRINT_FAILED';
}

/** Where one package's sources are, as the fingerprint needs them. */
export interface FingerprintRoots {
  sourceDir: string;
  schemaDir: string;
}

// Tried in this order for a specifier without its extension (TypeScript's and Node's habits).
const EXTENSIONS = ['', '.ts', '.mts', '.cts', '.js', '.cjs', '.mjs', '.json'];
// Specifiers of static and dynamic imports, re-exports and require calls; comments are dropped first.
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
  /\bimport\s*(['"])([^'"]+)\1/g,
  /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  /\brequire\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** The fingerprint of the version defined in `source` (relative to the source folder, extension optional). */
export function fingerprint(roots: FingerprintRoots, source: string): string {
  const files = coveredFiles(roots, source);
  const hash = crypto.createHash('sha256').update('grms workflow fingerprint 1\n');
  for (const [name, text] of files) hash.update(`${name}\n${Buffer.byteLength(text)}\n`).update(text).update('\n');
  return hash.digest('hex');
}

/** The files a version's fingerprint covers, by canonical name (`package/v1.ts`, `schemas/v1.schema.json`), with their normalised text. */
export function coveredFiles(roots: FingerprintRoots, source: string): Array<[string, string]> {
  const start = resolve(path.resolve(roots.sourceDir, source));
  if (!start) throw new FingerprintError(`version source ${source} is not in ${roots.sourceDir}`);
  const seen = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    } catch (err) {
      throw new FingerprintError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    seen.set(file, text);
    if (file.endsWith('.json')) continue;
    for (const spec of specifiers(text)) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const target = resolve(path.resolve(path.dirname(file), spec));
      if (target && canonicalName(roots, target)) queue.push(target);
    }
  }
  return [...seen].map(([file, text]) => [canonicalName(roots, file)!, text] as [string, string]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Relative import specifiers of a module's text, comments aside. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out = new Set<string>();
  for (const re of SPECIFIERS) for (const m of code.matchAll(re)) out.add(m[2]!);
  return [...out];
}

/** The file a specifier names (with an extension tried, or its folder's index), if it exists. */
function resolve(base: string): string | undefined {
  for (const candidate of [...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.slice(1).map((e) => path.join(base, `index${e}`))]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  // tsc and Node ESM write `./x.js` for a file that is `./x.ts` in the source.
  const ts = base.replace(/\.(c|m)?js$/, '.$1ts');
  return ts !== base && fs.existsSync(ts) ? ts : undefined;
}

/** `package/…` or `schemas/…` for a file inside the roots (the schema folder first: it may lie inside the package), else undefined. */
function canonicalName(roots: FingerprintRoots, file: string): string | undefined {
  for (const [prefix, dir] of [['schemas', roots.schemaDir], ['package', roots.sourceDir]] as const) {
    const rel = path.relative(dir, file);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return `${prefix}/${rel.split(path.sep).join('/')}`;
  }
  return undefined;
}
