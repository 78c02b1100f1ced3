import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types';

/** A transition the server acknowledged with a 2xx: what must be in the database afterwards. */
export interface Ack {
  id: string;
  version: number;
  event: string;
}

/**
 * Every acknowledged transition is stored (with its document, for `documentEvents`), and nothing
 * is half-written: each instance's version matches its audit chain, every document has its row.
 */
export async function expectAcknowledgedStored(db: Kysely<Database>, acks: readonly Ack[], documentEvents: readonly string[] = ['submit']): Promise<void> {
  for (const ack of acks) {
    const row = await db.selectFrom('audit_events').select(['event', sql<string | null>`document_sha256`.as('doc')]).where('instance_id', '=', ack.id).where('seq', '=', ack.version).executeTakeFirst();
    expect({ ack, event: row?.event }).toEqual({ ack, event: ack.event });
    if (documentEvents.includes(ack.event)) {
      const doc = await db.selectFrom('documents').select('sha256').where('instance_id', '=', ack.id).where('seq', '=', ack.version).executeTakeFirst();
      expect(doc?.sha256).toBe(row!.doc);
    }
  }
  const mismatched = await sql<{ id: string }>`
    SELECT i.id FROM workflow_instances i
    WHERE i.version <> (SELECT count(*) FROM audit_events e WHERE e.instance_id = i.id)
       OR i.version <> (SELECT max(seq) FROM audit_events e WHERE e.instance_id = i.id)`.execute(db);
  expect(mismatched.rows).toEqual([]);
  const orphans = await sql<{ id: string }>`
    SELECT d.id FROM documents d LEFT JOIN audit_events e ON e.instance_id = d.instance_id AND e.seq = d.seq AND e.document_sha256 = d.sha256
    WHERE e.instance_id IS NULL`.execute(db);
  expect(orphans.rows).toEqual([]);
}
