import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../src/db/connect';
import {
  appendAuditEvent, AuditSequenceError, createCheckpoint, ensureCheckpointKey, payloadDigest, rowHash, verifyAudit,
  type CheckpointKey,
} from '../src/audit';
import { createTestDb, describeBackends } from './support/db';
import { appendEvents, MASTER_KEY, seedInstance, tamper } from './support/audit-fixtures';

describe('payloadDigest', () => {
  test('is SHA-256 of the RFC 8785 form: key order does not matter, values do', () => {
    expect(payloadDigest({ b: 1, a: 'x' })).toBe(payloadDigest({ a: 'x', b: 1 }));
    expect(payloadDigest({ a: 'x', b: 1 })).toBe(crypto.createHash('sha256').update('{"a":"x","b":1}').digest('hex'));
    expect(payloadDigest({ n: 1e21, s: '\u00e9' })).toBe(crypto.createHash('sha256').update('{"n":1e+21,"s":"\u00e9"}').digest('hex'));
    expect(payloadDigest({ a: 'x', b: 2 })).not.toBe(payloadDigest({ a: 'x', b: 1 }));
  });
});

describeBackends('audit chain', (kind) => {
  let db: Db;
  let key: CheckpointKey;
  beforeEach(async () => {
    db = await createTestDb(kind);
    key = await ensureCheckpointKey(db.kysely, MASTER_KEY);
  });
  afterEach(async () => {
    await db.close();
  });

  test('a clean trail verifies, page by page, with the hashes appendAuditEvent returned', async () => {
    const a = await seedInstance(db.kysely);
    const b = await seedInstance(db.kysely);
    const hashesA = await appendEvents(db.kysely, a, 1, 4);
    await appendEvents(db.kysely, b, 1, 3);
    expect(await createCheckpoint(db.kysely, key)).toMatchObject({ created: true, rowCount: 7, headCount: 2 });
    await appendEvents(db.kysely, b, 4, 6);

    const progress: number[] = [];
    const result = await verifyAudit(db.kysely, key.publicKeyPem, { batchSize: 4, onProgress: (n) => progress.push(n) });
    expect(result).toEqual({ ok: true, checked: 10, checkpoints: 1, covered: 7, broken: [] });
    expect(progress).toEqual([4, 8, 10]);

    const rows = await db.kysely.selectFrom('audit_events').select(['seq', 'hash', 'prev_hash']).where('instance_id', '=', a).orderBy('seq').execute();
    expect(rows.map((r) => r.hash)).toEqual(hashesA);
    expect(rows.map((r) => r.prev_hash)).toEqual([null, ...hashesA.slice(0, 3)]);
  });

  test('the hash covers every non-null column with timestamps in microseconds', async () => {
    const a = await seedInstance(db.kysely);
    const out = await db.kysely.transaction().execute((trx) =>
      appendAuditEvent(trx, { instanceId: a.toUpperCase(), seq: 1, event: 'create', fromState: null, toState: 'draft', actor: 'budi', payloadDigest: payloadDigest({ total: 5 }) }),
    );
    expect(out.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const expected = rowHash({
      instance_id: a, seq: 1, event: 'create', to_state: 'draft', actor: 'budi', payload_digest: payloadDigest({ total: 5 }), created_at: out.createdAt,
    });
    expect(out.hash).toBe(expected);
    const stored = await sql<{ ts: string }>`SELECT grms_ts(created_at) AS ts FROM audit_events WHERE instance_id = ${a}`.execute(db.kysely);
    expect(stored.rows[0]!.ts).toBe(out.createdAt);
  });

  test('appending seq n without row n-1 is refused with a typed error', async () => {
    const a = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 1);
    const attempt = db.kysely.transaction().execute((trx) =>
      appendAuditEvent(trx, { instanceId: a, seq: 3, event: 'submit', fromState: 'draft', toState: 'submitted', actor: 'budi' }),
    );
    await expect(attempt).rejects.toBeInstanceOf(AuditSequenceError);
    await expect(attempt).rejects.toMatchObject({ code: 'AUDIT_SEQUENCE', seq: 3 });
  });

  test('an altered row is named, in any chain, whether or not a checkpoint covers it', async () => {
    const a = await seedInstance(db.kysely);
    const b = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 4);
    await appendEvents(db.kysely, b, 1, 2);
    await createCheckpoint(db.kysely, key);
    await appendEvents(db.kysely, b, 3, 5); // b's rows 3..5 are after the checkpoint
    await tamper(db.kysely, async () => {
      await sql`UPDATE audit_events SET comment = 'disetujui' WHERE instance_id = ${a} AND seq = 2`.execute(db.kysely);
      await sql`UPDATE audit_events SET actor = 'mallory' WHERE instance_id = ${b} AND seq = 4`.execute(db.kysely);
    });
    const result = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(9);
    expect(result.broken).toEqual(
      [
        { instanceId: a, seq: 2, reason: expect.stringMatching(/altered/) },
        { instanceId: b, seq: 4, reason: expect.stringMatching(/altered/) },
      ].sort((x, y) => (x.instanceId < y.instanceId ? -1 : 1)),
    );
  });

  test('a row altered with its hash recomputed breaks the link to the next row, or the checkpoint head', async () => {
    const a = await seedInstance(db.kysely);
    const b = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 3);
    await appendEvents(db.kysely, b, 1, 3);
    await createCheckpoint(db.kysely, key);
    const rehash = async (instance: string, seq: number) => {
      await tamper(db.kysely, async () => {
        await sql`UPDATE audit_events SET comment = 'diubah' WHERE instance_id = ${instance} AND seq = ${seq}`.execute(db.kysely);
        const proj = await sql<Record<string, unknown>>`
          SELECT instance_id::text AS instance_id, seq, event, from_state, to_state, actor, actor_role, comment, payload_digest,
                 grms_ts(created_at) AS created_at, prev_hash
          FROM audit_events WHERE instance_id = ${instance} AND seq = ${seq}`.execute(db.kysely);
        await sql`UPDATE audit_events SET hash = ${rowHash(proj.rows[0]!)} WHERE instance_id = ${instance} AND seq = ${seq}`.execute(db.kysely);
      });
    };
    await rehash(a, 2); // the middle: row 3 still points at the old hash
    await rehash(b, 3); // the tail: only the checkpoint remembers the old hash
    const { broken } = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(broken).toHaveLength(2);
    expect(broken).toContainEqual({ instanceId: a, seq: 3, reason: expect.stringMatching(/prev_hash/) });
    expect(broken).toContainEqual({ instanceId: b, seq: 3, checkpointId: 1, reason: expect.stringMatching(/rewritten/) });
  });

  test('a row deleted in the middle of a chain is named', async () => {
    const a = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 5);
    await tamper(db.kysely, () => sql`DELETE FROM audit_events WHERE instance_id = ${a} AND seq = 3`.execute(db.kysely));
    const result = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(result).toMatchObject({ ok: false, checked: 4, checkpoints: 0 });
    expect(result.broken).toEqual([{ instanceId: a, seq: 3, reason: expect.stringMatching(/missing/) }]);
  });

  // A column of its own, so the test holds whatever later migrations add (0002 adds document_sha256).
  test('adding a nullable column leaves old hashes valid, and the new column is hashed once set', async () => {
    const a = await seedInstance(db.kysely);
    const [h1] = await appendEvents(db.kysely, a, 1, 2);
    await createCheckpoint(db.kysely, key);
    await sql`ALTER TABLE audit_events ADD COLUMN archive_ref text`.execute(db.kysely);
    expect(await verifyAudit(db.kysely, key.publicKeyPem)).toMatchObject({ ok: true, checked: 2 });

    const digest = payloadDigest({ pdf: 'sk-izin' });
    const third = await db.kysely.transaction().execute((trx) =>
      appendAuditEvent(trx, { instanceId: a, seq: 3, event: 'sign', fromState: 'draft', toState: 'signed', actor: 'budi', extra: { archive_ref: digest } }),
    );
    const rows = await db.kysely.selectFrom('audit_events').select(['seq', 'hash']).where('instance_id', '=', a).orderBy('seq').execute();
    expect(rows[0]!.hash).toBe(h1);
    expect(rows[2]!.hash).toBe(third.hash);
    expect(await verifyAudit(db.kysely, key.publicKeyPem)).toMatchObject({ ok: true, checked: 3 });

    await tamper(db.kysely, () => sql`UPDATE audit_events SET archive_ref = ${'0'.repeat(64)} WHERE seq = 3`.execute(db.kysely));
    expect((await verifyAudit(db.kysely, key.publicKeyPem)).broken).toEqual([{ instanceId: a, seq: 3, reason: expect.stringMatching(/altered/) }]);
  });
});
