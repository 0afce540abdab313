import {
  ActivityCancellationType,
  type ActivityOptions,
  ApplicationFailure,
  type LocalActivityOptions,
  CancellationScope,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { MaterializeActivities } from '../activities/materialize.js';
import type { MaterializeInput, MaterializeResult, ScanSummary } from '../contracts/materialize.js';
import { scheduledStartTime, windowFor } from '../contracts/windows.js';
import { dataStepRetry, quickStepRetry } from './activity-retry.js';
import { instantMillis } from '../contracts/instants.js';
import { defined } from '../contracts/defined.js';

// Planning reads the watermark and the source's manifests: seconds, so a dead worker's step is
// retried after at most 2 minutes.
const planning = proxyActivities<MaterializeActivities>({
  startToCloseTimeout: '2 minutes',
  retry: quickStepRetry(),
});

// The heartbeat timeout is how long a dead worker's step waits before another worker retries it.
// On cancellation the workflow waits for the step to stop (DuckDB interrupted, scratch removed).
export const DATA_STEP_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: dataStepRetry(),
};
const dataWork = proxyActivities<MaterializeActivities>(DATA_STEP_OPTIONS);

// The commit heartbeats: a dead worker's commit is retried elsewhere about 10 s after it died. Its
// loop gives up within about a minute (conflicts, or an outcome it could not resolve), well inside
// the start-to-close timeout; the activity's retries then start it again with a reload.
export const COMMIT_STEP_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: quickStepRetry(),
};
const committing = proxyActivities<MaterializeActivities>(COMMIT_STEP_OPTIONS);

// From `materialize-runs-short-steps-locally` to `materialize-commits-outside-the-workflow-task`
// the watermark read and the commit were local activities, in the worker holding the workflow
// task: a round trip each saved, but a catalog that did not answer held that task (TMPRL1104 every
// few seconds) and the worker's shutdown, which waits for local activities and cannot cancel them.
// Histories recorded then replay them so.
const LOCAL_STEP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: quickStepRetry(),
};
const local = proxyLocalActivities<MaterializeActivities>(LOCAL_STEP_OPTIONS);
const SHORT_STEPS_LOCAL = 'materialize-runs-short-steps-locally';
// Both catalog steps are regular activities again: a jammed catalog holds an activity (the
// commit's heartbeats), which its worker cancels when it shuts down, never the workflow task.
const CATALOG_STEPS_OUTSIDE = 'materialize-commits-outside-the-workflow-task';

/** Where the watermark read and the commit run: see LOCAL_STEP_OPTIONS. */
function catalogStepsLocal(): boolean {
  return !patched(CATALOG_STEPS_OUTSIDE) && patched(SHORT_STEPS_LOCAL);
}

/**
 * Materializes one window of a feature view into its online table: plan the source scan, compute
 * the latest row per entity, write the online partitions (one step since
 * `materialize-prepares-in-one-step`, three before), commit. The commit carries the key
 * `workflowId/start/end`, so however often a step is retried the window lands exactly once, and it
 * advances the view's watermark in the same atomic commit.
 */
export async function materialize(input: MaterializeInput): Promise<MaterializeResult> {
  const future = futureScheduledTime(input);
  if (future !== undefined && patched('materialize-skips-future-scheduled-times')) {
    return skippedRun(
      { featureView: input.featureView, start: future, end: future },
      `the scheduled time ${future} is in the future: nothing to materialize until then`,
    );
  }
  const incremental = input.start === undefined;
  const requested =
    input.start !== undefined && input.end !== undefined
      ? { featureView: input.featureView, start: input.start, end: input.end }
      : await openWindow(input);
  if (!(instantMillis(requested.start) < instantMillis(requested.end))) {
    throw ApplicationFailure.nonRetryable(
      `Window start ${requested.start} must be an instant before end ${requested.end}`,
      'FloeError:invalid-input',
    );
  }
  // Planning, the latest rows and the online files as one step: three steps cost two more round
  // trips through the server (~50 ms each), a third of a small window's time.
  const prepared = patched('materialize-prepares-in-one-step') ? await dataWork.prepareWindow({ ...requested, incremental }) : undefined;
  const plan = prepared?.plan ?? (await planning.planSource({ ...requested, incremental }));
  if (plan.skipped !== undefined) return skippedRun(requested, plan.skipped);
  // Histories recorded before windows were cut at the present have no plan.window.
  const window = plan.window === undefined ? requested : { featureView: input.featureView, ...plan.window };
  const computed =
    prepared ??
    (await dataWork.computeLatest({
      ...window,
      sourceSnapshotId: plan.sourceSnapshotId,
      ...defined({ late: plan.late }),
    }));
  const written =
    prepared ?? (await dataWork.writeOnline({ featureView: input.featureView, staging: computed.staging, rows: computed.rows }));
  const commitOnline = catalogStepsLocal() ? local.commitOnline : committing.commitOnline;
  // A commit once asked for is seen through: cancelling then would leave the outcome unknown.
  const committed = await CancellationScope.nonCancellable(() =>
    commitOnline({
      ...window,
      manifest: written.manifest,
      staging: computed.staging,
      sourceSnapshotId: plan.sourceSnapshotId,
      incremental,
      idempotencyKey: `${workflowInfo().workflowId}/${window.start}/${window.end}`,
    }),
  );
  const sameWindow = window.start === requested.start && window.end === requested.end;
  return {
    ...window,
    ...(sameWindow ? {} : { requested: { start: requested.start, end: requested.end } }),
    ...defined({ late: plan.late }),
    sourceSnapshotId: plan.sourceSnapshotId,
    scan: plan.scan,
    rows: computed.rows,
    dataFiles: written.dataFiles,
    onlineSnapshotId: committed.snapshotId,
    alreadyCommitted: committed.alreadyCommitted,
  };
}

/** A schedule's run whose scheduled time is after the run started: a Backfill over future times. */
function futureScheduledTime(input: MaterializeInput): string | undefined {
  if (input.start !== undefined || input.end !== undefined) return undefined;
  const info = workflowInfo();
  const scheduled = scheduledStartTime(info);
  return scheduled !== undefined && scheduled.getTime() > info.runStartTime.getTime() ? scheduled.toISOString() : undefined;
}

/** The result of a run that had nothing to do, its reason also shown on the workflow's page. */
function skippedRun(window: { featureView: string; start: string; end: string }, reason: string): MaterializeResult {
  setCurrentDetails(`Skipped: ${reason}`);
  const scan: ScanSummary = { mode: 'copy-on-write', dataFiles: 0, positionDeleteFiles: 0, equalityDeleteFiles: 0, dataRecords: 0 };
  return {
    ...window,
    skipped: reason,
    sourceSnapshotId: null,
    scan,
    rows: 0,
    dataFiles: 0,
    onlineSnapshotId: null,
    alreadyCommitted: false,
  };
}

/** The window of a run given no explicit start (and maybe no end): see MaterializeInput. */
async function openWindow(input: MaterializeInput): Promise<{ featureView: string; start: string; end: string }> {
  const end = input.end ?? scheduledStartTime(workflowInfo())?.toISOString();
  if (end === undefined) {
    throw ApplicationFailure.nonRetryable(
      `materialize of ${input.featureView} got no end: give start and end, or end alone (the window then starts at the watermark), or start it from a Temporal Schedule`,
      'FloeError:invalid-input',
    );
  }
  if (input.start !== undefined) return { featureView: input.featureView, start: input.start, end };
  const watermark = await (catalogStepsLocal() ? local : planning).readWatermark({ featureView: input.featureView });
  const window = windowFor({ end, watermark, lookbackSeconds: input.lookbackSeconds });
  if ('problem' in window)
    throw ApplicationFailure.nonRetryable(`Feature view ${input.featureView}: ${window.problem}`, 'FloeError:invalid-input');
  return { featureView: input.featureView, ...window };
}
