/** Rows `[from, to)` of one entity file: Parquet row numbers, or positions in an Iceberg data file. */
export interface EntitySegment {
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

export interface TrainingSetChunk {
  readonly index: number;
  /** Empty for a chunk cut by key (keyBuckets, keyRange): it reads every entity file whole and keeps its own rows, and the plan stays small in the workflow's history. */
  readonly segments: readonly EntitySegment[];
  /** Rows of the segments before deletes (an Iceberg table's deleted rows drop out of the result); cut by key, its rows as counted when planned. */
  readonly rows: number;
  /** When set, the chunk holds the entity rows whose key falls in these buckets (key-cuts.ts). */
  readonly keyBuckets?: ChunkKeyBuckets;
  /** When set, the chunk holds the entity rows whose key falls in this range (key-cuts.ts). */
  readonly keyRange?: ChunkKeyRange;
}

/**
 * A chunk cut by key range: the entity rows whose `column` (an int or long join key) is at least
 * `from` and below `to` (decimal text, exact for any long; null: unbounded). The range with no
 * `from` also holds the rows with a null key (or one that is not an integer).
 */
export interface ChunkKeyRange {
  readonly column: string;
  readonly from: string | null;
  readonly to: string | null;
}

/**
 * A chunk cut by key: the entity rows whose `column` (an int or long join key) has Iceberg's
 * `bucket[buckets]` at a position in [from, to) of the order (bucket mod sourceBuckets, bucket div
 * sourceBuckets). `buckets` is a multiple of `sourceBuckets`, the bucket count of a source
 * partitioned by `bucket[sourceBuckets]` of the key, so each position lies in one of that source's
 * buckets and a run of positions in a run of them: the chunk's keys need few of its files. Rows
 * with a null key (or one that is not an integer) are at position 0.
 */
export interface ChunkKeyBuckets {
  readonly column: string;
  readonly sourceBuckets: number;
  readonly buckets: number;
  readonly from: number;
  readonly to: number;
  /**
   * `md5`: a key that is no integer (a string) is at position MD5(its text) mod `buckets` instead,
   * stable on every worker (`sourceBuckets` is then 1: such chunks are fed by the exchange step).
   */
  readonly hash?: 'md5';
}

export interface EntityFile {
  readonly file: string;
  readonly rows: number;
}

/** Whole files, consecutive, each chunk closed once it holds `chunkRows` rows or more (a file is never split: a chunk reads a source file with its deletes). */
export function cutByFile(files: readonly EntityFile[], chunkRows: number): TrainingSetChunk[] {
  const chunks: TrainingSetChunk[] = [];
  let segments: EntitySegment[] = [];
  let rows = 0;
  for (const file of files) {
    segments.push({ file: file.file, from: 0, to: file.rows });
    rows += file.rows;
    if (rows >= chunkRows) {
      chunks.push({ index: chunks.length, segments, rows });
      segments = [];
      rows = 0;
    }
  }
  if (segments.length > 0) chunks.push({ index: chunks.length, segments, rows });
  return chunks;
}

/** Consecutive rows, at most `chunkRows` per chunk, in file order: chunk i holds rows [i·n, (i+1)·n) of the input. */
export function cutIntoChunks(files: readonly EntityFile[], chunkRows: number): TrainingSetChunk[] {
  const chunks: TrainingSetChunk[] = [];
  let segments: EntitySegment[] = [];
  let rows = 0;
  const close = (): void => {
    chunks.push({ index: chunks.length, segments, rows });
    segments = [];
    rows = 0;
  };
  for (const file of files) {
    let from = 0;
    while (from < file.rows) {
      const to = Math.min(file.rows, from + (chunkRows - rows));
      segments.push({ file: file.file, from, to });
      rows += to - from;
      from = to;
      if (rows === chunkRows) close();
    }
  }
  if (rows > 0) close();
  return chunks;
}

/**
 * Runs of key-bucket positions (see ChunkKeyBuckets) covering all `rowsAt.length` positions, in
 * order, given each position's entity rows: a source bucket's positions stay in one chunk unless
 * they alone hold more than `chunkRows` rows, and consecutive source buckets share a chunk while
 * it holds at most `chunkRows`. No chunk is empty, unless there are no rows at all (one chunk).
 */
export function cutByKeyBuckets(
  rowsAt: readonly number[],
  positionsPerSourceBucket: number,
  chunkRows: number,
): { from: number; to: number; rows: number }[] {
  const runs: { from: number; to: number; rows: number }[] = [];
  let from = 0;
  let rows = 0;
  // Positions without rows join the run after them (the last run, at the end): no chunk is empty.
  const close = (to: number): void => {
    if (rows === 0) return;
    runs.push({ from, to, rows });
    from = to;
    rows = 0;
  };
  for (let start = 0; start < rowsAt.length; start += positionsPerSourceBucket) {
    const end = Math.min(rowsAt.length, start + positionsPerSourceBucket);
    const bucketRows = rowsAt.slice(start, end).reduce((sum, count) => sum + count, 0);
    if (bucketRows > chunkRows) {
      close(start);
      for (let position = start; position < end; position++) {
        if (rows > 0 && rows + rowsAt[position]! > chunkRows) close(position);
        rows += rowsAt[position]!;
      }
      close(end);
    } else {
      if (rows > 0 && rows + bucketRows > chunkRows) close(start);
      rows += bucketRows;
    }
  }
  close(rowsAt.length);
  if (from < rowsAt.length) {
    const last = runs.pop();
    runs.push(last === undefined ? { from: 0, to: rowsAt.length, rows: 0 } : { ...last, to: rowsAt.length });
  }
  return runs;
}
