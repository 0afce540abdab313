// Workflow ids Floe derives, shared by every client (CLI, demo, schedules). Pure functions only.
import murmur3 from 'murmurhash3js-revisited';

/** `2024-05-02T00:00:00.000Z` → `20240502T000000Z`: readable, sortable, safe in URLs. */
export function compactInstant(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * One id per feature view and window, so starting the same window twice finds the first run's
 * commit (its idempotency key is this id plus the window) instead of appending again.
 */
export function materializeWorkflowId(featureView: string, start: string, end: string): string {
  return `materialize-${featureView}-${compactInstant(start)}-${compactInstant(end)}`;
}

/**
 * A run of a window (or range) again under a new id: the derived id and the instant it was asked
 * for, so its commit carries a key of its own instead of finding the first run's.
 */
export function againWorkflowId(workflowId: string, now: string): string {
  return `${workflowId}-again-${compactInstant(now)}`;
}

/** A backfill chunk's child workflow as first named: the backfill's whole id, the view and the window. */
export function backfillChildWorkflowId(backfillWorkflowId: string, featureView: string, start: string, end: string): string {
  return `${backfillWorkflowId}-${featureView}-${compactInstant(start)}-${compactInstant(end)}`;
}

/**
 * A backfill chunk's child workflow: the view, the chunk's start and a short digest of the backfill's
 * id and the chunk's end, so a rerun of the backfill finds it, and the UI's workflow list keeps its
 * Type and Start columns in view.
 */
export function backfillChunkWorkflowId(backfillWorkflowId: string, featureView: string, start: string, end: string): string {
  const digest = (murmur3.x86.hash32(new TextEncoder().encode(`${backfillWorkflowId}/${end}`), 0) >>> 0).toString(16).padStart(8, '0');
  return `${featureView}-${compactInstant(start)}-${digest}`;
}

/** A backfill started by the CLI: one id per views, range and chunk, so running it again resumes it. */
export function backfillWorkflowId(featureViews: readonly string[], start: string, end: string, chunk: string): string {
  return `backfill-${featureViews.join('+')}-${compactInstant(start)}-${compactInstant(end)}-${chunk.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** The Temporal Schedule (and the prefix of its runs' workflow ids) that materializes a view. */
export function materializeScheduleId(featureView: string): string {
  return `floe-materialize-${featureView}`;
}

/** The workflow id of an incremental run ending at `end` (its start is the watermark). */
export function incrementalWorkflowId(featureView: string, end: string): string {
  return `materialize-${featureView}-incremental-${compactInstant(end)}`;
}

/** A training set started by the CLI: one id per output table, so running the same command again returns its commit. */
export function trainingSetWorkflowId(outputTable: string): string {
  return `training-set-${outputTable}`;
}

/**
 * One compaction per feature view or table at a time: starting it again while it runs finds the
 * running one. Its commit's idempotency key adds the planned snapshot, so a later run, on a later
 * snapshot, commits anew.
 */
export function compactWorkflowId(target: { readonly featureView: string } | { readonly table: string }): string {
  return 'featureView' in target ? `compact-${target.featureView}` : `compact-table-${target.table}`;
}

/** The Temporal Schedule that compacts a view's online table. */
export function compactScheduleId(featureView: string): string {
  return `floe-compact-${featureView}`;
}

/** The Temporal Schedule that compacts a source's table (source names, like view names, hold no `-`). */
export function compactSourceScheduleId(source: string): string {
  return compactScheduleId(`source-${source}`);
}

/** A consistency check started by the CLI: one per view at a time, so a second start follows the running check. */
export function consistencyWorkflowId(featureView: string): string {
  return `consistency-${featureView}`;
}

/** The Temporal Schedule that checks a view's online/offline consistency. */
export function consistencyScheduleId(featureView: string): string {
  return `floe-consistency-${featureView}`;
}

/** A view's schedules: the one that materializes it, compacts its online table or checks its consistency. */
export const VIEW_SCHEDULES = ['materialize', 'compaction', 'consistency'] as const;
export type ViewSchedule = (typeof VIEW_SCHEDULES)[number];

/** The Temporal Schedule id of one of a view's schedules. */
export function viewScheduleId(featureView: string, schedule: ViewSchedule): string {
  switch (schedule) {
    case 'materialize':
      return materializeScheduleId(featureView);
    case 'compaction':
      return compactScheduleId(featureView);
    case 'consistency':
      return consistencyScheduleId(featureView);
  }
}
