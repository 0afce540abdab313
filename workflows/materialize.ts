import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MaterializeActivities, ScanSummary } from '../activities/materialize.js';

/** A feature view and a window `[start, end)` of event time, as ISO-8601 instants. */
export interface MaterializeInput {
  readonly featureView: string;
  readonly start: string;
  readonly end: string;
}

export interface MaterializeResult {
  readonly featureView: string;
  readonly start: string;
  readonly end: string;
  readonly sourceSnapshotId: string | null;
  readonly scan: ScanSummary;
  readonly rows: number;
  readonly dataFiles: number;
  readonly onlineSnapshotId: string | null;
  /** True when an earlier attempt had already committed this window and nothing was appended. */
  readonly alreadyCommitted: boolean;
}

const nonRetryable = ['FloeError:invalid-input', 'FloeError:not-found', 'FloeError:unsupported', 'FloeError:corrupt', 'FloeError:internal'];

const planning = proxyActivities<MaterializeActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: nonRetryable },
});

const dataWork = proxyActivities<MaterializeActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', nonRetryableErrorTypes: nonRetryable },
});

const committing = proxyActivities<MaterializeActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: nonRetryable },
});

/**
 * Materializes one window of a feature view into its online table: plan the source scan, compute
 * the latest row per entity, write the online partitions, commit. The commit carries the key
 * `workflowId/start/end`, so however often a step is retried the window lands exactly once.
 */
export async function materialize(input: MaterializeInput): Promise<MaterializeResult> {
  if (!(Date.parse(input.start) < Date.parse(input.end))) {
    throw ApplicationFailure.nonRetryable(`Window start ${input.start} must be an instant before end ${input.end}`, 'FloeError:invalid-input');
  }
  const window = { featureView: input.featureView, start: input.start, end: input.end };
  const plan = await planning.planSource(window);
  const computed = await dataWork.computeLatest({ ...window, sourceSnapshotId: plan.sourceSnapshotId });
  const written = await dataWork.writeOnline({ featureView: input.featureView, staging: computed.staging, rows: computed.rows });
  const committed = await committing.commitOnline({
    ...window,
    manifest: written.manifest,
    staging: computed.staging,
    sourceSnapshotId: plan.sourceSnapshotId,
    idempotencyKey: `${workflowInfo().workflowId}/${input.start}/${input.end}`,
  });
  return {
    ...window,
    sourceSnapshotId: plan.sourceSnapshotId,
    scan: plan.scan,
    rows: computed.rows,
    dataFiles: written.dataFiles,
    onlineSnapshotId: committed.snapshotId,
    alreadyCommitted: committed.alreadyCommitted,
  };
}
