import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../src/db/connect';
import { takeDocumentNumber, voidDocumentNumber } from '../src/documents/numbers';
import { createTestDb, describeBackends } from './support/db';

/** The rows one audited transition writes: an audit event naming a document, and the document. */
async function seedInstance(db: Db): Promise<string> {
  const id = crypto.randomUUID();
  await db.kysely.insertInto('orgs').values({ id: 'dinkes', name: 'Dinas Kesehatan', code: 'DINKES' }).execute();
  await db.kysely.insertInto('users').values({ username: 'ratna', full_name: 'Ratna', org_id: 'dinkes' }).execute();
  await db.kysely.insertInto('workflow_instances').values({
    id, workflow: 'budget-proposal', workflow_version: 1, state: 'draft', version: 1, snapshot: '{}', data: '{}',
    org_id: 'dinkes', title: 'RKA 2027', created_by: 'ratna',
  }).execute();
  return id;
}

function documentRow(instanceId: string, seq: number, number: string, bytes: Buffer) {
  return {
    instance_id: instanceId, seq, workflow: 'budget-proposal', event: 'approve', stage: 'persetujuan', number,
    title: 'Persetujuan', signer_username: 'ratna', signer_name: 'Ratna',
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes,
  };
}

function auditRow(instanceId: string, seq: number, documentSha256: string | null) {
  return {
    instance_id: instanceId, seq, event: 'approve', from_state: 'persetujuan', to_state: 'disetujui', actor: 'ratna',
    created_at: new Date().toISOString(), hash: crypto.randomBytes(32).toString('hex'), document_sha256: documentSha256,
  };
}

describeBackends('stored documents', (kind) => {
  let db: Db;
  let instanceId: string;
  beforeEach(async () => {
    db = await createTestDb(kind);
    instanceId = await seedInstance(db);
  });
  afterEach(async () => {
    await db.close();
  });

  test('a document and the audit row naming it are written together and can never change', async () => {
    const number = await takeDocumentNumber(db.kysely, { orgId: 'dinkes', orgCode: 'DINKES', year: 2026 });
    const doc = documentRow(instanceId, 1, number, Buffer.from('%PDF-1.3 signed'));
    await db.kysely.transaction().execute(async (trx) => {
      // Audit row first: the foreign key to documents is checked at commit.
      await trx.insertInto('audit_events').values(auditRow(instanceId, 1, doc.sha256)).execute();
      await trx.insertInto('documents').values(doc).execute();
    });
    const stored = await db.kysely.selectFrom('documents').selectAll().executeTakeFirstOrThrow();
    expect(stored.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Buffer.from(stored.bytes).toString()).toBe('%PDF-1.3 signed');
    await expect(db.kysely.updateTable('documents').set({ title: 'x' }).execute()).rejects.toThrow(/immutable/);
    await expect(db.kysely.deleteFrom('documents').execute()).rejects.toThrow(/immutable/);
    await expect(voidDocumentNumber(db.kysely, number, 'x')).rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_IN_USE' });
    await expect(sql`INSERT INTO void_document_numbers (number, org, year, reason) VALUES (${number}, 'DINKES', 2026, 'x')`.execute(db.kysely))
      .rejects.toThrow(/is on a document/);
  });

  test('an audit row cannot name a document that was not stored', async () => {
    await expect(db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('audit_events').values(auditRow(instanceId, 1, 'f'.repeat(64))).execute();
    })).rejects.toThrow(/foreign key/);
    // Transitions without a document leave the column null, as before the migration.
    await db.kysely.insertInto('audit_events').values(auditRow(instanceId, 1, null)).execute();
  });

  test('the stored hash must be the hash of the stored bytes, and a voided number cannot be used', async () => {
    const bad = { ...documentRow(instanceId, 1, '900/0001/DINKES/2026', Buffer.from('a')), sha256: 'a'.repeat(64) };
    await expect(db.kysely.insertInto('documents').values(bad).execute()).rejects.toThrow(/documents_sha256_matches/);
    await voidDocumentNumber(db.kysely, '900/0002/DINKES/2026', 'rendering failed');
    await expect(db.kysely.insertInto('documents').values(documentRow(instanceId, 2, '900/0002/DINKES/2026', Buffer.from('b'))).execute())
      .rejects.toThrow(/was voided/);
  });
});
