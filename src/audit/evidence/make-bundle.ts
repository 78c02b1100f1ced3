import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { cosignedCheckpoint } from '../log/checkpoint';
import { readLeafEntry } from '../log/entry';
import { logInclusionProof } from '../log/nodes';
import { formatTlogProof } from '../tlog';
import { BUNDLE_FORMAT, type EvidenceBundle } from './bundle';

export type DocumentEvidence =
  | { status: 'logged'; bundle: EvidenceBundle; index: number; size: number; cosigners: string[] }
  /** The document's row is not yet a leaf, or no checkpoint covers its leaf yet. */
  | { status: 'pending'; index: number | null }
  | { status: 'unknown' };

/**
 * A document's evidence bundle: its leaf entry, the inclusion proof of its leaf in the latest
 * checkpoint, and that checkpoint with every cosignature stored. The entry holds only what the
 * public verify page already shows (number, title, stage, signer, hash) plus the row's salt.
 */
export async function documentEvidence(db: Kysely<Database>, documentId: string): Promise<DocumentEvidence> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(documentId)) return { status: 'unknown' };
  const doc = await db.selectFrom('documents').select(['id', 'number', 'title', 'stage', 'signer_name', 'sha256']).where('id', '=', documentId).executeTakeFirst();
  if (!doc) return { status: 'unknown' };
  const leaf = await readLeafEntry(db, 'documents', doc.id);
  const cp = await cosignedCheckpoint(db);
  if (leaf.idx === null || !cp || cp.size <= leaf.idx) return { status: 'pending', index: leaf.idx };
  const proof = await logInclusionProof(db, leaf.idx, cp.size);
  return {
    status: 'logged',
    index: leaf.idx,
    size: cp.size,
    cosigners: cp.cosigned,
    bundle: {
      format: BUNDLE_FORMAT,
      document: { id: doc.id, number: doc.number, title: doc.title, stage: doc.stage, signer: doc.signer_name, sha256: doc.sha256 },
      entry: leaf.entry,
      proof: formatTlogProof({ index: leaf.idx, proof, checkpoint: cp.note }),
    },
  };
}
