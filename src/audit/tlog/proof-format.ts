import { TlogError } from './errors';
import { HASH_SIZE } from './hash';

/** C2SP tlog-proof@v1: an offline proof that an entry is in a checkpointed (and cosigned) tree. */
export interface TlogProof {
  extra?: Buffer;
  index: number;
  proof: Buffer[];
  checkpoint: string;
}

const HEADER = 'c2sp.org/tlog-proof@v1';
/** A tree of 2^63 leaves needs 63 hashes. */
const MAX_PROOF_HASHES = 63;

export function formatTlogProof(p: TlogProof): string {
  if (!Number.isSafeInteger(p.index) || p.index < 0) throw new TlogError('TLOG_FORMAT', `index ${p.index} is not a non-negative integer`);
  const lines = [HEADER];
  if (p.extra) lines.push(`extra ${p.extra.toString('base64')}`);
  lines.push(`index ${p.index}`, ...p.proof.map((h) => h.toString('base64')), '');
  return `${lines.join('\n')}\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new TlogError('TLOG_FORMAT', 'tlog proof has no blank line before its checkpoint');
  const lines = text.slice(0, blank).split('\n');
  const checkpoint = text.slice(blank + 2);
  if (lines.shift() !== HEADER) throw new TlogError('TLOG_FORMAT', `tlog proof must start with "${HEADER}"`);
  let extra: Buffer | undefined;
  if (lines[0]?.startsWith('extra ')) {
    const b64 = lines.shift()!.slice(6);
    extra = Buffer.from(b64, 'base64');
    if (extra.toString('base64') !== b64) throw new TlogError('TLOG_FORMAT', 'tlog proof extra is not base64');
  }
  const m = /^index (0|[1-9][0-9]{0,15})$/.exec(lines.shift() ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new TlogError('TLOG_FORMAT', 'tlog proof has no valid "index N" line');
  if (lines.length > MAX_PROOF_HASHES) throw new TlogError('TLOG_FORMAT', `tlog proof has more than ${MAX_PROOF_HASHES} hashes`);
  const proof = lines.map((l) => {
    const h = Buffer.from(l, 'base64');
    if (h.length !== HASH_SIZE || h.toString('base64') !== l) throw new TlogError('TLOG_FORMAT', `"${l.slice(0, 60)}" is not a base64 SHA-256 hash`);
    return h;
  });
  return { ...(extra ? { extra } : {}), index: Number(m[1]), proof, checkpoint };
}
