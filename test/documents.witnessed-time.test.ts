import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeBackends } from './support/db';
import { startTestApp, PUBLIC_URL, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { initWitness, serveWitness, type ServedWitness } from './support/witness';
import { ensureCheckpointKey } from '../src/audit/keys';
import { defaultLogOrigin, loadConfig } from '../src/config';
import { integrateAndCheckpoint, openTransparencyLog, type TransparencyLog } from '../src/audit/log/service';
import { addCheckpoint } from '../src/audit/witness/client';
import { logVerifierKey } from '../src/audit/tlog';

/**
 * A document signed without a time-stamp (no TSA configured: PAdES B-B) is judged at its
 * registration until a witness of the public log has cosigned a checkpoint holding its leaf; from
 * then on at that cosignature's time, which the operator cannot move. Its signer's later
 * revocation leaves it valid. The witness is a real `grms witness serve` process.
 */
describeBackends('a signature without a time-stamp is judged at the first witness cosignature', (kind) => {
  let app: TestApp;
  let witness: ServedWitness;
  let dir: string;
  let log: TransparencyLog;
  beforeAll(async () => {
    app = await startTestApp(kind);
    const key = await ensureCheckpointKey(app.db.kysely, app.masterKey);
    const origin = defaultLogOrigin(PUBLIC_URL);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-witnessed-'));
    const witnessKey = initWitness(dir, 'inspektorat.witnessed-test.example', [logVerifierKey(origin, crypto.createPublicKey(key.privateKey))]);
    witness = await serveWitness(dir);
    log = openTransparencyLog(
      app.db.kysely, key.privateKey, loadConfig({ GRMS_LOG_ORIGIN: origin, GRMS_WITNESSES: `${witnessKey} ${witness.url}` }).log, addCheckpoint,
    );
  }, 300_000);
  afterAll(async () => {
    await app?.close();
    await witness?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('registration first, then the witness; a later revocation leaves it valid', async () => {
    const verify = (pdf: Buffer) => app.call(undefined, 'POST', '/api/v1/verify', pdf, { 'content-type': 'application/pdf' });
    const id = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
    const doc = await app.db.kysely.selectFrom('documents').select(['id', 'bytes', 'created_at']).where('instance_id', '=', id).executeTakeFirstOrThrow();
    const pdf = Buffer.from(doc.bytes);

    const before = (await verify(pdf)).body;
    expect(before).toMatchObject({ valid: true, level: 'B-B', documentId: doc.id, judgedBy: 'registration', judgedAt: doc.created_at.toISOString() });

    // Integrate, checkpoint and push to the witness now, until the document's leaf is cosigned (the xmin horizon is cluster-wide).
    let cosignedAt: number | undefined;
    for (let round = 0; round < 2000 && cosignedAt === undefined; round++) {
      const r = await integrateAndCheckpoint(log);
      expect(r.witnesses.every((w) => w.ok)).toBe(true);
      const leaf = await app.db.kysely.selectFrom('log_leaves').select('idx').where('source', '=', 'documents').where('source_key', '=', doc.id).executeTakeFirst();
      if (!leaf) continue;
      const cosig = await app.db.kysely.selectFrom('log_cosignatures').select('signed_at').where('size', '>', leaf.idx).orderBy('size').limit(1).executeTakeFirst();
      if (cosig) cosignedAt = Number(cosig.signed_at);
    }
    expect(cosignedAt).toBeDefined();
    const witnessed = (await verify(pdf)).body;
    expect(witnessed).toMatchObject({ valid: true, judgedBy: 'witnesses', judgedAt: new Date(cosignedAt! * 1000).toISOString() });
    expect(witnessed.notes).toEqual([expect.stringMatching(/earliest witness cosignature/)]);

    // The signer leaves office afterwards: the certificate is revoked now, after the witnessed time.
    const off = await app.call('admin', 'POST', '/api/v1/users/perencana.dinkes/deactivate', { reason: 'Mutasi' });
    expect(off.status).toBe(200);
    expect(off.body.revokedCertificates).toHaveLength(1);
    expect((await verify(pdf)).body).toMatchObject({ valid: true, judgedBy: 'witnesses' });
  }, 300_000);
});
