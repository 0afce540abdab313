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
  /** Position deletes with data sequence number ≥ this file's (spec: "Scan Planning"). */
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
  readonly summary: ScanPlanSummary;
}

export interface ScanPlanSummary {
  readonly dataFiles: number;
  readonly positionDeleteFiles: number;
  readonly equalityDeleteFiles: number;
  /** Rows in the data files, before deletes. */
  readonly dataRecords: number;
  readonly manifestsRead: number;
  readonly manifestsSkipped: number;
  readonly dataFilesSkipped: number;
}
