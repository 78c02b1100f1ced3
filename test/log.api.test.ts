import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describeBackends } from './support/db';
import { startTestApp, PUBLIC_URL, type TestApp } from './support/app';
import { proposal, YEAR } from './support/proposals';
import { ensureCheckpointKey, verifyAudit } from '../src/audit';
import { instanceDigest } from '../src/audit/instance-digest';
import { readLeafEntry } from '../src/audit/log/entry';
import { integrateAll, sourceRowCount } from './support/log-fixtures';
import { logRoot } from '../src/audit/log/nodes';
import { verifyCeilingChain } from '../src/audit/ceiling-events';
import { fireDueDeadlines } from '../src/sla/scheduler';
import { defaultLogOrigin } from '../src/config';
import { logVerifierKey, openCheckpoint, parseVerifierKey, verifyConsistency, verifyInclusion } from '../src/audit/tlog';

/**
 * The log as the server runs it: audit rows bind their instance, ceiling changes are chained,
 * an admin integrates and checkpoints on demand, anyone reads checkpoints and proofs (hashes only,
 * rate-limited), and /readyz says how far the log can be trusted, and when it has stopped.
 */
describeBackends('the transparency log through the API', (kind) => {
  let app: TestApp;
  let id: string;
  beforeAll(async () => {
    app = await startTestApp(kind, { env: { GRMS_LOG_RATE_LIMIT: '60' } });
    id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/comments`, { comment: 'RAB terlampir' })).status).toBe(201);
    expect((await app.call('kadis.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'approve' })).status).toBe(200);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  const live = () => app.db.kysely.selectFrom('workflow_instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const rows = () => app.db.kysely.selectFrom('audit_events').select(['seq', 'event', 'instance_version', 'instance_org', 'instance_digest'])
    .where('instance_id', '=', id).orderBy('seq').execute();

  test('each audit row records the instance as it leaves it: version, OPD and digest, all in the row hash', async () => {
    const trail = await rows();
    expect(trail.map((r) => [r.event, r.instance_version, r.instance_org])).toEqual([
      ['create', 1, 'dinkes'], ['submit', 2, 'dinkes'], ['comment', 2, 'dinkes'], ['approve', 3, 'dinkes'],
    ]);
    expect(trail[2]!.instance_digest).toBe(trail[1]!.instance_digest); // a comment leaves the instance as it is
    expect(trail.at(-1)!.instance_digest).toBe(instanceDigest(await live()));
    // An escalation changes the version; its row says so.
    await fireDueDeadlines(app.db.kysely, new Date(Date.now() + 400 * 86_400_000));
    const escalated = (await rows()).at(-1)!;
    const now = await live();
    expect(escalated).toMatchObject({ event: 'escalated', instance_version: now.version, instance_digest: instanceDigest(now) });
    const key = await ensureCheckpointKey(app.db.kysely, app.masterKey);
    expect(await verifyAudit(app.db.kysely, key.publicKeyPem)).toMatchObject({ ok: true });
    // The digest covers the business columns: a total changed in place no longer matches.
    expect(instanceDigest({ ...now, total: (now.total ?? 0) * 10 })).not.toBe(instanceDigest(now));
    expect(instanceDigest({ ...now, participants: ['someone'] } as typeof now)).toBe(instanceDigest(now));
  });

  test('every ceiling change appends a row to the ceiling chain', async () => {
    const before = await app.db.kysely.selectFrom('ceiling_events').select('seq').execute();
    expect(before.length).toBeGreaterThan(0); // the demo ceilings, recorded when seeded
    for (const amount of [30_000_000_000, 31_000_000_000]) {
      expect((await app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${YEAR}/dinkes`, { amount })).status).toBe(200);
    }
    const added = await app.db.kysely.selectFrom('ceiling_events').select(['action', 'fiscal_year', 'org_id', 'amount', 'actor'])
      .where('seq', '>', before.length).orderBy('seq').execute();
    expect(added).toEqual([30_000_000_000, 31_000_000_000].map((amount) => ({ action: 'set_ceiling', fiscal_year: YEAR, org_id: 'dinkes', amount, actor: 'tapd.sekda' })));
    expect(await verifyCeilingChain(app.db.kysely)).toMatchObject({ ok: true, checked: before.length + 2 });
    // A refused change leaves no row.
    expect((await app.call('tapd.sekda', 'PUT', `/api/v1/ceilings/${YEAR}/dinkes`, { amount: -5 })).status).toBe(422);
    expect(await app.db.kysely.selectFrom('ceiling_events').select('seq').execute()).toHaveLength(before.length + 2);
    // The auditor's check covers the chain: a row changed behind the triggers' back is named, then put back.
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true, ceilings: { ok: true, checked: before.length + 2 } });
    const dba = (amount: number) => app.db.kysely.transaction().execute(async (trx) => {
      await sql`ALTER TABLE ceiling_events DISABLE TRIGGER USER`.execute(trx);
      await sql`UPDATE ceiling_events SET amount = ${amount} WHERE seq = ${before.length + 1}`.execute(trx);
      await sql`ALTER TABLE ceiling_events ENABLE TRIGGER USER`.execute(trx);
    });
    await dba(300_000_000_000);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: false, ceilings: { ok: false, broken: [{ seq: before.length + 1 }] } });
    await dba(30_000_000_000);
    expect((await app.call('auditor.inspektorat', 'GET', '/api/v1/audit/verify')).body).toMatchObject({ ok: true, ceilings: { ok: true } });
  });

  test('an admin integrates and checkpoints now; anyone reads the checkpoint and proofs without a token', async () => {
    expect((await app.call('auditor.inspektorat', 'POST', '/api/v1/log/checkpoint')).status).toBe(403);
    await integrateAll(app.db.kysely);
    const made = await app.call('admin', 'POST', '/api/v1/log/checkpoint');
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ checkpoint: { created: true, previousSize: null }, witnesses: [], quorumMet: true });
    const size = made.body.checkpoint.size as number;
    expect(size).toBe(made.body.integration.size);
    expect(size).toBe(await sourceRowCount(app.db.kysely));

    const key = await ensureCheckpointKey(app.db.kysely, app.masterKey);
    const vkey = parseVerifierKey(logVerifierKey(defaultLogOrigin(PUBLIC_URL), crypto.createPublicKey(key.privateKey)));
    const cp = await app.call(undefined, 'GET', '/log/checkpoint');
    expect(cp.status).toBe(200);
    expect(cp.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const { body } = openCheckpoint(cp.text, vkey);
    expect(body).toMatchObject({ origin: 'grms.semarangkota.example/log', size });

    // The document the submit produced: its leaf is in the tree the checkpoint signs.
    const doc = await app.db.kysely.selectFrom('documents').select('id').where('instance_id', '=', id).executeTakeFirstOrThrow();
    const leaf = await readLeafEntry(app.db.kysely, 'documents', doc.id);
    const inclusion = await app.call(undefined, 'GET', `/log/proof/inclusion?index=${leaf.idx}&size=${size}`);
    expect(inclusion.status).toBe(200);
    expect(inclusion.body).toMatchObject({ index: leaf.idx, size });
    expect(verifyInclusion(leaf.idx!, size, leaf.leafHash, (inclusion.body.proof as string[]).map((h) => Buffer.from(h, 'base64')), body.root)).toBe(true);
    expect(JSON.stringify(inclusion.body)).not.toContain(leaf.salt);
    const node = await app.call(undefined, 'GET', `/log/node/0/${leaf.idx}`);
    expect(node.body).toEqual({ level: 0, index: leaf.idx, hash: leaf.leafHash.toString('base64') });

    const consistency = await app.call(undefined, 'GET', `/log/proof/consistency?old=3&new=${size}`);
    expect(consistency.status).toBe(200);
    expect(verifyConsistency(3, size, await logRoot(app.db.kysely, 3), body.root, (consistency.body.proof as string[]).map((h) => Buffer.from(h, 'base64')))).toBe(true);

    for (const [path, code] of [
      ['/log/proof/inclusion?index=x&size=1', 'BAD_REQUEST'], ['/log/proof/inclusion?index=01&size=2', 'BAD_REQUEST'], [`/log/proof/inclusion?size=${size}`, 'BAD_REQUEST'],
      [`/log/proof/inclusion?index=0&size=${size + 1}`, 'LOG_RANGE'], [`/log/proof/inclusion?index=${size}&size=${size}`, 'LOG_RANGE'],
      [`/log/proof/consistency?old=${size}&new=2`, 'LOG_RANGE'], [`/log/node/0/${size}`, 'LOG_RANGE'], ['/log/node/70/0', 'LOG_RANGE'],
    ] as const) {
      const r = await app.call(undefined, 'GET', path);
      expect({ path, status: r.status, type: r.headers.get('content-type'), code: r.body.code }).toEqual({ path, status: 400, type: 'application/problem+json; charset=utf-8', code });
    }
  });

  test('/readyz reports the log, says plainly that no witness cosigns it, and stops at a fatal alarm', async () => {
    const ready = await app.call(undefined, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', log: { origin: 'grms.semarangkota.example/log', witnesses: [], halted: null, quorumMet: true } });
    expect(ready.body.log.trust).toMatch(/only as trustworthy as its operator/);
    expect(ready.body.log.size).toBe(ready.body.log.checkpointSize);

    // What a witness reporting a larger tree records (src/audit/log/witnesses.ts).
    await app.db.kysely.insertInto('log_alarms').values({
      kind: 'witness-ahead', witness: 'w.example', fatal: true, tree_size: ready.body.log.size, reported_size: ready.body.log.size + 100, detail: 'test',
    }).execute();
    const halted = await app.call(undefined, 'GET', '/readyz');
    expect(halted.status).toBe(503);
    expect(halted.body).toMatchObject({ status: 'log-halted', code: 'LOG_HALTED', log: { halted: { reportedSize: ready.body.log.size + 100 } } });
    const refused = await app.call('admin', 'POST', '/api/v1/log/checkpoint');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'LOG_HALTED' });
    expect(await app.db.kysely.selectFrom('log_checkpoints').select('size').execute()).toHaveLength(1);
    // The log's tables take no update, whoever asks.
    await expect(sql`UPDATE log_alarms SET fatal = false`.execute(app.db.kysely)).rejects.toThrow(/append-only/);
  });

  test('public log reads are limited per client address', async () => {
    let limited;
    for (let i = 0; i < 61 && !limited; i++) {
      const r = await app.call(undefined, 'GET', '/log/checkpoint');
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited).toBeDefined();
    expect(limited!.body).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // The document verify limit is its own budget.
    expect((await app.call(undefined, 'GET', '/api/v1/audit/public-key')).status).toBe(200);
  });
});
