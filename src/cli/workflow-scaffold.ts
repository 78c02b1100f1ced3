/**
 * The files `grms workflow new <name>` writes, copied from the checkout's `scaffold/workflow/`: a
 * JavaScript (CommonJS) package with a two-step machine, its data schema, roles and labels in
 * Bahasa Indonesia and English, examples for the walk, and a `node --test` test that runs `grms
 * workflow check` and `grms workflow walk` on it. Kept as plain files rather than strings in the
 * core, so what the author gets is what they read, and the core names no workflow state or event.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));
/** The template folder; `{{name}}`, `{{role}}` (the name with underscores) and `{{grmsHome}}` are filled in. */
export const SCAFFOLD_DIR = path.join(ROOT, 'scaffold', 'workflow');

/** The files of a new package named `name`, by path relative to its folder. */
export function scaffoldFiles(name: string): Record<string, string> {
  const values: Record<string, string> = { name, role: name.replace(/-/g, '_'), grmsHome: JSON.stringify(ROOT) };
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else out[path.relative(SCAFFOLD_DIR, file).split(path.sep).join('/')] = fs.readFileSync(file, 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
    }
  };
  walk(SCAFFOLD_DIR);
  return out;
}
