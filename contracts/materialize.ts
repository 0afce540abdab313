// What the materialize workflow takes and returns: the CLI, schedules and activities share it.

/**
 * A feature view and a window `[start, end)` of event time, as ISO-8601 instants.
 *
 * `start` and `end` may be left out (a Temporal Schedule starts materialize that way):
 * - `end` defaults to the time the schedule scheduled the run for (`TemporalScheduledStartTime`),
 *   so a late run still ends where it was meant to;
 * - `start` defaults to the view's watermark, so skipped or late runs catch up without gaps or
 *   overlaps; when there is no watermark yet, or it is already at or past `end` (a backfill of
 *   times already covered), the window is `[end − lookbackSeconds, end)`. Such a run is
 *   incremental: it also takes the rows committed to the source since the last source snapshot an
 *   incremental run processed, whatever their event time (late rows).
 *
 * No window ends after now − the view's `delay`: a later end is cut there, and a window wholly after
 * it (a schedule's run for a future time) finishes as a no-op whose result says why.
 */
export interface MaterializeInput {
  readonly featureView: string;
  readonly start?: string;
  readonly end?: string;
  /** The window's length when it cannot start at the watermark: the schedule's interval. */
  readonly lookbackSeconds?: number;
}

export interface MaterializeResult {
  readonly featureView: string;
  /** The window materialized: the one asked for, with its end cut at now − delay and, for incremental runs, its start moved back by the view's lateness. */
  readonly start: string;
  readonly end: string;
  /** Why nothing was materialized, when the window lies wholly in the future; the other figures are then zero. */
  readonly skipped?: string;
  /** The window asked for, when it differs from the one materialized. */
  readonly requested?: { readonly start: string; readonly end: string };
  /** Incremental runs: rows committed to the source since the last processed snapshot (see LatePlan). */
  readonly late?: LatePlan;
  readonly sourceSnapshotId: string | null;
  readonly scan: ScanSummary;
  readonly rows: number;
  readonly dataFiles: number;
  readonly onlineSnapshotId: string | null;
  /** True when an earlier attempt had already committed this window and nothing was appended. */
  readonly alreadyCommitted: boolean;
}

export interface ScanSummary {
  readonly mode: 'copy-on-write' | 'merge-on-read';
  readonly dataFiles: number;
  readonly positionDeleteFiles: number;
  readonly equalityDeleteFiles: number;
  readonly dataRecords: number;
}

/** How an incremental run catches rows committed late (JSON-safe: it travels in workflow payloads). */
export interface LatePlan {
  /** The source snapshot the view last processed; null when there is none (or the source was empty then). */
  readonly sinceSnapshotId: string | null;
  /** Data files added to the source since whose stats allow rows before the window's start, read for those rows. */
  readonly files: number;
  readonly rows: number;
  /** Why the run restates an event-time range instead (a rewrite in the source, or a lost cursor). */
  readonly fallback?: string;
}
