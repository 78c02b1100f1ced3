import { workflowTime } from '../../src/clock';
import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import { openPostgres } from '../../src/db/connect';
import type { Database } from '../../src/db/types';
import { loadConfig } from '../../src/config';
import { loadActor } from '../../src/auth/tokens';
import { loadDocumentAuthority } from '../../src/documents/authority';
import { signingIdentityFor } from '../../src/documents/identities';
import { createDocumentPool } from '../../src/documents/pool';
import { CrlPublisher } from '../../src/documents/crl';
import type { SigningOptions } from '../../src/documents/sign';
import { startTestTsa, type TestTsa } from '../support/tsa';
import type { DocumentContent, DocumentLine } from '../../src/documents/content';
import type { SignerKeys } from '../../src/documents/sign';
import { budgetProposalV1 } from '../../workflows/budget-proposal/v1';
import { figure, fmt, LATENCY_HEADER, latencyRow, ms, type Section } from './context';
import type { Harness, MainDb } from './harness';
import { Client, probeHealth, runLoad, type LoadResult, type Percentiles } from './load';
import { createDrafts, perOp, updateLoad } from './b1-transitions';
import { BENCH_PUBLIC_URL, type Served } from './server';
import { cpuLine, cpuSnapshot, withMachineLoad } from './cpu';

/** Proposals per client: histories (printed on every document) stay a few rows long. */
const PER_CLIENT = 8;
const RETURN_COMMENT = 'Mohon sesuaikan volume paket makanan tambahan dengan data sasaran ibu hamil KEK.';

/** Load 2: each client cycles over its own proposals: submit (planner) → return with comment (head) → submit … */
async function documentLoad(h: Harness, served: Served, main: MainDb): Promise<{ result: LoadResult; health: Percentiles; from: Date; statementsPerOp: number | null; cpu: string }> {
  const url = served.url;
  const { clients, warmupSeconds, loadSeconds } = h.opts.sizes;
  const client = new Client(url, clients + 2);
  try {
    const ids = await createDrafts(client, main.tokens.planner, clients * PER_CLIENT, 'Bench dokumen');
    const state = new Map(ids.map((id) => [id, 'draft']));
    const probe = probeHealth(url, { warmupMs: warmupSeconds * 1000 });
    const from = new Date();
    const before = await served.statements();
    const cpu0 = await cpuSnapshot(served.pid, main.dbUrl);
    const result = await runLoad({ clients, warmupMs: warmupSeconds * 1000, durationMs: loadSeconds * 1000 }, async (c, i) => {
      const id = ids[c * PER_CLIENT + (i % PER_CLIENT)]!;
      const submit = state.get(id) === 'draft';
      const r = await client.expect(200, 'POST', `/api/v1/instances/${id}/events`, submit
        ? { token: main.tokens.planner, body: { type: 'submit' } }
        : { token: main.tokens.head, body: { type: 'return', comment: RETURN_COMMENT } });
      state.set(id, (JSON.parse(r.body) as { state: string }).state);
      return true;
    });
    const cpu = cpuLine(cpu0, await cpuSnapshot(served.pid, main.dbUrl), os.availableParallelism());
    const statementsPerOp = perOp(before, await served.statements(), result.allOps);
    return { result, health: await probe.stop(), from, statementsPerOp, cpu };
  } finally {
    client.close();
  }
}

function linesOf(data: Record<string, unknown>): DocumentLine[] | undefined {
  if (!Array.isArray(data.lines)) return undefined;
  return (data.lines as Array<Record<string, unknown>>).map((l) => ({
    account: String(l.account), description: String(l.description), volume: Number(l.volume), unit: String(l.unit),
    unitPrice: Number(l.unitPrice), amount: Number(l.amount),
  }));
}

/**
 * The documents load 2 produced, rebuilt as the producer built them (same instance, history up to
 * that transition, comment and signer), so the bare run renders the same pages.
 */
async function rebuildContents(db: Kysely<Database>, masterKey: Buffer, from: Date, tsa: TestTsa): Promise<{ docs: Array<{ content: DocumentContent; keys: SignerKeys }>; signing: SigningOptions }> {
  // The servers' own settings, so the same seal and certificates are found rather than issued.
  const config = loadConfig({ GRMS_PUBLIC_URL: BENCH_PUBLIC_URL, ...tsa.env });
  const authority = await loadDocumentAuthority(db, masterKey, config);
  // What the server's pool hands each signature: the same TSA, and the CA's CRL (made once here, before timing).
  const signing: SigningOptions = {
    tsa: authority.tsa, tsaAnchorsPem: authority.tsaTrustAnchorsPem, fetchTimeoutMs: config.tsa.timeoutMs,
    crls: [(await new CrlPublisher(db, authority).current()).der],
  };
  const docs = await db.selectFrom('documents').innerJoin('workflow_instances as i', 'i.id', 'documents.instance_id')
    .select(['documents.id', 'documents.instance_id', 'documents.seq', 'documents.event', 'documents.stage', 'documents.number', 'documents.title',
      'documents.signer_username', 'documents.created_at', 'i.title as instance_title', 'i.data', 'i.total', 'i.org_id'])
    .where('documents.created_at', '>=', from).orderBy('documents.created_at').limit(2000).execute();
  const keys = new Map<string, SignerKeys>();
  const out: Array<{ content: DocumentContent; keys: SignerKeys }> = [];
  for (const d of docs) {
    const actor = (await loadActor(db, d.signer_username!, workflowTime()))!;
    if (!keys.has(actor.username)) keys.set(actor.username, await signingIdentityFor(db, masterKey, authority, { username: actor.username, fullName: actor.fullName, orgName: actor.orgName }));
    const history = await db.selectFrom('audit_events').leftJoin('users', 'users.username', 'audit_events.actor')
      .select(['audit_events.event', 'audit_events.from_state', 'audit_events.to_state', 'audit_events.comment', 'audit_events.actor', 'users.full_name'])
      .select(sql<string>`grms_ts(audit_events.created_at)`.as('at'))
      .where('audit_events.instance_id', '=', d.instance_id).where('audit_events.seq', '<=', d.seq).orderBy('audit_events.seq').execute();
    const org = await db.selectFrom('orgs').select('name').where('id', '=', d.org_id).executeTakeFirstOrThrow();
    const current = history.at(-1)!;
    const role = d.event === 'submit' ? 'planner' : 'opd_head';
    out.push({
      keys: keys.get(actor.username)!,
      content: {
        government: config.government, orgName: org.name, title: d.title, number: d.number, documentId: d.id,
        verifyUrl: `${config.publicUrl}/verify/${d.id}`, place: config.documentPlace, issuedAt: d.created_at, timezone: config.timezone,
        workflow: budgetProposalV1.title, instanceTitle: d.instance_title, lines: linesOf(d.data), total: d.total ?? undefined,
        history: history.map((x) => ({ at: x.at, actor: x.full_name ?? x.actor, event: x.event, from: x.from_state, to: x.to_state, comment: x.comment })),
        comment: current.comment,
        signer: { name: actor.fullName, position: actor.position || role, orgName: actor.orgName },
      },
    });
  }
  return { docs: out, signing };
}

/** The bare baseline: renderAndSign through createDocumentPool, same threads, same concurrency, no HTTP or database. */
async function bareLoad(h: Harness, threads: number, docs: Array<{ content: DocumentContent; keys: SignerKeys }>, signing: SigningOptions): Promise<LoadResult & { cores: number }> {
  const { clients, warmupSeconds, loadSeconds } = h.opts.sizes;
  const pool = createDocumentPool({ threads, signing: () => signing });
  try {
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await runLoad({ clients, warmupMs: warmupSeconds * 1000, durationMs: loadSeconds * 1000 }, async () => {
      const d = docs[next++ % docs.length]!;
      const signed = await pool.renderAndSign(d.content, d.keys);
      if (signed.pdf.length < 1000) throw new Error('the pool returned no PDF');
      if (signed.level !== 'B-LT') throw new Error(`a bare signature reached ${signed.level} only: ${signed.problems.join('; ')}`);
      return true;
    });
    const cpu = process.cpuUsage(cpu0);
    return { ...result, cores: (cpu.user + cpu.system) / 1000 / (performance.now() - t0) };
  } finally {
    await pool.close();
  }
}

/** 2. Signed-document transitions per second vs the same render-and-sign code run bare. */
export async function benchDocuments(h: Harness): Promise<Section> {
  const t0 = performance.now();
  const main = await h.main();
  // One RFC 3161 TSA on loopback for both figures: every document is time-stamped and gets its DSS (PAdES B-LT).
  const tsa = await startTestTsa();
  try {
    return await benchDocumentsWith(h, t0, main, tsa);
  } finally {
    await tsa.close();
  }
}

async function benchDocumentsWith(h: Harness, t0: number, main: MainDb, tsa: TestTsa): Promise<Section> {
  const served = await h.serve({ ...main.env, ...tsa.env });
  let load2: Awaited<ReturnType<typeof documentLoad>>;
  let reference = h.shared.healthUnderLoad1;
  let referenceNote = 'measured by benchmark 1 in this run';
  try {
    if (!reference) {
      h.log('load 1 (reference for /healthz): benchmark 1 is not part of this run');
      reference = (await updateLoad(h, served, main, Math.min(10, h.opts.sizes.loadSeconds))).health;
      referenceNote = 'measured on this server by a shorter load 1 run just before (benchmark 1 not selected)';
    }
    h.log(`load 2: ${h.opts.sizes.clients} clients, submit/return with documents, for ${h.opts.sizes.loadSeconds} s`);
    load2 = await documentLoad(h, served, main);
  } finally {
    await served.stop();
  }
  const db = openPostgres({ connectionString: main.dbUrl, max: 2 });
  let docs: Awaited<ReturnType<typeof rebuildContents>>['docs'];
  let signing: SigningOptions;
  let stored: number;
  let timestamped: number;
  try {
    ({ docs, signing } = await rebuildContents(db.kysely, main.masterKey, load2.from, tsa));
    timestamped = tsa.issued;
    stored = Number((await db.kysely.selectFrom('documents').select((eb) => eb.fn.countAll<string>().as('n')).where('created_at', '>=', load2.from).executeTakeFirstOrThrow()).n);
  } finally {
    await db.close();
  }
  if (docs.length === 0) throw new Error('load 2 stored no documents');
  h.log(`bare: renderAndSign of the same ${docs.length} documents on ${main.documentThreads} thread(s)`);
  const { value: bare, machineCores: bareMachine } = await withMachineLoad(() => bareLoad(h, main.documentThreads, docs, signing));
  const r = load2.result;
  const meanHistory = docs.reduce((s, d) => s + d.content.history.length, 0) / docs.length;
  return {
    id: 2,
    title: 'Signed-document transitions per second',
    seconds: (performance.now() - t0) / 1000,
    figures: [
      figure({ label: 'document transitions/s (HTTP, 16 clients)', value: r.perSecond, baselineLabel: `bare renderAndSign via createDocumentPool (${main.documentThreads} thread${main.documentThreads > 1 ? 's' : ''})`, baseline: bare.perSecond, unit: '/s' }, '>=', 0.7),
      figure({ label: 'GET /healthz p99 under load 2', value: load2.health.p99, baselineLabel: 'GET /healthz p99 under load 1', baseline: reference.p99, unit: 'ms' }, '<=', 2),
    ],
    details: [
      `grms: ${fmt(r.ops)} transitions, every one producing a signed PDF, in ${fmt(r.seconds, 1)} s = **${fmt(r.perSecond, 2)}/s**; ${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ''}; ${fmt(stored)} documents stored since the load began (warm-up included); the TSA issued ${fmt(timestamped)} time-stamps meanwhile.`,
      `bare: ${fmt(bare.ops)} documents in ${fmt(bare.seconds, 1)} s = **${fmt(bare.perSecond, 2)}/s**, ${bare.errors} errors (the ${docs.length} documents of load 2 rebuilt and cycled; history ${fmt(meanHistory, 1)} rows on average); this process (pool thread included) used ${fmt(bare.cores, 2)} cores meanwhile, the whole machine ${fmt(bareMachine, 2)}.`,
      '',
      ...LATENCY_HEADER,
      latencyRow('POST …/events submit / return (grms)', r.latencyMs),
      latencyRow('renderAndSign through the pool (bare)', bare.latencyMs),
      latencyRow('GET /healthz under load 2', load2.health),
      latencyRow(`GET /healthz under load 1 (${referenceNote})`, reference),
      '',
      `/healthz p99 under load 2 is ${ms(load2.health.p99)} vs ${ms(reference.p99)} under load 1.`,
      '',
      load2.cpu,
      '',
      ...(load2.statementsPerOp !== null ? [`Statements sent to PostgreSQL per document transition (counted in the server): ${fmt(load2.statementsPerOp, 1)}.`, ''] : []),
    ],
    notes: [
      `Load: ${h.opts.sizes.clients} clients, each cycling over its own ${PER_CLIENT} proposals: \`submit\` by the planner (Surat Pengantar RKA), then \`return\` with a comment by the head of the OPD (Nota Pengembalian), and again; every counted transition produces a signed document (number, render, PAdES signature time-stamped by an RFC 3161 TSA on loopback (openssl ts behind a small HTTP server, test/support/tsa.ts), DSS revision with both chains and their CRLs, stored in the transaction). GRMS_DOCUMENT_THREADS=${main.documentThreads} (cores − 1).`,
      'Baseline: the documents load 2 stored, rebuilt from the database (same content, history, signer keys) before timing, then rendered, signed, time-stamped by the same TSA and given the same DSS (the CA\'s CRL made once before timing) by renderAndSign through createDocumentPool with the same threads and the same 16 requests in flight; no HTTP to grms, no database while timed.',
      '',
    ],
    diagnostics: h.profileOf(served, 'grms serve during load 2 (main thread; rendering runs in the worker threads, not profiled)'),
  };
}
