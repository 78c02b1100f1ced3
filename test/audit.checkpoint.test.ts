import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../src/db/connect';
import {
  appendAuditEvent, auditPublicKey, checkpointMessage, createCheckpoint, ensureCheckpointKey, merkleRoot, startCheckpointScheduler,
  verifyAudit, type CheckpointKey, type Head,
} from '../src/audit';
import { createTestDb, describeBackends, describePostgres } from './support/db';
import { appendEvents, forgeRow, MASTER_KEY, seedInstance, tamper } from './support/audit-fixtures';

describe('merkleRoot', () => {
  const heads: Head[] = Array.from({ length: 9 }, (_, i) => ({ instance: crypto.randomUUID(), seq: i + 1, hash: crypto.randomBytes(32).toString('hex') }));

  test('depends on the set of heads, not the order they arrive in', () => {
    expect(merkleRoot([...heads].reverse())).toBe(merkleRoot(heads));
    expect(merkleRoot([])).toBe(crypto.createHash('sha256').digest('hex'));
  });

  test('changes when any head moves, appears or disappears', () => {
    const root = merkleRoot(heads);
    const roots = new Set([root]);
    for (let i = 0; i < heads.length; i++) {
      roots.add(merkleRoot(heads.map((h, j) => (j === i ? { ...h, seq: h.seq + 1 } : h))));
      roots.add(merkleRoot(heads.filter((_, j) => j !== i)));
    }
    roots.add(merkleRoot([...heads, { instance: crypto.randomUUID(), seq: 1, hash: heads[0]!.hash }]));
    expect(roots.size).toBe(1 + 2 * heads.length + 1);
  });
});

describeBackends('audit checkpoints', (kind) => {
  let db: Db;
  let key: CheckpointKey;
  beforeEach(async () => {
    db = await createTestDb(kind);
    key = await ensureCheckpointKey(db.kysely, MASTER_KEY);
  });
  afterEach(async () => {
    await db.close();
  });

  const headsInDb = async (): Promise<Head[]> =>
    (await sql<Head>`SELECT DISTINCT ON (instance_id) instance_id::text AS instance, seq, hash FROM audit_events ORDER BY instance_id, seq DESC`.execute(db.kysely)).rows;

  test('records the moved heads, signs them, and writes nothing when nothing moved', async () => {
    const again = await ensureCheckpointKey(db.kysely, MASTER_KEY);
    expect(again.keyId).toBe(key.keyId);
    expect(await auditPublicKey(db.kysely)).toEqual({ publicKeyPem: key.publicKeyPem, keyId: key.keyId });
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);

    expect(await createCheckpoint(db.kysely, key)).toBeNull(); // no rows, no previous checkpoint
    const a = await seedInstance(db.kysely);
    const b = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 3);
    await appendEvents(db.kysely, b, 1, 2);
    const first = (await createCheckpoint(db.kysely, key))!;
    expect(first).toMatchObject({ created: true, rowCount: 5, headCount: 2, previousId: null, keyName: 'audit-checkpoint' });
    expect(first.heads).toEqual([...(await headsInDb())].sort((x, y) => (x.instance < y.instance ? -1 : 1)));
    expect(first.merkleRoot).toBe(merkleRoot(await headsInDb()));
    expect(crypto.verify(null, checkpointMessage(first), key.publicKeyPem, Buffer.from(first.signature, 'base64'))).toBe(true);

    expect(await createCheckpoint(db.kysely, key)).toEqual({ ...first, created: false });

    await appendEvents(db.kysely, b, 3, 4);
    const second = (await createCheckpoint(db.kysely, key))!;
    expect(second).toMatchObject({ created: true, rowCount: 7, headCount: 2, previousId: first.id });
    expect(second.heads).toEqual([{ instance: b, seq: 4, hash: expect.any(String) }]);
    expect(second.merkleRoot).toBe(merkleRoot(await headsInDb()));
    expect(await verifyAudit(db.kysely, key.publicKeyPem)).toEqual({ ok: true, checked: 7, checkpoints: 2, covered: 7, broken: [] });
  });

  test('a tail row deleted after a checkpoint is caught by the checkpoint', async () => {
    const a = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 4);
    const cp = (await createCheckpoint(db.kysely, key))!;
    await tamper(db.kysely, () => sql`DELETE FROM audit_events WHERE instance_id = ${a} AND seq = 4`.execute(db.kysely));
    const result = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(result).toMatchObject({ ok: false, checked: 3, checkpoints: 1 });
    expect(result.broken).toEqual([{ instanceId: a, seq: 4, checkpointId: cp.id, reason: expect.stringMatching(/removed/) }]);
  });

  test('a whole instance deleted is caught by the checkpoint that recorded it', async () => {
    const a = await seedInstance(db.kysely);
    const b = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 2);
    await appendEvents(db.kysely, b, 1, 3);
    const cp = (await createCheckpoint(db.kysely, key))!;
    await appendEvents(db.kysely, a, 3, 3);
    await createCheckpoint(db.kysely, key); // a moved, b did not: b's head is in the first checkpoint only
    await tamper(db.kysely, async () => {
      await sql`DELETE FROM audit_events WHERE instance_id = ${b}`.execute(db.kysely);
      await sql`DELETE FROM workflow_instances WHERE id = ${b}`.execute(db.kysely);
    });
    const result = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(result).toMatchObject({ ok: false, checked: 3, checkpoints: 2 });
    expect(result.broken).toEqual([{ instanceId: b, checkpointId: cp.id, reason: expect.stringMatching(/instance removed/) }]);
  });

  test('a forged checkpoint signature, or a key that did not sign, is caught', async () => {
    const a = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 2);
    await createCheckpoint(db.kysely, key);
    await appendEvents(db.kysely, a, 3, 3);
    const second = (await createCheckpoint(db.kysely, key))!;

    const other = crypto.generateKeyPairSync('ed25519');
    const otherPem = other.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const withOther = await verifyAudit(db.kysely, otherPem);
    expect(withOther.broken.map((b) => b.checkpointId)).toEqual([1, second.id]);

    // An attacker re-signs a checkpoint that forgets row 3 with a key of their own.
    const forged = { ...second, rowCount: 2, heads: [{ ...second.heads[0]!, seq: 2 }] };
    const signature = crypto.sign(null, checkpointMessage(forged), other.privateKey).toString('base64');
    await tamper(db.kysely, () => sql`UPDATE audit_checkpoints SET signature = ${signature} WHERE id = ${second.id}`.execute(db.kysely), 'audit_checkpoints');
    const result = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(result.ok).toBe(false);
    expect(result.broken).toEqual([{ instanceId: '', checkpointId: second.id, reason: expect.stringMatching(/signature/) }]);
  });

  test('rows added before the checkpoint time are caught, in a known chain or as a new one', async () => {
    const a = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 2);
    const cp = (await createCheckpoint(db.kysely, key))!;
    await appendEvents(db.kysely, a, 3, 3);
    const intruder = await seedInstance(db.kysely, 'pengadaan fiktif');
    // Correctly chained rows, back-dated to before the checkpoint: only the checkpoint knows better.
    const before = '2020-01-01T00:00:00.000000Z';
    await forgeRow(db.kysely, intruder, 1, before);
    await forgeRow(db.kysely, intruder, 2, before);
    const b = await seedInstance(db.kysely);
    await appendEvents(db.kysely, b, 1, 1);
    await createCheckpoint(db.kysely, key); // a later checkpoint does not launder the forged chain
    const c = await seedInstance(db.kysely);
    await appendEvents(db.kysely, c, 1, 2);
    const cp3 = (await createCheckpoint(db.kysely, key))!;
    await forgeRow(db.kysely, c, 3, cp.asOf); // a tail row dated before the checkpoint that recorded c up to 2
    const d = await seedInstance(db.kysely);
    await appendEvents(db.kysely, d, 1, 1); // after every checkpoint …
    await forgeRow(db.kysely, d, 2, before); // … followed by a row dated before them

    const result = await verifyAudit(db.kysely, key.publicKeyPem);
    expect(result).toMatchObject({ ok: false, checked: 11, checkpoints: 3 });
    expect(result.broken).toHaveLength(3);
    expect(result.broken).toContainEqual({ instanceId: intruder, seq: 1, checkpointId: cp3.id, reason: expect.stringMatching(/not in it \(rows added\)/) });
    expect(result.broken).toContainEqual({ instanceId: c, seq: 3, checkpointId: cp3.id, reason: expect.stringMatching(/not in it.*\(row added\)/) });
    expect(result.broken).toContainEqual({ instanceId: d, seq: 2, checkpointId: cp3.id, reason: expect.stringMatching(/added or back-dated/) });
  });

  test('the scheduler takes checkpoints on its own and stops cleanly', async () => {
    const a = await seedInstance(db.kysely);
    await appendEvents(db.kysely, a, 1, 2);
    const errors: unknown[] = [];
    const stop = startCheckpointScheduler(db.kysely, key, 20, (err) => errors.push(err));
    try {
      const deadline = Date.now() + 10_000;
      while ((await db.kysely.selectFrom('audit_checkpoints').select('id').execute()).length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await appendEvents(db.kysely, a, 3, 3);
      while ((await db.kysely.selectFrom('audit_checkpoints').select('id').execute()).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await stop();
    }
    expect(errors).toEqual([]);
    const rows = await db.kysely.selectFrom('audit_checkpoints').select(['id', 'row_count']).orderBy('id').execute();
    expect(rows.map((r) => r.row_count)).toEqual([2, 3]); // nothing written while nothing moved
    expect(await verifyAudit(db.kysely, key.publicKeyPem)).toMatchObject({ ok: true, checked: 3, checkpoints: 2 });
  });
});

describePostgres('audit checkpoints under concurrent appends', () => {
  test('no row falls between checkpoints taken while many instances append at once', async () => {
    const db = await createTestDb('postgres');
    try {
      const key = await ensureCheckpointKey(db.kysely, MASTER_KEY);
      const instances = await Promise.all(Array.from({ length: 24 }, (_, i) => seedInstance(db.kysely, `usulan ${i}`)));
      let appending = true;
      const checkpoints = (async () => {
        let n = 0;
        while (appending) {
          if ((await createCheckpoint(db.kysely, key))?.created) n++;
          await new Promise((r) => setTimeout(r, 5));
        }
        return n;
      })();
      // Each worker appends to its own instances; a short sleep inside each transaction keeps
      // appends in flight while checkpoints try to take their lock.
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          const mine = instances.filter((_, i) => i % 8 === w);
          for (let seq = 1; seq <= 8; seq++) {
            for (const id of mine) {
              await db.kysely.transaction().execute(async (trx) => {
                await trx.selectFrom('workflow_instances').select('id').where('id', '=', id).forUpdate().execute();
                await appendAuditEvent(trx, { instanceId: id, seq, event: 'submit', fromState: 'draft', toState: 'draft', actor: 'budi' });
                await sql`SELECT pg_sleep(0.002)`.execute(trx);
              });
            }
          }
        }),
      );
      appending = false;
      const taken = await checkpoints;
      const last = (await createCheckpoint(db.kysely, key))!;
      expect(taken).toBeGreaterThanOrEqual(3);
      expect(last.rowCount).toBe(24 * 8);
      const result = await verifyAudit(db.kysely, key.publicKeyPem, { batchSize: 50 });
      expect(result.broken).toEqual([]);
      expect(result).toMatchObject({ ok: true, checked: 24 * 8 });
      expect(result.checkpoints).toBeGreaterThanOrEqual(taken);
    } finally {
      await db.close();
    }
  });
});
