// What the trainingSet workflow takes, answers to its `progress` query and returns.

/**
 * A training set too big for one query, built durably. This is also the JSON the Temporal UI's
 * Start Workflow form takes (workflow type `trainingSet`), for example
 * `{"entities":{"table":"rides.requests"},"features":["driver_hourly_stats:conv_rate"],"output":{"table":"datasets.ranking_2024_05"},"chunkRows":100000}`.
 */
export interface TrainingSetInput {
  /**
   * Entity rows: an Iceberg table (read at its current snapshot, or `snapshotId`), Parquet files
   * (absolute paths, in order), or `from`: every row of a source (or of a feature view's source)
   * with `start` ≤ event time < `end` (ISO-8601), its keys and its own event time as the entity
   * timestamp, chunked by the source's data files.
   */
  readonly entities:
    | { readonly table: string; readonly snapshotId?: string }
    | { readonly parquet: readonly string[] }
    | { readonly from: string; readonly start: string; readonly end: string };
  /** `view:feature` or `view` references; give these or `featureService`. */
  readonly features?: readonly string[];
  readonly featureService?: string;
  /** Feature columns named `view__feature` instead of `feature`. */
  readonly fullFeatureNames?: boolean;
  /** The entity rows' timestamp column; `event_timestamp` when absent. */
  readonly timestampColumn?: string;
  /** The Iceberg table the training set is saved as (created; a table this run did not create is refused). */
  readonly output: { readonly table: string };
  /** Replace an output table that holds the training set of another request; without it that is refused. */
  readonly replace?: boolean;
  /** Entity rows per chunk. Default 100000. */
  readonly chunkRows?: number;
  /** How many chunks are joined at once. Default 2. */
  readonly parallelism?: number;
}

/** What scans of the feature views' sources read: data files, their rows and bytes (before deletes). */
export interface SourceReadFigures {
  readonly dataFiles: number;
  readonly rows: number;
  readonly bytes: number;
}

/** `exchanging`: the exchange step reads the views' sources once and writes their rows by chunk, before the chunks run. */
export type TrainingSetState = 'planning' | 'exchanging' | 'running' | 'committing' | 'completed' | 'failed' | 'cancelled';

/** The answer to the `progress` query. */
export interface TrainingSetProgress {
  readonly state: TrainingSetState;
  readonly output: string;
  readonly chunksTotal: number;
  readonly chunksDone: number;
  /** Entity rows in the input (before an Iceberg table's deletes), once planned. */
  readonly entityRows: number;
  /** Training rows written so far, over the chunks done. */
  readonly rows: number;
  /** The chunks being joined right now. */
  readonly current: readonly number[];
  /**
   * What the exchange step and the chunks done read of the views' sources, and one pass over each
   * source's data files at planning (absent while planning, and from runs of Floe versions that
   * did not measure it).
   */
  readonly sourceRead?: SourceReadFigures;
  readonly sourceOnePass?: SourceReadFigures;
  /** The rows the exchange step wrote by chunk, which the chunks read back once (absent when it did not run). */
  readonly exchanged?: SourceReadFigures;
}

export interface TrainingSetResult {
  readonly table: string;
  readonly snapshotId: string | null;
  readonly rows: number;
  readonly chunks: number;
  readonly dataFiles: number;
  /** True when a run with this workflow id had already committed the training set: nothing was written. */
  readonly alreadyCommitted: boolean;
  /** What the exchange step and every chunk together read of the views' sources, and one pass over each source (absent when nothing ran). */
  readonly sourceRead?: SourceReadFigures;
  readonly sourceOnePass?: SourceReadFigures;
  /** The rows the exchange step wrote by chunk, which the chunks read back once (absent when it did not run). */
  readonly exchanged?: SourceReadFigures;
}
