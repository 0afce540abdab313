import type { BoundExpression } from '../expressions/bound.js';
import type { DataFile } from '../spec/manifest.js';
import type { Schema } from '../spec/schema.js';

/** A delete file that applies to a data file, with the sequence number that decides whether it does. */
export interface DeleteFileRef {
  readonly file: DataFile;
  readonly dataSequenceNumber: number;
}

export interface ScanTask {
  readonly dataFile: DataFile;
  readonly dataSequenceNumber: number;
  readonly specId: number;
  /**
   * Position deletes with data sequence number ≥ this file's (spec: "Scan Planning"): its deletion
   * vector alone when it has one (a Puffin file: `isDeletionVector`), else position delete files.
   */
  readonly positionDeletes: readonly DeleteFileRef[];
  /** Equality deletes with data sequence number > this file's. */
  readonly equalityDeletes: readonly DeleteFileRef[];
}

/**
 * What to read for one snapshot of a table. `copy-on-write` when no task has a delete file
 * (DuckDB reads the data files straight), `merge-on-read` otherwise.
 */
export interface ScanPlan {
  readonly snapshotId: bigint | null;
  /** The schema rows are read with: the snapshot's schema, projected to the requested columns. */
  readonly schema: Schema;
  readonly mode: 'copy-on-write' | 'merge-on-read';
  readonly tasks: readonly ScanTask[];
  /**
   * The row filter the scan was asked for, bound to the schema read with, before the projection
   * to the requested columns (so it may name columns `schema` leaves out). Pruning only skipped files that cannot hold a matching row:
   * the kept files still hold rows that do not match, so the reader must apply this filter to
   * every row. Absent when the scan has no filter.
   */
  readonly filter?: BoundExpression;
  readonly summary: ScanPlanSummary;
}

export interface ScanPlanSummary {
  readonly dataFiles: number;
  readonly positionDeleteFiles: number;
  readonly equalityDeleteFiles: number;
  /** Deletion vectors applied (v3), not counted among the position delete files; the planner always says. */
  readonly deletionVectors?: number;
  /** Rows in the data files, before deletes. */
  readonly dataRecords: number;
  /** Manifests read, and manifests the filter ruled out by their partition summaries (not read). */
  readonly manifestsRead: number;
  readonly manifestsSkipped: number;
  /** Live data files of the manifests read that the filter ruled out by partition or column metrics. */
  readonly dataFilesSkipped: number;
}
