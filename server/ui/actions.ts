import type { CompactTarget } from '../../contracts/compact.js';

/** A workflow the UI started (or found already running under its id). */
export interface StartedWorkflow {
  readonly workflowId: string;
  readonly runId: string;
  readonly alreadyRunning: boolean;
}

/**
 * The workflows the UI may start for a caller allowed to materialize, the same as the CLI's
 * commands start (the CLI's implementation is cli/server-actions.ts, a Temporal client).
 */
export interface UiActions {
  /** `floe compact`'s workflow with its default options, under its workflow id. */
  compact(target: CompactTarget): Promise<StartedWorkflow>;
}

/** Temporal could not be asked: the action routes answer 503 with this message. */
export class ActionsUnavailableError extends Error {}
