import { DefaultLogger, LogTimestamp, Runtime as TemporalRuntime } from '@temporalio/worker';
import type { LogLevel, LogMetadata } from '@temporalio/worker';
import { redact, redactValue } from '../iceberg/util/redaction.js';

/**
 * The worker's log, on stderr: every line through the redaction step, and errors in its metadata
 * (a failed activity's, for one) as their name and message without the stack, so a log holds no
 * secret and no source path.
 */
export class RedactingLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (meta === undefined) {
      super.log(level, redact(message));
      return;
    }
    const timestamp: unknown = meta[LogTimestamp];
    super.log(level, redact(message), { ...(redactValue(meta) as LogMetadata), ...(timestamp === undefined ? {} : { [LogTimestamp]: timestamp }) });
  }
}

/** Installs the worker's logger at FLOE_LOG_LEVEL (default WARN; INFO includes webpack's report of the workflow bundle). */
export function installWorkerLogger(): void {
  TemporalRuntime.install({ logger: new RedactingLogger((process.env.FLOE_LOG_LEVEL?.toUpperCase() ?? 'WARN') as LogLevel) });
}
