import { FloeError } from '../iceberg/errors.js';

/** Exit codes: scripts can tell a mistake in what they asked from a failure to do it. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

export interface OutputOptions {
  readonly json?: boolean;
}

/** Prints a command's result: JSON for scripts with --json, readable lines otherwise. */
export function printResult(result: unknown, options: OutputOptions, human: () => string): void {
  if (options.json) console.log(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
  else console.log(human());
}

/** One or two lines on stderr that say what went wrong and, where we know, what to do. */
export function reportError(error: unknown): number {
  const badInput = FloeError.is(error) && (error.kind === 'invalid-input' || error.kind === 'not-found');
  const message = error instanceof Error ? error.message : String(error);
  console.error(`floe: ${message}`);
  if (process.env.FLOE_DEBUG && error instanceof Error && error.stack) console.error(error.stack);
  return badInput ? EXIT_BAD_INPUT : EXIT_FAILURE;
}
