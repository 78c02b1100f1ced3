import type { Logger } from 'pino';

/** Stops a long-running command cleanly on SIGINT/SIGTERM: exit 0 once `stop` settles, 1 if it fails. */
export function stopOnSignals(logger: Logger, what: string, stop: () => Promise<unknown>): void {
  const shutdown = (signal: string) => {
    logger.info({ signal }, `${what} shutting down`);
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
}
