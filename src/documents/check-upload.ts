import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { DocumentAuthority } from './authority';
import { loadRevocations } from './identities';
import { firstWitnessed } from '../audit/log';
import type { VerifyPool } from './verify-pool';

/** What anyone learns about a PDF they hand in: the signature's verdict and, when grms issued it, which document. */
export interface UploadCheck {
  valid: boolean;
  reason: string;
  signer: { name: string; org: string; serial: string } | null;
  signedAt: string | null;
  /** ETSI.CAdES.detached (PAdES) or adbe.pkcs7.detached (earlier versions). */
  subFilter: string | null;
  /** PAdES baseline level: B-B, B-T (time-stamped) or B-LT (with validation material). */
  level: string | null;
  timestamp: { time: string; authority: string } | null;
  /** When validity was decided, and by what: the time-stamp, the log's witnesses, grms's registration, or this check. */
  judgedAt: string | null;
  judgedBy: string | null;
  notes: string[];
  sha256: string;
  documentId: string | null;
  instanceId: string | null;
  stage: string | null;
}

/**
 * Verifies an uploaded PDF against the deployment's trust anchors and revocations; a signature is
 * judged at the time its time-stamp proves, else, for a file whose bytes grms stored, at the first
 * witness cosignature over its log leaf, or before any witness saw it at its registration (a later
 * revocation keeps it valid), else now. The
 * upload was hashed as it arrived (src/api/upload-body.ts); its bytes move to a verification thread
 * (unusable here afterwards). Refusals (limits, budget, busy) are thrown as GrmsErrors.
 */
export async function checkUploadedPdf(
  db: Kysely<Database>, authority: DocumentAuthority, verifier: VerifyPool, upload: { bytes: Buffer; sha256: string },
): Promise<UploadCheck> {
  const { bytes: pdf, sha256 } = upload;
  const known = await db.selectFrom('documents').select(['id', 'instance_id', 'stage', 'created_at'])
    .where('sha256', '=', sha256).executeTakeFirst();
  const witnessedAt = known ? await firstWitnessed(db, 'documents', known.id) : undefined;
  const result = await verifier.verify(pdf, authority.trustAnchorsPem, {
    revocations: await loadRevocations(db), witnessedAt, registeredAt: known?.created_at, tsaAnchorsPem: authority.tsaTrustAnchorsPem, transfer: true,
  });
  return {
    valid: result.valid, reason: result.reason, signer: result.signer ?? null, signedAt: result.signedAt ?? null, sha256: result.sha256,
    subFilter: result.subFilter ?? null, level: result.level ?? null, timestamp: result.timestamp ?? null,
    judgedAt: result.judgedAt ?? null, judgedBy: result.judgedBy ?? null, notes: result.notes,
    documentId: known?.id ?? null, instanceId: known?.instance_id ?? null, stage: known?.stage ?? null,
  };
}
