import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { appendPageChange, describeWithTools, nssDbTrusting, pdfsig, runIn } from './support/pdf-tools';
import { startTestTsa, type TestTsa } from './support/tsa';

/**
 * The README's verification commands, taken from README.md as written (the blocks marked
 * `<!-- verification-commands NAME: … -->`) and run in order in an empty folder against a real
 * grms document (PAdES B-LT, time-stamped by a local TSA), and against the same document with an
 * incremental update appended that changes its page: every block accepts the first; for the
 * second, the blocks that check the signed revision accept it and render what was signed (not the
 * changed page), and grms' verify, which judges the whole file, rejects it. Only the server
 * address (http://127.0.0.1:3000 in the README) is the test server's.
 */

const README_ADDRESS = 'http://127.0.0.1:3000';

function verificationBlocks(): Array<{ name: string; script: string }> {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- verification-commands (\w+):[^>]*-->\n```sh\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, script: m[2]! }));
}

/** Runs a script with bash -e in `cwd`; asynchronously, since its curl calls the server in this process. */
function bash(script: string, cwd: string): Promise<{ status: number | null; out: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out: `${stdout}${stderr}`, stdout }));
  });
}

/**
 * Runs every block, in order, in one fresh folder holding DOCUMENT.pdf; each block's exit status
 * and output, and the first page the pdfsig block rendered from the signed revision.
 */
async function runReadme(app: TestApp, pdf: Buffer): Promise<{ blocks: Array<{ name: string; status: number | null; out: string; stdout: string }>; page: Buffer | undefined }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-readme-'));
  try {
    fs.writeFileSync(path.join(dir, 'DOCUMENT.pdf'), pdf);
    const blocks = [];
    for (const { name, script } of verificationBlocks()) blocks.push({ name, ...(await bash(script.replaceAll(README_ADDRESS, app.url), dir)) });
    const png = fs.readdirSync(dir).find((f) => /^page-0*1\.png$/.test(f));
    return { blocks, page: png ? fs.readFileSync(path.join(dir, png)) : undefined };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Page 1 rendered as the README renders the signed revision. */
function renderPage(pdf: Buffer): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-render-'));
  try {
    fs.writeFileSync(path.join(dir, 'd.pdf'), pdf);
    spawnSync('pdftoppm', ['-png', '-r', '100', '-f', '1', '-l', '1', 'd.pdf', 'page'], { cwd: dir });
    return fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.png'))!));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The last line a block printed on its standard output. */
const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1);

describeWithTools('the README\'s verification recipe', ['pdfsig', 'certutil', 'openssl', 'curl', 'xxd', 'pdftoppm', 'qpdf'], () => {
  describeBackends('run as written', (kind) => {
    let tsa: TestTsa;
    let app: TestApp;
    let pdf: Buffer;
    beforeAll(async () => {
      tsa = await startTestTsa();
      app = await startTestApp(kind, { env: tsa.env });
      const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
      expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      const doc = (await app.call('perencana.dinkes', 'GET', `/api/v1/instances/${id}/documents`)).body.items[0];
      const res = await fetch(`${app.url}/api/v1/documents/${doc.id}`, { headers: { authorization: `Bearer ${app.tokens['perencana.dinkes']}` } });
      pdf = Buffer.from(await res.arrayBuffer());
    });
    afterAll(async () => {
      await app?.close();
      await tsa?.close();
    });

    test('the README marks its pdfsig, OpenSSL, time-stamp, DSS and grms blocks', () => {
      expect(verificationBlocks().map((b) => b.name)).toEqual(['pdfsig', 'openssl', 'timestamp', 'dss', 'grms']);
    });

    test('a grms document: every block accepts it; the signed revision renders as the document does', async () => {
      const run = await runReadme(app, pdf);
      for (const r of run.blocks) {
        expect({ block: r.name, status: r.status, last: lastLine(r.stdout) }).toEqual({ block: r.name, status: 0, last: 'ACCEPTED' });
      }
      expect(run.blocks.find((b) => b.name === 'pdfsig')!.out).toContain('Signature Type: ETSI.CAdES.detached');
      expect(run.blocks.find((b) => b.name === 'timestamp')!.out).toMatch(/Time stamp: .* GMT\nTSA: DirName:\/C=ID\/O=grms test\/CN=grms Test TSA\n[\s\S]*Verification: OK/);
      expect(run.page!.equals(renderPage(pdf))).toBe(true);
      // The whole file is the signed revision and the DSS: pdfsig says so.
      const nss = nssDbTrusting([(await app.call(undefined, 'GET', '/api/v1/ca.pem')).text]);
      try {
        expect(pdfsig(pdf, nss.dir)).toContain('Not total document signed');
      } finally {
        nss.cleanup();
      }
    });

    test('the same document with a page changed by an incremental update: grms rejects it; the signed revision still shows what was signed', async () => {
      const forged = appendPageChange(pdf);
      // A well-formed PDF whose first page looks different, with the signature intact...
      expect(runIn({ 'f.pdf': forged }, 'qpdf', ['--check', 'f.pdf'])).toMatchObject({ status: 0 });
      expect(renderPage(forged).equals(renderPage(pdf))).toBe(false);
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
      const run = await runReadme(app, forged);
      const grms = run.blocks.find((b) => b.name === 'grms')!;
      expect({ rejected: grms.status !== 0 && !/^ACCEPTED$/m.test(grms.out) }).toEqual({ rejected: true });
      expect(grms.out).toMatch(/"valid":false,"reason":"the document was changed after signing/);
      // What the other blocks accept is the signed revision, and it renders as the genuine document, not the forgery.
      for (const r of run.blocks.filter((b) => b.name !== 'grms')) expect({ block: r.name, last: lastLine(r.stdout) }).toEqual({ block: r.name, last: 'ACCEPTED' });
      expect(run.page!.equals(renderPage(pdf))).toBe(true);
      const checked = await app.call(undefined, 'POST', '/api/v1/verify', forged, { 'content-type': 'application/pdf' });
      expect(checked.body).toMatchObject({ valid: false });
    });
  });
});
