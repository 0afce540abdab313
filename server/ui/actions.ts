import type { CompactTarget } from '../../contracts/compact.js';

/** A workflow the UI started (or found already running under its id). */
export interface StartedWorkflow {
  readonly workflowId: string;
  readonly runId: string;
  readonly alreadyRunning: boolean;
}

/** A backfill of one view over [start, end) as the UI's form gives it: instants as typed, `chunk` a duration (`1d`, `6h`). */
export interface BackfillRequest {
  readonly featureView: string;
  readonly start: string;
  readonly end: string;
  readonly chunk: string;
}

/**
 * The workflows the UI may start for a caller allowed to materialize, the same as the CLI's
 * commands start (the CLI's implementation is cli/server-actions.ts, a Temporal client).
 */
export interface UiActions {
  /** `floe compact`'s workflow with its default options, under its workflow id. */
  compact(target: CompactTarget): Promise<StartedWorkflow>;
  /**
   * `floe backfill`'s workflow under its workflow id, after the CLI's checks (instants, start before
   * end, no end after now − the view's delay, the chunk count): a window that fails one is refused
   * with an `invalid-input` FloeError before anything starts.
   */
  backfill(request: BackfillRequest): Promise<StartedWorkflow>;
}

/** Temporal could not be asked: the action routes answer 503 with this message. */
export class ActionsUnavailableError extends Error {}
