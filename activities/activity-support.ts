import { CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { floeFailureType } from '../contracts/error-kinds.js';
import { FloeError } from '../core/errors.js';
import type { Redactor } from '../core/redaction.js';

/**
 * Runs an activity body and turns what it throws into an ApplicationFailure fit for the workflow's
 * history: a FloeError becomes type `FloeError:<kind>`, non-retryable unless the error says trying
 * again can help (workflows list those types as non-retryable too, so a bad input fails at once
 * however the activity is called); anything else keeps its name as the type and stays retryable.
 * Messages, causes and details pass through the process's redaction step (`redactor`, the
 * context's catalog's), and no stack is recorded: the history holds what went wrong, not the
 * worker's file paths or a secret a server echoed.
 */
export async function asActivityFailure<T>(redactor: Redactor, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toActivityFailure(error, redactor);
  }
}

export function toActivityFailure(error: unknown, redactor: Redactor): unknown {
  if (error instanceof CancelledFailure) return error;
  if (error instanceof FloeError) {
    return withoutStack(
      ApplicationFailure.create({
        message: redactor.redact(error.message),
        type: floeFailureType(error.kind),
        nonRetryable: !error.retryable,
        details: [{ kind: error.kind, context: stringContext(error.context, redactor) }],
        ...redactedCause(error.cause, redactor),
      }),
    );
  }
  if (error instanceof ApplicationFailure) {
    return withoutStack(
      ApplicationFailure.create({
        message: redactor.redact(error.message),
        ...(error.type == null ? {} : { type: error.type }),
        ...(error.nonRetryable == null ? {} : { nonRetryable: error.nonRetryable }),
        ...(error.details == null ? {} : { details: error.details.map((detail) => redactor.redactValue(detail)) }),
        ...redactedCause(error.cause, redactor),
      }),
    );
  }
  if (error instanceof Error) {
    return withoutStack(
      ApplicationFailure.create({
        message: redactor.redact(error.message),
        type: error.name,
        nonRetryable: false,
        ...redactedCause(error.cause, redactor),
      }),
    );
  }
  return withoutStack(ApplicationFailure.create({ message: redactor.redact(String(error)), nonRetryable: false }));
}

/** A failure's `cause` option: the cause chain with redacted messages and no stacks (at most a few deep), or none. */
function redactedCause(cause: unknown, redactor: Redactor, depth = 0): { cause?: ApplicationFailure } {
  if (cause === undefined || cause === null || depth >= 4) return {};
  const name = cause instanceof Error ? cause.name : typeof cause;
  return {
    cause: withoutStack(
      ApplicationFailure.create({
        message: redactor.redactedMessage(cause),
        type: name,
        ...(cause instanceof Error ? redactedCause(cause.cause, redactor, depth + 1) : {}),
      }),
    ),
  };
}

function withoutStack<E extends Error>(error: E): E {
  error.stack = '';
  return error;
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
export async function withHeartbeats<T>(
  phase: string,
  work: (signal: AbortSignal, report: (progress: Progress) => void) => Promise<T>,
): Promise<T> {
  const context = Context.current();
  let latest: Progress = { phase };
  // A local activity has no heartbeat: the workflow task that runs it is what the server watches.
  const heartbeat = context.info.isLocal ? () => {} : () => context.heartbeat(latest);
  heartbeat();
  const timer = setInterval(heartbeat, HEARTBEAT_INTERVAL_MS);
  try {
    return await work(context.cancellationSignal, (progress) => {
      latest = progress;
    });
  } catch (error) {
    if (context.cancellationSignal.aborted)
      throw new CancelledFailure(`Cancelled while ${phase}`, [], error instanceof Error ? error : undefined);
    throw error;
  } finally {
    clearInterval(timer);
  }
}

function stringContext(context: FloeError['context'], redactor: Redactor): Record<string, string> {
  return Object.fromEntries(
    Object.entries(context)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, redactor.redact(String(value))]),
  );
}
