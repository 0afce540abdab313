import { Runtime as TemporalRuntime, makeTelemetryFilterString } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/worker';
import type { ProjectConfig } from '../features/config.js';
import { FloeError } from '../core/errors.js';
import type { Redactor } from '../core/redaction.js';
import { workerLogger } from './logger.js';

export interface WorkerMetricsAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Installs the process's Temporal runtime (once per process, before any connection or worker): the
 * logger redacting through the process's `redactor` and, given an address, a Prometheus endpoint the SDK serves itself at
 * `http://host:port/metrics`. It carries the SDK's metrics (`temporal_…`) and Floe's own, which
 * activities record on the same meter (activities/activity-metrics.ts, activityDurationInterceptor).
 * The SDK core's own lines are forwarded to that logger rather than written by core itself (which
 * colours them whether or not stderr is a terminal), at `temporalCoreLogFilter`'s level.
 */
export function installWorkerRuntime(
  redactor: Redactor,
  options: { readonly oneLine?: boolean; readonly metrics?: WorkerMetricsAddress } = {},
): void {
  const { metrics } = options;
  const bindAddress =
    metrics === undefined ? undefined : `${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.port}`;
  const filter = temporalCoreLogFilter(process.env, { quiet: options.oneLine === true });
  try {
    TemporalRuntime.install({
      logger: workerLogger(redactor, options),
      telemetryOptions: {
        logging: { forward: {}, filter },
        ...(bindAddress === undefined ? {} : { metrics: { prometheus: { bindAddress } } }),
      },
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

/** The environment variable that sets the level of the Temporal SDK core's own log lines. */
export const TEMPORAL_LOG_LEVEL_VARIABLE = 'FLOE_TEMPORAL_LOG_LEVEL';

const TEMPORAL_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'] as const;

/**
 * The filter of the SDK core's own lines (polling, connections, worker shutdown): FLOE_TEMPORAL_LOG_LEVEL,
 * else none when `quiet` (`floe dev`, whose every reload shuts a worker down and core warns of it),
 * else WARN (the SDK's default). Other libraries' lines (gRPC, HTTP) are at ERROR unless it is OFF.
 */
export function temporalCoreLogFilter(env: NodeJS.ProcessEnv, options: { readonly quiet: boolean }): string {
  const given = env[TEMPORAL_LOG_LEVEL_VARIABLE]?.trim().toUpperCase();
  if (given !== undefined && given !== '' && !(TEMPORAL_LOG_LEVELS as readonly string[]).includes(given))
    throw new FloeError(
      'invalid-input',
      `${TEMPORAL_LOG_LEVEL_VARIABLE} must be one of ${TEMPORAL_LOG_LEVELS.join(', ')}, got ${JSON.stringify(env[TEMPORAL_LOG_LEVEL_VARIABLE])}`,
      { context: { field: TEMPORAL_LOG_LEVEL_VARIABLE } },
    );
  const level = given !== undefined && given !== '' ? given : options.quiet ? 'OFF' : 'WARN';
  // `OFF` is a level of the filter string (tracing's EnvFilter), not of the SDK's LogLevel type.
  return makeTelemetryFilterString({ core: level as LogLevel, other: (level === 'OFF' ? 'OFF' : 'ERROR') as LogLevel });
}
