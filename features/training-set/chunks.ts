/** Rows `[from, to)` of one entity file: Parquet row numbers, or positions in an Iceberg data file. */
export interface EntitySegment {
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

export interface TrainingSetChunk {
  readonly index: number;
  readonly segments: readonly EntitySegment[];
  /** Rows of the segments before deletes (an Iceberg table's deleted rows drop out of the result). */
  readonly rows: number;
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
