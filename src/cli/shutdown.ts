import type { Logger } from 'pino';

/**
 * Stops a long-running command cleanly on SIGINT/SIGTERM: exit 0 once `stop` settles, 1 if it
 * fails. Returns the same shutdown for other triggers (a worker told to stop by its primary);
 * only the first trigger counts.
 */
export function stopOnSignals(logger: Logger, what: string, stop: () => Promise<unknown>): (reason: string) => void {
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, `${what} shutting down`);
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return shutdown;
}
