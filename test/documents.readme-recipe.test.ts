import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { appendPageChange, describeWithTools, nssDbTrusting, pdfsig, runIn } from './support/pdf-tools';

/**
 * The README's verification commands, taken from README.md as written (the blocks marked
 * `<!-- verification-commands NAME: … -->`) and run in order in an empty folder against a real
 * grms document, and against the same document with an incremental update appended that changes
 * its page: the README's criteria must accept the first and reject the second. Only the server
 * address (http://127.0.0.1:3000 in the README) is the test server's.
 */

const README_ADDRESS = 'http://127.0.0.1:3000';

function verificationBlocks(): Array<{ name: string; script: string }> {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- verification-commands (\w+):[^>]*-->\n```sh\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, script: m[2]! }));
}

/** Runs a script with bash -e in `cwd`; asynchronously, since its curl calls the server in this process. */
function bash(script: string, cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out: `${stdout}${stderr}` }));
  });
}

/** Runs every block, in order, in one fresh folder holding DOCUMENT.pdf; each block's exit status and output. */
async function runReadme(app: TestApp, pdf: Buffer): Promise<Array<{ name: string; status: number | null; out: string }>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-readme-'));
  try {
    fs.writeFileSync(path.join(dir, 'DOCUMENT.pdf'), pdf);
    const results = [];
    for (const { name, script } of verificationBlocks()) results.push({ name, ...(await bash(script.replaceAll(README_ADDRESS, app.url), dir)) });
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const lastLine = (out: string) => out.trim().split('\n').filter((l) => !/Verification successful/.test(l)).at(-1);

describeWithTools('the README\'s verification recipe', ['pdfsig', 'certutil', 'openssl', 'curl', 'xxd', 'pdftoppm', 'qpdf'], () => {
  describeBackends('run as written', (kind) => {
    let app: TestApp;
    let pdf: Buffer;
    beforeAll(async () => {
      app = await startTestApp(kind);
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      const doc = (await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}/documents`)).body.items[0];
      const res = await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['perencana.dinkes']}` } });
      pdf = Buffer.from(await res.arrayBuffer());
    });
    afterAll(async () => {
      await app?.close();
    });

    test('the README marks its pdfsig and OpenSSL blocks', () => {
      expect(verificationBlocks().map((b) => b.name)).toEqual(['pdfsig', 'openssl']);
    });

    test('a grms document: every block accepts it', async () => {
      for (const r of await runReadme(app, pdf)) {
        expect({ block: r.name, status: r.status, last: lastLine(r.out) }).toEqual({ block: r.name, status: 0, last: 'ACCEPTED' });
      }
    });

    test('the same document with a page changed by an incremental update: every block rejects it', async () => {
      const forged = appendPageChange(pdf);
      // A well-formed PDF whose first page looks different, with the signature intact...
      expect(runIn({ 'f.pdf': forged }, 'qpdf', ['--check', 'f.pdf'])).toMatchObject({ status: 0 });
      const render = (bytes: Buffer) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-render-'));
        try {
          fs.writeFileSync(path.join(dir, 'd.pdf'), bytes);
          return spawnSync('pdftoppm', ['-r', '30', '-png', '-f', '1', '-l', '1', 'd.pdf'], { cwd: dir }).stdout;
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      };
      expect(render(forged).equals(render(pdf))).toBe(false);
      const nss = nssDbTrusting([(await app.call(undefined, 'GET', '/api/v1/ca.pem')).text]);
      try {
        // ...so that pdfsig's two usual lines still appear: only the third criterion tells.
        const report = pdfsig(forged, nss.dir);
        expect(report).toContain('Signature is Valid.');
        expect(report).toContain('Certificate is Trusted.');
        expect(report).toContain('Not total document signed');
      } finally {
        nss.cleanup();
      }
      for (const r of await runReadme(app, forged)) {
        expect({ block: r.name, rejected: r.status !== 0 && !/^ACCEPTED$/m.test(r.out) }).toEqual({ block: r.name, rejected: true });
      }
      const checked = await app.call(undefined, 'POST', '/api/v1/verify', forged, { 'content-type': 'application/pdf' });
      expect(checked.body).toMatchObject({ valid: false });
    });
  });
});
