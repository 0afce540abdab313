import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A Prometheus registry of its own (several servers or consumers may share a process), holding the
 * process's own figures (memory, CPU, event loop) as `floe_process_…` and `floe_nodejs_…`: what the
 * feature server and `floe stream --metrics-port` serve on GET /metrics beside their metrics.
 */
export function processMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'floe_' });
  return registry;
}
