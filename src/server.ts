import http from 'node:http';
import { threadsPerWorker, type Config } from './config';
import type { MetricsSource } from './api/metrics-endpoint';
import type { Metrics } from './api/metrics';
import type { Logger } from './log';
import { openDeployment } from './runtime';
import { ensureCheckpointKey } from './audit/keys';
import { startCheckpointScheduler } from './audit/scheduler';
import { startDeadlineScheduler } from './sla/scheduler';
import { startPublicPurge } from './api/public-purge';
import { createApp } from './api/app';
import { createMetricsApp } from './api/metrics-endpoint';
import { answerClientErrors } from './api/client-error';
import { seedDemo } from './seed/demo';
import { renewDemoCredentials, type DemoCredential } from './seed/demo-credentials';
import { wireEngine, type Wired } from './wiring';
import { addCheckpoint } from './audit/witness/client';
import { openTransparencyLog, startLogScheduler, UNWITNESSED } from './audit/log/service';
import { startPackages } from './engine/registry';

/** How long after listening a server compiles its schemas and starts its signing threads. */
const WARM_UP_DELAY_MS = 1000;

export interface RunningServer {
  url: string;
  server: http.Server;
  /** Where /metrics is served when GRMS_METRICS_ADDRESS gives it a listener of its own. */
  metricsUrl: string | undefined;
  /** This process's metrics (a worker hands them to the primary, which serves the sum). */
  metrics: Metrics;
  /** Demo users' fresh tokens and passwords (embedded default only). */
  demoCredentials: Promise<Record<string, DemoCredential>>;
  stop(): Promise<void>;
}

/** How this server runs among the processes of one `grms serve`. */
export interface ServeOptions {
  /** Worker processes sharing the port: the document and verify threads are shared out among them. */
  workers?: number;
  /** A worker's /metrics on the main port: the primary's sum over all workers, not this process alone. */
  metricsSource?: MetricsSource;
}

/** Starts `grms serve`: database, migrations, keys, demo data (embedded), HTTP, checkpoints. */
export async function startServer(config: Config, logger: Logger, onStep?: (label: string) => void, opts: ServeOptions = {}): Promise<RunningServer> {
  const workers = opts.workers ?? 1;
  const deployment = await openDeployment(config, {
    purpose: 'server', needsKey: true, poolSize: 20,
    onConnectionError: (err) => logger.warn({ err }, 'lost a database connection'),
    onStep,
  });
  const { db } = deployment;
  let wired: Wired | undefined;
  try {
    const masterKey = deployment.masterKey!;
    onStep?.('loading keys and workflows');
    const checkpointKey = await ensureCheckpointKey(db.kysely, masterKey);
    // The log is signed with the checkpoint key, named by the origin; witnesses on a guessed origin are refused here.
    const log = openTransparencyLog(db.kysely, checkpointKey.privateKey, config.log, addCheckpoint);
    if (log.witnesses.length === 0) logger.warn({ origin: log.signer.origin }, UNWITNESSED);
    else logger.info({ origin: log.signer.origin, witnesses: log.witnesses.map((w) => w.name) }, 'transparency log checkpoints go to the witnesses');
    // GRMS_DOCUMENT_THREADS and GRMS_VERIFY_THREADS count over all worker processes.
    const threads = threadsPerWorker(config.documentThreads, workers);
    wired = await wireEngine(db.kysely, masterKey, { ...config, verify: { ...config.verify, threads: threadsPerWorker(config.verify.threads, workers) } }, threads);
    const { engine, authority, reportPool, metrics, verifyPool, warmUp } = wired;
    await startPackages(db.kysely, engine.registry);
    if (deployment.embedded) {
      onStep?.('checking the demo data (loaded on the first start)');
      const seeded = await seedDemo(db.kysely, engine);
      if (seeded.created) logger.info('loaded the demo data set into the new embedded database');
    }
    const app = createApp({ db: db.kysely, engine, checkpointKey, authority, pool: reportPool, metrics, timezone: config.timezone, logger,
      settings: config,
      verify: { pool: verifyPool, settings: config.verify }, secureCookies: config.publicUrl.startsWith('https:'), documentPlace: config.documentPlace,
      publicUrl: config.publicUrl, metricsAccess: { token: config.metricsToken, ownListener: config.metricsAddress !== undefined, source: opts.metricsSource }, trustProxy: config.trustProxy,
      log, logRate: config.log.rate });
    onStep?.('starting the HTTP server');
    const server = http.createServer(app);
    answerClientErrors(server);
    const inFlight = trackInFlight(server);
    // Longer than common proxies' idle timeouts, so a kept-alive connection is closed by the client side first.
    server.keepAliveTimeout = 65_000;
    const url = await listen(server, config.port, config.host);
    // /metrics on an address of its own (an internal interface, a port the firewall keeps in).
    let metricsServer: http.Server | undefined;
    let metricsUrl: string | undefined;
    // In a worker the primary holds the metrics listener (it serves every worker's sum).
    if (config.metricsAddress && !opts.metricsSource) {
      metricsServer = http.createServer(createMetricsApp(metrics, config.metricsToken, logger));
      try {
        metricsUrl = `${await listen(metricsServer, config.metricsAddress.port, config.metricsAddress.host)}/metrics`;
      } catch (err) {
        await closeServer(server);
        throw new Error(`cannot listen on GRMS_METRICS_ADDRESS ${config.metricsAddress.host}:${config.metricsAddress.port}: ${(err as Error).message}`, { cause: err });
      }
    }
    // Demo sign-ins are a convenience for the person at the terminal, not part of serving: made
    // once the server answers (hashing a password per demo user takes a while).
    const demoCredentials: Promise<Record<string, DemoCredential>> = deployment.embedded ? renewDemoCredentials(db.kysely, wired.engine.registry) : Promise.resolve({});
    // Handled by whoever awaits it (the CLI stops on a failure); never an unhandled rejection here.
    demoCredentials.catch(() => undefined);
    const stopCheckpoints = startCheckpointScheduler(db.kysely, checkpointKey, config.checkpointIntervalMs, (err) =>
      logger.error({ err }, 'audit checkpoint failed'),
    );
    // Integrate and checkpoint the transparency log; several processes may each run this (advisory locks order them).
    const stopLog = startLogScheduler(log, config.log.intervalMs, (err) => logger.error({ err }, 'transparency log round failed'), (round) => {
      if (round.integration.added > 0 || round.checkpoint?.created) {
        logger.info({ added: round.integration.added, size: round.checkpoint?.size, quorumMet: round.quorumMet }, 'transparency log checkpoint');
      }
      for (const w of round.witnesses) {
        if (w.fatal) logger.fatal({ witness: w.witness, detail: w.detail }, 'a witness holds a larger log than this database: checkpointing stopped');
        else if (!w.ok) logger.warn({ witness: w.witness, status: w.status, detail: w.detail }, 'a witness did not cosign the log checkpoint');
      }
    });
    // Deadlines live in the database; any number of processes may run this, each fires a deadline once.
    const stopDeadlines = startDeadlineScheduler(
      db.kysely, config.deadlinePollMs, engine.time.clock,
      (err) => logger.error({ err }, 'deadline escalation failed'),
      (escalated) => logger.info({ escalated }, 'escalated overdue deadlines or fired their timers'),
      engine.timers,
    );
    // Citizens' client addresses are kept for their limit window only (src/api/public-purge.ts).
    const stopPurge = startPublicPurge(db.kysely, { publicIntakeSeconds: config.publicIntake.rate.windowSeconds }, (err) => logger.error({ err }, 'purging public limit rows failed'));
    let stopped = false;
    const running: RunningServer = {
      url,
      server,
      metricsUrl,
      metrics,
      demoCredentials,
      async stop() {
        if (stopped) return;
        stopped = true;
        clearTimeout(warmUpTimer);
        // Stop accepting first; requests in flight finish (up to the grace) while the schedulers stop.
        const drained = drain(server, inFlight, config.shutdownGraceMs, logger);
        await Promise.all([stopCheckpoints(), stopDeadlines(), stopLog(), stopPurge()]);
        await Promise.all([drained, metricsServer && closeServer(metricsServer)]);
        await wired?.close();
        await deployment.close();
      },
    };
    // The signing threads and schema compilation are not needed to answer the first requests
    // (a schema is compiled on first use anyway): they wait until start-up has settled.
    const warmUpTimer = setTimeout(() => {
      warmUp().catch((err: unknown) => {
        logger.error({ err }, 'a workflow schema does not compile: stopping');
        process.exitCode = 1;
        void running.stop();
      });
    }, WARM_UP_DELAY_MS);
    warmUpTimer.unref();
    return running;
  } catch (err) {
    await wired?.close();
    await deployment.close();
    throw err;
  }
}

/** Listens and returns the server's http:// base URL (with the port taken when `port` is 0). */
export async function listen(server: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${actual}`;
}

/** Stops accepting and waits for requests in flight (idle kept-alive connections are closed by close()). */
export async function closeServer(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
}

interface InFlight {
  count(): number;
  /** From now on every response closes its connection, and a connection left idle is closed. */
  closing(): void;
}

/** Counts the requests in flight, so a stopping server can let them finish and then close their connections. */
function trackInFlight(server: http.Server): InFlight {
  const open = new Set<http.ServerResponse>();
  let closing = false;
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      // A kept-alive connection whose last response went out before `Connection: close` could be set.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return {
    count: () => open.size,
    closing() {
      closing = true;
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
    },
  };
}

/**
 * Graceful stop of the main listener: accept nothing new, let the requests in flight finish (each
 * answer closes its connection), and cut off whatever still runs after `graceMs`. Both logged.
 */
async function drain(server: http.Server, inFlight: InFlight, graceMs: number, logger: Logger): Promise<void> {
  inFlight.closing();
  logger.info({ inFlight: inFlight.count(), graceMs }, 'stopping: no new connections; finishing the requests in flight');
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const inTime = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (!inTime) logger.warn({ cutOff: inFlight.count(), graceMs }, 'stopping: requests still in flight after the grace period are cut off');
  server.closeAllConnections();
  await closed;
}
