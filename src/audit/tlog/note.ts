import crypto, { type KeyObject } from 'node:crypto';
import { TlogError } from './errors';

/**
 * C2SP signed-note: a text ending in a newline, a blank line, then signature lines
 * `— <key name> base64(4-byte key ID ‖ signature)`. Keys travel as verifier keys (vkeys):
 * `<name>+<hex key ID>+base64(type byte ‖ public key)`.
 */
export type SignatureType = 'ed25519' | 'cosignature/v1';

const TYPE_BYTE: Record<SignatureType, number> = { ed25519: 0x01, 'cosignature/v1': 0x04 };
const EM_DASH = '\u2014';
/** The spec asks verifiers to accept at least 16; far more is a note built to waste our time. */
export const MAX_NOTE_SIGNATURES = 64;
export const MAX_NOTE_BYTES = 64 * 1024;

export interface VerifierKey {
  name: string;
  keyId: Buffer;
  type: SignatureType;
  publicKey: KeyObject;
  /** The vkey as text. */
  text: string;
}

export interface NoteSignature {
  name: string;
  keyId: Buffer;
  /** The bytes after the key ID. */
  signature: Buffer;
  line: string;
}

export interface Note {
  /** Ends in "\n"; without the blank separator line. */
  text: string;
  signatures: NoteSignature[];
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function rawEd25519(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TlogError('TLOG_FORMAT', 'note keys must be Ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

export function ed25519FromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new TlogError('TLOG_FORMAT', `an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new TlogError('TLOG_FORMAT', `key name "${name}" must be non-empty, without spaces or "+"`);
  }
}

export function noteKeyId(name: string, type: SignatureType, rawPublicKey: Buffer): Buffer {
  checkKeyName(name);
  return crypto
    .createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, TYPE_BYTE[type]]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

export function formatVerifierKey(name: string, type: SignatureType, publicKey: KeyObject): string {
  const raw = rawEd25519(publicKey);
  const id = noteKeyId(name, type, raw);
  return `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([TYPE_BYTE[type]]), raw]).toString('base64')}`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function strictBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (!BASE64.test(text) || bytes.toString('base64') !== text) throw new TlogError('TLOG_FORMAT', `${what} is not canonical base64`);
  return bytes;
}

export function parseVerifierKey(text: string): VerifierKey {
  const trimmed = text.trim();
  const parts = trimmed.split('+');
  // The base64 part may itself contain "+": name and key ID never do.
  if (parts.length < 3) throw new TlogError('TLOG_FORMAT', `"${trimmed.slice(0, 80)}" is not a verifier key (name+keyid+key)`);
  const name = parts[0]!;
  const idHex = parts[1]!;
  const material = strictBase64(parts.slice(2).join('+'), 'verifier key material');
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new TlogError('TLOG_FORMAT', `verifier key id "${idHex}" is not 8 lower-case hex digits`);
  const type = (Object.keys(TYPE_BYTE) as SignatureType[]).find((t) => TYPE_BYTE[t] === material[0]);
  if (!type) throw new TlogError('TLOG_FORMAT', `verifier key type 0x${(material[0] ?? 0).toString(16)} is not supported (Ed25519 0x01, cosignature/v1 0x04)`);
  const raw = material.subarray(1);
  const publicKey = ed25519FromRaw(raw);
  const keyId = noteKeyId(name, type, raw);
  if (keyId.toString('hex') !== idHex) throw new TlogError('TLOG_FORMAT', `verifier key id ${idHex} does not match its name and key (${keyId.toString('hex')})`);
  return { name, keyId, type, publicKey, text: trimmed };
}

export function signatureLine(name: string, keyId: Buffer, signature: Buffer): string {
  checkKeyName(name);
  return `${EM_DASH} ${name} ${Buffer.concat([keyId, signature]).toString('base64')}`;
}

/** Signs `text` (which must end in a newline) with an Ed25519 note key; returns the signature line. */
export function signNoteText(text: string, name: string, privateKey: KeyObject): string {
  const raw = rawEd25519(crypto.createPublicKey(privateKey));
  return signatureLine(name, noteKeyId(name, 'ed25519', raw), crypto.sign(null, Buffer.from(text, 'utf8'), privateKey));
}

export function formatNote(text: string, signatureLines: string[]): string {
  if (!text.endsWith('\n')) throw new TlogError('TLOG_FORMAT', 'note text must end in a newline');
  return `${text}\n${signatureLines.map((l) => `${l}\n`).join('')}`;
}

export function parseNote(note: string): Note {
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) throw new TlogError('TLOG_FORMAT', `note is larger than ${MAX_NOTE_BYTES} bytes`);
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new TlogError('TLOG_FORMAT', 'note contains control characters');
  if (!note.endsWith('\n')) throw new TlogError('TLOG_FORMAT', 'note must end in a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new TlogError('TLOG_FORMAT', 'note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) throw new TlogError('TLOG_FORMAT', `note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  const signatures = lines.map((line): NoteSignature => {
    const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!m) throw new TlogError('TLOG_FORMAT', `"${line.slice(0, 80)}" is not a signature line`);
    const bytes = strictBase64(m[2]!, 'signature');
    if (bytes.length < 5) throw new TlogError('TLOG_FORMAT', 'signature is too short');
    return { name: m[1]!, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4), line };
  });
  if (signatures.length === 0) throw new TlogError('TLOG_FORMAT', 'note has no signatures');
  return { text, signatures };
}

/** The signatures made by `key` (same name and key ID); unknown keys are ignored, as the spec says. */
export function signaturesBy(note: Note, key: VerifierKey): NoteSignature[] {
  return note.signatures.filter((s) => s.name === key.name && s.keyId.equals(key.keyId));
}

/** True when `sig` is a valid Ed25519 note signature of `text` by `key` (type ed25519). */
export function verifyNoteSignature(text: string, sig: NoteSignature, key: VerifierKey): boolean {
  if (key.type !== 'ed25519' || sig.name !== key.name || !sig.keyId.equals(key.keyId) || sig.signature.length !== 64) return false;
  return crypto.verify(null, Buffer.from(text, 'utf8'), key.publicKey, sig.signature);
}
