#!/usr/bin/env node
'use strict';
// Builds dist/ with tsc only when what it compiles changed since the last build that succeeded
// (`npm start`, `npm run build`, `npm install` run it): the TypeScript sources of
// tsconfig.json's "include", tsconfig.json itself and the compiler's version are hashed, and the
// hash is kept in dist/.build-inputs.json. While tsc runs it prints how long it has been running
// and how long the last build took. `--force` builds anyway. Plain JavaScript: it runs before
// there is anything compiled.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

// `--root DIR` builds another project the same way (the tests use a small one).
const rootArg = process.argv.indexOf('--root');
const ROOT = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-inputs.json');
const OUTPUT = path.join(ROOT, 'dist', 'src', 'cli.js');
const out = process.stderr;

function filesUnder(dir) {
  const found = [];
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts|cts|json)$/.test(e.name)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** A hash of everything the build reads, and how many files that is. */
function inputs() {
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
  const files = [path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'package.json')].filter((f) => fs.existsSync(f));
  for (const dir of tsconfig.include || []) files.push(...filesUnder(path.join(ROOT, dir)));
  const hash = crypto.createHash('sha256');
  hash.update(`typescript ${require(path.join(ROOT, 'node_modules', 'typescript', 'package.json')).version}\n`);
  for (const f of files.sort()) hash.update(`${path.relative(ROOT, f)}\n`).update(fs.readFileSync(f)).update('\n');
  return { fingerprint: hash.digest('hex'), files: files.length };
}

function readStamp() {
  try {
    return JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return undefined;
  }
}

const seconds = (ms) => `${Math.round(ms / 1000)} s`;

function build(current, last) {
  const tty = Boolean(out.isTTY);
  const started = Date.now();
  const estimate = last && last.ms ? ` (the last build took ${seconds(last.ms)})` : '';
  const why = !last ? 'no earlier build' : !fs.existsSync(OUTPUT) ? 'dist/ is missing' : 'sources changed since the last build';
  out.write(`grms: compiling ${current.files} files with tsc: ${why}${estimate}\n`);
  const tick = setInterval(() => {
    const line = `grms: compiling… ${seconds(Date.now() - started)}${estimate}`;
    out.write(tty ? `\r${line}` : `${line}\n`);
  }, tty ? 1000 : 10_000);
  const tsc = spawn(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', path.join(ROOT, 'tsconfig.json')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  tsc.stdout.on('data', (c) => { said += c; });
  tsc.stderr.on('data', (c) => { said += c; });
  tsc.on('close', (code) => {
    clearInterval(tick);
    if (tty) out.write('\r\x1b[K');
    const ms = Date.now() - started;
    if (code !== 0) {
      out.write(`${said}grms: the build failed after ${seconds(ms)} (tsc exit ${code}); nothing was started\n`);
      process.exit(code || 1);
    }
    fs.writeFileSync(STAMP, `${JSON.stringify({ fingerprint: current.fingerprint, ms, at: new Date().toISOString() })}\n`);
    out.write(`grms: compiled in ${seconds(ms)}\n`);
  });
}

const current = inputs();
const last = readStamp();
if (!process.argv.includes('--force') && last && last.fingerprint === current.fingerprint && fs.existsSync(OUTPUT)) {
  out.write(`grms: build up to date (no source changed since ${last.at})\n`);
} else {
  build(current, last);
}
