import crypto, { type KeyObject } from 'node:crypto';
import { TlogError } from './errors';
import { HASH_SIZE } from './hash';
import { formatNote, formatVerifierKey, parseNote, signNoteText, signaturesBy, verifyNoteSignature, type Note, type VerifierKey } from './note';

/** C2SP tlog-checkpoint: origin, tree size and root hash lines, then optional extension lines. */
export interface CheckpointBody {
  origin: string;
  size: number;
  root: Buffer;
  extensions: string[];
}

export interface LogSigner {
  /** The log's origin line; it is also the key name of the log's signature. */
  origin: string;
  privateKey: KeyObject;
}

export function formatCheckpointBody(b: CheckpointBody): string {
  if (!Number.isSafeInteger(b.size) || b.size < 0) throw new TlogError('TLOG_FORMAT', `tree size ${b.size} is not a non-negative integer`);
  if (b.root.length !== HASH_SIZE) throw new TlogError('TLOG_FORMAT', 'root hash must be 32 bytes');
  if (!b.origin || /[\n\u0000-\u001f]/.test(b.origin)) throw new TlogError('TLOG_FORMAT', 'origin must be one non-empty line');
  if (b.extensions.some((e) => !e || e.includes('\n'))) throw new TlogError('TLOG_FORMAT', 'extension lines must be non-empty single lines');
  return [b.origin, String(b.size), b.root.toString('base64'), ...b.extensions].map((l) => `${l}\n`).join('');
}

export function parseCheckpointBody(text: string): CheckpointBody {
  if (!text.endsWith('\n')) throw new TlogError('TLOG_FORMAT', 'checkpoint text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new TlogError('TLOG_FORMAT', 'a checkpoint has at least three lines (origin, size, root)');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin) throw new TlogError('TLOG_FORMAT', 'checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new TlogError('TLOG_FORMAT', `checkpoint size "${sizeText.slice(0, 40)}" is not a decimal without leading zeroes`);
  }
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText) throw new TlogError('TLOG_FORMAT', 'checkpoint root is not a base64 SHA-256 hash');
  if (extensions.some((e) => e === '')) throw new TlogError('TLOG_FORMAT', 'checkpoint extension lines must be non-empty');
  return { origin, size: Number(sizeText), root, extensions };
}

export function logVerifierKey(origin: string, publicKey: KeyObject): string {
  return formatVerifierKey(origin, 'ed25519', publicKey);
}

/** The whole signed note: body, blank line, the log's signature line. */
export function signCheckpoint(body: CheckpointBody, signer: LogSigner): string {
  if (body.origin !== signer.origin) throw new TlogError('TLOG_FORMAT', `checkpoint origin "${body.origin}" is not the log's "${signer.origin}"`);
  const text = formatCheckpointBody(body);
  return formatNote(text, [signNoteText(text, signer.origin, signer.privateKey)]);
}

/** Checks the log's signature (all lines by the log key must verify, and at least one must exist). */
export function openCheckpoint(note: string, logKey: VerifierKey): { body: CheckpointBody; note: Note } {
  const parsed = parseNote(note);
  const body = parseCheckpointBody(parsed.text);
  if (body.origin !== logKey.name) throw new TlogError('TLOG_SIGNATURE', `checkpoint origin "${body.origin}" is not the log "${logKey.name}"`);
  const mine = signaturesBy(parsed, logKey);
  if (mine.length === 0) throw new TlogError('TLOG_SIGNATURE', `checkpoint carries no signature by the log key ${logKey.name}+${logKey.keyId.toString('hex')}`);
  if (!mine.every((s) => verifyNoteSignature(parsed.text, s, logKey))) throw new TlogError('TLOG_SIGNATURE', 'the log signature on the checkpoint does not verify');
  return { body, note: parsed };
}

/** Ed25519 key pair for tests and witnesses. */
export function newEd25519Key(): { privateKey: KeyObject; publicKey: KeyObject } {
  return crypto.generateKeyPairSync('ed25519');
}
