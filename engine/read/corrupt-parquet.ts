import { FloeError } from '../../core/errors.js';
import { DELETED_ROWS_EXTENSION } from '../deletes/deleted-rows-form.js';
import { duckdbErrorReason } from '../sql.js';

/** A table file whose local copy a query reads. */
export interface ReadFile {
  readonly location: string;
  readonly table: string | undefined;
}

/**
 * The local copies the latest read plans handed to DuckDB, newest last, with the location and
 * table each stands for: DuckDB's errors name local copies (or no file at all), and a corrupt file
 * must be reported by its location and table. The engine owns one (`Engine.readFiles`); whoever
 * builds SQL for it over local copies records them (`recording`).
 */
export class ReadFileLog {
  private readonly files = new Map<string, ReadFile>();

  constructor(private readonly capacity = 1024) {}

  remember(localPath: string, file: ReadFile): void {
    this.files.delete(localPath);
    this.files.set(localPath, file);
    if (this.files.size > this.capacity) this.files.delete(this.files.keys().next().value!);
  }

  /** `localPath` (a plan's local copies by location), recording each copy it gives as one of `table`'s files. */
  recording(localPath: (location: string) => string, table?: string): (location: string) => string {
    return (location) => {
      const path = localPath(location);
      this.remember(path, { location, table });
      return path;
    };
  }

  /** The `limit` newest, newest first, as [local path, file]. */
  latest(limit: number): [string, ReadFile][] {
    return [...this.files.entries()].reverse().slice(0, limit);
  }

  /** `text` with every remembered local path replaced by the location it stands for. */
  withLocations(text: string): string {
    let replaced = text;
    for (const [path, file] of this.files) replaced = replaced.split(path).join(file.location);
    return replaced;
  }
}

/** What DuckDB says when a Parquet file's footer, page headers or pages do not decode. */
const CORRUPT_PARQUET =
  /No magic bytes found|too small to be a Parquet file|not a Parquet file|TProtocolException|Invalid Parquet|Corrupt|Invalid data|(snappy|zstd|gzip|lz4|brotli).*(decompress|fail)|decompress/i;

/** How many remembered files a failed query's corrupt file is looked for among. */
const PROBED_FILES = 256;

/**
 * A DuckDB error that says a Parquet file is unreadable, as a non-retryable `corrupt` FloeError
 * naming the file's location and table; undefined for any other error. When DuckDB's message names
 * no file (a page header that does not decode), the files the latest plans read are each read in
 * full with `readsCleanly` until the broken one is found.
 */
export async function corruptParquetError(
  error: unknown,
  readFiles: ReadFileLog,
  readsCleanly: (localPath: string) => Promise<boolean>,
): Promise<FloeError | undefined> {
  if (!(error instanceof Error) || FloeError.is(error) || !CORRUPT_PARQUET.test(error.message)) return undefined;
  // DuckDB's reason without its "LINE 1: <sql>" part, and local cache paths as locations.
  const reason = readFiles.withLocations(duckdbErrorReason(error));
  const candidates = readFiles.latest(PROBED_FILES);
  let found = candidates.find(([path]) => error.message.includes(path));
  if (found === undefined) {
    for (const candidate of candidates) {
      if (!(await readsCleanly(candidate[0]))) {
        found = candidate;
        break;
      }
    }
  }
  const expected =
    'expected a Parquet file with the PAR1 magic, a readable footer and decodable pages; it is corrupt or truncated, and reading it again will not help';
  if (found === undefined) {
    return new FloeError('corrupt', `A Parquet file read by the query is unreadable (${reason}): ${expected}`, {
      cause: error,
      retryable: false,
    });
  }
  const [, file] = found;
  const owner = file.table === undefined ? '' : ` of table ${file.table}`;
  return new FloeError('corrupt', `Data file ${file.location}${owner} is not a readable Parquet file (${reason}): ${expected}`, {
    context: { table: file.table, file: file.location },
    cause: error,
    retryable: false,
  });
}

/** What DuckDB says when a row's position is past the bits of its deletion vector (deletion-vectors.ts). */
const ROW_PAST_DELETED_ROWS = /bit index \d+ out of valid range/;

/**
 * A DuckDB error that says a data file read with a deletion vector has more rows than its manifest
 * entry's record_count (by which its vector was laid out), as a non-retryable `corrupt` FloeError
 * naming the table of the newest vector read; undefined for any other error, or when no vector
 * was read lately.
 */
export function rowsPastRecordCountError(error: unknown, readFiles: ReadFileLog): FloeError | undefined {
  if (!(error instanceof Error) || FloeError.is(error) || !ROW_PAST_DELETED_ROWS.test(error.message)) return undefined;
  const vector = readFiles.latest(PROBED_FILES).find(([path]) => path.endsWith(DELETED_ROWS_EXTENSION));
  // No vector read lately: the words came from some other query's get_bit.
  if (vector === undefined) return undefined;
  const table = vector[1].table;
  const of = table === undefined ? '' : ` of table ${table}`;
  return new FloeError(
    'corrupt',
    `A data file${of} read with a deletion vector holds more rows than its manifest entry's record_count: expected record_count to count every row of the file`,
    { cause: error, retryable: false, context: { table } },
  );
}
