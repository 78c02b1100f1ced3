import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { createCheckpoint } from './checkpoint';
import type { CheckpointKey } from './keys';
import { startPeriodic } from '../periodic';

/**
 * Takes a checkpoint every `intervalMs`. A tick is skipped while the previous one still runs, and
 * the timer does not keep the process alive. Several processes may run one each: the advisory lock
 * in createCheckpoint lets one of them write. The returned stop function waits for a running tick.
 */
export function startCheckpointScheduler(
  db: Kysely<Database>,
  key: CheckpointKey,
  intervalMs: number,
  onError: (err: unknown) => void,
): () => Promise<void> {
  return startPeriodic(() => createCheckpoint(db, key), intervalMs, onError);
}
