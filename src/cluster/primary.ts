import cluster, { type Worker } from 'node:cluster';
import http from 'node:http';
import client, { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../log';
import { createMetricsApp } from '../api/metrics-endpoint';
import { closeServer, listen } from '../server';
import { isMessage, type MetricsJson, type PrimaryMessage, type WorkerMessage } from './messages';

/** Back-off before restarting a worker that died: doubled per death in a row, up to the cap. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before dying starts the back-off over. */
const STABLE_MS = 60_000;
/** How long the primary waits for a worker's metrics before the scrape fails. */
const COLLECT_TIMEOUT_MS = 5_000;
/** Beyond the drain grace: closing pools and schedulers; then a worker still running is killed. */
const STOP_MARGIN_MS = 15_000;

export interface RunningPrimary {
  url: string;
  /** Where /metrics is served when GRMS_METRICS_ADDRESS gives the primary a listener of its own. */
  metricsUrl: string | undefined;
  /** Drains every worker, closes the metrics listener; rejects when a worker did not stop cleanly. */
  stop(): Promise<void>;
}

const send = (worker: Worker, message: PrimaryMessage) => {
  if (worker.isConnected()) worker.send(message);
};

/**
 * The primary process of `grms serve` with several workers (node:cluster): forks one worker per
 * GRMS_WORKERS, which share the port; resolves once every worker answers. It serves nothing but
 * /metrics (every worker's metrics summed by prom-client's AggregatorRegistry), restarts a worker
 * that dies (with back-off) and stops them gracefully. Workers coordinate through the database
 * (advisory locks, SKIP LOCKED), as separate servers do.
 */
export async function startPrimary(config: Config, baseLogger: Logger, workers: number): Promise<RunningPrimary> {
  const logger = baseLogger.child({ pid: process.pid, role: 'primary' });
  const ready = new Map<number, Worker>();
  // Tracked here, not read from cluster.workers: node drops a worker from that list on 'disconnect', which may come after 'exit'.
  const alive = new Map<number, Worker>();
  const forkedAt = new Map<number, number>();
  let url: string | undefined;
  let started = false;
  let stopping = false;
  let deathsInARow = 0;
  let restartTimer: NodeJS.Timeout | undefined;

  // Metrics: ask every answering worker for its registry as JSON and sum them.
  let nextCollect = 0;
  const collecting = new Map<number, { waiting: Set<number>; got: MetricsJson[]; done(err?: Error): void }>();
  const collect = () => new Promise<string>((resolve, reject) => {
    const id = nextCollect++;
    const asked = [...ready.values()].filter((w) => w.isConnected());
    if (asked.length === 0) return reject(new Error('no worker process is answering'));
    const timer = setTimeout(() => entry.done(new Error('a worker process did not send its metrics in time')), COLLECT_TIMEOUT_MS);
    const entry = {
      waiting: new Set(asked.map((w) => w.id)),
      got: [] as MetricsJson[],
      done(err?: Error) {
        clearTimeout(timer);
        collecting.delete(id);
        if (err) return reject(err);
        AggregatorRegistry.aggregate(entry.got).metrics().then(resolve, reject);
      },
    };
    collecting.set(id, entry);
    for (const w of asked) send(w, { type: 'grms:collect', id });
  });
  const gotFrom = (workerId: number, id: number, metrics?: MetricsJson, error?: string) => {
    const entry = collecting.get(id);
    if (!entry || !entry.waiting.delete(workerId)) return;
    if (error) return entry.done(new Error(`worker ${workerId}: ${error}`));
    if (metrics) entry.got.push(metrics);
    if (entry.waiting.size === 0) entry.done();
  };

  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMessage<WorkerMessage>(message)) return;
    if (message.type === 'grms:metrics') gotFrom(worker.id, message.id, message.metrics, message.error);
    else if (message.type === 'grms:scrape') {
      collect().then(
        (text) => send(worker, { type: 'grms:scraped', id: message.id, text }),
        (err: Error) => send(worker, { type: 'grms:scraped', id: message.id, error: err.message }),
      );
    } else if (message.type === 'grms:ready') {
      ready.set(worker.id, worker);
      url = message.url;
      logger.info({ worker: worker.id, workerPid: worker.process.pid, answering: ready.size }, started ? 'worker process restarted: answering' : 'worker process started: answering');
    }
  });

  const fork = () => {
    const worker = cluster.fork();
    alive.set(worker.id, worker);
    forkedAt.set(worker.id, Date.now());
  };

  let startFailed: ((err: Error) => void) | undefined;
  const allExited: Array<() => void> = [];
  const stopFailures: string[] = [];
  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    ready.delete(worker.id);
    alive.delete(worker.id);
    // A worker that died cannot send what a scrape waits for.
    for (const [id, entry] of collecting) if (entry.waiting.has(worker.id)) gotFrom(worker.id, id, undefined, 'exited');
    const pid = worker.process.pid;
    if (stopping) {
      // A worker still starting when a terminal's Ctrl-C (or a group's SIGTERM) reached it dies of it, with nothing in flight.
      const diedOfStopSignal = signal === 'SIGTERM' || signal === 'SIGINT';
      if (code !== 0 && !diedOfStopSignal) stopFailures.push(`worker ${pid} exited with ${signal ?? code}`);
      if (alive.size === 0) allExited.splice(0).forEach((f) => f());
      return;
    }
    if (!started) {
      startFailed?.(new Error(`a worker process (${pid}) stopped during start-up (${signal ?? `exit code ${code}`}); see its message above`));
      return;
    }
    const ranMs = Date.now() - (forkedAt.get(worker.id) ?? 0);
    forkedAt.delete(worker.id);
    deathsInARow = ranMs >= STABLE_MS ? 1 : deathsInARow + 1;
    const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** (deathsInARow - 1));
    logger.error({ worker: worker.id, workerPid: pid, code, signal, restartInMs: delay, deathsInARow }, 'a worker process died: restarting it');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (!stopping) fork();
    }, delay);
  });

  /** `how`: the primary's message (graceful), or SIGTERM for every worker (a failed start). */
  const stopWorkers = async (how: 'message' | 'SIGTERM' = 'message'): Promise<void> => {
    stopping = true;
    clearTimeout(restartTimer);
    if (alive.size === 0) return;
    const exited = new Promise<void>((resolve) => allExited.push(resolve));
    logger.info({ workers: alive.size, graceMs: config.shutdownGraceMs }, 'stopping the worker processes: they finish their requests in flight');
    for (const w of alive.values()) {
      // A worker still starting may not listen for messages yet; it has nothing in flight either.
      if (how === 'message' && ready.has(w.id)) send(w, { type: 'grms:stop' });
      else w.process.kill('SIGTERM');
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), config.shutdownGraceMs + STOP_MARGIN_MS);
    });
    const inTime = await Promise.race([exited.then(() => true), late]);
    clearTimeout(timer);
    if (!inTime) {
      const left = [...alive.values()];
      logger.error({ workerPids: left.map((w) => w.process.pid) }, 'worker processes did not stop in time: killing them');
      for (const w of left) w.process.kill('SIGKILL');
      await exited;
    }
  };

  logger.info({ workers }, `starting ${workers} worker processes sharing the port (GRMS_WORKERS)`);
  try {
    await new Promise<void>((resolve, reject) => {
      startFailed = reject;
      cluster.on('message', function onReady(this: unknown, _w: Worker, message: unknown) {
        if (isMessage<WorkerMessage>(message) && message.type === 'grms:ready' && ready.size === workers) {
          cluster.off('message', onReady);
          resolve();
        }
      });
      for (let i = 0; i < workers; i++) fork();
    });
  } catch (err) {
    await stopWorkers('SIGTERM');
    throw err;
  }
  started = true;

  // /metrics on an address of its own is the primary's: it serves the sum over the workers.
  let metricsServer: http.Server | undefined;
  let metricsUrl: string | undefined;
  if (config.metricsAddress) {
    metricsServer = http.createServer(createMetricsApp({ registry: { contentType: client.prometheusContentType, metrics: collect } }, config.metricsToken, logger));
    try {
      metricsUrl = `${await listen(metricsServer, config.metricsAddress.port, config.metricsAddress.host)}/metrics`;
    } catch (err) {
      await stopWorkers();
      throw new Error(`cannot listen on GRMS_METRICS_ADDRESS ${config.metricsAddress.host}:${config.metricsAddress.port}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    url: url!,
    metricsUrl,
    async stop() {
      await Promise.all([stopWorkers(), metricsServer && closeServer(metricsServer)]);
      if (stopFailures.length) throw new Error(`not every worker process stopped cleanly: ${stopFailures.join('; ')}`);
      logger.info('every worker process stopped');
    },
  };
}
