import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import { parseTlogProof } from '../tlog';
import { documentEvidence, type DocumentEvidence } from './make-bundle';

/**
 * What the public verify page and its JSON say about a document's place in the public log: the
 * leaf, the inclusion proof and the cosigned checkpoint it is in, or that it is not covered yet.
 * Only hashes and what the page already shows; the bundle adds the salted leaf entry.
 */
export type PublicLogView =
  | { status: 'logged'; leafIndex: number; treeSize: number; witnesses: string[]; inclusionProof: string[]; checkpoint: string; evidence: string }
  | { status: 'pending'; leafIndex: number | null };

export async function publicLogView(db: Kysely<Database>, documentId: string, evidenceUrl: string): Promise<{ view: PublicLogView; evidence: DocumentEvidence } | undefined> {
  const evidence = await documentEvidence(db, documentId);
  if (evidence.status === 'unknown') return undefined;
  if (evidence.status === 'pending') return { view: { status: 'pending', leafIndex: evidence.index }, evidence };
  const proof = parseTlogProof(evidence.bundle.proof);
  return {
    evidence,
    view: {
      status: 'logged', leafIndex: evidence.index, treeSize: evidence.size, witnesses: evidence.cosigners,
      inclusionProof: proof.proof.map((h) => h.toString('base64')), checkpoint: proof.checkpoint, evidence: evidenceUrl,
    },
  };
}
