import { witnessMalformed } from '../../errors';

/**
 * The add-checkpoint request body (C2SP tlog-witness): `old N`, at most 63 consistency-proof
 * lines (base64 hashes), an empty line, then the signed checkpoint. Every line ends in "\n".
 */
export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  checkpoint: string;
}

/** A body larger than this is refused before it is read (63 hashes and a note with many signatures fit easily). */
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_PROOF_LINES = 63;

const OLD_LINE = /^old (0|[1-9][0-9]*)$/;
const HASH_LINE = /^[A-Za-z0-9+/]{43}=$/;

/** The body a client sends. */
export function formatAddCheckpoint(req: AddCheckpointRequest): string {
  return `old ${req.oldSize}\n${req.proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${req.checkpoint}`;
}

/** Parses a request body; throws WITNESS_MALFORMED (400) naming what is wrong. */
export function parseAddCheckpoint(body: Buffer): AddCheckpointRequest {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw witnessMalformed('The request body is not valid UTF-8');
  }
  const firstEnd = text.indexOf('\n');
  const first = firstEnd < 0 ? text : text.slice(0, firstEnd);
  const old = OLD_LINE.exec(first);
  if (!old || firstEnd < 0) throw witnessMalformed('The body must start with a line "old N" (N: the size last cosigned, in decimal without leading zeroes, 0 at first)');
  const oldSize = Number(old[1]);
  if (!Number.isSafeInteger(oldSize)) throw witnessMalformed(`old ${old[1]} is beyond the sizes this witness handles`);
  const proof: Buffer[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = text.indexOf('\n', at);
    if (end < 0) throw witnessMalformed('The proof lines must be followed by an empty line and the checkpoint');
    const line = text.slice(at, end);
    at = end + 1;
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES) throw witnessMalformed(`More than ${MAX_PROOF_LINES} proof lines`);
    const hash = HASH_LINE.test(line) ? Buffer.from(line, 'base64') : undefined;
    // Re-encoding catches a non-canonical last character, which a lenient decoder would accept.
    if (!hash || hash.toString('base64') !== line) throw witnessMalformed(`Proof line ${proof.length + 1} is not a base64 SHA-256 hash`);
    proof.push(hash);
  }
  const checkpoint = text.slice(at);
  if (checkpoint === '') throw witnessMalformed('The checkpoint is missing after the empty line');
  return { oldSize, proof, checkpoint };
}
