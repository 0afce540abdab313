import { FloeError } from '../core/errors.js';
import { defined } from '../contracts/defined.js';

/** One materialization workflow started for a feature view. */
export interface MaterializeRun {
  readonly featureView: string;
  readonly workflowId: string;
  readonly runId: string;
}

/**
 * Starts the materialization workflows `floe materialize` and `floe materialize-incremental`
 * start, for the feature server's `POST /materialize` and `/materialize-incremental`. The server
 * holds no Temporal client of its own: `floe serve` gives it one (cli/server-materializer.ts).
 */
export interface Materializer {
  /** A window [start, end) of the views named (default: every view with online.enabled). */
  materialize(request: {
    readonly featureViews?: readonly string[];
    readonly start: string;
    readonly end: string;
  }): Promise<MaterializeRun[]>;
  /** From each view's watermark up to `end` (default: now − the view's delay). */
  materializeIncremental(request: { readonly featureViews?: readonly string[]; readonly end?: string }): Promise<MaterializeRun[]>;
  /** Resolves once every run has finished; a failed run is an error naming its view. */
  waitFor(runs: readonly MaterializeRun[]): Promise<void>;
}

/** The server cannot start workflows: no Temporal client was given, or Temporal cannot be reached. The server answers 503. */
export class MaterializerUnavailableError extends FloeError {
  constructor(detail: string, cause?: unknown) {
    super('io', detail, { retryable: true, ...defined({ cause }) });
  }
}
