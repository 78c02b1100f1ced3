import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * One writer of instance history: only src/engine/history.ts appends to an instance's audit chain
 * (through appendAuditEvent and nextAuditSeq of src/audit/chain.ts, which alone holds the row's
 * INSERT). The scan reads every src/**\/*.ts through the TypeScript AST, so comments do not count.
 */
const SRC = path.join(__dirname, '..', 'src');
const ROW_FORMAT = 'audit/chain.ts';
const WRITER = 'engine/history.ts';
/** The chain's functions may be named only by their module, its re-export, and the writer. */
const CHAIN_FUNCTIONS = new Set(['appendAuditEvent', 'nextAuditSeq', 'pendingAuditRow', 'insertAuditRow', 'seqAfter']);
const MAY_NAME_CHAIN = new Set([ROW_FORMAT, 'audit/index.ts', WRITER]);
/** SQL that adds rows to the table, in any spelling a query string or template could carry. */
const SQL_WRITE = /\b(insert\s+into|merge\s+into|copy)\s+(("?[a-z_][a-z0-9_]*"?)\.)?"?audit_events"?/i;

interface Finding {
  file: string;
  line: number;
  what: string;
}

/** Every place in `text` that writes audit_events or names the chain's functions. */
function scan(file: string, text: string): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Finding[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push({ file, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, what });
  const visit = (node: ts.Node): void => {
    // Query-builder writes: db.insertInto('audit_events'), .mergeInto('audit_events as a') …
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)
      && ['insertInto', 'mergeInto', 'replaceInto'].includes(node.expression.name.text)) {
      const table = node.arguments[0];
      const name = table && ts.isStringLiteralLike(table) ? table.text : undefined;
      // A table name the scan cannot read counts too: it could be audit_events.
      if ((name === undefined || /^("?\w+"?\.)?"?audit_events\b/.test(name)) && file !== ROW_FORMAT) {
        at(node, `${node.expression.name.text}(${table?.getText(source) ?? ''})`);
      }
    }
    // Raw SQL in strings and templates (sql`…`, pool.query('…')).
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      if (SQL_WRITE.test(node.text)) at(node, `SQL "${node.text.trim().slice(0, 60)}"`);
    }
    if (ts.isIdentifier(node) && CHAIN_FUNCTIONS.has(node.text) && !MAY_NAME_CHAIN.has(file)) at(node, node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('instance history has one writer', () => {
  test('no module under src/ but src/engine/history.ts appends to audit_events', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(100);
    const findings = files.flatMap((f) => scan(path.relative(SRC, f).split(path.sep).join('/'), fs.readFileSync(f, 'utf8')));
    expect(findings).toEqual([]);
    // The writer is where the scan expects it, and the row format holds the one INSERT.
    expect(fs.readFileSync(path.join(SRC, WRITER), 'utf8')).toMatch(/export async function appendHistory/);
    expect(fs.readFileSync(path.join(SRC, ROW_FORMAT), 'utf8')).toMatch(/insertInto\('audit_events'\)/);
  });

  test('the scan catches each way of writing the table, and ignores comments', () => {
    const sample = [
      `await trx.insertInto('audit_events').values(row).execute();`,
      `await db.insertInto("public.audit_events as a").values(row).execute();`,
      `await db.insertInto(table).values(row).execute();`,
      'await sql`INSERT INTO audit_events (seq) VALUES (${n})`.execute(db);',
      'await sql`WITH x AS (SELECT 1) insert  into "audit_events" SELECT ${y}`.execute(db);',
      `await pool.query('COPY public.audit_events FROM STDIN');`,
      `import { appendAuditEvent } from '../audit/chain';`,
      `const seq = await nextAuditSeq(trx, id, 1);`,
      `// INSERT INTO audit_events in a comment, and appendAuditEvent named in one`,
      `/* db.insertInto('audit_events') */ await db.insertInto('people_events').values(r).execute();`,
      `await db.selectFrom('audit_events').selectAll().execute();`,
    ].join('\n');
    expect(scan('api/elsewhere.ts', sample).map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(scan(WRITER, `import { appendAuditEvent, nextAuditSeq } from '../audit/chain';`)).toEqual([]);
  });
});
