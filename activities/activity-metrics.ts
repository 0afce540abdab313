import { Context } from '@temporalio/activity';

/** What one window's commit did, as the activities count it. */
export interface CommittedWindow {
  readonly featureView: string;
  /** Rows in the files the commit added (0 for an empty window or one found already committed). */
  readonly rows: number;
  readonly attempts: number;
  readonly conflicts: number;
  readonly alreadyCommitted: boolean;
}

/**
 * Floe's own counters, recorded on the running activity's meter (the SDK's, tagged with namespace,
 * task queue and activity type), so the worker's one Prometheus endpoint (`worker.metricsPort`)
 * carries them beside the SDK's. A window found already committed (a retried activity) counts its
 * commit attempts but not the window or its rows again.
 */
export function recordCommittedWindow(window: CommittedWindow): void {
  const meter = Context.current().metricMeter.withTags({ feature_view: window.featureView });
  meter.createCounter('floe_commit_attempts_total', undefined, 'Times the catalog was asked to commit a window').add(window.attempts);
  meter
    .createCounter('floe_commit_conflicts_total', undefined, "Commit attempts refused because another commit moved the table's head")
    .add(window.conflicts);
  if (window.alreadyCommitted) return;
  meter.createCounter('floe_windows_committed_total', undefined, 'Materialization windows committed to online tables').add(1);
  meter.createCounter('floe_rows_written_total', undefined, 'Rows committed to online tables by materialization').add(window.rows);
}
