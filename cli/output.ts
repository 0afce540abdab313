import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { FloeError } from '../iceberg/errors.js';
import { redact } from '../iceberg/util/redaction.js';

/** Exit codes: scripts can tell a mistake in what they asked from a failure to do it. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

const BAD_INPUT_KINDS = new Set(['invalid-input', 'not-found']);

export interface OutputOptions {
  readonly json?: boolean;
}

/** Prints a command's result: JSON for scripts with --json, readable lines otherwise. */
export function printResult(result: unknown, options: OutputOptions, human: () => string): void {
  if (options.json) console.log(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
  else console.log(human());
}

/**
 * One or two lines on stderr that say what went wrong, and the exit code. A failed workflow is
 * reported by its root cause (the activity's FloeError), not by Temporal's wrappers around it.
 */
export function reportError(error: unknown): number {
  const root = rootCause(error);
  const kind = FloeError.is(root) ? root.kind : root instanceof ApplicationFailure && root.type?.startsWith('FloeError:') ? root.type.slice('FloeError:'.length) : undefined;
  const message = root instanceof Error ? root.message : String(root);
  console.error(`floe: ${redact(message)}`);
  if (process.env.FLOE_DEBUG && error instanceof Error && error.stack) console.error(redact(error.stack));
  return kind !== undefined && BAD_INPUT_KINDS.has(kind) ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

function rootCause(error: unknown): unknown {
  let current = error;
  while (current instanceof TemporalFailure || (current instanceof Error && current.name === 'WorkflowFailedError')) {
    const next = (current as Error).cause;
    if (next === undefined || next === null) break;
    current = next;
  }
  return current;
}
