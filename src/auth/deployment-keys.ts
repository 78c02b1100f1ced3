import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types';
import { ADVISORY, advisoryXactLock } from '../db/advisory';
import { canonicalJson } from '../audit/hash';
import { decryptSecret, encryptSecret, envelopeVersion, KeyError } from './secrets';

export interface StoredKey {
  name: string;
  algorithm: string;
  publicKey: string;
  /** Decrypted private key material (PEM or other text the creator chose). */
  privateKey: string;
  certificate: string | null;
}

export interface NewKeyMaterial {
  algorithm: string;
  publicKey: string;
  privateKey: string;
  certificate?: string | null;
}

/** A deployment_keys row whose public half does not belong to its private half (the row was altered). */
export class DeploymentKeyMismatch extends Error {
  readonly code = 'DEPLOYMENT_KEY_MISMATCH';
}

type KeyRow = { name: string; algorithm: string; public_key: string; certificate: string | null };

/**
 * The authenticated data a private-key envelope is sealed with: the row it belongs to. An envelope
 * copied into another row, or a row whose public key or certificate was replaced, no longer opens.
 */
export function keyRowAad(row: KeyRow): Buffer {
  return Buffer.from(canonicalJson({
    table: 'deployment_keys', name: row.name, algorithm: row.algorithm, public_key: row.public_key, certificate: row.certificate,
  }), 'utf8');
}

/** Refuses a row whose stored public key is not the public half of its private key. */
function checkPublicHalf(name: string, publicKey: string, privateKey: string): void {
  const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'der' });
  let derived: Buffer;
  let stored: Buffer;
  try {
    derived = spki(crypto.createPublicKey(crypto.createPrivateKey(privateKey)));
    stored = spki(crypto.createPublicKey(publicKey));
  } catch (err) {
    throw new DeploymentKeyMismatch(`deployment key "${name}": its stored public or private key cannot be read`, { cause: err });
  }
  if (!derived.equals(stored)) {
    throw new DeploymentKeyMismatch(
      `deployment key "${name}": the public key stored in deployment_keys is not the public half of its private key ` +
      '(the row was altered); refusing to start. Restore the row from a backup.',
    );
  }
}

/**
 * Returns the deployment key named `name`, creating it with `create` the first time. Creation runs
 * under an advisory lock, so several API processes starting together end up with one key. Checks
 * that the stored public key belongs to the private key, and re-seals a v1 envelope (written before
 * envelopes were bound to their row) as v2: the one update deployment_keys allows.
 */
export async function getOrCreateDeploymentKey(
  db: Kysely<Database>,
  masterKey: Buffer,
  name: string,
  create: () => NewKeyMaterial | Promise<NewKeyMaterial>,
  /**
   * privateKeyInToken: the private key is held in a PKCS#11 token and the row keeps only its
   * reference (no key material), so there is no private half to check the public key against:
   * the caller compares the row's public key with the token's.
   */
  opts: { privateKeyInToken?: boolean } = {},
): Promise<StoredKey> {
  const existing = await db.selectFrom('deployment_keys').selectAll().where('name', '=', name).executeTakeFirst();
  const row =
    existing ??
    (await db.transaction().execute(async (trx) => {
      await advisoryXactLock(trx, ADVISORY.deploymentKeys);
      const again = await trx.selectFrom('deployment_keys').selectAll().where('name', '=', name).executeTakeFirst();
      if (again) return again;
      const made = await create();
      const values = { name, algorithm: made.algorithm, public_key: made.publicKey, certificate: made.certificate ?? null };
      return trx
        .insertInto('deployment_keys')
        .values({ ...values, private_key: encryptSecret(masterKey, made.privateKey, keyRowAad(values)) })
        .returningAll()
        .executeTakeFirstOrThrow();
    }));
  const aad = keyRowAad(row);
  let privateKey: string;
  try {
    privateKey = decryptSecret(masterKey, row.private_key, aad).toString('utf8');
  } catch (err) {
    if (err instanceof KeyError) throw new KeyError(`deployment key "${name}": ${err.message}`, { cause: err });
    throw err;
  }
  if (!opts.privateKeyInToken) checkPublicHalf(name, row.public_key, privateKey);
  if (envelopeVersion(row.private_key) === 'v1') {
    // Only after the check above: a swapped public key is refused, never sealed in. Two processes
    // starting together: the second one's WHERE matches nothing, and its v1 read stays valid.
    await db.updateTable('deployment_keys')
      .set({ private_key: encryptSecret(masterKey, privateKey, aad) })
      .where('name', '=', name).where('private_key', '=', row.private_key)
      .execute();
  }
  return { name: row.name, algorithm: row.algorithm, publicKey: row.public_key, privateKey, certificate: row.certificate };
}

/**
 * Replaces the certificate of a deployment key (the one re-issue of an old root, migration 0025),
 * re-sealing its private key in the same update: the envelope is bound to the row, certificate
 * included. `trx` holds the deployment-keys lock.
 */
export async function replaceKeyCertificate(
  trx: Transaction<Database>, masterKey: Buffer, name: string, privateKeyPem: string, certificate: string,
): Promise<void> {
  const row = await trx.selectFrom('deployment_keys').select(['name', 'algorithm', 'public_key']).where('name', '=', name).executeTakeFirstOrThrow();
  const aad = keyRowAad({ ...row, certificate });
  await trx.updateTable('deployment_keys')
    .set({ certificate, private_key: encryptSecret(masterKey, privateKeyPem, aad) })
    .where('name', '=', name)
    .execute();
}
