// What the backfill workflow takes, answers to its `progress` query and returns.

/**
 * A backfill: every feature view in `featureViews`, over `[start, end)`, cut into chunks of
 * `chunk`, each chunk one child `materialize` workflow. This is also the JSON the Temporal UI's
 * Start Workflow form takes (workflow type `backfill`), for example
 * `{"featureViews":["driver_hourly_stats"],"start":"2024-05-01T00:00:00Z","end":"2024-05-31T00:00:00Z","chunk":"1d","parallelism":2}`.
 */
export interface BackfillInput {
  readonly featureViews: readonly string[];
  readonly start: string;
  readonly end: string;
  /** Chunk length: `1d`, `6h`, `1h30m`, `PT6H`… Default `1d`. */
  readonly chunk?: string;
  /** How many chunks are materialized at once. Default 2. */
  readonly parallelism?: number;
  /**
   * Materialize up to this many chunks in one activity of the backfill itself instead of one child
   * `materialize` workflow per chunk: for small chunks (hourly windows, thousands of rows) most of a
   * child's time is orchestration, a batch pays it once. Each chunk still commits on its own, under
   * the key its child would have used. Chunks then show in the backfill's progress, not as child
   * workflows. Default: a child per chunk.
   */
  readonly windowsPerActivity?: number;
  /** Chunks one run of the workflow starts before it continues as new, keeping its history small. Default 100. */
  readonly chunksPerRun?: number;
  /** Where an earlier run stopped; set by the workflow itself when it continues as new. */
  readonly carried?: BackfillCarried;
}

export interface BackfillCarried {
  /** Every chunk before this index is done. */
  readonly nextChunk: number;
  readonly rows: number;
  /** Runs before this one (continue-as-new count). */
  readonly runs: number;
  /** Where the first run cut the range because the rest lay in the future; kept so every run plans the same chunks. */
  readonly until?: string;
}

export interface ChunkRef {
  readonly featureView: string;
  readonly start: string;
  readonly end: string;
}

export type BackfillState = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** The answer to the `progress` query. */
export interface BackfillProgress {
  readonly state: BackfillState;
  readonly featureViews: readonly string[];
  readonly start: string;
  readonly end: string;
  readonly chunksTotal: number;
  readonly chunksDone: number;
  /** Entity rows materialized so far, over every chunk. */
  readonly rows: number;
  /** The chunks being materialized right now. */
  readonly current: readonly ChunkRef[];
  readonly paused: boolean;
  /** 1 for the first run, 2 after one continue-as-new, … */
  readonly run: number;
}

export interface BackfillResult {
  readonly featureViews: readonly string[];
  readonly start: string;
  readonly end: string;
  /** Set when the range reached past the time the backfill started: what was left out, and why. */
  readonly skipped?: string;
  readonly chunks: number;
  readonly rows: number;
  readonly runs: number;
}
