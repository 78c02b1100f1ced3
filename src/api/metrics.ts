import client from 'prom-client';
import { sql, type Kysely } from 'kysely';
import type { RequestHandler } from 'express';
import type { Database } from '../db/types';
import { registerDefaultMetrics } from './default-metrics';
import { followRouteTemplate } from './route-template';
import { runHook, type Logger } from '../log';

/**
 * Prometheus metrics of one API process (counters are per process; gauges read the database). With
 * several worker processes, the primary serves their sum (src/cluster/).
 */
export interface Metrics {
  registry: client.Registry;
  requests: client.Histogram<'method' | 'route' | 'status'>;
  transitions: client.Counter<'workflow' | 'event'>;
  documentsSigned: client.Counter<'kind'>;
  /** Signed PDFs by PAdES level: operators watch B-B (documents signed while the TSA was unreachable). */
  signatureLevels: client.Counter<'level'>;
}

export function createMetrics(db: Kysely<Database>): Metrics {
  const registry = new client.Registry();
  registerDefaultMetrics(registry, 'grms_');
  const requests = new client.Histogram({
    name: 'grms_http_request_duration_seconds', help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  const transitions = new client.Counter({ name: 'grms_transitions_total', help: 'Workflow transitions committed by this process', labelNames: ['workflow', 'event'], registers: [registry] });
  const documentsSigned = new client.Counter({ name: 'grms_documents_signed_total', help: 'PDFs rendered and signed by this process', labelNames: ['kind'], registers: [registry] });
  new client.Gauge({
    name: 'grms_overdue_tasks', help: 'Open tasks past their SLA deadline (whole deployment)', registers: [registry],
    // Every worker process reads the same count: summed over workers it would be counted N times.
    aggregator: 'first',
    async collect() {
      // The deadlines table arrives with the SLA migration; before it there is nothing overdue.
      const exists = await sql<{ t: string | null }>`SELECT to_regclass('deadlines')::text AS t`.execute(db);
      if (!exists.rows[0]?.t) return this.set(0);
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM deadlines WHERE overdue AND kind = 'state'`.execute(db);
      this.set(r.rows[0]?.n ?? 0);
    },
  });
  const signatureLevels = new client.Counter({
    name: 'grms_document_signature_levels_total', labelNames: ['level'], registers: [registry],
    help: 'Signed PDFs by the PAdES level reached: B-LT; B-T (validation material incomplete); B-B (no time-stamp: TSA unset or unreachable)',
  });
  return { registry, requests, transitions, documentsSigned, signatureLevels };
}

/** Times every request under its route template (not the raw path, which would explode labels). */
export function measureRequests(metrics: Metrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const end = metrics.requests.startTimer();
    const routeTemplate = followRouteTemplate(req);
    res.on('finish', () => runHook(logger, 'request metrics', () => {
      const route = routeTemplate() ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    }));
    next();
  };
}

/** The same pool, counting each signed PDF. */
export function countingPool<P extends { renderAndSign(...args: never[]): Promise<unknown> }>(pool: P, metrics: Metrics, kind: string): P {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'renderAndSign') return Reflect.get(target, prop, receiver);
      return async (...args: never[]) => {
        const out = await target.renderAndSign(...args);
        metrics.documentsSigned.inc({ kind });
        const level = (out as { level?: string }).level;
        if (level) metrics.signatureLevels.inc({ level });
        return out;
      };
    },
  });
}
