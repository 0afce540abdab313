import type { FeatureContext } from '../features/context.js';
import { materializeWindows } from '../features/materialize/backfill-batch.js';
import type { BatchWindowResult } from '../features/materialize/backfill-batch.js';
import { recordCommittedWindow } from './activity-metrics.js';
import { asActivityFailure, withHeartbeats } from './activity-support.js';
import type { MaterializeHooks } from './materialize.js';
import { attemptName } from './materialize.js';
import { instantDate } from '../contracts/instants.js';

export type { BatchWindowResult };

export interface MaterializeWindowsInput {
  readonly windows: readonly {
    readonly featureView: string;
    readonly start: string;
    readonly end: string;
    /** See BatchWindow.keyPrefix: the id of the materialize workflow this window would otherwise run as. */
    readonly keyPrefix: string;
  }[];
}

export type MaterializeWindowsActivities = ReturnType<typeof createMaterializeWindowsActivities>;

/**
 * A backfill's batch of small windows in one activity (see materializeWindows): one activity's
 * scheduling instead of a child workflow and four steps per window. A retried attempt does the
 * batch again; the windows an earlier attempt committed are found by their keys.
 */
export function createMaterializeWindowsActivities(context: FeatureContext, hooks: MaterializeHooks = {}) {
  return {
    async materializeWindows(input: MaterializeWindowsInput): Promise<BatchWindowResult[]> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats(`materializing ${input.windows.length} windows`, (signal, report) =>
          materializeWindows(
            { ...context, signal },
            input.windows.map((window) => ({ ...window, start: instantDate(window.start), end: instantDate(window.end) })),
            {
              filePrefix: (window) =>
                attemptName('online', {
                  featureView: window.featureView,
                  start: window.start.toISOString(),
                  end: window.end.toISOString(),
                }),
              ...(hooks.afterWrite
                ? { afterWrite: (window, manifest) => hooks.afterWrite!({ featureView: window.featureView, manifest, signal }) }
                : {}),
              onWindowDone: (done, result) => {
                if (result.skipped === undefined)
                  recordCommittedWindow({
                    featureView: result.featureView,
                    rows: result.alreadyCommitted ? 0 : result.rows,
                    attempts: result.commitAttempts,
                    conflicts: result.commitConflicts,
                    alreadyCommitted: result.alreadyCommitted,
                  });
                report({ phase: `materialized ${done} of ${input.windows.length} windows`, window: `${result.start}/${result.end}` });
              },
            },
          ),
        ),
      );
    },
  };
}
