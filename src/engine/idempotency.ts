import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/types';

/** A request that carries an Idempotency-Key; keys are scoped per user and route. */
export interface IdempotencyScope {
  username: string;
  route: string;
  key: string;
  requestHash: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export function requestHash(body: unknown): string {
  return crypto.createHash('sha256').update(canonicalize(body ?? null) ?? 'null').digest('hex');
}

export async function findStoredResponse(
  db: Kysely<Database>,
  scope: IdempotencyScope,
): Promise<(StoredResponse & { requestHash: string }) | undefined> {
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'response', 'headers'])
    .where('username', '=', scope.username)
    .where('route', '=', scope.route)
    .where('key', '=', scope.key)
    .executeTakeFirst();
  return row && { requestHash: row.request_hash, status: row.status, body: row.response, headers: row.headers };
}

/** Stores the first successful response in the same transaction as the change it reports. */
export async function storeResponse(trx: Transaction<Database>, scope: IdempotencyScope, response: StoredResponse): Promise<void> {
  await trx
    .insertInto('idempotency_keys')
    .values({
      username: scope.username,
      route: scope.route,
      key: scope.key,
      request_hash: scope.requestHash,
      status: response.status,
      response: JSON.stringify(response.body),
      headers: JSON.stringify(response.headers),
    })
    .execute();
}
