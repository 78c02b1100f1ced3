/**
 * The core names no workflow: every workflow id, role, state and event the loaded packages declare
 * (the built-in ones and the external test package) is looked for in the string literals and
 * identifiers of src/**\/*.ts, read through the TypeScript AST so comments do not count.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { defaultRegistry, WorkflowRegistry } from '../src/engine/registry';
import { CORE_ROLES } from '../src/auth/roles';
import { stepsOf } from '../src/engine/steps';
import { externalPackages } from '../src/engine/packages';

const SRC = path.resolve(__dirname, '..', 'src');
const LEAVE_PACKAGE = path.resolve(__dirname, 'fixtures', 'leave-package');

/**
 * Words the core needs for its own purposes that some workflow also uses as a state or event.
 * Each is here because the core uses it as an ordinary word, never to mean that workflow's step.
 */
const CORE_WORDS: ReadonlyMap<string, string> = new Map([
  ['update', 'kysely updateTable/onConflict doUpdateSet, hash.update()'],
  ['verify', 'signature, checkpoint and PDF verification'],
  ['sign', 'signing documents, checkpoints and cosignatures'],
  ['reject', 'Promise rejection'],
  ['return', 'the keyword inside template text of printed source'],
  ['submit', 'the type of an HTML button'],
  ['closed', 'closed pools, sockets and streams'],
  ['draft', 'a form not yet sent'],
  ['review', 'the step fact: a review step, where segregation of duties applies'],
  ['issued', 'certificates and tokens issued'],
  ['returned', 'what a function returned'],
  ['cuti', 'Indonesian for leave: why a Plh stands in (the external test package is named after it)'],
]);

function declaredNames(registry: WorkflowRegistry): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: string, what: string) => {
    if (!names.has(name)) names.set(name, what);
  };
  for (const pkg of registry.packages) {
    add(pkg.name, `workflow ${pkg.name}`);
    for (const role of Object.keys(pkg.roles)) add(role, `role of ${pkg.name}`);
    for (const { definition } of pkg.versions) {
      for (const role of definition.creatorRoles) add(role, `role of ${pkg.name}`);
      for (const [state, events] of Object.entries(stepsOf(definition.machine))) {
        for (const part of state.split('.')) add(part, `state of ${pkg.name}`);
        for (const [event, step] of Object.entries(events)) {
          add(event, `event of ${pkg.name}`);
          for (const role of step.roles) add(role, `role of ${pkg.name}`);
        }
      }
      const walk = (states: Record<string, { states?: Record<string, unknown> }> | undefined) => {
        for (const [state, config] of Object.entries(states ?? {})) {
          add(state, `state of ${pkg.name}`);
          walk(config.states as never);
        }
      };
      walk((definition.machine.config as { states?: Record<string, { states?: Record<string, unknown> }> }).states);
    }
  }
  for (const role of Object.keys(CORE_ROLES)) names.delete(role);
  return names;
}

/** The declared names the scan looks for: all but the core's words. */
function scanned(declared: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...declared].filter(([name]) => !CORE_WORDS.has(name)));
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every workflow name found in `file`, with its line. */
function namesIn(file: string, names: ReadonlyMap<string, string>): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (node: ts.Node, name: string) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push(`${path.relative(SRC, file)}:${line} ${JSON.stringify(name)} (${names.get(name)})`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
      if (names.has(node.text)) at(node, node.text);
    } else if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      // Words inside a literal count too: 'budget-proposal@1', `/permits/${id}`, 'approved,ratified'.
      for (const word of node.text.split(/[^A-Za-z0-9_-]+/)) if (names.has(word)) at(node, word);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the core names no workflow', () => {
  let declared: Map<string, string>;
  let names: Map<string, string>;

  beforeAll(async () => {
    const builtins = defaultRegistry();
    const external = await externalPackages([LEAVE_PACKAGE]);
    declared = declaredNames(new WorkflowRegistry([...builtins.packages, ...external]));
    names = scanned(declared);
  });

  it('allows only words a workflow declares and the core really uses', () => {
    const unused = [...CORE_WORDS.keys()].filter((word) => !declared.has(word) || sourceFiles(SRC).every((file) => namesIn(file, new Map([[word, 'core word']])).length === 0));
    expect(unused).toEqual([]);
  });

  it('takes its names from the loaded packages, the external one included', () => {
    expect([...declared.keys()]).toEqual(expect.arrayContaining(['budget-proposal', 'permit', 'procurement-delivery', 'complaint', 'ratified', 'frontdesk', 'sign_contract', 'cuti', 'cuti_atasan']));
    expect(names.size).toBeGreaterThan(40);
  });

  it('finds none of them in a string literal or identifier under src/', () => {
    const found = sourceFiles(SRC).flatMap((file) => namesIn(file, names));
    expect(found).toEqual([]);
  });

  it('would find one: the scan reads identifiers and words inside literals, not comments', () => {
    const probe = path.join(SRC, '..', 'test', 'fixtures', 'core-names-probe.ts.txt');
    const text = "// permit in a comment is fine\nconst ratified = 1;\nconst s = 'x budget-proposal@1';\n";
    fs.mkdirSync(path.dirname(probe), { recursive: true });
    fs.writeFileSync(probe, text);
    try {
      expect(namesIn(probe, names).map((f) => f.split(' ')[1])).toEqual(['"ratified"', '"budget-proposal"']);
    } finally {
      fs.rmSync(probe);
    }
  });
});
