import { sql } from 'kysely';
import { describePostgres, createPostgresDatabase, dropPostgresDatabase } from '../support/db';
import { exited, grms, serve, type Served, logKey } from '../support/cli';
import { openPostgres } from '../../src/db/connect';
import { sourceRowCount, storedLeaves } from '../support/log-fixtures';
import { logConsistencyProof } from '../../src/audit/log/nodes';
import { verifyConsistency } from '../../src/audit/tlog';
import { mintToken } from '../../src/auth/tokens';
import { proposal, PROPOSAL_TOTAL, YEAR } from '../support/proposals';

/** The pipeline of a budget proposal, each step by its own official. */
const STEPS = [
  { event: 'submit', user: 'perencana.dinkes' },
  { event: 'approve', user: 'kadis.dinkes' },
  { event: 'verify', user: 'verifikator.bappeda' },
  { event: 'approve', user: 'tapd.sekda' },
  { event: 'ratify', user: 'ppkd.bpkad' },
] as const;
const TAPD_STEP = 3;

/** Proposals driven through the pipeline, and how many of them fit under the ceiling. */
const PIPELINE = 12;
const FITTING = 5;
/** Proposals left in opd_review whose deadline is made overdue while both servers run. */
const OVERDUE = 40;
/** A year the demo data leaves without a ceiling or proposals. */
const FISCAL_YEAR = YEAR + 2;
const CEILING = FITTING * PROPOSAL_TOTAL + Math.floor(PROPOSAL_TOTAL / 2);

/** How each pipeline sends its events: the modes rotate over the instances. */
const MODES = [
  { ifMatch: false, key: false },
  { ifMatch: true, key: false },
  { ifMatch: false, key: true },
  { ifMatch: true, key: true },
];

interface Answer {
  server: number;
  status: number;
  replayed: boolean;
  version?: number;
  code?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePostgres('reliability: two processes, one database', () => {
  let url: string;
  const servers: Served[] = [];
  afterAll(async () => {
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
      await exited(s.child);
    }
    if (url) await dropPostgresDatabase(url);
  }, 120_000);

  test('the same events to both: no transition lost or doubled, versions consecutive, the ceiling holds, each deadline escalates once', async () => {
    url = await createPostgresDatabase();
    // Both servers look for due deadlines every second, so their schedulers run side by side; each
    // runs two worker processes, so four schedulers and integrators share the database.
    const env = { GRMS_WORKERS: '2', DATABASE_URL: url, GRMS_PUBLIC_URL: 'https://grms.semarangkota.example', GRMS_KEY: grms(['key', 'generate'], {}).stdout.trim(), GRMS_DEADLINE_POLL_SECONDS: '1', LOG_LEVEL: 'info' };
    expect(grms(['seed', '--demo'], env).status).toBe(0);
    const db = openPostgres({ connectionString: url, max: 4 });
    try {
      const tokens: Record<string, string> = {};
      for (const user of new Set<string>(STEPS.map((s) => s.user))) tokens[user] = await mintToken(db.kysely, user, new Date(Date.now() + 86_400_000));
      servers.push(...(await Promise.all([serve(env), serve(env)])));
      const call = (server: number, user: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        fetch(servers[server]!.url + path, {
          method,
          headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json', ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(120_000),
        });
      const answer = async (server: number, res: Response): Promise<Answer> => {
        const body = (await res.json()) as { version?: number; code?: string };
        return { server, status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', version: res.ok ? body.version : undefined, code: body.code };
      };

      expect((await call(0, 'tapd.sekda', 'PUT', `/api/v1/ceilings/${FISCAL_YEAR}/dinkes`, { amount: CEILING })).status).toBe(200);
      const create = async (n: number, title: string) => {
        const res = await call(n % 2, 'perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal({ fiscalYear: FISCAL_YEAR, title }) });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      };
      const pipeline = await Promise.all(Array.from({ length: PIPELINE }, (_, n) => create(n, `Dua proses ${n}`)));
      const overdue = await Promise.all(Array.from({ length: OVERDUE }, (_, n) => create(n, `Tenggat ${n}`)));
      for (const [n, id] of overdue.entries()) {
        expect((await call(n % 2, 'perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
      }

      // Every step of every pipeline goes to both servers at once, the same request twice.
      const answers = new Map<string, Answer[]>();
      const drive = async (id: string, n: number) => {
        const mode = MODES[n % MODES.length]!;
        let version = 1;
        for (const [i, step] of STEPS.entries()) {
          const headers: Record<string, string> = {
            ...(mode.ifMatch && { 'if-match': `"${version}"` }),
            ...(mode.key && { 'idempotency-key': `two-processes-${id}-${i}` }),
          };
          const send = (server: number) => call(server, step.user, 'POST', `/api/v1/instances/${id}/events`, { type: step.event }, headers).then((res) => answer(server, res));
          const pair = await Promise.all([send(0), send(1)]);
          // A retry with the same key, once both settled, replays the first answer and changes nothing.
          if (mode.key && pair.some((a) => a.status === 200)) pair.push(await send(n % 2));
          answers.set(`${id}/${i}`, pair);
          const won = pair.find((a) => a.status === 200 && !a.replayed);
          if (!won) return;
          version = won.version!;
        }
      };
      // The deadlines fall due while the pipelines run: both schedulers compete with the API and each other.
      const due = sql`UPDATE deadlines SET due_at = now() - interval '1 hour' WHERE instance_id = ANY(${overdue}::uuid[])`.execute(db.kysely);
      await Promise.all([due, ...pipeline.map((id, n) => drive(id, n))]);

      // Per step: one transition, made by one request; the other got 409 or 412, or the replay.
      const acks: Array<{ id: string; version: number; event: string }> = [];
      let approvedByTapd = 0;
      for (const [n, id] of pipeline.entries()) {
        for (const [i, step] of STEPS.entries()) {
          const pair = answers.get(`${id}/${i}`);
          if (!pair) continue;
          const won = pair.filter((a) => a.status === 200 && !a.replayed);
          const replays = pair.filter((a) => a.status === 200 && a.replayed);
          const refused = pair.filter((a) => a.status !== 200);
          const where = { instance: n, step: i, mode: MODES[n % MODES.length], pair };
          if (won.length === 0) {
            // Only TAPD's approval may be refused outright, and only for the ceiling.
            expect({ ...where, refused: refused.map((a) => a.code) }).toEqual({ ...where, refused: i === TAPD_STEP ? ['CEILING_EXCEEDED', 'CEILING_EXCEEDED'] : 'one of them accepted' });
            continue;
          }
          expect({ ...where, won: won.length }).toEqual({ ...where, won: 1 });
          for (const r of replays) expect({ ...where, version: r.version }).toEqual({ ...where, version: won[0]!.version });
          for (const r of refused) expect({ ...where, code: r.code }).toEqual({ ...where, code: expect.stringMatching(/^(TRANSITION_NOT_ALLOWED|VERSION_CONFLICT)$/) });
          acks.push({ id, version: won[0]!.version!, event: step.event });
          if (i === TAPD_STEP) approvedByTapd++;
        }
      }
      expect(approvedByTapd).toBe(FITTING);

      // Each deadline escalates once, although both servers ran their schedulers.
      const escalatedOf = async () =>
        (await sql<{ n: number }>`SELECT count(*)::int AS n FROM deadlines WHERE instance_id = ANY(${overdue}::uuid[]) AND escalated_at IS NOT NULL`.execute(db.kysely)).rows[0]!.n;
      for (let i = 0; i < 240 && (await escalatedOf()) < OVERDUE; i++) await sleep(250);
      expect(await escalatedOf()).toBe(OVERDUE);
      // A few more ticks of both schedulers, which must find nothing left to fire.
      await sleep(3000);
      const escalations = await db.kysely
        .selectFrom('audit_events')
        .select(['instance_id', sql<number>`count(*)::int`.as('n')])
        .where('event', '=', 'escalated')
        .groupBy('instance_id')
        .execute();
      expect(escalations.filter((e) => overdue.includes(e.instance_id)).map((e) => e.n).sort()).toEqual(Array(OVERDUE).fill(1));
      expect(escalations.filter((e) => !overdue.includes(e.instance_id))).toEqual([]);
      const reported = servers.map((s) => [...s.output().matchAll(/"escalated":(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0));
      const kinds = [...answers.values()].flat().reduce<Record<string, number>>((acc, a) => {
        const kind = a.status === 200 ? (a.replayed ? '200 replayed' : '200') : `${a.status} ${a.code}`;
        return { ...acc, [kind]: (acc[kind] ?? 0) + 1 };
      }, {});
      console.log(`two-processes run: ${JSON.stringify({ answers: kinds, escalatedByServer: reported })}`);
      expect(reported.reduce((a, b) => a + b, 0)).toBe(OVERDUE);

      // The database holds exactly the acknowledged transitions, each with its document.
      const stored = await db.kysely
        .selectFrom('audit_events')
        .select(['instance_id', 'seq', 'event', sql<string | null>`document_sha256`.as('doc')])
        .where('instance_id', 'in', pipeline)
        .where('event', '<>', 'create')
        .orderBy('instance_id')
        .orderBy('seq')
        .execute();
      const key = (a: { id: string; version: number; event: string }) => `${a.id}/${a.version}/${a.event}`;
      expect(stored.map((r) => key({ id: r.instance_id, version: r.seq, event: r.event })).sort()).toEqual(acks.map(key).sort());
      const docs = await db.kysely.selectFrom('documents').select(['instance_id', 'seq', 'sha256']).where('instance_id', 'in', pipeline).execute();
      expect(docs.map((d) => `${d.instance_id}/${d.seq}/${d.sha256}`).sort()).toEqual(stored.map((r) => `${r.instance_id}/${r.seq}/${r.doc}`).sort());

      // Versions are 1..n without gaps or repeats, for every instance of the run.
      const chains = await sql<{ id: string; version: number; rows: number; distinct_seqs: number; first: number; last: number }>`
        SELECT i.id, i.version, count(e.seq)::int AS rows, count(DISTINCT e.seq)::int AS distinct_seqs, min(e.seq) AS first, max(e.seq) AS last
        FROM workflow_instances i JOIN audit_events e ON e.instance_id = i.id
        WHERE i.id = ANY(${[...pipeline, ...overdue]}::uuid[]) GROUP BY i.id, i.version`.execute(db.kysely);
      expect(chains.rows).toHaveLength(PIPELINE + OVERDUE);
      for (const c of chains.rows) expect(c).toEqual({ id: c.id, version: c.version, rows: c.version, distinct_seqs: c.version, first: 1, last: c.version });

      // The ceiling held: what is approved or ratified for the year fits under it.
      const used = await sql<{ n: number; total: number }>`
        SELECT count(*)::int AS n, coalesce(sum(total), 0)::bigint AS total FROM workflow_instances
        WHERE workflow = 'budget-proposal' AND org_id = 'dinkes' AND fiscal_year = ${FISCAL_YEAR} AND state IN ('approved', 'ratified')`.execute(db.kysely);
      expect(used.rows[0]).toEqual({ n: FITTING, total: FITTING * PROPOSAL_TOTAL });
      expect(used.rows[0]!.total).toBeLessThanOrEqual(CEILING);

      // Both servers (four processes) integrate the log and checkpoint at once, on demand, until every
      // row is a leaf: each row once, leaves 0..n-1, and one checkpoint sequence, each extending the last.
      tokens.admin = await mintToken(db.kysely, 'admin', new Date(Date.now() + 86_400_000));
      let sources = -1;
      let leaves = -2;
      for (let round = 0; round < 500 && leaves !== sources; round++) {
        const made = await Promise.all([0, 1, 0, 1].map((s) => call(s, 'admin', 'POST', '/api/v1/log/checkpoint')));
        expect(made.map((r) => r.status)).toEqual([200, 200, 200, 200]);
        sources = await sourceRowCount(db.kysely);
        leaves = (await storedLeaves(db.kysely)).length;
      }
      expect(leaves).toBe(sources);
      expect((await storedLeaves(db.kysely)).map((l) => l.idx)).toEqual([...Array(leaves).keys()]);
      const checkpoints = await db.kysely.selectFrom('log_checkpoints').select(['size', 'root']).orderBy('size').execute();
      expect(checkpoints.length).toBeGreaterThan(0);
      for (let i = 1; i < checkpoints.length; i++) {
        const [a, b] = [checkpoints[i - 1]!, checkpoints[i]!];
        const proof = await logConsistencyProof(db.kysely, Number(a.size), Number(b.size));
        expect(verifyConsistency(Number(a.size), Number(b.size), Buffer.from(a.root), Buffer.from(b.root), proof)).toBe(true);
      }

      expect(grms(['audit', 'checkpoint'], env).status).toBe(0);
      const verify = grms(['audit', 'verify', '--log-key', logKey(env)], env);
      expect(verify.status).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, broken: [] });
      expect(servers.map((s) => s.output())).not.toContainEqual(expect.stringMatching(/unhandled error|"level":50/));
    } finally {
      await db.close();
    }
  }, 300_000);
});
