import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { verifyExportFile } from '../src/audit/verify-file';
import { CsvParser } from '../src/audit/csv';
import { grms } from './support/cli';
import { integrateAll } from './support/log-fixtures';
import { PUBLIC_URL } from './support/app';
import { defaultLogOrigin } from '../src/config';
import { logVerifierKey, policyFromKeys, type Policy } from '../src/audit/tlog';
import crypto from 'node:crypto';

describeBackends('audit export', (kind) => {
  let app: TestApp;
  let dir: string;
  let vkey: string;
  let policy: Policy;
  let middle: string;
  beforeAll(async () => {
    app = await startTestApp(kind);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-export-'));
    const make = async (user: string, title: string) => (await app.call(user, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) })).body.id;
    const a = await make('perencana.pupr', 'Jalan, jembatan "Kaligarang"');
    await app.call('perencana.pupr', 'POST', `/api/v1/instances/${a}/events`, { type: 'submit' });
    await app.call('kadis.pupr', 'POST', `/api/v1/instances/${a}/events`, { type: 'return', comment: 'Baris 1, "volume"\nbaris 2 — «ok» مستشفى' });
    await new Promise((r) => setTimeout(r, 20));
    middle = new Date().toISOString();
    await app.call('perencana.pupr', 'POST', `/api/v1/instances/${a}/events`, { type: 'submit' });
    const b = await make('perencana.dinkes', 'Posyandu');
    await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${b}/events`, { type: 'submit' });
    // Integrate and checkpoint the log now (no witnesses here): the export ends at this checkpoint.
    await integrateAll(app.db.kysely);
    expect((await app.call('admin', 'POST', '/api/v1/log/checkpoint')).status).toBe(200);
    await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${b}/events`, { type: 'approve' });
    // The log's verifier key as `grms key show` prints it (origin from the public URL), pinned by the test.
    const publicKeyPem = (await app.call(undefined, 'GET', '/api/v1/audit/public-key')).body.publicKeyPem as string;
    vkey = logVerifierKey(defaultLogOrigin(PUBLIC_URL), crypto.createPublicKey(publicKeyPem));
    policy = policyFromKeys(vkey, []);
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function download(query: string, name: string): Promise<string> {
    // Raw bytes: text() would drop the BOM.
    const res = await fetch(`${app.url}/api/v1/audit/export?${query}`, { headers: { authorization: `Bearer ${app.tokens['auditor.inspektorat']}` } });
    expect(res.status).toBe(200);
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    return file;
  }

  test('CSV: RFC 4180, UTF-8 with BOM, OPD names, and it verifies offline', async () => {
    const res = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/export?format=csv');
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const file = await download('format=csv', 'all.csv');
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const records = new CsvParser().push(bytes.toString('utf8'));
    const header = records[0]!.map((f) => (f ?? '').replace(/^\uFEFF/, ''));
    // Headings a person reads (format 3); the meta record keeps the column names in the same order.
    expect(header.slice(0, 3)).toEqual(['Jenis baris', 'ID proses', 'Urutan']);
    expect(header).toEqual(expect.arrayContaining(['Peristiwa', 'Pelaku (nama pengguna)', 'Catatan', 'Nama OPD', 'Rincian (JSON)']));
    // The local time (GRMS_TIMEZONE, WIB here) stands beside the UTC time.
    expect(header[header.indexOf('Waktu (UTC)') + 1]).toBe('Waktu (WIB)');
    const events = records.filter((r) => r[0] === 'event');
    // The approval came after the checkpoint: left out, and counted.
    expect(events).toHaveLength(6);
    expect(JSON.parse(records.at(-1)!.at(-1)!)).toEqual({ record: 'end', rows: 6, leftOut: 1 });
    const at = (r: Array<string | null>, col: string) => r[header.indexOf(col)];
    expect(events.map((r) => at(r, 'Nama OPD'))).toContain('Dinas Pekerjaan Umum dan Penataan Ruang');
    expect(events.map((r) => at(r, 'Catatan'))).toContain('Baris 1, "volume"\nbaris 2 — «ok» مستشفى');
    for (const r of events) {
      const utc = new Date(at(r, 'Waktu (UTC)')!);
      const wib = new Date(utc.getTime() + 7 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
      expect(at(r, 'Waktu (WIB)')).toBe(wib);
    }
    const result = await verifyExportFile(file, { policy });
    expect(result).toMatchObject({ ok: true, checked: 6, chains: 2, segments: 0, broken: [] });
    expect(result.log).toMatchObject({ checked: true, basis: 'unwitnessed', rowsProven: 6, leftOut: 1 });
    expect(result.warnings.join('\n')).toMatch(/no witnesses configured/);
    // The local time is not hashed, so the verifier checks it against the UTC time it stands beside.
    const first = events[0]!;
    const shifted = bytes.toString('utf8').replace(`,${at(first, 'Waktu (WIB)')},`, `,${at(first, 'Waktu (WIB)')!.replace(/^(\d{4})/, (y) => String(Number(y) - 1))},`);
    const moved = path.join(dir, 'moved.csv');
    fs.writeFileSync(moved, shifted);
    const refused = await verifyExportFile(moved, { policy });
    expect(refused.ok).toBe(false);
    expect(refused.broken).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^created_at_local \d{4}-.* is not .* in Asia\/Jakarta$/) })]);
  });

  test('JSONL verifies offline; a time-filtered export is checked as segments', async () => {
    const all = await verifyExportFile(await download('format=jsonl', 'all.jsonl'), { policy });
    expect(all).toMatchObject({ ok: true, checked: 6 });
    const later = await verifyExportFile(await download(`format=jsonl&from=${encodeURIComponent(middle)}`, 'later.jsonl'), { policy });
    expect(later).toMatchObject({ ok: true, checked: 3, segments: 1, log: { rowsProven: 3, leftOut: 1 } });
    const dinkes = await verifyExportFile(await download('format=csv&org=dinkes&actor=perencana.dinkes', 'dinkes.csv'), { policy });
    expect(dinkes).toMatchObject({ ok: true, checked: 2 });
  });

  test('an altered, removed or cut file fails to verify, and the CLI exits non-zero', async () => {
    const file = await download('format=jsonl', 'tamper.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const altered = path.join(dir, 'altered.jsonl');
    fs.writeFileSync(altered, lines.map((l) => l.replace('Baris 1', 'Baris 2')).join('\n') + '\n');
    const r1 = await verifyExportFile(altered, { policy });
    expect(r1.ok).toBe(false);
    expect(r1.broken[0]!.reason).toMatch(/altered/);

    const removed = path.join(dir, 'removed.jsonl');
    fs.writeFileSync(removed, [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n');
    expect((await verifyExportFile(removed, { policy })).ok).toBe(false);

    const cut = path.join(dir, 'cut.jsonl');
    fs.writeFileSync(cut, lines.slice(0, -1).join('\n') + '\n');
    const r3 = await verifyExportFile(cut, { policy });
    expect(r3.ok).toBe(false);
    expect(JSON.stringify(r3.broken)).toMatch(/truncated/);

    const keyFile = path.join(dir, 'log-key.vkey');
    fs.writeFileSync(keyFile, `${vkey}\n`);
    const cli = grms(['audit', 'verify', '--file', altered, '--log-key', keyFile], {});
    expect(cli.status).toBe(1);
    expect(JSON.parse(cli.stdout).ok).toBe(false);
    expect(grms(['audit', 'verify', '--file', file, '--log-key', keyFile], {}).status).toBe(0);
    // The key inside the file is never used: without --log-key the verifier stops and says where to get one.
    const unkeyed = grms(['audit', 'verify', '--file', file], {});
    expect(unkeyed.status).toBe(2);
    expect(unkeyed.stderr).toMatch(/--log-key/);
    expect(unkeyed.stderr).toMatch(/grms key show/);
  });

  test('only auditors export; bad filters are a 400 naming them', async () => {
    expect((await app.call('kadis.dinkes', 'GET', '/api/v1/audit/export')).status).toBe(403);
    const bad = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/export?from=yesterday&instance=42&format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/from', '/instance']);
    // A "from" after "to" asks for nothing: refused, not answered with an empty file.
    const backwards = await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/export?from=2026-12-08&to=2026-12-07');
    expect(backwards.status).toBe(400);
    expect(backwards.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(backwards.body).toMatchObject({ status: 400, errors: [{ path: '/to', message: 'must not be before from' }] });
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/export?from=2026-12-07&to=2026-12-07T12:00:00Z')).status).toBe(200);
  });
});
