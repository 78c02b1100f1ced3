import crypto, { type KeyObject } from 'node:crypto';
import { TlogError } from './errors';
import { formatVerifierKey, noteKeyId, rawEd25519, signatureLine, type NoteSignature, type VerifierKey } from './note';

/**
 * C2SP tlog-cosignature, Ed25519 (cosignature/v1): the signature is a big-endian u64 POSIX time
 * followed by Ed25519 over "cosignature/v1\ntime <t>\n" and the checkpoint text.
 */
export function cosignatureKey(name: string, publicKey: KeyObject): string {
  return formatVerifierKey(name, 'cosignature/v1', publicKey);
}

function signedMessage(checkpointText: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

export function cosign(checkpointText: string, witnessName: string, privateKey: KeyObject, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TlogError('TLOG_FORMAT', `cosignature time ${timestamp} is not a POSIX time`);
  const raw = rawEd25519(crypto.createPublicKey(privateKey));
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp));
  const sig = crypto.sign(null, signedMessage(checkpointText, timestamp), privateKey);
  return signatureLine(witnessName, noteKeyId(witnessName, 'cosignature/v1', raw), Buffer.concat([ts, sig]));
}

/** The cosignature's time when `sig` is a valid cosignature/v1 by `key` over the checkpoint text, else null. */
export function verifyCosignature(checkpointText: string, sig: NoteSignature, key: VerifierKey): { timestamp: number } | null {
  if (key.type !== 'cosignature/v1' || sig.name !== key.name || !sig.keyId.equals(key.keyId) || sig.signature.length !== 72) return null;
  const t = sig.signature.readBigUInt64BE(0);
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const timestamp = Number(t);
  return crypto.verify(null, signedMessage(checkpointText, timestamp), key.publicKey, sig.signature.subarray(8)) ? { timestamp } : null;
}
