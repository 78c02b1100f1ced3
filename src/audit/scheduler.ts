import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import { createCheckpoint } from './checkpoint';
import type { CheckpointKey } from './keys';

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
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = (): void => {
    if (running || stopped) return;
    running = createCheckpoint(db, key)
      .then(
        () => undefined,
        (err: unknown) => {
          // A throwing error handler must not become an unhandled rejection.
          try {
            onError(err);
          } catch {
            /* nothing left to report to */
          }
        },
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
