import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * GRMS_KEY: 32 random bytes (base64) that encrypt every private key the deployment stores.
 * Envelope format: "v1.<iv b64>.<tag b64>.<ciphertext b64>" (AES-256-GCM).
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

export function encryptSecret(key: Buffer, plaintext: string | Buffer): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join('.');
}

export function decryptSecret(key: Buffer, envelope: string): Buffer {
  const [v, iv, tag, ct] = envelope.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new KeyError('unknown secret envelope format');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]);
  } catch (err) {
    throw new KeyError('cannot decrypt a stored private key: GRMS_KEY is not the key this database was created with', { cause: err });
  }
}
