import { DefaultLogger, LogTimestamp } from '@temporalio/worker';
import type { LogEntry, LogLevel, LogMetadata } from '@temporalio/worker';
import type { Redactor } from '../core/redaction.js';

/**
 * The worker's log, on stderr: every line through the process's redaction step, and errors in its metadata
 * (a failed activity's, for one) as their name and message without the stack, so a log holds no
 * secret and no source path.
 */
export class RedactingLogger extends DefaultLogger {
  constructor(
    private readonly redactor: Redactor,
    ...options: ConstructorParameters<typeof DefaultLogger>
  ) {
    super(...options);
  }

  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (meta === undefined) {
      super.log(level, this.redactor.redact(message));
      return;
    }
    const timestamp: unknown = meta[LogTimestamp];
    super.log(level, this.redactor.redact(message), {
      ...(this.redactor.redactValue(meta) as LogMetadata),
      ...(timestamp === undefined ? {} : { [LogTimestamp]: timestamp }),
    });
  }
}

/**
 * The worker's logger at FLOE_LOG_LEVEL (default WARN; INFO includes webpack's report of the
 * workflow bundle). `oneLine` (`floe dev`'s pane, read by a person): each entry on one line, which
 * workflow or activity and the error's message, without the SDK's metadata (task token, attempt,
 * run id…).
 */
export function workerLogger(redactor: Redactor, options: { oneLine?: boolean } = {}): RedactingLogger {
  const level = (process.env.FLOE_LOG_LEVEL?.toUpperCase() ?? 'WARN') as LogLevel;
  return options.oneLine ? new RedactingLogger(redactor, level, oneLineLogFunction) : new RedactingLogger(redactor, level);
}

function oneLineLogFunction(entry: LogEntry): void {
  const meta = entry.meta ?? {};
  const text = (key: string): string | undefined => (typeof meta[key] === 'string' ? (meta[key] as string) : undefined);
  const where = [text('workflowId'), text('activityType') ?? text('workflowType')].filter((part) => part !== undefined).join(' ');
  const message = errorMessage(meta.error);
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const line = `${time} [${entry.level}] ${entry.message}${where === '' ? '' : ` (${where})`}${message === undefined ? '' : `: ${message}`}`;
  process.stderr.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
}

/** SDK wrappers that say only where a failure came from; their cause says what it was. */
const WRAPPER_MESSAGE = /^(activity task failed|child workflow execution failed)$/i;

/** The message of a redacted error (redactValue), past the SDK's wrappers. */
function errorMessage(error: unknown): string | undefined {
  let current = error as { message?: unknown; cause?: unknown } | undefined;
  while (
    current &&
    typeof current.message === 'string' &&
    WRAPPER_MESSAGE.test(current.message) &&
    typeof current.cause === 'object' &&
    current.cause !== null
  )
    current = current.cause as typeof current;
  return typeof current?.message === 'string' ? current.message : undefined;
}
