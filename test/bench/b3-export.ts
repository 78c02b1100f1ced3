import http from 'node:http';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../src/db/types';
import { EXPORT_PAGE_ROWS, exportAudit } from '../../src/audit/export';
import { logPolicy } from '../../src/audit/log/service';
import { logVerifierKey } from '../../src/audit/tlog';
import { ensureCheckpointKey } from '../../src/audit/keys';
import { loadConfig } from '../../src/config';
import crypto from 'node:crypto';
import { figure, fmt, type Figure, type Section } from './context';
import type { Harness } from './harness';
import { DATASET_KEY, ensureTemplate, type TemplateInfo } from './datasets';
import { createDatabase, dropDatabase, libpqEnv, query, randomName } from './pg';
import { BENCH_PUBLIC_URL, memoryOf, resetPeak, token, type Served } from './server';

export interface Streamed {
  bytes: number;
  lines: number;
  ms: number;
}

/** GET a large body, counting bytes and lines without keeping it. */
function streamGet(url: string, authorization: string, onBytes: (bytes: number) => void = () => undefined): Promise<Streamed> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { authorization } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url} answered ${res.statusCode}`));
        return;
      }
      let bytes = 0;
      let lines = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        onBytes(bytes);
        for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ bytes, lines, ms: performance.now() - t0 }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The export's rows in the export's order, as one COPY … TO STDOUT WITH CSV through psql. */
export async function copySql(dbUrl: string): Promise<string> {
  const { hashedProjection } = await import('../../src/audit/verify');
  const { openPostgres } = await import('../../src/db/connect');
  const db = openPostgres({ connectionString: dbUrl, max: 1 });
  try {
    const projection = await hashedProjection(db.kysely);
    return `COPY (SELECT ${projection}, workflow, org, org_name FROM (
        SELECT e.*, i.workflow, i.org_id AS org, o.name AS org_name
        FROM audit_events e JOIN workflow_instances i ON i.id = e.instance_id JOIN orgs o ON o.id = i.org_id) AS page
      ORDER BY page.created_at, page.instance_id, page.seq) TO STDOUT WITH CSV`;
  } finally {
    await db.close();
  }
}

/** Runs the COPY through psql, reading its output in this process like the export's. */
export function psqlCopy(dbUrl: string, copy: string): Promise<Streamed> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', copy], { env: libpqEnv(dbUrl), stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let lines = 0;
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve({ bytes, lines, ms: performance.now() - t0 }) : reject(new Error(`psql COPY failed (${code}): ${err}`))));
  });
}

class EnoughPages extends Error {
  readonly code = 'BENCH_ENOUGH_PAGES';
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of one keyset page of the export, exactly as exportAudit sends it:
 * the export runs in this process with Kysely's log capturing its SQL, and stops after 3 pages.
 */
async function explainExportPage(dbUrl: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void (e.level === 'query' && captured.push(e.query)) });
  try {
    // The policy of a server with the data set's settings (no witnesses): the export ends at its checkpoint.
    const key = await ensureCheckpointKey(db, Buffer.from(DATASET_KEY, 'base64'));
    const config = loadConfig({ GRMS_PUBLIC_URL: BENCH_PUBLIC_URL }).log;
    const policy = logPolicy(config, logVerifierKey(config.origin, crypto.createPublicKey(key.privateKey)));
    const pages = () => captured.filter((q) => /e\.created_at, e\.instance_id, e\.seq\) >/.test(q.sql));
    await exportAudit(db, {
      write: () => {
        if (pages().length >= 2) throw new EnoughPages('enough pages');
        return true;
      },
      drain: async () => undefined,
    }, { format: 'csv', filters: {}, policy, timeZone: 'Asia/Jakarta' }).catch((err: unknown) => {
      if (!(err instanceof EnoughPages)) throw err;
    });
    const page = pages().at(-1);
    if (!page) return ['(no keyset page query was captured)'];
    const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${page.sql}`, page.parameters as unknown[]);
    return ['```sql', page.sql.replace(/\n\s+/g, '\n  ').trim(), `-- parameters: ${JSON.stringify(page.parameters)}`, '```', '', '```', ...plan.rows.map((r) => r['QUERY PLAN']), '```', ''];
  } finally {
    await db.destroy();
  }
}

interface SizeResult {
  rows: number;
  template: TemplateInfo;
  exportRun: Streamed;
  copyRun: Streamed;
  rssBeforeMiB: number;
  peakMiB: number;
  peakIsPhase: boolean;
  /** RSS sampled during the export: [share of the bytes received, MiB]. */
  curve: Array<[number, number]>;
  plan: string[];
}

/** RSS when the export had sent 10 %, 25 %, 50 %, 75 % and 100 % of its bytes: flat, or growing with rows. */
function curveText(curve: Array<[number, number]>): string {
  return [0.1, 0.25, 0.5, 0.75, 1].map((q) => {
    const at = curve.find(([share]) => share >= q) ?? curve.at(-1);
    return at ? `${Math.round(q * 100)} %: ${fmt(at[1])}` : '';
  }).join(', ');
}

async function exportAtSize(h: Harness, rows: number): Promise<{ result: SizeResult; served: Served }> {
  const template = await ensureTemplate(h.opts.serverUrl, 'audit', rows, (m) => h.log(m));
  const name = randomName('grms_bench_exp');
  const dbUrl = await createDatabase(h.opts.serverUrl, name, template.name);
  try {
    const env = { DATABASE_URL: dbUrl, GRMS_KEY: DATASET_KEY };
    const auditor = await token(env, 'auditor.inspektorat');
    const copy = await copySql(dbUrl);
    // One process: an export runs in the worker that took it, and its memory is that process's.
    const served = await h.serve({ ...env, GRMS_WORKERS: '1' });
    let result: SizeResult;
    try {
      // Both read the same pages: warm PostgreSQL's cache once, not counted.
      h.log(`export ${fmt(rows)} rows: warming the cache with one COPY`);
      const warm = await psqlCopy(dbUrl, copy);
      const rssBeforeMiB = memoryOf(served.pid).rssMiB;
      const peakIsPhase = resetPeak(served.pid);
      // Progress is measured against the COPY's size (the export adds a BOM, header, meta and trailer).
      const expected = warm.bytes;
      const samples: Array<[number, number]> = [];
      let received = 0;
      const sampler = setInterval(() => samples.push([received / expected, memoryOf(served.pid).rssMiB]), 100);
      let exportRun: Streamed;
      try {
        exportRun = await streamGet(`${served.url}/api/v1/audit/export?format=csv`, `Bearer ${auditor}`, (b) => (received = b));
      } finally {
        clearInterval(sampler);
      }
      samples.push([1, memoryOf(served.pid).rssMiB]);
      const peakMiB = memoryOf(served.pid).peakMiB;
      const copyRun = await psqlCopy(dbUrl, copy);
      // Header, meta record and end record besides the rows.
      if (exportRun.lines - 3 !== rows) throw new Error(`the export has ${exportRun.lines - 3} rows, expected ${rows}`);
      if (copyRun.lines !== rows) throw new Error(`COPY gave ${copyRun.lines} rows, expected ${rows}`);
      result = { rows, template, exportRun, copyRun, rssBeforeMiB, peakMiB, peakIsPhase, curve: samples, plan: [] };
    } finally {
      await served.stop();
    }
    result.plan = await explainExportPage(dbUrl);
    return { result, served };
  } finally {
    await dropDatabase(h.opts.serverUrl, name);
  }
}

/** 3. Audit export as CSV through the API vs COPY … TO STDOUT WITH CSV of the same rows. */
export async function benchExport(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const results: SizeResult[] = [];
  const diagnostics: string[] = [];
  for (const rows of h.opts.sizes.exportRows) {
    const { result, served } = await exportAtSize(h, rows);
    results.push(result);
    diagnostics.push(...h.profileOf(served, `grms serve exporting ${fmt(rows)} rows`));
  }
  const largest = results.at(-1)!;
  diagnostics.push(`One keyset page (${fmt(EXPORT_PAGE_ROWS)} rows; ${fmt(Math.ceil(largest.rows / EXPORT_PAGE_ROWS))} pages at ${fmt(largest.rows)} rows) of the export at ${fmt(largest.rows)} rows, EXPLAIN ANALYZE on the same data after the run:`, '', ...largest.plan);
  const rate = (s: Streamed, n: number) => n / (s.ms / 1000);
  const figures: Figure[] = results.map((r) =>
    figure({ label: `export rows/s at ${fmt(r.rows)} rows`, value: rate(r.exportRun, r.rows), baselineLabel: 'psql COPY (SELECT …) TO STDOUT WITH CSV rows/s', baseline: rate(r.copyRun, r.rows), unit: '/s' }, '>=', 0.5));
  if (results.length > 1) {
    const smallest = results[0]!;
    figures.push(figure({ label: `server peak RSS exporting ${fmt(largest.rows)} rows`, value: largest.peakMiB, baselineLabel: `the same exporting ${fmt(smallest.rows)} rows`, baseline: smallest.peakMiB, unit: 'MiB' }, '<=', 1.25));
  }
  const existing = (await query<{ n: string }>(h.opts.serverUrl, "SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'grms\\_bench\\_tpl\\_%'"))[0]!.n;
  return {
    id: 3,
    title: 'Audit export (CSV over the API) vs COPY',
    seconds: (performance.now() - t0) / 1000,
    figures,
    details: [
      '| rows | export | export rows/s | COPY | COPY rows/s | ratio | export bytes | COPY bytes | server RSS before | server peak RSS during export |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...results.map((r) => `| ${fmt(r.rows)} | ${fmt(r.exportRun.ms / 1000, 2)} s | ${fmt(rate(r.exportRun, r.rows))} | ${fmt(r.copyRun.ms / 1000, 2)} s | ${fmt(rate(r.copyRun, r.rows))} | ${(r.copyRun.ms / r.exportRun.ms).toFixed(2)} | ${fmt(r.exportRun.bytes)} | ${fmt(r.copyRun.bytes)} | ${fmt(r.rssBeforeMiB)} MiB | ${fmt(r.peakMiB)} MiB${r.peakIsPhase ? '' : ' (VmHWM since start: clear_refs refused)'} |`),
      '',
      'Server RSS (MiB) during each export, by share of the bytes sent:',
      '',
      ...results.map((r) => `- ${fmt(r.rows)} rows: before ${fmt(r.rssBeforeMiB)}; ${curveText(r.curve)}; peak ${fmt(r.peakMiB)}`),
      '',
    ],
    notes: [
      'Data: generated in SQL with valid hash chains (8 rows per ratified proposal: create, submit, return with comment, submit, approve, verify, approve, ratify; 40 OPDs) and one signed checkpoint; hashes computed by PostgreSQL\'s sha256() over the JCS text and checked against the application\'s rowHash on a sample when the data set is built (benchmark 4 verifies every chain). No documents: document_sha256 is NULL in every row, so rows are ~75 bytes shorter than real ones.',
      `Each size is a copy (CREATE DATABASE … TEMPLATE) of a cached template (${results.map((r) => `${fmt(r.rows)}: ${r.template.cached ? 'cached' : `generated in ${fmt(r.template.buildSeconds)} s`}`).join('; ')}; ${existing} template(s) on the server).`,
      'Export: GET /api/v1/audit/export?format=csv as the auditor, read by this process over loopback. Baseline: the same SELECT (hashed projection, joined to the instance and OPD, same order) as one `COPY … TO STDOUT WITH CSV` through psql, read by this process the same way. One unmeasured COPY first warms PostgreSQL\'s cache for both.',
      'RSS: /proc/<pid>/status of the server; VmHWM reset (clear_refs) just before the export, so the peak is the export\'s own. The RSS target (<= 1.25 between sizes) is this benchmark\'s reading of "must not grow with the row count".',
      '',
    ],
    diagnostics,
  };
}
