import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDetached } from '../../src/documents/cms';
import { certParts, derToPem, raw, readTlv } from '../../src/documents/der';

/**
 * Wrappers around poppler's pdfsig/pdftotext/pdfinfo, NSS's certutil and OpenSSL: independent
 * readers that check what grms writes. Missing tools skip loudly locally and fail under CI (CI=true).
 * Debian: apt-get install -y poppler-utils libnss3-tools qpdf openssl
 */
const TOOLS = ['pdfsig', 'pdftotext', 'pdfinfo', 'certutil'] as const;

/** The Debian package of each tool a test may need. */
const PACKAGES: Record<string, string> = {
  pdfsig: 'poppler-utils', pdftotext: 'poppler-utils', pdfinfo: 'poppler-utils', pdftoppm: 'poppler-utils', pdffonts: 'poppler-utils', pdfimages: 'poppler-utils', certutil: 'libnss3-tools', openssl: 'openssl', curl: 'curl', xxd: 'xxd', qpdf: 'qpdf',
};

function installed(tool: string): boolean {
  const r = spawnSync(tool, ['-v'], { stdio: 'ignore' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

export function missingPdfTools(): string[] {
  return TOOLS.filter((t) => !installed(t));
}

/** Declares the suite when the tools exist; otherwise a loud skip, or a failure under CI. */
export function describeWithTools(name: string, tools: readonly string[], fn: () => void): void {
  const missing = tools.filter((t) => !installed(t));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const why = `${missing.join(', ')} not installed (apt-get install -y ${[...new Set(missing.map((t) => PACKAGES[t] ?? t))].join(' ')})`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test(`needs ${missing.join(', ')}`, () => {
        throw new Error(`${why}; CI=true requires them`);
      });
    });
    return;
  }
  console.warn(`!! SKIPPED: "${name}" — ${why}; CI fails instead of skipping`);
}

/** Declares the suite when pdfsig, pdftotext and certutil exist (see describeWithTools). */
export function describeWithPdfTools(name: string, fn: () => void): void {
  describeWithTools(name, TOOLS, fn);
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

/** The text of each page, as pdftotext reads it (pages are separated by form feeds). */
export function pdftotextPages(pdf: Buffer): string[] {
  return pdftotext(pdf).split('\f').slice(0, -1);
}

/** The images pdfimages -list finds: page, width, height and encoding (image = Flate, jpeg = DCT). */
export function pdfImages(pdf: Buffer): Array<{ page: number; width: number; height: number; enc: string }> {
  const out = withTempFile(pdf, (file) => run('pdfimages', ['-list', file]));
  return out.split('\n').slice(2).filter((l) => l.trim()).map((l) => {
    const f = l.trim().split(/\s+/);
    return { page: Number(f[0]), width: Number(f[3]), height: Number(f[4]), enc: f[8]! };
  });
}

/** The page count pdfinfo reads from the file. */
export function pdfPages(pdf: Buffer): number {
  const info = withTempFile(pdf, (file) => run('pdfinfo', [file]));
  const m = /^Pages:\s+(\d+)$/m.exec(info);
  if (!m) throw new Error(`pdfinfo printed no page count:\n${info}`);
  return Number(m[1]);
}

/**
 * A throwaway NSS database trusting `caPems` as signing CAs (`,C,`: trusted to issue e-mail, hence
 * document, signing certificates, as the README says); remove it with the returned cleanup.
 */
export function nssDbTrusting(caPems: string[]): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-nss-'));
  run('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  caPems.forEach((pem, i) => {
    const file = path.join(dir, `ca${i}.pem`);
    fs.writeFileSync(file, pem);
    run('certutil', ['-A', '-n', `grms-test-ca-${i}`, '-t', ',C,', '-d', `sql:${dir}`, '-i', file]);
  });
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface SignatureParts {
  /** The CMS SignedData, DER, without the /Contents padding. */
  cms: Buffer;
  /** The bytes the signature covers: the file minus the /Contents string, as the ByteRange says. */
  signedBytes: Buffer;
  byteRange: [number, number, number, number];
  /** True when the ByteRange ends where the file ends (nothing appended after signing). */
  coversWholeFile: boolean;
}

/** Reads the (first) signature of a PDF per its /ByteRange, the way a validator does. */
export function signatureParts(pdf: Buffer): SignatureParts {
  const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(pdf.toString('latin1'));
  if (!m) throw new Error('the PDF has no /ByteRange');
  const [a, b, c, d] = m.slice(1, 5).map(Number) as [number, number, number, number];
  const hex = pdf.subarray(b + 1, c - 1).toString('latin1'); // inside <…>
  const padded = Buffer.from(hex, 'hex');
  const tlv = readTlv(padded);
  return {
    cms: padded.subarray(0, tlv.end),
    signedBytes: Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]),
    byteRange: [a, b, c, d],
    coversWholeFile: c + d === pdf.length,
  };
}

/** The signed revision: the file up to the end of the signature's ByteRange (what the signer signed, without the DSS revision). */
export function signedRevision(pdf: Buffer): Buffer {
  const [, , c, d] = signatureParts(pdf).byteRange;
  return pdf.subarray(0, c + d);
}

/**
 * runIn without blocking this process: a test server in the same process keeps answering (and
 * closing idle sockets on time) while the tool runs.
 */
export async function runInAsync(files: Record<string, string | Buffer>, cmd: string, args: string[]): Promise<{ status: number | null; out: string; dir?: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-tool-'));
  try {
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
    return await new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, out }));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a tool in a fresh folder holding `files`; returns its exit status and output. */
export function runIn(files: Record<string, string | Buffer>, cmd: string, args: string[]): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-tool-'));
  try {
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
    const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `openssl cms -verify` of a PDF's signature against `caPem` as the only trust anchor: no
 * -partial_chain (the chain must end in a self-signed root) and the default purpose (S/MIME
 * signing: the signer's EKU must allow e-mail protection).
 */
export function opensslCmsVerify(pdf: Buffer, caPem: string): { ok: boolean; out: string } {
  const { cms, signedBytes } = signatureParts(pdf);
  const r = runIn({ 'sig.der': cms, 'signed.bin': signedBytes, 'ca.pem': caPem }, 'openssl',
    ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'sig.der', '-content', 'signed.bin', '-CAfile', 'ca.pem', '-out', '/dev/null']);
  return { ok: r.status === 0 && /Verification successful/.test(r.out), out: r.out };
}

/** `openssl verify -x509_strict` of a certificate against `caPem`, checking `crlDer` too when given. */
export function opensslVerify(certPem: string, caPem: string, crlDer?: Buffer): { ok: boolean; out: string } {
  const files: Record<string, string | Buffer> = { 'cert.pem': certPem, 'ca.pem': caPem };
  const args = ['verify', '-x509_strict', '-CAfile', 'ca.pem'];
  if (crlDer) {
    files['crl.pem'] = derToPem(crlDer, 'X509 CRL');
    args.push('-crl_check', '-CRLfile', 'crl.pem');
  }
  const r = runIn(files, 'openssl', [...args, 'cert.pem']);
  return { ok: r.status === 0 && /cert\.pem: OK/.test(r.out), out: r.out };
}

/** The signer certificate (PEM) of a PDF's signature. */
export function signerCertificateOf(pdf: Buffer): string {
  const cms = parseDetached(signatureParts(pdf).cms);
  const der = cms.certificates.find((c) => {
    const parts = certParts(c);
    return parts.serialHex === cms.signerSerialHex && raw(parts.issuer).equals(cms.signerIssuer!);
  });
  if (!der) throw new Error('the signature names no signer certificate it carries');
  return derToPem(der);
}

/**
 * The PDF with an incremental update appended that changes its first page: the page object is
 * redefined to draw its content and then a red box over the middle of the page (where the
 * figures are). The signed revision stays intact, so a validator that only checks the signature
 * still calls it valid; what it shows is no longer what was signed.
 */
export function appendPageChange(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const page = /(\d+) 0 obj\s*(<<(?:(?!endobj)[\s\S])*?\/Type \/Page\s(?:(?!endobj)[\s\S])*?)endobj/.exec(text);
  if (!page) throw new Error('no page object found');
  const pageNumber = Number(page[1]);
  const contents = /\/Contents (\d+ 0 R)/.exec(page[2]!);
  if (!contents) throw new Error('the page names no single content stream');
  const trailer = text.slice(text.lastIndexOf('trailer'));
  const size = Number(/\/Size (\d+)/.exec(trailer)![1]);
  const root = /\/Root (\d+ 0 R)/.exec(trailer)![1];
  const prev = Number(/startxref\s+(\d+)/.exec(trailer)![1]);
  // The original content may leave its transformation in place: q … Q around it restores the
  // default user space before the box is drawn.
  const stream = (num: number, ops: string) => `${num} 0 obj\n<< /Length ${ops.length} >>\nstream\n${ops}\nendstream\nendobj\n`;
  const added: Array<[number, string]> = [
    [size, stream(size, 'q')],
    [size + 1, stream(size + 1, 'Q 0.8 0 0 rg 40 250 515 300 re f')],
    [pageNumber, `${pageNumber} 0 obj\n${page[2]!.replace(contents[0], `/Contents [${size} 0 R ${contents[1]} ${size + 1} 0 R]`)}endobj\n`],
  ];
  let body = '\n';
  const xref: string[] = [];
  for (const [num, obj] of added) {
    xref.push(`${num} 1\n${String(pdf.length + Buffer.byteLength(body, 'latin1')).padStart(10, '0')} 00000 n \n`);
    body += obj;
  }
  const xrefAt = pdf.length + Buffer.byteLength(body, 'latin1');
  const tail = `xref\n${xref.join('')}trailer\n<< /Size ${size + 2} /Root ${root} /Prev ${prev} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.concat([pdf, Buffer.from(body + tail, 'latin1')]);
}

/** The signature's RFC 3161 time-stamp token and the signature value it must be over, read from the CMS. */
export function timestampOf(pdf: Buffer): { token: Buffer; signatureValue: Buffer } | undefined {
  const cms = parseDetached(signatureParts(pdf).cms);
  return cms.timestampToken ? { token: cms.timestampToken, signatureValue: cms.signature } : undefined;
}

/**
 * `openssl ts -verify` of the signature's time-stamp against the TSA's CA and the SHA-256 of the
 * signature value; also the token's text (`openssl ts -reply -token_in -text`).
 */
export async function opensslTsVerify(pdf: Buffer, tsaCaPem: string): Promise<{ ok: boolean; out: string; text: string }> {
  const ts = timestampOf(pdf);
  if (!ts) return { ok: false, out: 'no time-stamp token in the signature', text: '' };
  const digest = crypto.createHash('sha256').update(ts.signatureValue).digest('hex');
  const r = await runInAsync({ 'token.der': ts.token, 'tsa-ca.pem': tsaCaPem }, 'openssl', ['ts', '-verify', '-in', 'token.der', '-token_in', '-digest', digest, '-CAfile', 'tsa-ca.pem']);
  const text = (await runInAsync({ 'token.der': ts.token }, 'openssl', ['ts', '-reply', '-in', 'token.der', '-token_in', '-text'])).out;
  return { ok: r.status === 0 && /Verification: OK/.test(r.out), out: r.out, text };
}

/** The DSS as qpdf reads it (`qpdf --json`): the catalogue's keys and the Certs/CRLs/OCSPs streams' data. */
export async function qpdfDss(pdf: Buffer): Promise<{ catalogKeys: string[]; certs: Buffer[]; crls: Buffer[]; ocsps: Buffer[] } | undefined> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-qpdf-'));
  try {
    fs.writeFileSync(path.join(dir, 'doc.pdf'), pdf);
    const r = await runInAsync({}, 'qpdf', ['--json=2', '--json-stream-data=file', `--json-stream-prefix=${path.join(dir, 's')}`, path.join(dir, 'doc.pdf'), path.join(dir, 'out.json')]);
    if (r.status !== 0) throw new Error(`qpdf --json: ${r.out}`);
    const objects = (JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as { qpdf: [unknown, Record<string, { value?: Record<string, unknown>; stream?: { datafile: string } }>] }).qpdf[1];
    const root = objects.trailer!.value!['/Root'] as string;
    const catalog = objects[`obj:${root}`]!.value!;
    const dssRef = catalog['/DSS'] as string | undefined;
    if (!dssRef) return undefined;
    const dss = objects[`obj:${dssRef}`]!.value!;
    const streams = (key: string) => ((dss[key] ?? []) as string[]).map((ref) => fs.readFileSync(objects[`obj:${ref}`]!.stream!.datafile));
    return { catalogKeys: Object.keys(catalog).sort(), certs: streams('/Certs'), crls: streams('/CRLs'), ocsps: streams('/OCSPs') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl crl -verify` of a DER CRL against one of `caPems`: its issuer and whether the signature verified. */
export async function opensslCrl(der: Buffer, caPems: string[]): Promise<{ ok: boolean; issuer: string; out: string }> {
  const r = await runInAsync({ 'crl.der': der, 'cas.pem': caPems.join('') }, 'openssl', ['crl', '-inform', 'DER', '-in', 'crl.der', '-noout', '-issuer', '-verify', '-CAfile', 'cas.pem']);
  return { ok: r.status === 0 && /verify OK/.test(r.out), issuer: /issuer=(.*)/.exec(r.out)?.[1]?.trim() ?? '', out: r.out };
}

/**
 * Appends an incremental update holding `objects` (number → the object's text, "N 0 obj … endobj"
 * included) with a correct cross-reference section; `trailer` adds entries to the trailer. For
 * building revisions that a verifier must refuse (or accept) after a signature.
 */
export function appendRevision(pdf: Buffer, objects: Array<[number, string | Buffer]>, trailer = ''): Buffer {
  const text = pdf.toString('latin1');
  const last = text.slice(text.lastIndexOf('trailer'));
  const size = Number(/\/Size (\d+)/.exec(last)![1]);
  const root = /\/Root (\d+ \d+ R)/.exec(last)![1];
  const info = /\/Info (\d+ \d+ R)/.exec(last)?.[1];
  const id = /\/ID\s*(\[[^\]]*\])/.exec(last)?.[1];
  const prev = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1]);
  const chunks: Buffer[] = [Buffer.from('\n', 'latin1')];
  let at = pdf.length + 1;
  const xref: string[] = [];
  let max = size - 1;
  for (const [num, obj] of [...objects].sort((a, b) => a[0] - b[0])) {
    const bytes = Buffer.isBuffer(obj) ? obj : Buffer.from(obj, 'latin1');
    xref.push(`${num} 1\n${String(at).padStart(10, '0')} 00000 n\r\n`);
    chunks.push(bytes);
    at += bytes.length;
    max = Math.max(max, num);
  }
  const tail = `xref\n${xref.join('')}trailer\n<< /Size ${max + 1} /Root ${root}${info ? ` /Info ${info}` : ''}${id ? ` /ID ${id}` : ''} /Prev ${prev}${trailer} >>\nstartxref\n${at}\n%%EOF\n`;
  return Buffer.concat([pdf, ...chunks, Buffer.from(tail, 'latin1')]);
}

/**
 * A document's text (whitespace collapsed) without its verification lines, where identifiers are
 * expected: the footer's verify address with the document id, the id itself, and the QR caption's
 * address of the verify page (host and path, e.g. "grms.example/verify").
 */
export function outsideVerification(text: string, publicUrl: string, documentId: string): string {
  const verifyPage = `${publicUrl.replace(/^https?:\/\//, '')}/verify`;
  return text.replace(/\s+/g, ' ').split(`${publicUrl}/verify/${documentId}`).join('').split(documentId).join('').split(verifyPage).join('');
}

/**
 * Identifiers an officer must never read in a document: every workflow, state, event and role id
 * of the registry (whole words, case as written), "instance", and "->" (machine transitions).
 */
export function machineWords(defs: ReadonlyArray<{ name: string; machine: { config: { states?: Record<string, unknown> } }; steps: Readonly<Record<string, Readonly<Record<string, { roles: readonly string[] }>>>> }>): RegExp {
  const words = new Set<string>(['instance']);
  const states = (node: { states?: Record<string, unknown> } | undefined, prefix = '') => {
    for (const [id, child] of Object.entries(node?.states ?? {})) {
      words.add(id);
      if (prefix) words.add(`${prefix}.${id}`);
      states(child as { states?: Record<string, unknown> }, id);
    }
  };
  for (const def of defs) {
    words.add(def.name);
    states(def.machine.config);
    for (const [state, events] of Object.entries(def.steps)) {
      words.add(state);
      for (const [event, step] of Object.entries(events)) {
        words.add(event);
        for (const role of step.roles) words.add(role);
      }
    }
  }
  const escaped = [...words].sort((a, b) => b.length - a.length).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![\\w-])(${escaped.join('|')})(?![\\w-])|->`);
}
