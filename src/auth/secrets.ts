import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * GRMS_KEY: 32 random bytes (base64) that encrypt every private key the deployment stores.
 * Envelope formats (AES-256-GCM):
 * - "v1.<iv b64>.<tag b64>.<ciphertext b64>": no authenticated data (user certificates; deployment
 *   keys written before 0020, re-sealed as v2 at the first start after it);
 * - "v2.<iv b64>.<tag b64>.<ciphertext b64>": sealed with authenticated data naming what the secret
 *   belongs to (a deployment key's row), so an envelope moved to another row does not open.
 */
export class KeyError extends Error {
  readonly code = 'GRMS_KEY_INVALID';
}

export function generateKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

export function parseKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new KeyError('GRMS_KEY must be 32 random bytes in base64 (make one with `grms key generate`)');
  return key;
}

/** Reads the embedded deployment's key file, creating it (mode 0600) on first start. */
export function loadOrCreateKeyFile(dataDir: string): string {
  const file = path.join(dataDir, 'grms.key');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generateKey();
  try {
    fs.writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    // Another process created it between our read and write: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

/** Seals `plaintext`; with `aad` the envelope is v2 and opens only with the same authenticated data. */
export function encryptSecret(key: Buffer, plaintext: string | Buffer, aad?: Buffer): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [aad ? 'v2' : 'v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

/** The envelope's version: 'v1' (no authenticated data) or 'v2' (bound by authenticated data). */
export function envelopeVersion(envelope: string): string {
  return envelope.split('.', 1)[0] ?? '';
}

/**
 * Opens an envelope. A v2 envelope needs the `aad` it was sealed with; a v1 envelope has none
 * (`aad` is then ignored: the caller re-seals it if it should be bound).
 */
export function decryptSecret(key: Buffer, envelope: string, aad?: Buffer): Buffer {
  const [v, iv, tag, ct] = envelope.split('.');
  if ((v !== 'v1' && v !== 'v2') || !iv || !tag || ct === undefined) throw new KeyError('unknown secret envelope format');
  if (v === 'v2' && !aad) throw new KeyError('this secret is bound to its row (v2 envelope) and was opened without it');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  if (v === 'v2') decipher.setAAD(aad!);
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]);
  } catch (err) {
    throw new KeyError(
      v === 'v2'
        ? 'cannot decrypt a stored private key: GRMS_KEY is not the key this database was created with, or the row it is stored in was altered (name, algorithm or public key swapped)'
        : 'cannot decrypt a stored private key: GRMS_KEY is not the key this database was created with',
      { cause: err },
    );
  }
}
