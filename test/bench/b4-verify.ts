import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import pg from 'pg';
import { openPostgres } from '../../src/db/connect';
import { hashedProjection, verifyAudit } from '../../src/audit/verify';
import { auditPublicKey } from '../../src/audit/keys';
import { figure, fmt, type Section } from './context';
import type { Harness } from './harness';
import { ensureTemplate } from './datasets';
import { createDatabase, dropDatabase, randomName } from './pg';

const PAGE = 5000;

/**
 * The bare pipeline: the same rows in keyset pages of the same size and order on one pg client,
 * each canonicalised (JCS, nulls and `hash` left out) and SHA-256'd, compared with its stored hash.
 * No chain bookkeeping, no checkpoints, no query builder.
 */
async function barePipeline(dbUrl: string, projection: string, limitRows?: number): Promise<{ rows: number; mismatches: number; ms: number }> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  const t0 = performance.now();
  try {
    let rows = 0;
    let mismatches = 0;
    let after: [string, number] | null = null;
    for (;;) {
      const page: pg.QueryResult<Record<string, unknown>> = after
        ? await client.query(`SELECT ${projection} FROM audit_events WHERE (instance_id, seq) > ($1::uuid, $2) ORDER BY instance_id, seq LIMIT ${PAGE}`, after)
        : await client.query(`SELECT ${projection} FROM audit_events ORDER BY instance_id, seq LIMIT ${PAGE}`);
      for (const row of page.rows) {
        const hashed: Record<string, unknown> = {};
        for (const k in row) if (k !== 'hash' && row[k] !== null) hashed[k] = row[k];
        if (crypto.createHash('sha256').update(canonicalize(hashed)!).digest('hex') !== row.hash) mismatches++;
      }
      rows += page.rows.length;
      if (page.rows.length < PAGE || (limitRows !== undefined && rows >= limitRows)) break;
      const last = page.rows[page.rows.length - 1]!;
      after = [last.instance_id as string, last.seq as number];
    }
    return { rows, mismatches, ms: performance.now() - t0 };
  } finally {
    await client.end();
  }
}

/** 4. verifyAudit rows per second vs a bare fetch-canonicalise-hash pipeline in the same process. */
export async function benchVerify(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const rows = h.opts.sizes.verifyRows;
  const template = await ensureTemplate(h.opts.serverUrl, 'audit', rows, (m) => h.log(m));
  const name = randomName('grms_bench_ver');
  const dbUrl = await createDatabase(h.opts.serverUrl, name, template.name);
  try {
    const db = openPostgres({ connectionString: dbUrl, max: 2 });
    let verify: Awaited<ReturnType<typeof verifyAudit>>;
    let verifyMs: number;
    let bare: Awaited<ReturnType<typeof barePipeline>>;
    try {
      const key = await auditPublicKey(db.kysely);
      if (!key) throw new Error('the data set has no audit key');
      const projection = await hashedProjection(db.kysely);
      // Warm PostgreSQL's cache with the bare pipeline (not counted), then time each once.
      h.log(`verify ${fmt(rows)} rows: warming the cache`);
      await barePipeline(dbUrl, projection);
      h.log('verifyAudit');
      const v0 = performance.now();
      verify = await verifyAudit(db.kysely, key.publicKeyPem);
      verifyMs = performance.now() - v0;
      h.log('bare pipeline');
      bare = await barePipeline(dbUrl, projection);
    } finally {
      await db.close();
    }
    if (!verify.ok || verify.checked !== rows) throw new Error(`verifyAudit on generated chains: ok=${verify.ok}, checked ${verify.checked} of ${rows}; first break: ${JSON.stringify(verify.broken[0])}`);
    if (bare.rows !== rows || bare.mismatches !== 0) throw new Error(`bare pipeline: ${bare.rows} rows, ${bare.mismatches} hash mismatches`);
    const verifyRate = rows / (verifyMs / 1000);
    const bareRate = rows / (bare.ms / 1000);
    return {
      id: 4,
      title: 'Chain verification (verifyAudit) vs a bare fetch + JCS + SHA-256 pipeline',
      seconds: (performance.now() - t0) / 1000,
      figures: [figure({ label: `verifyAudit rows/s (${fmt(rows)} rows)`, value: verifyRate, baselineLabel: 'bare keyset SELECT + canonicalize + sha256 rows/s', baseline: bareRate, unit: '/s' }, '>=', 0.7)],
      details: [
        `verifyAudit: ${fmt(verify.checked)} rows and ${verify.checkpoints} checkpoint(s) in ${fmt(verifyMs / 1000, 2)} s = **${fmt(verifyRate)} rows/s**, ok=${verify.ok}.`,
        `bare: ${fmt(bare.rows)} rows in ${fmt(bare.ms / 1000, 2)} s = **${fmt(bareRate)} rows/s**, ${bare.mismatches} mismatches.`,
        '',
      ],
      notes: [
        `Data: the audit data set of benchmark 3 at ${fmt(rows)} rows (${fmt(rows / 8)} chains of 8, one checkpoint over all heads), ${template.cached ? 'from the cached template' : `generated in ${fmt(template.buildSeconds)} s`}; every chain verified ok, which also checks the SQL generator.`,
        `Both in this process on the same copy of the data: verifyAudit (keyset pages of 5,000 through Kysely, hashedProjection, rowHash, chain and checkpoint checks) and the bare pipeline (keyset pages of ${fmt(PAGE)} on a plain pg client with the same projection, canonicalize + sha256 per row). One unmeasured bare pass warms the cache first.`,
        '',
      ],
      diagnostics: [],
    };
  } finally {
    await dropDatabase(h.opts.serverUrl, name);
  }
}
