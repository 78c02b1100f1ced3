import crypto from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import { notFound, unauthorized } from '../errors';
import type { Logger } from '../log';
import type { Registry } from 'prom-client';
import { problemHandler } from './problem';
import { requestId } from './middleware';

/**
 * Who may read /metrics. Public by default (as a loopback-bound server always was); a deployment
 * that listens beyond loopback can require a bearer token (GRMS_METRICS_TOKEN), move /metrics to
 * an address of its own (GRMS_METRICS_ADDRESS, e.g. an internal interface), or both.
 */
export interface MetricsAccess {
  /** Required as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Served by a listener of its own: the main app does not serve /metrics at all. */
  ownListener?: boolean;
  /** Where the text comes from when not this process's own registry (a worker asks the primary for all workers' sum). */
  source?: MetricsSource;
}

/** What /metrics renders: a process's registry (Metrics), or the workers' metrics aggregated by the primary. */
export interface MetricsSource {
  registry: Pick<Registry, 'contentType' | 'metrics'>;
}

const digest = (text: string) => crypto.createHash('sha256').update(text).digest();

/** GET /metrics: the Prometheus text, after the token check when a token is configured. */
export function metricsEndpoint(metrics: MetricsSource, token: string | undefined): RequestHandler {
  // Compared as digests, in constant time: neither the length nor a prefix leaks.
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    if (expected) {
      // The scheme is case-insensitive (RFC 9110, 11.1).
      const given = /^bearer +(\S+) *$/i.exec(req.get('authorization') ?? '')?.[1];
      if (given === undefined || !crypto.timingSafeEqual(digest(given), expected)) {
        res.set('WWW-Authenticate', 'Bearer realm="grms-metrics"');
        throw unauthorized('/metrics needs Authorization: Bearer <the GRMS_METRICS_TOKEN of this deployment>');
      }
    }
    res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

/** The app of the GRMS_METRICS_ADDRESS listener: GET /metrics and nothing else (404 problem). */
export function createMetricsApp(metrics: MetricsSource, token: string | undefined, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  app.get('/metrics', metricsEndpoint(metrics, token));
  app.use((req) => {
    throw notFound(`No route ${req.method} ${req.path} (this address serves only GET /metrics)`);
  });
  app.use(problemHandler(logger));
  return app;
}
