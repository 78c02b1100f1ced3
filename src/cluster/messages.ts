import type { Registry } from 'prom-client';

/** One process's metrics as prom-client's getMetricsAsJSON gives them. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * What the primary of `grms serve` and its worker processes say to each other over the cluster's
 * IPC channel. Terms: the *primary* forks the *workers*, holds the shared port and the metrics
 * listener and restarts a worker that dies; each *worker* is a whole server (database pool,
 * schedulers, document threads) answering its share of the connections.
 */
export type WorkerMessage =
  /** The worker listens and answers: the primary counts it as started. */
  | { type: 'grms:ready'; url: string }
  /** A worker's GET /metrics on the main port: the primary answers with every worker's sum. */
  | { type: 'grms:scrape'; id: number }
  /** This worker's own metrics, for the primary's sum. */
  | { type: 'grms:metrics'; id: number; metrics?: MetricsJson; error?: string };

export type PrimaryMessage =
  /** Stop gracefully (drain, close pools) and exit 0. */
  | { type: 'grms:stop' }
  /** Send your own metrics (as JSON, for prom-client's AggregatorRegistry.aggregate). */
  | { type: 'grms:collect'; id: number }
  /** The answer to a worker's scrape. */
  | { type: 'grms:scraped'; id: number; text?: string; error?: string };

export function isMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string' && (message as { type: string }).type.startsWith('grms:');
}
