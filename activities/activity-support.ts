import { CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FloeError } from '../iceberg/errors.js';

/**
 * Runs an activity body and turns a FloeError into an ApplicationFailure of type
 * `FloeError:<kind>`, non-retryable unless the error says trying again can help. Workflows list
 * those types as non-retryable too, so a bad input fails at once however the activity is called.
 */
export async function asActivityFailure<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof FloeError) {
      throw ApplicationFailure.create({
        message: error.message,
        type: `FloeError:${error.kind}`,
        nonRetryable: !error.retryable,
        details: [{ kind: error.kind, context: stringContext(error.context) }],
        cause: error.cause instanceof Error ? error.cause : undefined,
      });
    }
    throw error;
  }
}

// Cheap: the SDK sends at most one heartbeat per throttle interval; a short one only makes a
// cancellation (which arrives with a heartbeat's reply) noticed sooner where throttling is short.
const HEARTBEAT_INTERVAL_MS = 2_000;

export interface Progress {
  readonly phase: string;
  readonly [detail: string]: string | number;
}

/**
 * Heartbeats while long work runs, so a dead worker is noticed within the heartbeat timeout, and
 * passes the activity's cancellation on as an AbortSignal the work must honour. `report` replaces
 * what the next heartbeat says.
 */
export async function withHeartbeats<T>(phase: string, work: (signal: AbortSignal, report: (progress: Progress) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  let latest: Progress = { phase };
  context.heartbeat(latest);
  const timer = setInterval(() => context.heartbeat(latest), HEARTBEAT_INTERVAL_MS);
  try {
    return await work(context.cancellationSignal, (progress) => {
      latest = progress;
    });
  } catch (error) {
    if (context.cancellationSignal.aborted) throw new CancelledFailure(`Cancelled while ${phase}`, [], error instanceof Error ? error : undefined);
    throw error;
  } finally {
    clearInterval(timer);
  }
}

function stringContext(context: FloeError['context']): Record<string, string> {
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined).map(([key, value]) => [key, String(value)]));
}
