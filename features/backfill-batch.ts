import type { FeatureContext } from './context.js';
import { commitOnlineWindow, computeLatestRows, planSourceScan, writeOnlinePartitions } from './materialization.js';

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
}

export interface BatchSteps {
  /** Names this window's staging and data files; unique per attempt so a retry never replaces a file another attempt wrote. */
  readonly fileName: (step: 'latest' | 'online', window: BatchWindow) => string;
  /** Runs after the window's data files and manifest are written, before its commit (a test seam, like MaterializeHooks.afterWrite). */
  readonly afterWrite?: (window: BatchWindow, manifest: string | null) => Promise<void>;
  /** Told after each window lands, e.g. to heartbeat. */
  readonly onWindowDone?: (done: number, result: BatchWindowResult) => void;
}

/**
 * Materializes several windows one after another in one process, each with the same four steps as
 * a materialize workflow (plan, latest rows, online files, commit) and its own atomic commit under
 * its own idempotency key: run again, a window already committed is found, not appended twice. A
 * cancellation (the context's signal) stops before the next window; a commit once started is seen
 * through, so each window lands whole or not at all.
 */
export async function materializeWindows(
  context: FeatureContext,
  windows: readonly BatchWindow[],
  steps: BatchSteps,
): Promise<BatchWindowResult[]> {
  const { signal, ...uncancellable } = context;
  const results: BatchWindowResult[] = [];
  for (const window of windows) {
    signal?.throwIfAborted();
    const plan = await planSourceScan(context, window.featureView, window);
    const planned = { featureView: window.featureView, start: plan.window.start.toISOString(), end: plan.window.end.toISOString() };
    if (plan.skipped !== undefined) {
      results.push({
        ...planned,
        skipped: plan.skipped,
        rows: 0,
        dataFiles: 0,
        onlineSnapshotId: null,
        alreadyCommitted: false,
        commitAttempts: 0,
      });
      steps.onWindowDone?.(results.length, results.at(-1)!);
      continue;
    }
    const computed = await computeLatestRows(context, window.featureView, plan.window, {
      sourceSnapshotId: plan.sourceSnapshotId,
      stagingName: steps.fileName('latest', window),
    });
    const written = await writeOnlinePartitions(context, window.featureView, {
      staging: computed.staging,
      rows: computed.rows,
      filePrefix: steps.fileName('online', window),
      materializedAt: new Date(),
    });
    await steps.afterWrite?.(window, written.manifest);
    signal?.throwIfAborted();
    const committed = await commitOnlineWindow(uncancellable, window.featureView, {
      window: plan.window,
      manifest: written.manifest,
      idempotencyKey: `${window.keyPrefix}/${planned.start}/${planned.end}`,
      sourceSnapshotId: plan.sourceSnapshotId?.toString() ?? null,
      staging: computed.staging,
    });
    results.push({
      ...planned,
      rows: computed.rows,
      dataFiles: written.dataFiles,
      onlineSnapshotId: committed.snapshotId?.toString() ?? null,
      alreadyCommitted: committed.alreadyCommitted,
      commitAttempts: committed.attempts,
    });
    steps.onWindowDone?.(results.length, results.at(-1)!);
  }
  return results;
}
