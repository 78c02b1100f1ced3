import crypto from 'node:crypto';
import { describeBackends } from './support/db';
import { startTestApp, PUBLIC_URL, type TestApp } from './support/app';
import { proposal } from './support/proposals';
import { ensureCheckpointKey } from '../src/audit/keys';
import { defaultLogOrigin } from '../src/config';
import { verifyBundle } from '../src/audit/evidence/bundle';
import { leafHash, logVerifierKey, openCheckpoint, parseVerifierKey, policyFromKeys, verifyInclusion } from '../src/audit/tlog';
import { createSession, SESSION_COOKIE } from '../src/web/session';
import { ConsoleClient } from './support/web';

/**
 * A document's place in the public log, as a citizen or an auditor meets it: the verify page says
 * "not yet in the public log" until a checkpoint covers the document, then shows the leaf, proof
 * and checkpoint, and hands out an evidence bundle that verifies offline with the pinned log key.
 */
describeBackends('evidence of a document in the public log', (kind) => {
  let app: TestApp;
  let documentId: string;
  let instanceId: string;
  /** The instance page as its planner sees it in the console. */
  const instancePage = async () => {
    const client = new ConsoleClient(app.url);
    client.cookies.set(SESSION_COOKIE, (await createSession(app.db.kysely, 'perencana.dinkes')).id);
    return (await client.get(`/instances/${instanceId}`)).text;
  };
  beforeAll(async () => {
    app = await startTestApp(kind);
    const id = instanceId = (await app.call('perencana.dinkes', 'POST', '/api/v1/instances', { workflow: 'budget-proposal', data: proposal() })).body.id as string;
    expect((await app.call('perencana.dinkes', 'POST', `/api/v1/instances/${id}/events`, { type: 'submit' })).status).toBe(200);
    documentId = (await app.db.kysely.selectFrom('documents').select('id').where('instance_id', '=', id).executeTakeFirstOrThrow()).id;
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  test('before a checkpoint covers it: "belum tercatat", and no bundle yet (409)', async () => {
    const json = await app.call(undefined, 'GET', `/verify/${documentId}`, undefined, { Accept: 'application/json' });
    expect(json.body.log).toMatchObject({ status: 'pending' });
    const page = await app.call(undefined, 'GET', `/verify/${documentId}`, undefined, { Accept: 'text/html' });
    expect(page.text).toContain('Belum tercatat di log publik');
    const bundle = await app.call(undefined, 'GET', `/verify/${documentId}/evidence`);
    expect(bundle.status).toBe(409);
    expect(bundle.body.code).toBe('LOG_PENDING');
    const page2 = await instancePage();
    expect(page2).toContain(`/verify/${documentId}"`);
    expect(page2).not.toContain(`/verify/${documentId}/evidence`);
  });

  test('after a checkpoint: leaf, proof and checkpoint on the page and in JSON; the bundle verifies offline with the pinned key only', async () => {
    // "Integrate and checkpoint now" (admin), until the row is in: the xmin horizon is cluster-wide.
    let covered = false;
    for (let round = 0; round < 2000 && !covered; round++) {
      expect((await app.call('admin', 'POST', '/api/v1/log/checkpoint')).status).toBeLessThan(300);
      covered = (await app.call(undefined, 'GET', `/verify/${documentId}`, undefined, { Accept: 'application/json' })).body.log.status === 'logged';
    }
    expect(covered).toBe(true);
    const json = (await app.call(undefined, 'GET', `/verify/${documentId}`, undefined, { Accept: 'application/json' })).body;
    const key = await ensureCheckpointKey(app.db.kysely, app.masterKey);
    const vkey = logVerifierKey(defaultLogOrigin(PUBLIC_URL), crypto.createPublicKey(key.privateKey));
    const { body } = openCheckpoint(json.log.checkpoint, parseVerifierKey(vkey));
    expect(body.size).toBe(json.log.treeSize);
    expect(json.log.witnesses).toEqual([]);

    const page = await app.call(undefined, 'GET', `/verify/${documentId}`, undefined, { Accept: 'text/html' });
    expect(page.text).toContain('belum disaksikan lembaga lain');
    expect(page.text).toContain(`/verify/${documentId}/evidence`);
    // The instance page offers the bundle too, now that a checkpoint covers the document.
    expect(await instancePage()).toContain(`href="/verify/${documentId}/evidence" download`);

    const res = await app.call(undefined, 'GET', `/verify/${documentId}/evidence`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="bukti-/);
    const bundle = res.body;
    const entry = JSON.parse(bundle.entry);
    expect(entry).toMatchObject({ v: 1, source: 'documents', row: { id: documentId, sha256: json.sha256 } });
    // The proof on the page is the bundle's proof: the entry's leaf is at leafIndex.
    expect(verifyInclusion(json.log.leafIndex, body.size, leafHash(bundle.entry), json.log.inclusionProof.map((h: string) => Buffer.from(h, 'base64')), body.root)).toBe(true);
    const pdf = await app.db.kysely.selectFrom('documents').select('bytes').where('id', '=', documentId).executeTakeFirstOrThrow();
    expect(verifyBundle(bundle, policyFromKeys(vkey, []), Buffer.from(pdf.bytes))).toMatchObject({ ok: true });
    // A key the verifier did not pin proves nothing.
    const other = logVerifierKey(defaultLogOrigin(PUBLIC_URL), crypto.generateKeyPairSync('ed25519').publicKey);
    expect(verifyBundle(bundle, policyFromKeys(other, [])).ok).toBe(false);
  }, 300_000);
});
