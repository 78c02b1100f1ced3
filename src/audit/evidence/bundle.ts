import crypto from 'node:crypto';
import { leafHash, parseTlogProof, TlogError, verifyCheckpoint, verifyInclusion, type Policy } from '../tlog';

/**
 * An evidence bundle proves one signed document is in the public log, with no server and no
 * database: the document's salted leaf entry, a C2SP tlog-proof (index, inclusion proof and the
 * cosigned checkpoint) and the document's facts as the verify page shows them.
 */
export const BUNDLE_FORMAT = 'grms-evidence/1';

export interface BundleDocument {
  id: string;
  number: string;
  title: string;
  stage: string;
  signer: string;
  sha256: string;
}

export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  document: BundleDocument;
  /** The leaf entry (canonical JSON text) whose leaf hash is in the log. */
  entry: string;
  /** c2sp.org/tlog-proof@v1 text. */
  proof: string;
}

export interface BundleCheck {
  check: 'format' | 'entry' | 'pdf' | 'log-signature' | 'inclusion' | 'witnesses';
  ok: boolean;
  detail: string;
}

export interface BundleVerdict {
  ok: boolean;
  checks: BundleCheck[];
  document?: BundleDocument;
  checkpoint?: { origin: string; size: number; index: number };
  cosigners: string[];
}

const MAX_BUNDLE_BYTES = 1024 * 1024;

/** The document columns of the leaf entry that the bundle's document facts must equal. */
const ENTRY_FIELDS: Array<[keyof BundleDocument, string]> = [
  ['id', 'id'], ['number', 'number'], ['title', 'title'], ['stage', 'stage'], ['signer', 'signer_name'], ['sha256', 'sha256'],
];

function asBundle(value: unknown): EvidenceBundle {
  const b = value as Partial<EvidenceBundle> | null;
  if (!b || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) throw new TlogError('TLOG_FORMAT', `not a ${BUNDLE_FORMAT} evidence bundle`);
  const d = b.document as Partial<BundleDocument> | undefined;
  if (!d || typeof d !== 'object' || ENTRY_FIELDS.some(([k]) => typeof d[k] !== 'string')) throw new TlogError('TLOG_FORMAT', 'bundle.document lacks id, number, title, stage, signer or sha256');
  if (typeof b.entry !== 'string' || typeof b.proof !== 'string') throw new TlogError('TLOG_FORMAT', 'bundle.entry and bundle.proof must be text');
  return b as EvidenceBundle;
}

export function parseBundle(text: string | Buffer): EvidenceBundle {
  if (text.length > MAX_BUNDLE_BYTES) throw new TlogError('TLOG_FORMAT', `bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text.toString());
  } catch {
    throw new TlogError('TLOG_FORMAT', 'bundle is not JSON');
  }
  return asBundle(value);
}

/**
 * Verifies a bundle against keys the verifier holds (the policy), and the PDF when given. Every
 * check is reported; ok only when all pass and the policy's witness quorum cosigned.
 */
export function verifyBundle(input: EvidenceBundle | string | Buffer, policy: Policy, pdf?: Buffer): BundleVerdict {
  const checks: BundleCheck[] = [];
  const fail = (check: BundleCheck['check'], detail: string): BundleVerdict => {
    checks.push({ check, ok: false, detail });
    return { ok: false, checks, cosigners: [] };
  };
  let bundle: EvidenceBundle;
  try {
    bundle = typeof input === 'string' || Buffer.isBuffer(input) ? parseBundle(input) : asBundle(input);
  } catch (err) {
    return fail('format', (err as Error).message);
  }
  checks.push({ check: 'format', ok: true, detail: BUNDLE_FORMAT });
  const doc = bundle.document;

  let entry: { source?: unknown; row?: Record<string, unknown> };
  try {
    entry = JSON.parse(bundle.entry) as typeof entry;
  } catch {
    return fail('entry', 'the leaf entry is not JSON');
  }
  const row = entry.row ?? {};
  const differs = ENTRY_FIELDS.filter(([k, col]) => row[col] !== doc[k]).map(([k]) => k);
  if (entry.source !== 'documents' || differs.length) {
    return fail('entry', entry.source !== 'documents' ? 'the leaf entry is not a document' : `the leaf entry does not match the document's ${differs.join(', ')}`);
  }
  checks.push({ check: 'entry', ok: true, detail: `leaf entry of document ${doc.number}` });

  if (pdf) {
    const sha = crypto.createHash('sha256').update(pdf).digest('hex');
    if (sha !== doc.sha256) return fail('pdf', `the PDF's SHA-256 is ${sha}, the document's is ${doc.sha256}`);
    checks.push({ check: 'pdf', ok: true, detail: `SHA-256 ${sha}` });
  }

  let proof;
  let verdict;
  try {
    proof = parseTlogProof(bundle.proof);
    verdict = verifyCheckpoint(proof.checkpoint, policy);
  } catch (err) {
    return fail('log-signature', (err as Error).message);
  }
  checks.push({ check: 'log-signature', ok: true, detail: `checkpoint of ${verdict.body.origin} at size ${verdict.body.size}, signed by the pinned log key` });

  const included = verifyInclusion(proof.index, verdict.body.size, leafHash(bundle.entry), proof.proof, verdict.body.root);
  checks.push({
    check: 'inclusion',
    ok: included,
    detail: included ? `leaf ${proof.index} is in the tree of size ${verdict.body.size}` : `leaf ${proof.index} is not proven in the tree of size ${verdict.body.size}`,
  });
  const bad = verdict.badCosigners.length ? `; invalid cosignatures from ${verdict.badCosigners.join(', ')}` : '';
  checks.push({
    check: 'witnesses',
    ok: verdict.quorumMet,
    detail: `${verdict.cosigners.length ? `cosigned by ${verdict.cosigners.join(', ')}` : 'no cosignature from a pinned witness'}${bad}; ${verdict.quorumMet ? 'quorum met' : 'quorum NOT met'}`,
  });
  return {
    ok: checks.every((c) => c.ok),
    checks,
    document: doc,
    checkpoint: { origin: verdict.body.origin, size: verdict.body.size, index: proof.index },
    cosigners: verdict.cosigners,
  };
}
