import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { FloeError } from '../core/errors.js';
import type { Redactor } from '../core/redaction.js';

/** Exit codes: scripts can tell a mistake in what they asked from a failure to do it. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

const BAD_INPUT_KINDS = new Set(['invalid-input', 'not-found']);

export interface OutputOptions {
  readonly json?: boolean;
}

/**
 * Prints a command's result: JSON for scripts with --json, readable lines otherwise; never a
 * configured secret (`redactor` is the process's, which floe.yaml's secrets were registered on).
 */
export function printResult(redactor: Redactor, result: unknown, options: OutputOptions, human: () => string): void {
  if (options.json)
    console.log(
      redactor.redact(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)),
    );
  else console.log(redactor.redact(human()));
}

/**
 * One or two lines on stderr that say what went wrong, and the exit code. A failed workflow is
 * reported by the activity's FloeError, not by Temporal's wrappers around it.
 */
export function reportError(error: unknown, redactor: Redactor): number {
  const reported = reportedCause(error);
  const kind = FloeError.is(reported) ? reported.kind : reported instanceof ApplicationFailure ? floeErrorKind(reported) : undefined;
  const message = reported instanceof Error ? reported.message : String(reported);
  console.error(`floe: ${redactor.redact(message)}`);
  if (process.env.FLOE_DEBUG && error instanceof Error && error.stack) console.error(redactor.redact(error.stack));
  return kind !== undefined && BAD_INPUT_KINDS.has(kind) ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

/** `FloeError:not-found` → `not-found`: the type activities give a FloeError (activities/activity-support.ts). */
function floeErrorKind(failure: ApplicationFailure): string | undefined {
  return failure.type?.startsWith('FloeError:') ? failure.type.slice('FloeError:'.length) : undefined;
}

/**
 * The error to report: the outermost FloeError (or the failure an activity made of one) along the
 * cause chain, else the innermost cause. Outermost, because a FloeError's own cause (a lower-level
 * FloeError, a DuckDB error) reaches the client as a failure of type `FloeError` or `Error`,
 * which has lost the kind and says less than the error that wrapped it.
 */
export function reportedCause(error: unknown): unknown {
  let current = error;
  for (;;) {
    if (FloeError.is(current)) return current;
    if (current instanceof ApplicationFailure && floeErrorKind(current) !== undefined) return current;
    if (!(current instanceof TemporalFailure || (current instanceof Error && current.name === 'WorkflowFailedError'))) return current;
    const next = (current as Error).cause;
    if (next === undefined || next === null) return current;
    current = next;
  }
}
