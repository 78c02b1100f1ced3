import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Wrappers around poppler's pdfsig/pdftotext/pdfinfo and NSS's certutil: independent readers that check
 * what grms writes. Missing tools skip loudly locally and fail under CI (CI=true).
 * Debian: apt-get install -y poppler-utils libnss3-tools qpdf
 */
const TOOLS = ['pdfsig', 'pdftotext', 'pdfinfo', 'certutil'] as const;

function installed(tool: string): boolean {
  const r = spawnSync(tool, ['-v'], { stdio: 'ignore' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

export function missingPdfTools(): string[] {
  return TOOLS.filter((t) => !installed(t));
}

/** Declares the suite when the tools exist; otherwise a loud skip, or a failure under CI. */
export function describeWithPdfTools(name: string, fn: () => void): void {
  const missing = missingPdfTools();
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const why = `${missing.join(', ')} not installed (apt-get install -y poppler-utils libnss3-tools)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs poppler-utils and libnss3-tools', () => {
        throw new Error(`${why}; CI=true requires them`);
      });
    });
    return;
  }
  console.warn(`!! SKIPPED: "${name}" — ${why}; CI fails instead of skipping`);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function withTempFile<T>(bytes: Buffer, fn: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-pdf-'));
  const file = path.join(dir, 'doc.pdf');
  try {
    fs.writeFileSync(file, bytes);
    return fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * pdfsig's report. It exits 0 even for a broken signature, so callers check the text
 * ("Signature is Valid.", "Certificate is Trusted.").
 */
export function pdfsig(pdf: Buffer, nssDir?: string): string {
  return withTempFile(pdf, (file) => {
    const r = spawnSync('pdfsig', [...(nssDir ? ['-nssdir', `sql:${nssDir}`] : []), file], { encoding: 'utf8' });
    if (r.error) throw r.error;
    return `${r.stdout}${r.stderr}`;
  });
}

export function pdftotext(pdf: Buffer): string {
  return withTempFile(pdf, (file) => run('pdftotext', ['-layout', file, '-']));
}

/** The page count pdfinfo reads from the file. */
export function pdfPages(pdf: Buffer): number {
  const info = withTempFile(pdf, (file) => run('pdfinfo', [file]));
  const m = /^Pages:\s+(\d+)$/m.exec(info);
  if (!m) throw new Error(`pdfinfo printed no page count:\n${info}`);
  return Number(m[1]);
}

/** A throwaway NSS database trusting `caPems` as signing CAs; remove it with the returned cleanup. */
export function nssDbTrusting(caPems: string[]): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-nss-'));
  run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  caPems.forEach((pem, i) => {
    const file = path.join(dir, `ca${i}.pem`);
    fs.writeFileSync(file, pem);
    run('certutil', ['-A', '-n', `grms-test-ca-${i}`, '-t', 'C,C,C', '-d', `sql:${dir}`, '-i', file]);
  });
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
