import type { Logger } from '@temporalio/common';
import type { InFlightActivities } from './in-flight-activities.js';

/** After SIGTERM, how long a worker's activities in flight may still finish before they are cancelled. */
export const SHUTDOWN_GRACE_MS = 10_000;
/**
 * How long the Temporal SDK waits in all for the worker to drain after SIGTERM. A cancelled step
 * stops at once (a commit cut off mid-request is looked up by its key when retried): this bound is
 * for one that does not.
 */
export const SHUTDOWN_FORCE_MS = 25_000;
/** When the process ends after SIGTERM whatever still runs: what it left behind would keep it alive. */
export const EXIT_DEADLINE_MS = 28_000;
/** While stopping, how often the worker says again what it still waits for. */
const STILL_WAITING_EVERY_MS = 5_000;

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Once the process gets SIGINT or SIGTERM (the Temporal runtime's own handler shuts the worker
 * down), logs what the worker waits for (each activity in flight, its table and since when), again
 * every few seconds until `dispose()`, and ends the process with exit code 1, naming what it gave
 * up on, should it still run EXIT_DEADLINE_MS after the signal.
 */
export function reportStopping(inFlight: InFlightActivities, log: Logger): { dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  const report = (signal: string): void => {
    if (timer !== undefined) return;
    const started = Date.now();
    const say = (): void => {
      if (inFlight.size === 0) return;
      const seconds = Math.round((Date.now() - started) / 1000);
      log.warn(
        `Floe worker stopping (${signal} ${seconds} s ago): waiting for ${inFlight.describe().join('; ')}; activities still running ${SHUTDOWN_GRACE_MS / 1000} s after the signal are cancelled and retried by Temporal, and the worker exits within ${EXIT_DEADLINE_MS / 1000} s`,
      );
    };
    say();
    timer = setInterval(say, STILL_WAITING_EVERY_MS);
    timer.unref();
    // Not cleared by dispose(): closing the connection and the runtime may hang on what an abandoned step holds.
    setTimeout(() => {
      const waiting = inFlight.size === 0 ? 'closing its connections' : inFlight.describe().join('; ');
      log.error(
        `Floe worker gave up ${EXIT_DEADLINE_MS / 1000} s after ${signal} on ${waiting}: ending the process; Temporal retries each activity left after its heartbeat or start-to-close timeout`,
      );
      process.exit(1);
    }, EXIT_DEADLINE_MS).unref();
  };
  for (const signal of SIGNALS) process.on(signal, report);
  return {
    dispose() {
      clearInterval(timer);
      for (const signal of SIGNALS) process.removeListener(signal, report);
    },
  };
}
