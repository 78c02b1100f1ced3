import crypto from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import { rowHash } from './hash';
import { checkpointMessage, type Checkpoint } from './checkpoint';
import { CsvParser, formulaLike, spreadsheetValue } from './csv';
import { csvColumnsV3, LOCAL_TIME, READABLE_EXPORT_FORMATS, type ExportColumn, type ExportEnd, type ExportMeta, type ExportTrailer } from './export';
import { leafEntry } from './log/entry';
import { leafHash, verifyCheckpoint, verifyInclusion, type CheckpointVerdict, type Policy } from './tlog';

export interface FileBreak {
  instanceId: string;
  seq?: number;
  reason: string;
}

export interface FileVerifyResult {
  ok: boolean;
  /** Event rows checked. */
  checked: number;
  /** Chains whose first exported row is not seq 1: checked from that row's prev_hash as exported. */
  segments: number;
  chains: number;
  /** key is always 'given': the key embedded in the file is never trusted (it came with the file). */
  checkpoint: { id: number; format: number; signature: 'valid' | 'invalid'; key: 'given'; headsChecked: number } | null;
  /** The file's format (meta record). */
  format: string;
  /**
   * Version 3: the log checkpoint the file ends at, as checked with the pinned keys (checked:
   * false when no policy was given: then the file does not verify). Null for versions 1 and 2.
   */
  log: FileLogResult | null;
  broken: FileBreak[];
  /** What the verdict rests on that an auditor should know (e.g. no witness key pinned). */
  warnings: string[];
}

export interface FileLogResult {
  checked: boolean;
  origin?: string;
  size: number;
  /** How the exporter chose the checkpoint (meta record): `cosigned` by its witness quorum, or `unwitnessed`. */
  basis: string;
  /** Pinned witnesses whose cosignature verified. */
  cosigners: string[];
  quorumMet: boolean;
  /** Rows whose leaf and inclusion proof verified against the checkpoint. */
  rowsProven: number;
  /** Rows the exporter says it left out (newer than the checkpoint). */
  leftOut: number | null;
}

interface ChainState {
  lastSeq: number;
  lastHash: string;
  startSeq: number;
  broken: boolean;
}

/**
 * Checks an audit export (CSV or JSONL) without the database: every row's hash, and each
 * instance's rows as a chain. A time-filtered export holds segments of chains: each segment is
 * checked from its first row's prev_hash, and the result says how many there were.
 *
 * Format 3: the meta record's log checkpoint is checked with `policy` (the log key, witness keys
 * and quorum the verifier pinned; the file carries no key), and every row must be the leaf its
 * log_index, log_salt and log_proof say, in that checkpoint's tree. Without a policy the log is
 * not checked and the file does not verify. A format 3 CSV names its columns in the meta record
 * (its header row holds headings for people), and each row's local time must be its UTC time in
 * the meta record's timeZone.
 *
 * Formats 1 and 2: the closing chain checkpoint's signature is checked with `publicKeyPem`, the
 * key the verifier pinned (never the one the file carries: whoever altered the file could have
 * replaced it), and its heads that fall inside the export must match. An export without a
 * checkpoint fails unless allowUncheckedTail.
 */
export async function verifyExportFile(
  file: string,
  opts: {
    /** The audit checkpoint key (versions 1 and 2). */
    publicKeyPem?: string;
    /** The pinned log key, witness keys and quorum (version 3). */
    policy?: Policy;
    allowUncheckedTail?: boolean;
    onProgress?: (rows: number) => void;
  },
): Promise<FileVerifyResult> {
  const broken: FileBreak[] = [];
  const warnings: string[] = [];
  let end: ExportEnd | undefined;
  // Version 3: the checkpoint the rows are proven against, once the meta record is read.
  let log: FileLogResult | null = null;
  let tree: CheckpointVerdict['body'] | undefined;
  const chains = new Map<string, ChainState>();
  let meta: ExportMeta | undefined;
  let trailer: ExportTrailer | undefined;
  let checked = 0;
  let header: string[] | undefined;
  // The closing record (last line) names the checkpoint heads to look out for while streaming.
  const closing = await readLastLine(file);
  const expected = closingCheckpoint(closing);
  const wantedHeads = new Set((expected?.heads ?? []).map((h) => `${h.instance}/${h.seq}`));
  const seenHeads = new Map<string, string>();

  // Why the last row failed its log check (a row of a version 3 file is a leaf of the checkpoint's tree).
  let logFailure: string | undefined;
  const proveRow = (instance: string, seq: number, row: Record<string, unknown>, hashed: Record<string, unknown>): boolean => {
    if (!tree) {
      // The checkpoint did not verify (or no key was pinned): reported once, not per row.
      return true;
    }
    const index = typeof row.log_index === 'number' ? row.log_index : Number(row.log_index);
    const proofText = typeof row.log_proof === 'string' ? row.log_proof : '';
    const proof = proofText === '' ? [] : proofText.split(' ').map((h) => Buffer.from(h, 'base64'));
    if (!Number.isSafeInteger(index) || typeof row.log_salt !== 'string' || proof.some((h, i) => h.toString('base64') !== proofText.split(' ')[i])) {
      logFailure = 'log_index, log_salt or log_proof is missing or malformed';
      return false;
    }
    const leaf = leafHash(leafEntry('audit_events', `${instance}/${seq}`, row.log_salt, hashed));
    if (!verifyInclusion(index, tree.size, leaf, proof, tree.root)) {
      logFailure = `not proven in the log: leaf ${index} with this row, salt and proof does not lead to the root of the checkpoint of ${tree.size} leaves`;
      return false;
    }
    log!.rowsProven++;
    return true;
  };

  const onEvent = (row: Record<string, unknown>) => {
    checked++;
    if (checked % 10_000 === 0) opts.onProgress?.(checked);
    const instance = String(row.instance_id);
    const seq = row.seq as number;
    const hashed: Record<string, unknown> = {};
    for (const c of meta!.columns) hashed[c.name] = row[c.name] ?? null;
    let chain = chains.get(instance);
    if (!chain) {
      chain = { lastSeq: seq - 1, lastHash: (row.prev_hash as string | null) ?? '', startSeq: seq, broken: false };
      chains.set(instance, chain);
    }
    if (chain.broken) return;
    const fail = (reason: string, at = seq) => {
      chain!.broken = true;
      broken.push({ instanceId: instance, seq: at, reason });
    };
    if (seq !== chain.lastSeq + 1) fail(`row ${chain.lastSeq + 1} is missing: the chain goes from seq ${chain.lastSeq} to ${seq}`, chain.lastSeq + 1);
    else if (rowHash(hashed) !== row.hash) fail('hash does not match the row (row altered)');
    else if ((row.prev_hash ?? '') !== chain.lastHash) fail(`prev_hash does not match the hash of row ${chain.lastSeq}`);
    else if (log && !proveRow(instance, seq, row, hashed)) fail(logFailure!);
    else {
      chain.lastSeq = seq;
      chain.lastHash = row.hash as string;
      // Only the rows a checkpoint names are kept, so memory stays one entry per chain.
      const key = `${instance}/${seq}`;
      if (wantedHeads.has(key)) seenHeads.set(key, row.hash as string);
    }
  };

  const typed = (columns: ExportColumn[], name: string, value: string | null): unknown => {
    if (value === null) return null;
    const col = columns.find((c) => c.name === name);
    return col?.type === 'integer' ? Number(value) : value;
  };

  const onRecord = (record: Record<string, unknown>) => {
    if (record.record === 'meta') {
      if (!(READABLE_EXPORT_FORMATS as readonly unknown[]).includes(record.format)) {
        throw new Error(`not a grms audit export this version reads (format ${String(record.format)}; reads ${READABLE_EXPORT_FORMATS.join(', ')})`);
      }
      meta = record as unknown as ExportMeta;
      if (meta.format === 'grms-audit-export/3') log = openLog(meta, opts.policy, broken, warnings, (t) => (tree = t));
    } else if (record.record === 'event') {
      if (!meta) throw new Error('the export has no meta record before its first row');
      onEvent(record);
    } else if (record.record === 'checkpoint') {
      trailer = record as unknown as ExportTrailer;
    } else if (record.record === 'end') {
      end = record as unknown as ExportEnd;
    }
  };

  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const isCsv = /\.csv$/i.test(file) || (await firstChar(file)) !== '{';
  if (isCsv) {
    const parser = new CsvParser();
    const handle = (fields: Array<string | null>) => {
      if (!header) {
        header = fields.map((f) => (f ?? '').replace(/^\uFEFF/, ''));
        return;
      }
      const kind = fields[0];
      if (kind === 'meta' || kind === 'checkpoint' || kind === 'end') {
        onRecord(JSON.parse(fields[header.length - 1] ?? 'null'));
        return;
      }
      const row: Record<string, unknown> = { record: 'event' };
      // Version 1 wrote cells as they were; later versions guard formula-like cells with a `'`
      // (a base64 hash of log_proof may begin with +).
      const guarded = meta !== undefined && meta.format !== 'grms-audit-export/1';
      // Up to version 2 the header row holds the column names; from version 3 it holds headings
      // for people, and the names are the meta record's, by position.
      const names = meta?.format === 'grms-audit-export/3' ? ['record', ...csvColumnsV3(meta), 'details'] : header;
      if (names.length !== header.length) throw new Error(`the header row has ${header.length} columns; the meta record describes ${names.length}`);
      const unguarded: string[] = [];
      names.forEach((name, i) => {
        if (i === 0 || name === 'details') return;
        const cell = fields[i] ?? null;
        if (guarded && cell !== null && formulaLike(cell)) unguarded.push(name);
        const value = guarded && cell !== null ? spreadsheetValue(cell) : cell;
        row[name] = name === 'log_index' && value !== null ? Number(value) : meta ? typed(meta.columns, name, value) : value;
      });
      const local = row[LOCAL_TIME.column];
      delete row[LOCAL_TIME.column];
      onRecord(row);
      // The local time is not hashed: it must say the hashed UTC time in the file's zone.
      if (local !== undefined) {
        const zone = meta?.timeZone;
        const want = zone ? localTime(String(row[LOCAL_TIME.of]), zone) : undefined;
        if (local !== want) {
          broken.push({
            instanceId: String(row.instance_id), seq: row.seq as number,
            reason: zone ? `${LOCAL_TIME.column} ${String(local)} is not ${String(row[LOCAL_TIME.of])} in ${zone}` : `${LOCAL_TIME.column}: the meta record names no time zone`,
          });
        }
      }
      // The hash covers the value, not its spelling: a guard taken out leaves the hash intact
      // but the file no longer safe to open, so it is reported on its own.
      if (unguarded.length) {
        broken.push({ instanceId: String(row.instance_id), seq: row.seq as number, reason: `${unguarded.join(', ')}: a cell a spreadsheet would run as a formula, without the leading ' its format adds` });
      }
    };
    for await (const chunk of input) for (const fields of parser.push(chunk as string)) handle(fields);
    for (const fields of parser.end()) handle(fields);
  } else {
    for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
      if (line.trim()) onRecord(JSON.parse(line));
    }
  }
  if (!meta) throw new Error('not a grms audit export: no meta record');
  let checkpoint: FileVerifyResult['checkpoint'] = null;
  if (meta.format === 'grms-audit-export/3') {
    if (!end) broken.push({ instanceId: '', reason: 'the export is truncated: its closing end record is missing' });
    else if (end.rows !== checked) broken.push({ instanceId: '', reason: `the export says ${end.rows} rows but holds ${checked}` });
    const proven = log as FileLogResult | null;
    if (proven) proven.leftOut = end ? end.leftOut : null;
    // Rows with no checkpoint to prove them against: a file that says "none qualified" holds none.
    if (meta.log && meta.log.checkpoint === null && checked > 0) {
      broken.push({ instanceId: '', reason: `${checked} rows but no log checkpoint: nothing proves them (a format 3 file without a checkpoint holds no rows)` });
    }
  } else {
    if (!trailer) broken.push({ instanceId: '', reason: 'the export is truncated: its closing checkpoint record is missing' });
    else if (trailer.rows !== checked) broken.push({ instanceId: '', reason: `the export says ${trailer.rows} rows but holds ${checked}` });
    if (trailer?.checkpoint) {
      if (!opts.publicKeyPem) broken.push({ instanceId: '', reason: 'no audit checkpoint key was given: the checkpoint was not checked' });
      else checkpoint = checkCheckpoint(trailer.checkpoint, crypto.createPublicKey(opts.publicKeyPem), seenHeads, broken);
    }
    if (trailer && !trailer.checkpoint && checked > 0 && !opts.allowUncheckedTail) {
      broken.push({ instanceId: '', reason: `${checked} rows and no checkpoint: nothing signed covers them; give --allow-unchecked-tail to check the chains alone` });
    }
  }
  opts.onProgress?.(checked);
  const segments = [...chains.values()].filter((c) => c.startSeq > 1).length;
  return { ok: broken.length === 0, format: meta.format, checked, segments, chains: chains.size, checkpoint, log, broken, warnings };
}

/**
 * The log checkpoint of a version 3 file's meta record, checked with the pinned policy only (the
 * file carries no key): the log's signature, the witness cosignatures and quorum. Without a policy
 * the log is not checked and the file does not verify: its rows are proven by nothing else.
 */
function openLog(meta: ExportMeta, policy: Policy | undefined, broken: FileBreak[], warnings: string[], setTree: (t: CheckpointVerdict['body']) => void): FileLogResult {
  const m = meta.log;
  const out: FileLogResult = { checked: false, size: m?.size ?? 0, basis: String(m?.basis), cosigners: [], quorumMet: false, rowsProven: 0, leftOut: null };
  if (!m || typeof m !== 'object') {
    broken.push({ instanceId: '', reason: 'the meta record of a grms-audit-export/3 file has no log checkpoint section' });
    return out;
  }
  if (m.basis === 'unwitnessed') warnings.push('the exporting server had no witnesses configured: its checkpoint is signed by the log alone, so the rows are only as trustworthy as its operator');
  if (m.checkpoint === null) {
    // No checkpoint qualified when the file was made: it holds no rows (checked by the row count below).
    out.checked = Boolean(policy);
    out.quorumMet = false;
    warnings.push('no log checkpoint qualified when the file was made: it holds no rows');
    return out;
  }
  if (!policy) {
    broken.push({ instanceId: '', reason: 'the log was not checked: no log key was pinned. Give --log-key <verifier key from `grms key show`> (and --witness-key … or --policy); the file carries no key of its own' });
    return out;
  }
  let v: CheckpointVerdict;
  try {
    v = verifyCheckpoint(String(m.checkpoint), policy);
  } catch (err) {
    broken.push({ instanceId: '', reason: `the log checkpoint does not verify with the pinned log key: ${(err as Error).message}` });
    return out;
  }
  out.checked = true;
  out.origin = v.body.origin;
  out.cosigners = v.cosigners;
  out.quorumMet = v.quorumMet;
  if (v.body.size !== m.size) broken.push({ instanceId: '', reason: `the meta record says ${m.size} leaves, its signed checkpoint ${v.body.size}` });
  out.size = v.body.size;
  if (v.badCosigners.length) broken.push({ instanceId: '', reason: `the cosignature of ${v.badCosigners.join(', ')} does not verify` });
  if (!v.quorumMet) broken.push({ instanceId: '', reason: `the log checkpoint lacks the witness quorum of the pinned keys (cosigned by ${v.cosigners.join(', ') || 'none of them'})` });
  if (policy.witnesses.size === 0) warnings.push('no witness keys given: the log is checked against the log key only, so the rows are only as trustworthy as its operator');
  setTree(v.body);
  return out;
}

function checkCheckpoint(cp: Checkpoint, publicKey: crypto.KeyObject, seenHeads: Map<string, string>, broken: FileBreak[]) {
  const { signature: sig, ...rest } = cp;
  let signature: 'valid' | 'invalid' = 'invalid';
  try {
    signature = crypto.verify(null, checkpointMessage(rest), publicKey, Buffer.from(sig, 'base64')) ? 'valid' : 'invalid';
  } catch {
    // a malformed signature or an unknown format is as bad as a wrong signature
  }
  if (signature === 'invalid') broken.push({ instanceId: '', reason: `checkpoint #${cp.id}: signature does not verify with the given log key` });
  let headsChecked = 0;
  for (const head of cp.heads) {
    const hash = seenHeads.get(`${head.instance}/${head.seq}`);
    if (hash === undefined) continue;
    headsChecked++;
    if (hash !== head.hash) broken.push({ instanceId: head.instance, seq: head.seq, reason: `differs from the head recorded by checkpoint #${cp.id}` });
  }
  return { id: cp.id, format: cp.format ?? 1, signature, key: 'given' as const, headsChecked };
}

async function firstChar(file: string): Promise<string> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const { buffer, bytesRead } = await fd.read(Buffer.alloc(4), 0, 4, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').charAt(0);
  } finally {
    await fd.close();
  }
}

/** The checkpoint of an export's closing record (a JSONL line or a CSV row whose last field is JSON). */
function closingCheckpoint(line: string): Checkpoint | null {
  try {
    if (line.startsWith('{')) return (JSON.parse(line) as ExportTrailer).checkpoint ?? null;
    const fields = new CsvParser().push(`${line}\n`)[0] ?? [];
    if (fields[0] !== 'checkpoint') return null;
    return (JSON.parse(fields[fields.length - 1] ?? 'null') as ExportTrailer | null)?.checkpoint ?? null;
  } catch {
    return null; // a damaged closing record is reported by the streaming pass
  }
}

async function readLastLine(file: string): Promise<string> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const size = (await fd.stat()).size;
    for (let want = 64 * 1024; ; want *= 4) {
      const start = Math.max(0, size - want);
      const { buffer, bytesRead } = await fd.read(Buffer.alloc(size - start), 0, size - start, start);
      const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/[\r\n]+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 || start === 0) return text.slice(nl + 1);
    }
  } finally {
    await fd.close();
  }
}

const localFormats = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DD HH:MM:SS" of a UTC time in `timeZone`, as the export's SQL writes it (to_char). */
function localTime(utc: string, timeZone: string): string {
  let f = localFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    localFormats.set(timeZone, f);
  }
  const d = new Date(utc);
  if (Number.isNaN(d.getTime())) return '';
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
