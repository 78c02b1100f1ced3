import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types';

/**
 * Runs `work` in a transaction: the caller's when `db` already is one (a console form records its
 * token in the same transaction as the change it makes, src/web/form-token.ts), else a new one.
 */
export function inTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}
