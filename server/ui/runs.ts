import type { RunWindow } from './run-details.js';

/** A recent run of one of Floe's workflows, as Temporal's visibility lists it, with what its input, progress or outcome tell (run-details.ts). */
export interface RunSummary {
  readonly workflowId: string;
  readonly runId: string;
  /** `materialize`, `backfill`, `compact`, `consistency` or `trainingSet`. */
  readonly type: string;
  /** Temporal's status: `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TERMINATED`, `CONTINUED_AS_NEW`, `TIMED_OUT`. */
  readonly status: string;
  /** UTC ISO instants; `closeTime` null while running. */
  readonly startTime: string;
  readonly closeTime: string | null;
  /** The views it works on (the FloeFeatureView search attribute, else its input or result); empty when it names none. */
  readonly featureViews: readonly string[];
  /** A backfill's progress in words (FloeProgress), else null. */
  readonly progress: string | null;
  /** The windows it covered; empty when it covers none (a compaction) or they are not known (a scheduled materialize still running). */
  readonly windows: readonly RunWindow[];
  /** Rows written (see RunDetails.rows); null when not known (yet). */
  readonly rows: number | null;
  /** Why a failed, timed-out, terminated or cancelled run stopped, redacted; else null. */
  readonly error: string | null;
  /** Its page in the Temporal Web UI, or null when the UI's address is not known. */
  readonly temporalUiUrl: string | null;
}

/** Where the runs page's runs come from (the CLI's is Temporal's visibility API); most recent first. */
export interface RunsSource {
  recent(limit: number): Promise<readonly RunSummary[]>;
}

/**
 * The runs, most recent start first. By time, not text: an instant on a whole second prints without
 * a fraction (`…:37Z`), which as text sorts after the same second's `…:37.082Z`.
 */
export function mostRecentFirst(runs: readonly RunSummary[]): RunSummary[] {
  return [...runs].sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime));
}

/** The workflow types the runs page lists. */
export const LISTED_WORKFLOW_TYPES = ['materialize', 'backfill', 'compact', 'consistency', 'trainingSet'] as const;

/** Temporal could not be asked: the runs route answers 503 with this message. */
export class RunsUnavailableError extends Error {}
