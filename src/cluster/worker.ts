import cluster from 'node:cluster';
import client from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { MetricsSource } from '../api/metrics-endpoint';
import { startServer, type RunningServer } from '../server';
import { stopOnSignals } from '../cli/shutdown';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './messages';

/** How long a worker waits for the primary's sum of the metrics before answering 500. */
const SCRAPE_TIMEOUT_MS = 10_000;

const send = (message: WorkerMessage) => process.send!(message);

/**
 * One worker process of `grms serve`: a whole server on the shared port. It tells the primary
 * when it answers, hands it its metrics when asked, relays GET /metrics on the main port to the
 * primary (which sums every worker's) and stops gracefully when the primary or a signal says so.
 */
export async function runWorker(config: Config, workers: number, baseLogger: Logger): Promise<void> {
  const logger = baseLogger.child({ worker: cluster.worker?.id, pid: process.pid });
  const scrapes = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  let nextScrape = 0;
  const source: MetricsSource = {
    registry: {
      contentType: client.prometheusContentType,
      metrics: () => new Promise<string>((resolve, reject) => {
        const id = nextScrape++;
        const timer = setTimeout(() => {
          scrapes.delete(id);
          reject(new Error('the primary process did not send the metrics in time'));
        }, SCRAPE_TIMEOUT_MS);
        scrapes.set(id, {
          resolve: (text) => { clearTimeout(timer); resolve(text); },
          reject: (err) => { clearTimeout(timer); reject(err); },
        });
        send({ type: 'grms:scrape', id });
      }),
    },
  };
  let running: RunningServer | undefined;
  process.on('message', (message: unknown) => {
    if (!isMessage<PrimaryMessage>(message)) return;
    if (message.type === 'grms:collect') {
      const registry = running?.metrics.registry;
      if (!registry) return send({ type: 'grms:metrics', id: message.id, error: 'not started yet' });
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: 'grms:metrics', id: message.id, metrics }),
        (err: Error) => send({ type: 'grms:metrics', id: message.id, error: err.message }),
      );
    } else if (message.type === 'grms:scraped') {
      const pending = scrapes.get(message.id);
      scrapes.delete(message.id);
      if (message.text !== undefined) pending?.resolve(message.text);
      else pending?.reject(new Error(message.error ?? 'no metrics'));
    } else if (message.type === 'grms:stop') {
      shutdown('told by the primary process');
    }
  });
  // A signal to the whole process group (Ctrl-C at a terminal) reaches the workers too: they drain as the primary asks.
  const shutdown = stopOnSignals(logger, 'grms worker', async () => running?.stop());
  try {
    running = await startServer(config, logger, undefined, { workers, metricsSource: source });
  } catch (err) {
    // Said as a single process says it (the CLI's one-line error); the primary sees the exit and gives up the start.
    const e = err as Error & { code?: string };
    process.stderr.write(`grms: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
    if (process.env.GRMS_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  }
  send({ type: 'grms:ready', url: running.url });
}
