import { Runtime as TemporalRuntime } from '@temporalio/worker';
import type { ProjectConfig } from '../features/config.js';
import { FloeError } from '../core/errors.js';
import { workerLogger } from './logger.js';

export interface WorkerMetricsAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Installs the process's Temporal runtime (once per process, before any connection or worker): the
 * redacting logger and, given an address, a Prometheus endpoint the SDK serves itself at
 * `http://host:port/metrics`. It carries the SDK's metrics (`temporal_…`) and Floe's own, which
 * activities record on the same meter (activities/activity-metrics.ts, activityDurationInterceptor).
 */
export function installWorkerRuntime(options: { readonly oneLine?: boolean; readonly metrics?: WorkerMetricsAddress } = {}): void {
  const { metrics } = options;
  const bindAddress =
    metrics === undefined ? undefined : `${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.port}`;
  try {
    TemporalRuntime.install({
      logger: workerLogger(options),
      ...(bindAddress === undefined ? {} : { telemetryOptions: { metrics: { prometheus: { bindAddress } } } }),
    });
  } catch (error) {
    if (bindAddress === undefined) throw error;
    throw new FloeError(
      'invalid-input',
      `The worker cannot serve metrics on ${bindAddress} (worker.metricsPort and worker.metricsHost in floe.yaml, or --metrics-port): ${(error as Error).message.replace(/^Failed to start prometheus metrics exporter: /, '')}; stop the program holding the port or choose another`,
      { context: { field: 'worker.metricsPort' }, cause: error },
    );
  }
}

/** Where a worker serves metrics: `override` (a --metrics-port) or floe.yaml's worker.metricsPort, on worker.metricsHost; none without a port. */
export function workerMetricsAddress(config: Pick<ProjectConfig, 'worker'>, override?: number): WorkerMetricsAddress | undefined {
  const port = override ?? config.worker.metricsPort;
  return port === undefined ? undefined : { host: config.worker.metricsHost, port };
}
