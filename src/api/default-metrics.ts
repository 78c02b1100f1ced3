import client from 'prom-client';

/**
 * prom-client's default process metrics names three gauges `nodejs_active_*_total`, which
 * Prometheus reserves for counters (`promtool check metrics` refuses them). They cannot be
 * renamed one by one, so the defaults are collected into a registry of their own and all but
 * those three are registered again in `registry`; their counts remain as the per-type
 * `nodejs_active_*` gauges (sum over `type`).
 */
const GAUGES_NAMED_LIKE_COUNTERS = /^nodejs_active_\w+_total$/;

export function registerDefaultMetrics(registry: client.Registry, prefix: string): void {
  const defaults = new client.Registry();
  client.collectDefaultMetrics({ register: defaults, prefix });
  for (const { name } of defaults.getMetricsAsArray()) {
    const metric = defaults.getSingleMetric(name);
    if (metric && !GAUGES_NAMED_LIKE_COUNTERS.test(name.slice(prefix.length))) registry.registerMetric(metric);
  }
}
