import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, InstanceRow } from '../db/types';
import { generatePin, hashPin } from './pin';

/**
 * Terminology:
 * - tracking number: the number an instance is followed by from outside (a permit's registration
 *   number REG/DPMPTSP/2026/000123, a complaint's ticket), in the format its workflow gives; unique
 *   across workflows, its sequence part from one sequence that never restarts (no number reused).
 * - PIN: random digits given with the number, shown once (in the answer that created the
 *   instance); only its scrypt hash is stored (./pin.ts).
 * A workflow registers its instances from its `onCreate` hook, inside the creating transaction.
 */
export interface TrackingReceipt {
  registrationNumber: string;
  /** Shown once; only its hash is stored. */
  pin: string;
  registeredAt: string;
}

/** Gives `row` a tracking number, `format(seq)` with the next value of the core's sequence, and a PIN. */
export async function issueTracking(trx: Transaction<Database>, row: InstanceRow, format: (seq: number) => string): Promise<TrackingReceipt> {
  const seq = (await sql<{ n: string | number }>`SELECT nextval('tracking_registration_seq') AS n`.execute(trx)).rows[0]!.n;
  const registrationNumber = format(Number(seq));
  const pin = generatePin();
  await trx.insertInto('tracking_registrations').values({ instance_id: row.id, registration_number: registrationNumber, pin_hash: await hashPin(pin) }).execute();
  return { registrationNumber, pin, registeredAt: row.created_at.toISOString() };
}

/** The tracking number of an instance and when it was given, or undefined for one without. */
export async function trackingOf(db: Kysely<Database>, instanceId: string): Promise<{ registrationNumber: string; registeredAt: Date } | undefined> {
  const row = await db.selectFrom('tracking_registrations').select(['registration_number', 'created_at']).where('instance_id', '=', instanceId).executeTakeFirst();
  return row && { registrationNumber: row.registration_number, registeredAt: row.created_at };
}
