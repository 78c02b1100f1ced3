import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { ADVISORY, advisoryXactLock } from '../db/advisory';
import { decryptSecret, encryptSecret } from './secrets';

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

/**
 * Returns the deployment key named `name`, creating it with `create` the first time. Creation runs
 * under an advisory lock, so several API processes starting together end up with one key.
 */
export async function getOrCreateDeploymentKey(
  db: Kysely<Database>,
  masterKey: Buffer,
  name: string,
  create: () => NewKeyMaterial | Promise<NewKeyMaterial>,
): Promise<StoredKey> {
  const existing = await db.selectFrom('deployment_keys').selectAll().where('name', '=', name).executeTakeFirst();
  const row =
    existing ??
    (await db.transaction().execute(async (trx) => {
      await advisoryXactLock(trx, ADVISORY.deploymentKeys);
      const again = await trx.selectFrom('deployment_keys').selectAll().where('name', '=', name).executeTakeFirst();
      if (again) return again;
      const made = await create();
      return trx
        .insertInto('deployment_keys')
        .values({
          name,
          algorithm: made.algorithm,
          public_key: made.publicKey,
          private_key: encryptSecret(masterKey, made.privateKey),
          certificate: made.certificate ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    }));
  return {
    name: row.name,
    algorithm: row.algorithm,
    publicKey: row.public_key,
    privateKey: decryptSecret(masterKey, row.private_key).toString('utf8'),
    certificate: row.certificate,
  };
}
