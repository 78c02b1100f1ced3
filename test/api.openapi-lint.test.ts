import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApp } from './support/app';
import { loadConfig } from '../src/config';
import { servedOpenApi } from '../src/api/openapi-operations';
import { defaultRegistry } from '../src/engine/registry';

const ROOT = path.resolve(__dirname, '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

interface Finding { tool: string; rule: string; where: string; message: string }

/** Redocly (`recommended`, .redocly.yaml) and Spectral (`spectral:oas`, .spectral.yaml) on a document: every error and warning. */
function lint(document: unknown): Finding[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(document, null, 2));
    const redocly = spawnSync(bin('redocly'), ['lint', '--config', path.join(ROOT, '.redocly.yaml'), '--format', 'json', file], { encoding: 'utf8', cwd: dir });
    const r = JSON.parse(redocly.stdout.slice(redocly.stdout.indexOf('{'))) as { problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> };
    // Spectral adds a sentence after its JSON on stdout: its report is read from a file instead.
    const report = path.join(dir, 'spectral.json');
    const spectral = spawnSync(bin('spectral'), ['lint', '--ruleset', path.join(ROOT, '.spectral.yaml'), '--format', 'json', '--output', report, '--fail-severity', 'hint', file], { encoding: 'utf8', cwd: dir });
    const s = JSON.parse(fs.readFileSync(report, 'utf8')) as Array<{ code: string; message: string; path: string[] }>;
    const findings = [
      ...r.problems.map((p) => ({ tool: 'redocly', rule: p.ruleId, where: p.location[0]?.pointer ?? '', message: p.message })),
      ...s.map((p) => ({ tool: 'spectral', rule: p.code, where: p.path.join('.'), message: p.message })),
    ];
    // A linter that failed without reporting anything must not pass as clean.
    if (findings.length === 0) expect([redocly.status, spectral.status]).toEqual([0, 0]);
    return findings;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the served /openapi.json lints clean under Redocly and Spectral, and a broken one does not', async () => {
  const app = await startTestApp('pglite', { seed: false });
  let served: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    served = (await app.call(undefined, 'GET', '/openapi.json')).body;
  } finally {
    await app.close();
  }
  expect(served.servers).toEqual([{ url: loadConfig({}).publicUrl, description: expect.any(String) }]);
  const operations = Object.values(served.paths as Record<string, Record<string, Record<string, unknown>>>).flatMap((item) => Object.values(item));
  for (const op of operations) expect(op).toEqual(expect.objectContaining({ operationId: expect.any(String), summary: expect.any(String), description: expect.any(String), tags: [expect.any(String)], security: expect.any(Array) }));
  expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
  expect(served.paths['/healthz'].get.security).toEqual([]);
  expect(served.paths['/api/v1/me'].get.security).toEqual([{ bearer: [] }]);

  expect(lint(served)).toEqual([]);

  // The canary: the faults the document had before (no operationId, an array without items,
  // a public operation without `security`, no servers) must each be reported.
  const broken = JSON.parse(JSON.stringify(served));
  delete broken.paths['/api/v1/me'].get.operationId;
  delete broken.paths['/api/v1/users'].post.requestBody.content['application/json'].schema.properties.roles.items;
  delete broken.paths['/healthz'].get.security;
  delete broken.servers;
  const rules = lint(broken).map((f) => `${f.tool} ${f.rule}`);
  expect(rules).toEqual(expect.arrayContaining([
    'redocly operation-operationId', 'spectral operation-operationId', 'spectral array-items', 'redocly security-defined', 'redocly no-empty-servers', 'spectral oas3-api-servers',
  ]));
}, 120_000);

test('servers name the deployment given at run time (GRMS_PUBLIC_URL)', () => {
  const doc = servedOpenApi({ publicUrl: 'https://grms.kendalkab.example', government: 'PEMERINTAH KABUPATEN KENDAL', registry: defaultRegistry() });
  expect(doc.servers).toEqual([{ url: 'https://grms.kendalkab.example', description: expect.any(String) }]);
  expect(doc.info).toMatchObject({ contact: { name: 'PEMERINTAH KABUPATEN KENDAL', url: 'https://grms.kendalkab.example' } });
});
