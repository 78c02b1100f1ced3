import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', 'scripts', 'build.js');
const NODE_MODULES = path.resolve(__dirname, '..', 'node_modules');

/**
 * `npm start` builds through scripts/build.js: tsc runs only when what it compiles changed. Shown
 * on a project of two files (the same script, `--root`), so the test does not compile grms.
 */
describe('npm start builds only when sources changed', () => {
  let dir: string;
  const build = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, '--root', dir, ...args], { encoding: 'utf8', timeout: 240_000 });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-build-'));
    fs.symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, rootDir: '.', outDir: 'dist', types: [] }, include: ['src'],
    }));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'cli.ts'), 'export const answer: number = 42;\n');
    fs.writeFileSync(path.join(dir, 'src', 'notes.txt'), 'not compiled\n');
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the first run compiles and says so; a second run with nothing changed does not', () => {
    const first = build();
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/^grms: compiling 2 files with tsc: no earlier build\n/);
    expect(first.stderr).toMatch(/grms: compiled in \d+ s\n$/);
    const compiled = path.join(dir, 'dist', 'src', 'cli.js');
    const made = fs.statSync(compiled).mtimeMs;
    const again = build();
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/^grms: build up to date \(no source changed since \S+\)\n$/);
    expect(fs.statSync(compiled).mtimeMs).toBe(made);
    // A file tsc does not read changes nothing.
    fs.writeFileSync(path.join(dir, 'src', 'notes.txt'), 'still not compiled\n');
    expect(build().stderr).toMatch(/build up to date/);
  });

  test('a changed source is compiled, and so is a missing dist/', () => {
    fs.writeFileSync(path.join(dir, 'src', 'cli.ts'), 'export const answer: number = 43;\n');
    const changed = build();
    expect(changed.stderr).toMatch(/^grms: compiling 2 files with tsc: sources changed since the last build \(the last build took \d+ s\)\n/);
    expect(fs.readFileSync(path.join(dir, 'dist', 'src', 'cli.js'), 'utf8')).toContain('43');
    fs.rmSync(path.join(dir, 'dist', 'src'), { recursive: true });
    expect(build().stderr).toMatch(/compiling 2 files with tsc: dist\/ is missing/);
  });

  test('a failed build starts nothing and is tried again next time', () => {
    fs.writeFileSync(path.join(dir, 'src', 'cli.ts'), 'export const answer: number = "forty-two";\n');
    const failed = build();
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/error TS2322/);
    expect(failed.stderr).toMatch(/grms: the build failed after \d+ s \(tsc exit \d+\); nothing was started\n$/);
    fs.writeFileSync(path.join(dir, 'src', 'cli.ts'), 'export const answer: number = 44;\n');
    const fixed = build();
    expect(fixed.status).toBe(0);
    expect(fixed.stderr).toMatch(/compiling 2 files with tsc: sources changed/);
  });
});
