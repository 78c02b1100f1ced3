import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availableBackends, createTestDb } from './support/db';
import type { Db } from '../src/db/connect';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { grms } from './support/cli';
import { initWitness, serveWitness, type ServedWitness } from './support/witness';
import { integrateAll } from './support/log-fixtures';
import { MASTER_KEY } from './support/audit-fixtures';
import { noteBody } from './support/independent-cosignature';
import { ensureCheckpointKey } from '../src/audit/keys';
import { checkpointLog } from '../src/audit/log/checkpoint';
import { rowHash } from '../src/audit/hash';
import { verifyExportFile } from '../src/audit/verify-file';
import { CsvParser, spreadsheetValue } from '../src/audit/csv';
import { csvColumnsV3 } from '../src/audit/export';
import { logVerifierKey, policyFromKeys, signCheckpoint, type Policy } from '../src/audit/tlog';

/**
 * Audit exports of format 3 end at the latest checkpoint the witnesses cosigned, carry it and each
 * row's leaf index, salt and inclusion proof, and verify offline against keys pinned on the
 * command line only. Real `grms witness serve` processes cosign; the log is integrated and
 * checkpointed by explicit calls. One backend (PostgreSQL when available): what is tested here is
 * the file, not the database.
 */

const kind = availableBackends().includes('postgres') ? 'postgres' : 'pglite';
const ORIGIN = 'grms.export-test.example/log';

let app: TestApp;
let db: Db & { url?: string };
let dir: string;
let logVkey: string;
let policy: Policy;
const witnesses: Array<{ vkey: string; served: ServedWitness; dir: string }> = [];
let a: string;
let b: string;
/** Rows written after the cosigned checkpoint (a newer checkpoint, not cosigned, covers them). */
let newer: number;

const auditor = () => ({ authorization: `Bearer ${app.tokens['auditor.inspektorat']}` });

async function download(query: string, name: string): Promise<string> {
  const res = await fetch(`${app.url}/api/v1/audit/export?${query}`, { headers: auditor() });
  expect(res.status).toBe(200);
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

function jsonl(file: string): Array<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
}

function writeJsonl(name: string, records: Array<Record<string, unknown>>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return file;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-export-log-'));
  // The log key exists before the app starts, so the witnesses can pin it.
  db = await createTestDb(kind);
  const key = await ensureCheckpointKey(db.kysely, MASTER_KEY);
  logVkey = logVerifierKey(ORIGIN, crypto.createPublicKey(key.privateKey));
  for (const name of ['inspektorat.export-test.example', 'kampus.export-test.example']) {
    const wdir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-witness-'));
    const vkey = initWitness(wdir, name, [logVkey]);
    witnesses.push({ vkey, served: await serveWitness(wdir), dir: wdir });
  }
  policy = policyFromKeys(logVkey, witnesses.map((w) => w.vkey), 'all');
  app = await startTestApp(kind, {
    db, masterKey: MASTER_KEY,
    env: { GRMS_LOG_ORIGIN: ORIGIN, GRMS_WITNESSES: witnesses.map((w) => `${w.vkey} ${w.served.url}`).join('; ') },
  });
  const make = async (user: string, title: string) => (await app.call(user, 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ title }) })).body.id as string;
  a = await make('perencana.pupr', 'Jalan Kaligarang');
  expect((await app.call('perencana.pupr', 'POST', `/api/v1/instances/${a}/events`, { type: 'submit' })).status).toBe(200);
  expect((await app.call('kadis.pupr', 'POST', `/api/v1/instances/${a}/comments`, { comment: '=1+1 dan "kutip", koma' })).status).toBe(201);
  b = await make('perencana.dinkes', 'Posyandu');
  expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${b}/events`, { type: 'submit' })).status).toBe(200);
  // Integrate and checkpoint now: both witnesses cosign.
  await integrateAll(app.db.kysely);
  const round = await app.call('admin', 'POST', '/api/v1/log/checkpoint');
  expect(round.body).toMatchObject({ quorumMet: true });
  // Newer rows, in a newer checkpoint that no witness saw: the export must stop before them.
  expect((await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${b}/events`, { type: 'approve' })).status).toBe(200);
  expect((await app.call('kadis.pupr', 'POST', `/api/v1/instances/${a}/comments`, { comment: 'sesudah checkpoint' })).status).toBe(201);
  newer = 2;
  await integrateAll(app.db.kysely);
  expect(await checkpointLog(app.db.kysely, { origin: ORIGIN, privateKey: key.privateKey })).toMatchObject({ created: true });
}, 300_000);

afterAll(async () => {
  await app?.close();
  await db?.close();
  for (const w of witnesses) {
    await w.served.stop();
    fs.rmSync(w.dir, { recursive: true, force: true });
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe(`audit export format 3 [${kind}]`, () => {
  test('ends at the latest cosigned checkpoint, says how many rows it left out, and every row is proven (JSONL, CSV, CLI)', async () => {
    const file = await download('format=jsonl', 'all.jsonl');
    const records = jsonl(file);
    const meta = records[0]!;
    const events = records.filter((r) => r.record === 'event');
    expect(meta).toMatchObject({ record: 'meta', format: 'grms-audit-export/3', log: { basis: 'cosigned', leafEntry: 1 } });
    expect(meta.log.cosigners.sort()).toEqual(['inspektorat.export-test.example', 'kampus.export-test.example']);
    expect(meta.log.checkpoint).toMatch(new RegExp(`^${ORIGIN.replace(/\./g, '\\.')}\\n${meta.log.size}\\n`));
    expect(records.at(-1)).toEqual({ record: 'end', rows: 5, leftOut: newer });
    expect(events).toHaveLength(5);
    expect(events.every((e) => Number.isInteger(e.log_index) && e.log_index < meta.log.size && /^[0-9a-f]{32}$/.test(e.log_salt))).toBe(true);
    // No key travels in the file.
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/PUBLIC KEY|publicKeyPem/);

    const verdict = await verifyExportFile(file, { policy });
    expect(verdict).toMatchObject({ ok: true, format: 'grms-audit-export/3', checked: 5, chains: 2, broken: [], warnings: [] });
    expect(verdict.log).toMatchObject({ checked: true, origin: ORIGIN, quorumMet: true, rowsProven: 5, leftOut: newer, basis: 'cosigned' });

    const csv = await download('format=csv', 'all.csv');
    const text = fs.readFileSync(csv, 'utf8');
    const csvRecords = new CsvParser().push(text);
    const header = csvRecords[0]!.map((f) => (f ?? '').replace(/^\uFEFF/, ''));
    expect(header.slice(-4)).toEqual(['Nomor daun log', 'Salt daun log', 'Bukti inklusi log (RFC 9162)', 'Rincian (JSON)']);
    // The CSV holds the JSONL's rows (by the meta record's column names), plus the local time.
    const csvMeta = JSON.parse(csvRecords[1]!.at(-1)!);
    expect(csvMeta).toEqual({ ...meta, exportedAt: csvMeta.exportedAt, log: { ...meta.log, checkpoint: csvMeta.log.checkpoint, cosigners: csvMeta.log.cosigners }, timeZone: 'Asia/Jakarta' });
    const names = csvColumnsV3(csvMeta);
    const asText = (v: unknown) => (v === null ? null : String(v));
    const csvRows = csvRecords.filter((r) => r[0] === 'event').map((r) => Object.fromEntries(names.map((n, i) => [n, r[i + 1] === null ? null : spreadsheetValue(r[i + 1]!)])));
    expect(csvRows.map(({ created_at_local: _, ...row }) => row)).toEqual(events.map(({ record: _, ...row }) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)]))));
    expect(await verifyExportFile(csv, { policy })).toMatchObject({ ok: true, checked: 5, log: { rowsProven: 5 } });

    const pinned = ['--log-key', logVkey, ...witnesses.flatMap((w) => ['--witness-key', w.vkey])];
    const cli = grms(['audit', 'verify', '--file', csv, ...pinned], {});
    expect({ status: cli.status, stderr: cli.stderr }).toEqual({ status: 0, stderr: expect.stringContaining(`5 proven in the log checkpoint of ${meta.log.size} leaves, ${newer} newer rows left out`) });
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true, log: { rowsProven: 5, quorumMet: true } });
    // The log key alone: verified, with the warning that no witness was pinned.
    const logOnly = grms(['audit', 'verify', '--file', file, '--log-key', logVkey], {});
    expect(logOnly.status).toBe(0);
    expect(logOnly.stderr).toMatch(/no witness keys given: .* only as trustworthy as its operator/);
    // No key at all: exit 2 (the file's own content is never trusted), and the library says the log was not checked.
    expect(grms(['audit', 'verify', '--file', file], {}).status).toBe(2);
    const unpinned = await verifyExportFile(file, {});
    expect(unpinned).toMatchObject({ ok: false, log: { checked: false } });
    expect(unpinned.broken).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^the log was not checked: no log key was pinned/) })]);
  });

  test('a filtered export (one instance) carries what proves its rows', async () => {
    const file = await download(`format=jsonl&instance=${b}`, 'b.jsonl');
    const records = jsonl(file);
    expect(records.at(-1)).toEqual({ record: 'end', rows: 2, leftOut: 1 });
    expect(await verifyExportFile(file, { policy })).toMatchObject({ ok: true, checked: 2, chains: 1, log: { rowsProven: 2, leftOut: 1 } });
    const csv = await download(`format=csv&instance=${a}&from=2000-01-01`, 'a.csv');
    expect(await verifyExportFile(csv, { policy })).toMatchObject({ ok: true, checked: 3, chains: 1, log: { rowsProven: 3, leftOut: 1 } });
    // `grms audit export` (read-only, no GRMS_KEY) chooses the same checkpoint from the deployment's settings.
    if (db.url) {
      const out = path.join(dir, 'cli-b.jsonl');
      const env = { DATABASE_URL: db.url, GRMS_LOG_ORIGIN: ORIGIN, GRMS_WITNESSES: witnesses.map((w) => `${w.vkey} ${w.served.url}`).join('; ') };
      const r = grms(['audit', 'export', '--out', out, '--format', 'jsonl', '--instance', b], env);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
      const strip = (rs: Array<Record<string, unknown>>) => rs.map(({ exportedAt: _, ...rest }) => rest);
      expect(strip(jsonl(out))).toEqual(strip(records));
    }
  });

  test('a row, the checkpoint, a cosignature or a proof tampered with is refused', async () => {
    const records = jsonl(await download('format=jsonl', 'tamper.jsonl'));
    const refused = async (name: string, edit: (rs: Array<Record<string, any>>) => void, reason: RegExp) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const copy = JSON.parse(JSON.stringify(records)) as typeof records;
      edit(copy);
      const r = await verifyExportFile(writeJsonl(`${name}.jsonl`, copy), { policy });
      expect({ name, ok: r.ok, reasons: r.broken.map((x) => x.reason) }).toEqual({ name, ok: false, reasons: expect.arrayContaining([expect.stringMatching(reason)]) });
    };
    const lastOf = (rs: typeof records, instance: string) => rs.filter((r) => r.record === 'event' && r.instance_id === instance).at(-1)!;
    const rehash = (row: Record<string, unknown>, columns: Array<{ name: string }>) => {
      row.hash = rowHash(Object.fromEntries(columns.map((c) => [c.name, row[c.name] ?? null])));
    };

    // A row altered and its hash recomputed (the chain holds: it is the last of its instance): the log refuses it.
    await refused('row-rehashed', (rs) => {
      const row = lastOf(rs, a);
      row.comment = '=1+1 dan "kutip", koma (diubah)';
      rehash(row, rs[0]!.columns);
    }, /^not proven in the log: leaf \d+ /);
    // A row altered without rehashing: its chain refuses it.
    await refused('row-altered', (rs) => {
      lastOf(rs, b).actor = 'kadis.pupr';
    }, /row altered/);
    // Another salt, another index, a hash of the proof changed, a proof hash removed.
    await refused('salt', (rs) => {
      lastOf(rs, a).log_salt = 'f'.repeat(32);
    }, /^not proven in the log/);
    await refused('index', (rs) => {
      const row = lastOf(rs, b);
      row.log_index = (row.log_index as number) + 1;
    }, /^not proven in the log/);
    await refused('proof-hash', (rs) => {
      const row = lastOf(rs, a);
      const hashes = (row.log_proof as string).split(' ');
      hashes[0] = crypto.createHash('sha256').update('x').digest('base64');
      row.log_proof = hashes.join(' ');
    }, /^not proven in the log/);
    await refused('proof-short', (rs) => {
      const row = lastOf(rs, b);
      row.log_proof = (row.log_proof as string).split(' ').slice(1).join(' ');
    }, /^not proven in the log/);
    // The checkpoint: another root under the log's signature; a checkpoint re-signed with another key.
    await refused('checkpoint-root', (rs) => {
      const note = rs[0]!.log.checkpoint as string;
      const lines = note.split('\n');
      lines[2] = crypto.createHash('sha256').update('another tree').digest('base64');
      rs[0]!.log.checkpoint = lines.join('\n');
    }, /^the log checkpoint does not verify with the pinned log key/);
    await refused('checkpoint-resigned', (rs) => {
      const note = rs[0]!.log.checkpoint as string;
      const body = noteBody(note);
      const own = signCheckpoint({ origin: ORIGIN, size: Number(body.split('\n')[1]), root: Buffer.from(body.split('\n')[2]!, 'base64'), extensions: [] }, { origin: ORIGIN, privateKey: crypto.generateKeyPairSync('ed25519').privateKey });
      rs[0]!.log.checkpoint = own + note.slice(body.length + 1).split('\n').slice(1).map((l) => (l ? `${l}\n` : '')).join('');
    }, /^the log checkpoint does not verify with the pinned log key/);
    // The checkpoint taken out (as if none qualified): the rows are proven by nothing.
    await refused('checkpoint-removed', (rs) => {
      rs[0]!.log.checkpoint = null;
    }, /^5 rows but no log checkpoint: nothing proves them/);
    // A cosignature: one byte of its signature changed; removed.
    await refused('cosignature-changed', (rs) => {
      const note = rs[0]!.log.checkpoint as string;
      const lines = note.trimEnd().split('\n');
      const last = lines.length - 1;
      const [dash, name, sig] = lines[last]!.split(' ');
      const raw = Buffer.from(sig!, 'base64');
      raw[raw.length - 1]! ^= 1;
      lines[last] = `${dash} ${name} ${raw.toString('base64')}`;
      rs[0]!.log.checkpoint = `${lines.join('\n')}\n`;
    }, /^the cosignature of .* does not verify/);
    await refused('cosignature-removed', (rs) => {
      const note = rs[0]!.log.checkpoint as string;
      rs[0]!.log.checkpoint = `${note.trimEnd().split('\n').slice(0, -1).join('\n')}\n`;
    }, /^the log checkpoint lacks the witness quorum of the pinned keys/);
    // A row removed (and the count mended): the chain has a gap.
    await refused('row-removed', (rs) => {
      const i = rs.findIndex((r) => r.record === 'event' && r.instance_id === a && r.seq === 2);
      rs.splice(i, 1);
      rs.at(-1)!.rows -= 1;
    }, /row 2 is missing/);
    // Rows cut off at the end: the closing record is missing.
    await refused('cut', (rs) => {
      rs.pop();
    }, /truncated/);
  });
});
