import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { grms } from './support/cli';

const ROOT = path.resolve(__dirname, '..');

/** `grms workflow new`, `check` and the scaffold's own test, in a folder outside the checkout. */
describe('grms workflow new and check', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-workflow-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('new writes a package that check accepts and whose generated test passes', () => {
    const made = grms(['workflow', 'new', 'cuti-demo', '--dir', tmp], {});
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    const dir = path.join(tmp, 'cuti-demo');
    expect(fs.readdirSync(dir).sort()).toEqual(['README.md', 'index.js', 'schemas', 'test', 'v1.js']);

    const checked = grms(['workflow', 'check', dir], {});
    expect(checked.status).toBe(0);
    expect(checked.stdout).toMatch(/^workflow package cuti-demo \(.+\) is valid\n {2}v1 fingerprint [0-9a-f]{64}\n/);

    // The generated test, as its author runs it: node --test, outside the checkout.
    const run = spawnSync(process.execPath, ['--test', 'test/'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    expect(`${run.stdout}${run.stderr}`).toMatch(/# pass 2\n# fail 0\n/);
    expect(run.status).toBe(0);

    // A second `new` into the same folder writes nothing.
    const again = grms(['workflow', 'new', 'cuti-demo', '--dir', tmp], {});
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/the folder exists and is not empty/);
  });

  test('an ESM package (index.mjs, loaded with import()) checks too', () => {
    expect(grms(['workflow', 'new', 'esm-demo', '--dir', tmp], {}).status).toBe(0);
    const dir = path.join(tmp, 'esm-demo');
    fs.rmSync(path.join(dir, 'index.js'));
    fs.writeFileSync(path.join(dir, 'index.mjs'), [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "const defineV1 = require('./v1.js');",
      'export function definePackage(grms) {',
      "  const applicant = { label: { id: 'pemohon', en: 'applicant' } };",
      "  const approver = { label: { id: 'penyetuju', en: 'approver' } };",
      '  return {',
      "    name: 'esm-demo', title: { id: 'Contoh ESM', en: 'ESM example' },",
      "    versions: [{ definition: defineV1(grms), source: 'v1.js' }],",
      '    roles: { esm_demo_applicant: applicant, esm_demo_approver: approver },',
      '    labels: {',
      "      id: { states: { draft: 'Konsep', review: 'Diperiksa', approved: 'Disetujui', rejected: 'Ditolak' }, events: { submit: 'Ajukan', approve: 'Setujui', reject: 'Tolak' }, fields: { title: 'Judul', reason: 'Alasan' } },",
      "      en: { states: { draft: 'Draft', review: 'Review', approved: 'Approved', rejected: 'Rejected' }, events: { submit: 'Submit', approve: 'Approve', reject: 'Reject' }, fields: { title: 'Title', reason: 'Reason' } },",
      '    },',
      '  };',
      '}',
      '',
    ].join('\n'));
    const checked = grms(['workflow', 'check', dir], {});
    expect({ status: checked.status, stderr: checked.stderr }).toEqual({ status: 0, stderr: '' });
    expect(checked.stdout).toMatch(/^workflow package esm-demo \(.+\) is valid\n/);
  });

  test('check names what is wrong with a broken package and exits 1', () => {
    const made = grms(['workflow', 'new', 'rusak', '--dir', tmp], {});
    expect(made.status).toBe(0);
    const dir = path.join(tmp, 'rusak');
    const index = path.join(dir, 'index.js');
    // An English state label missing, and a step naming a role nobody declared.
    fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace("review: 'Under review', ", ''));
    const v1 = path.join(dir, 'v1.js');
    fs.writeFileSync(v1, fs.readFileSync(v1, 'utf8').replace("const approver = { roles: ['rusak_approver']", "const approver = { roles: ['kepala_dinas']"));
    const checked = grms(['workflow', 'check', dir], {});
    expect(checked.status).toBe(1);
    expect(checked.stderr).toContain(`grms: workflow package ${dir} is not valid:`);
    expect(checked.stderr).toContain('  - v1: state review has no en label (labels.en.states)');
    expect(checked.stderr).toContain('  - v1: step review/approve names role kepala_dinas, which the package does not declare');
    expect(checked.stderr).toContain('[WORKFLOW_PACKAGE_INVALID]');

    // A module that does not load is named with the reason.
    fs.writeFileSync(index, "'use strict';\nthrow new Error('syntax of the regency');\n");
    const broken = grms(['workflow', 'check', dir], {});
    expect(broken.status).toBe(1);
    expect(broken.stderr).toBe(`grms: workflow package ${dir}: index.js failed to load: syntax of the regency [WORKFLOW_PACKAGE_INVALID]\n`);
  });

  test('check takes a built-in package by its source folder (TypeScript); a TypeScript folder elsewhere is refused with the reason', () => {
    // engine.package-check runs the same checks on every built-in in process; here the command line.
    for (const name of ['complaint']) {
      // As typed in the checkout: a relative folder.
      const checked = grms(['workflow', 'check', path.join('workflows', name)], {});
      expect({ name, status: checked.status, stderr: checked.stderr }).toEqual({ name, status: 0, stderr: '' });
      expect(checked.stdout).toMatch(new RegExp(`^workflow package ${name} \\(${path.join(ROOT, 'workflows', name).replace(/[/\\.]/g, '\\$&')}\\) is valid\n {2}v1 fingerprint [0-9a-f]{64}\n`));
    }
    // A copy of a built-in outside workflows/ is TypeScript nothing can load: named as such.
    const copy = path.join(tmp, 'permit-copy');
    fs.cpSync(path.join(ROOT, 'workflows', 'permit'), copy, { recursive: true });
    const refused = grms(['workflow', 'check', copy], {});
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`grms: workflow package ${copy}: index.ts is TypeScript, and the folder is not one of grms's built-in workflows/: a package outside the checkout is JavaScript (index.js, index.cjs, index.mjs); compile it first [WORKFLOW_PACKAGE_INVALID]\n`);
  });
});
