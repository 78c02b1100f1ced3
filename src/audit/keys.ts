import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { getOrCreateDeploymentKey } from '../auth/deployment-keys';
import { AuditKeyError } from './errors';

/** Name of the deployment key that signs audit checkpoints (table deployment_keys). */
export const CHECKPOINT_KEY_NAME = 'audit-checkpoint';

/** The checkpoint signing key, decrypted, ready to sign. */
export interface CheckpointKey {
  name: string;
  privateKey: crypto.KeyObject;
  publicKeyPem: string;
  keyId: string;
}

/** First 16 hex digits of SHA-256 over the SPKI DER of a public key: a short, stable key id. */
export function keyIdOf(publicKeyPem: string): string {
  const der = crypto.createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Returns the deployment's Ed25519 checkpoint key, creating it (private half encrypted with GRMS_KEY) on first use. */
export async function ensureCheckpointKey(db: Kysely<Database>, masterKey: Buffer): Promise<CheckpointKey> {
  const stored = await getOrCreateDeploymentKey(db, masterKey, CHECKPOINT_KEY_NAME, () => {
    const pair = crypto.generateKeyPairSync('ed25519');
    return {
      algorithm: 'ed25519',
      publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  });
  const privateKey = crypto.createPrivateKey(stored.privateKey);
  if (stored.algorithm !== 'ed25519' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditKeyError(`deployment key "${CHECKPOINT_KEY_NAME}" is ${stored.algorithm}, expected ed25519`);
  }
  // Derived from the private key (getOrCreateDeploymentKey checked the stored column matches it):
  // what the server verifies with is never the column a DBA could have replaced.
  const publicKeyPem = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { name: stored.name, privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem) };
}

/**
 * The public half of the checkpoint key, for publishing (auditors verify exports with it), or null
 * before the first ensureCheckpointKey. Needs no GRMS_KEY: the public key is stored in clear.
 */
export async function auditPublicKey(db: Kysely<Database>): Promise<{ publicKeyPem: string; keyId: string } | null> {
  const row = await db.selectFrom('deployment_keys').select('public_key').where('name', '=', CHECKPOINT_KEY_NAME).executeTakeFirst();
  return row ? { publicKeyPem: row.public_key, keyId: keyIdOf(row.public_key) } : null;
}
