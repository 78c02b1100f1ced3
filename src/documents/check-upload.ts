import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { DocumentAuthority } from './authority';
import { loadRevocations } from './identities';
import type { VerifyPool } from './verify-pool';

/** What anyone learns about a PDF they hand in: the signature's verdict and, when grms issued it, which document. */
export interface UploadCheck {
  valid: boolean;
  reason: string;
  signer: { name: string; org: string; serial: string } | null;
  signedAt: string | null;
  sha256: string;
  documentId: string | null;
  instanceId: string | null;
  stage: string | null;
}

/**
 * Verifies an uploaded PDF against the deployment's trust anchors and revocations; a file whose
 * bytes grms stored is checked as of its signing time (a later revocation keeps it valid). The
 * upload was hashed as it arrived (src/api/upload-body.ts); its bytes move to a verification thread
 * (unusable here afterwards). Refusals (limits, budget, busy) are thrown as GrmsErrors.
 */
export async function checkUploadedPdf(
  db: Kysely<Database>, authority: DocumentAuthority, verifier: VerifyPool, upload: { bytes: Buffer; sha256: string },
): Promise<UploadCheck> {
  const { bytes: pdf, sha256 } = upload;
  const known = await db.selectFrom('documents').select(['id', 'instance_id', 'stage', 'created_at'])
    .where('sha256', '=', sha256).executeTakeFirst();
  const result = await verifier.verify(pdf, authority.trustAnchorsPem, { revocations: await loadRevocations(db), at: known?.created_at, transfer: true });
  return {
    valid: result.valid, reason: result.reason, signer: result.signer ?? null, signedAt: result.signedAt ?? null, sha256: result.sha256,
    documentId: known?.id ?? null, instanceId: known?.instance_id ?? null, stage: known?.stage ?? null,
  };
}
