/**
 * Runs `work` every `intervalMs` (and once right away when `runAtStart`), never overlapping itself,
 * without keeping the process alive. Errors go to `onError`. The returned stop function waits for
 * a running round. Used by the schedulers inside `grms serve`; the database decides which process
 * does what, so several processes may each run one.
 */
export function startPeriodic(
  work: () => Promise<unknown>,
  intervalMs: number,
  onError: (err: unknown) => void,
  runAtStart = false,
): () => Promise<void> {
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = (): void => {
    if (running || stopped) return;
    running = Promise.resolve()
      .then(work)
      .then(
        () => undefined,
        (err: unknown) => {
          try {
            onError(err);
          } catch {
            /* a throwing error handler must not become an unhandled rejection */
          }
        },
      )
      .finally(() => {
        running = null;
      });
  };
  const first = runAtStart ? setTimeout(tick, 0) : undefined;
  first?.unref();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    if (first) clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
