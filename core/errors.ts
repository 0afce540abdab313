/**
 * The one error type of Floe's library. Every failure carries a kind (what went wrong), a context
 * (which table, file, column or field), an optional cause, and whether trying again can help.
 * Activities turn non-retryable errors into non-retryable Temporal failures, so a bad input fails
 * a workflow at once while a commit conflict or a flaky store is retried.
 */
import { KIND_RETRY, type FloeErrorKind } from '../contracts/error-kinds.js';

/** What went wrong: see contracts/error-kinds.ts. */
export type ErrorKind = FloeErrorKind;

export type ErrorContext = Readonly<Record<string, string | number | boolean | bigint | undefined>>;

export interface FloeErrorOptions {
  context?: ErrorContext;
  cause?: unknown;
  retryable?: boolean;
}

export class FloeError extends Error {
  override readonly name = 'FloeError';
  readonly kind: ErrorKind;
  /** The message without the context suffix, for errors that restate this one with more context. */
  readonly detail: string;
  readonly context: ErrorContext;
  readonly retryable: boolean;

  constructor(kind: ErrorKind, message: string, options: FloeErrorOptions = {}) {
    super(withContext(message, options.context), options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.detail = message;
    this.context = options.context ?? {};
    this.retryable = options.retryable ?? KIND_RETRY[kind] === 'retryable';
  }

  static is(error: unknown, kind?: ErrorKind): error is FloeError {
    return error instanceof FloeError && (kind === undefined || error.kind === kind);
  }
}

function withContext(message: string, context: ErrorContext | undefined): string {
  if (!context) return message;
  const parts = Object.entries(context)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`);
  return parts.length === 0 ? message : `${message} (${parts.join(', ')})`;
}

/**
 * A commit whose outcome is unknown that wrote files of the catalog's own for it (a pointer
 * catalog's new metadata file): they belong to the attempt, and go with its other files once the
 * commit loop knows it can never land.
 */
export class CommitStateUnknownError extends FloeError {
  constructor(
    message: string,
    readonly attemptFiles: readonly string[],
    options: Omit<FloeErrorOptions, 'retryable'> = {},
  ) {
    super('commit-state-unknown', message, options);
  }
}

/**
 * A commit that certainly did not reach the catalog (it refused the connection): retryable, and
 * the attempt's files belong to nobody, so the commit loop deletes them.
 */
export class CommitNotSentError extends FloeError {
  constructor(message: string, options: Omit<FloeErrorOptions, 'retryable'> = {}) {
    super('io', message, { ...options, retryable: true });
  }
}
