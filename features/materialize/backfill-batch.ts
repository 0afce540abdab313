import type { FeatureContext } from '../context.js';
import { materializeWindow } from './index.js';
import { defined } from '../../contracts/defined.js';

/** One window of a batch: a view, `[start, end)`, and the prefix of its commit's idempotency key. */
export interface BatchWindow {
  readonly featureView: string;
  readonly start: Date;
  readonly end: Date;
  /**
   * The window's commit carries the key `<keyPrefix>/<start>/<end>` of the window as planned (its
   * end cut at now − delay), the key a materialize workflow with this id would give it.
   */
  readonly keyPrefix: string;
}

export interface BatchWindowResult {
  readonly featureView: string;
  /** The window materialized (the end may be cut at now − delay). */
  readonly start: string;
  readonly end: string;
  readonly skipped?: string;
  readonly rows: number;
  readonly dataFiles: number;
  readonly onlineSnapshotId: string | null;
  readonly alreadyCommitted: boolean;
  /** How many times the catalog was asked to commit the window: more than 1 after conflicts with concurrent commits. */
  readonly commitAttempts: number;
  /** How many of those attempts conflicted with another commit. */
  readonly commitConflicts: number;
}

export interface BatchSteps {
  /** Names this window's data files; unique per attempt so a retry never replaces a file another attempt wrote. */
  readonly filePrefix: (window: BatchWindow) => string;
  /** Runs after the window's data files and manifest are written, before its commit (a test seam, like MaterializeHooks.afterWrite). */
  readonly afterWrite?: (window: BatchWindow, manifest: string | null) => Promise<void>;
  /** Told after each window lands, e.g. to heartbeat. */
  readonly onWindowDone?: (done: number, result: BatchWindowResult) => void;
}

/**
 * Materializes several windows one after another in one process, each as `materializeWindow` does
 * (plan, latest rows, online files, commit) with its own atomic commit under its own idempotency
 * key: run again, a window already committed is found, not appended twice. A cancellation (the
 * context's signal) stops before the next window or commit; a commit once started is seen through,
 * so each window lands whole or not at all.
 */
export async function materializeWindows(
  context: FeatureContext,
  windows: readonly BatchWindow[],
  steps: BatchSteps,
): Promise<BatchWindowResult[]> {
  const results: BatchWindowResult[] = [];
  for (const window of windows) {
    context.signal?.throwIfAborted();
    const done = await materializeWindow(
      context,
      window.featureView,
      window,
      (planned) => `${window.keyPrefix}/${planned.start.toISOString()}/${planned.end.toISOString()}`,
      {
        filePrefix: steps.filePrefix(window),
        ...(steps.afterWrite ? { afterWrite: (manifest: string | null) => steps.afterWrite!(window, manifest) } : {}),
      },
    );
    results.push({
      featureView: window.featureView,
      start: done.window.start.toISOString(),
      end: done.window.end.toISOString(),
      ...defined({ skipped: done.skipped }),
      rows: done.rows,
      dataFiles: done.dataFiles,
      onlineSnapshotId: done.snapshotId?.toString() ?? null,
      alreadyCommitted: done.alreadyCommitted,
      commitAttempts: done.attempts,
      commitConflicts: done.conflicts,
    });
    steps.onWindowDone?.(results.length, results.at(-1)!);
  }
  return results;
}
