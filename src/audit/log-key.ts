import crypto from 'node:crypto';
import fs from 'node:fs';
import { keyIdOf } from './keys';

/**
 * The log key a verifier pins: the Ed25519 public key that signs checkpoints, given on the command
 * line (`--log-key`), never read from the database or the file being verified.
 */
export class LogKeyMissing extends Error {
  readonly code = 'LOG_KEY_MISSING';
  constructor() {
    super(
      'give the log key to verify with: --log-key <file, PEM or base64>. Get it from the operator ' +
      '(`grms key show` on the server) by a channel you trust, compare its fingerprint, and keep it: ' +
      'a key read from the database or from the file being verified would prove nothing.',
    );
  }
}

export class LogKeyInvalid extends Error {
  readonly code = 'LOG_KEY_INVALID';
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** How `grms key show` prints a key, and what --log-key accepts back. */
export interface LogKeyInfo {
  publicKeyPem: string;
  /** Base64 of the SPKI DER: one line to paste into --log-key. */
  base64: string;
  /** SHA-256 of the SPKI DER, hex: compare it over the phone. */
  fingerprint: string;
  keyId: string;
}

export function describeLogKey(publicKeyPem: string): LogKeyInfo {
  const key = crypto.createPublicKey(publicKeyPem);
  const der = key.export({ type: 'spki', format: 'der' });
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();
  return { publicKeyPem: pem, base64: der.toString('base64'), fingerprint: crypto.createHash('sha256').update(der).digest('hex'), keyId: keyIdOf(pem) };
}

/**
 * Reads --log-key: a file holding a PEM or base64 key, or the PEM or base64 itself (SPKI DER, or
 * the raw 32-byte Ed25519 key). Returns the key as SPKI PEM; refuses anything but Ed25519.
 */
export function parseLogKey(arg: string | undefined): string {
  if (arg === undefined || arg.trim() === '') throw new LogKeyMissing();
  let text = arg;
  if (!arg.includes('-----BEGIN') && fs.existsSync(arg)) text = fs.readFileSync(arg, 'utf8');
  let key: crypto.KeyObject;
  try {
    if (text.includes('-----BEGIN')) key = crypto.createPublicKey(text);
    else {
      const t = text.trim();
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) throw new Error('neither a file, a PEM key nor base64');
      const bytes = Buffer.from(t, 'base64');
      const der = bytes.length === 32 ? Buffer.concat([ED25519_SPKI_PREFIX, bytes]) : bytes;
      key = crypto.createPublicKey({ key: der, format: 'der', type: 'spki' });
    }
  } catch (err) {
    throw new LogKeyInvalid(`--log-key: cannot read a public key from "${arg.length > 80 ? `${arg.slice(0, 80)}…` : arg}"`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new LogKeyInvalid(`--log-key must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
