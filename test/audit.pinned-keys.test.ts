import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/types';
import { createTestDb, createPostgresDatabase, describeBackends, describePostgres, dropPostgresDatabase } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { grms, logKey, serve } from './support/cli';
import { tamper } from './support/audit-fixtures';
import { createCheckpoint, checkpointMessage, type Checkpoint } from '../src/audit/checkpoint';
import { ensureCheckpointKey } from '../src/audit/keys';
import { appendToSideChain } from '../src/audit/side-chain';
import { rowHash } from '../src/audit/hash';
import { encryptSecret } from '../src/auth/secrets';
import { openPostgres } from '../src/db/connect';
import { integrateAll } from './support/log-fixtures';

/** Every append-only table, with a column an UPDATE may try to set to itself. */
const APPEND_ONLY: Array<[table: string, column: string]> = [
  ['audit_events', 'hash'], ['audit_checkpoints', 'signature'], ['people_events', 'hash'], ['org_events', 'hash'],
  ['documents', 'signer_name'], ['void_document_numbers', 'reason'], ['attachments', 'filename'],
  ['deployment_keys', 'algorithm'], ['user_certificates', 'serial'], ['workflow_definition_fixes', 'reason'],
  ['ceiling_events', 'hash'], ['log_leaves', 'leaf_hash'], ['log_nodes', 'hash'], ['log_integrations', 'watermark'],
  ['log_checkpoints', 'note'], ['log_cosignatures', 'signature'], ['log_alarms', 'detail'],
];

const count = async (db: Kysely<Database>, table: string) =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db)).rows[0]!.n);

describeBackends('append-only tables refuse UPDATE, DELETE and TRUNCATE', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
    const db = app.db.kysely;
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
    // One row in every table the steps above leave empty, so the row triggers have something to refuse.
    await db.transaction().execute(async (trx) => {
      if ((await count(trx, 'people_events')) === 0) await appendToSideChain(trx, 'people_events', { action: 'deactivate', username: 'perencana.dinkes', role: null, org_id: null, details: null, actor: 'admin' });
      if ((await count(trx, 'org_events')) === 0) await appendToSideChain(trx, 'org_events', { action: 'update_org', org_id: 'dinkes', details: '{}', actor: 'admin' });
    });
    await sql`INSERT INTO void_document_numbers (number, org, year, reason) VALUES ('TEST/VOID/1', 'DINKES', 2026, 'a test voids it')`.execute(db);
    await sql`INSERT INTO attachments (id, instance_id, seq, filename, content_type, size, sha256, bytes, uploaded_by)
      VALUES (${crypto.randomUUID()}, ${id}, 1, 'kak.txt', 'text/plain', 1, encode(sha256('x'::bytea), 'hex'), 'x'::bytea, 'perencana.dinkes')`.execute(db);
    await sql`INSERT INTO workflow_definition_fixes (workflow, version, previous_hash, hash, reason, migration)
      VALUES ('test-flow', 1, ${'a'.repeat(64)}, ${'b'.repeat(64)}, 'a fix recorded by the test', 'test')`.execute(db);
    expect(await createCheckpoint(db, await ensureCheckpointKey(db, app.masterKey))).toMatchObject({ created: true });
    // The transparency log's tables: a checkpoint, and a cosignature and an alarm as a witness push would leave them.
    await integrateAll(db);
    const round = await app.call('admin', 'POST', '/api/v1/log/checkpoint');
    expect(round.status).toBe(200);
    await db.insertInto('log_cosignatures').values({ size: round.body.checkpoint.size, witness: 'w.example', signature: '— w.example AAAA', signed_at: 1 }).execute();
    await db.insertInto('log_alarms').values({ kind: 'witness-refused', witness: 'w.example', fatal: false, tree_size: 1, reported_size: null, detail: 'test' }).execute();
  }, 600_000);
  afterAll(async () => {
    await app?.close();
  });

  test.each(APPEND_ONLY)('%s', async (table, column) => {
    const db = app.db.kysely;
    const before = await count(db, table);
    expect(before).toBeGreaterThan(0);
    await expect(sql`UPDATE ${sql.table(table)} SET ${sql.ref(column)} = ${sql.ref(column)}`.execute(db)).rejects.toThrow(/refused/);
    await expect(sql`DELETE FROM ${sql.table(table)}`.execute(db)).rejects.toThrow(/refused/);
    await expect(sql`TRUNCATE ${sql.table(table)} CASCADE`.execute(db)).rejects.toThrow(/refused/);
    expect(await count(db, table)).toBe(before);
  });

  test('the named updates still work: a certificate revoked once, a fix applied once', async () => {
    const db = app.db.kysely;
    const cert = await db.selectFrom('user_certificates').select('id').where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    await db.updateTable('user_certificates').set({ revoked_at: new Date() }).where('id', '=', cert.id).execute();
    await expect(db.updateTable('user_certificates').set({ revoked_at: new Date() }).where('id', '=', cert.id).execute()).rejects.toThrow(/refused/);
    await sql`UPDATE workflow_definition_fixes SET applied_at = now() WHERE workflow = 'test-flow'`.execute(db);
    await expect(sql`UPDATE workflow_definition_fixes SET applied_at = now() WHERE workflow = 'test-flow'`.execute(db)).rejects.toThrow(/refused/);
  });
});

describeBackends('deployment keys are bound to their row', (kind) => {
  test('a v1 envelope is re-sealed once as v2; a swapped public key or moved envelope is refused', async () => {
    const db = await createTestDb(kind);
    const masterKey = crypto.randomBytes(32);
    try {
      const key = await ensureCheckpointKey(db.kysely, masterKey);
      const row = () => db.kysely.selectFrom('deployment_keys').selectAll().where('name', '=', 'audit-checkpoint').executeTakeFirstOrThrow();
      const sealed = await row();
      expect(sealed.private_key).toMatch(/^v2\./);
      const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

      // As written before this version: a v1 envelope. The first start re-seals it (the one allowed update).
      await tamper(db.kysely, () => sql`UPDATE deployment_keys SET private_key = ${encryptSecret(masterKey, pem)}`.execute(db.kysely), 'deployment_keys');
      expect((await row()).private_key).toMatch(/^v1\./);
      expect((await ensureCheckpointKey(db.kysely, masterKey)).publicKeyPem).toBe(key.publicKeyPem);
      const resealed = await row();
      expect(resealed.private_key).toMatch(/^v2\./);
      await expect(sql`UPDATE deployment_keys SET private_key = ${encryptSecret(masterKey, pem)}`.execute(db.kysely)).rejects.toThrow(/refused/);

      // The DBA's own public key in the row: a v2 envelope no longer opens …
      const dba = crypto.generateKeyPairSync('ed25519');
      const dbaPublic = dba.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await tamper(db.kysely, () => sql`UPDATE deployment_keys SET public_key = ${dbaPublic}`.execute(db.kysely), 'deployment_keys');
      await expect(ensureCheckpointKey(db.kysely, masterKey)).rejects.toThrow(/row it is stored in was altered/);
      // … and a v1 envelope (not yet bound) is caught by comparing the halves, and never sealed in.
      await tamper(db.kysely, () => sql`UPDATE deployment_keys SET private_key = ${encryptSecret(masterKey, pem)}`.execute(db.kysely), 'deployment_keys');
      await expect(ensureCheckpointKey(db.kysely, masterKey)).rejects.toThrow(/not the public half of its private key/);
      expect((await row()).private_key).toMatch(/^v1\./);
    } finally {
      await db.close();
    }
  }, 120_000);
});

describePostgres('a DBA with triggers off is caught by a verifier who pins the log key', () => {
  test('swapped key, truncated checkpoints, re-hashed people_events; no key: exit 2', async () => {
    const url = await createPostgresDatabase();
    const env = { DATABASE_URL: url, GRMS_KEY: grms(['key', 'generate'], {}).stdout.trim(), GRMS_PUBLIC_URL: 'https://grms.semarangkota.example' };
    const db = openPostgres({ connectionString: url });
    // As a superuser would: triggers off for this transaction only.
    const asDba = (fn: (trx: Kysely<Database>) => Promise<unknown>) =>
      db.kysely.transaction().execute(async (trx) => {
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await fn(trx);
      });
    const verify = (...extra: string[]) => {
      const r = grms(['audit', 'verify', '--log-key', pinned, ...extra], env);
      return { status: r.status, result: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
    };
    let pinned = '';
    try {
      expect(grms(['seed', '--demo'], env).status).toBe(0);
      // Changes to people as the admin's commands make them (the demo seed writes none).
      await db.kysely.transaction().execute(async (trx) => {
        for (const role of ['verifikator.bappeda', 'verifikator.bpkad', 'kadis']) {
          await appendToSideChain(trx, 'people_events', { action: 'grant_role', username: 'perencana.dinkes', role, org_id: 'dinkes', details: null, actor: 'admin' });
        }
      });
      expect(grms(['audit', 'checkpoint'], env).status).toBe(0);
      const shown = grms(['key', 'show'], env);
      expect(shown.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(shown.stdout).toMatch(/^fingerprint: SHA-256 [0-9a-f]{64}$/m);
      pinned = logKey(env);

      const unkeyed = grms(['audit', 'verify'], env);
      expect(unkeyed.status).toBe(2);
      expect(unkeyed.stderr).toMatch(/--log-key/);
      expect(unkeyed.stderr).toMatch(/grms key show/);

      const clean = verify();
      expect(clean.status).toBe(0);
      expect(clean.result).toMatchObject({ ok: true, broken: [] });
      expect(clean.result.covered).toBe(clean.result.checked);
      const people = await count(db.kysely, 'people_events');
      expect(people).toBeGreaterThan(2);
      const signed = await db.kysely.selectFrom('audit_checkpoints').select(['format', 'side_heads']).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(signed.format).toBe(2);
      expect(signed.side_heads).toMatchObject({ people_events: { seq: people } });

      // 1. The DBA's own key in the row and a checkpoint signed with it.
      const original = await db.kysely.selectFrom('deployment_keys').select('public_key').where('name', '=', 'audit-checkpoint').executeTakeFirstOrThrow();
      const dba = crypto.generateKeyPairSync('ed25519');
      const last = await db.kysely.selectFrom('audit_checkpoints').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
      const asOf = (await sql<{ ts: string }>`SELECT grms_ts(as_of + interval '1 second') AS ts FROM audit_checkpoints WHERE id = ${last.id}`.execute(db.kysely)).rows[0]!.ts;
      const forged: Omit<Checkpoint, 'signature'> = {
        id: last.id + 1, asOf, rowCount: last.row_count, headCount: last.head_count, heads: [], merkleRoot: last.merkle_root,
        previousId: last.id, keyName: last.key_name, format: 2, sideHeads: { people_events: null, org_events: null },
      };
      const forgedSignature = crypto.sign(null, checkpointMessage(forged), dba.privateKey).toString('base64');
      await asDba(async (trx) => {
        await sql`UPDATE deployment_keys SET public_key = ${dba.publicKey.export({ type: 'spki', format: 'pem' }).toString()} WHERE name = 'audit-checkpoint'`.execute(trx);
        await sql`INSERT INTO audit_checkpoints (id, as_of, row_count, head_count, heads, merkle_root, previous_id, signature, key_name, format, side_heads)
          VALUES (${forged.id}, ${asOf}::timestamptz, ${forged.rowCount}, ${forged.headCount}, '[]', ${forged.merkleRoot}, ${last.id}, ${forgedSignature}, ${forged.keyName}, 2, ${JSON.stringify(forged.sideHeads)})`.execute(trx);
      });
      const swapped = verify();
      expect(swapped.status).toBe(1);
      expect(JSON.stringify(swapped.result.broken)).toMatch(/signature does not verify/);
      // The server (and `grms key show`) refuse to start on the swapped row.
      const refused = grms(['key', 'show'], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/deployment key "audit-checkpoint"/);
      await expect(serve(env, 120_000)).rejects.toThrow(/deployment key "audit-checkpoint"/);
      await asDba(async (trx) => {
        await sql`UPDATE deployment_keys SET public_key = ${original.public_key} WHERE name = 'audit-checkpoint'`.execute(trx);
        await sql`DELETE FROM audit_checkpoints WHERE id = ${forged.id}`.execute(trx);
      });
      expect(verify().status).toBe(0);

      // 2. people_events re-hashed consistently from row 2 on: its own chain verifies, the signed head does not.
      await asDba(async (trx) => {
        const rows = (await sql<Record<string, unknown> & { seq: string }>`
          SELECT seq, action, username, role, org_id, details, actor, grms_ts(created_at) AS created_at, prev_hash, hash
          FROM people_events ORDER BY seq`.execute(trx)).rows;
        let prev: string | null = null;
        for (const r of rows) {
          const row: Record<string, unknown> = { ...r, seq: Number(r.seq), prev_hash: prev };
          if (row.seq === 2) row.actor = 'someone.else';
          row.hash = rowHash(row);
          await sql`UPDATE people_events SET actor = ${row.actor as string}, prev_hash = ${prev}, hash = ${row.hash as string} WHERE seq = ${row.seq as number}`.execute(trx);
          prev = row.hash as string;
        }
      });
      const rehashed = verify();
      expect(rehashed.status).toBe(1);
      expect(rehashed.result.people).toMatchObject({ ok: true });
      expect(JSON.stringify(rehashed.result.broken)).toMatch(/people_events row \d+ differs from the head signed by checkpoint/);

      // 3. audit_checkpoints emptied: rows with nothing signed over them.
      await expect(sql`TRUNCATE audit_checkpoints`.execute(db.kysely)).rejects.toThrow(/refused/);
      await asDba((trx) => sql`TRUNCATE audit_checkpoints`.execute(trx));
      const truncated = verify();
      expect(truncated.status).toBe(1);
      expect(JSON.stringify(truncated.result.broken)).toMatch(/no checkpoint/);
      expect(truncated.result.covered).toBe(0);
      // Asked for explicitly, the chains alone are checked (and the side chain's own hashes hold).
      expect(verify('--allow-unchecked-tail').status).toBe(0);
    } finally {
      await db.close();
      await dropPostgresDatabase(url);
    }
  }, 600_000);
});
