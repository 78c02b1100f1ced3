'use strict';
// Run with: node --test test/
// Checks the package as `grms serve` would, then walks every path of its machine on an embedded
// database. GRMS_HOME names the grms to use (default: the one that wrote this file).
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const HOME = process.env.GRMS_HOME || {{grmsHome}};
const PACKAGE = path.resolve(__dirname, '..');

function grms(args) {
  const dist = path.join(HOME, 'dist', 'src', 'cli.js');
  const src = path.join(HOME, 'src', 'cli.ts');
  const tsx = path.join(HOME, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs');
  const cli = fs.existsSync(src) && fs.existsSync(tsx) ? ['--require', tsx, src] : [dist];
  const r = spawnSync(process.execPath, [...cli, ...args], { encoding: 'utf8', timeout: 300000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('grms workflow check accepts the package', () => {
  const r = grms(['workflow', 'check', PACKAGE]);
  assert.strictEqual(r.status, 0, r.out);
});

test('every path of the machine walks on an embedded database', () => {
  const r = grms(['workflow', 'walk', PACKAGE, '--examples', path.join(__dirname, 'examples.json')]);
  assert.strictEqual(r.status, 0, r.out);
  assert.match(r.out, /walked 2 paths/);
});
