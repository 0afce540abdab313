/**
 * Storage for one table's files, addressed by the full location the metadata records
 * (`/abs/path`, `file:///abs/path`, `s3://bucket/key`). Iceberg files are immutable once written,
 * which is what lets `localize` cache them by location.
 */
export interface FileInfo {
  readonly location: string;
  readonly size: number;
  readonly lastModifiedMs: number;
}

export interface WriteOptions {
  /** Fail with `already-exists` instead of replacing an existing file (metadata files are never replaced). */
  readonly ifAbsent?: boolean;
}

export interface FileIO {
  read(location: string): Promise<Uint8Array>;
  /** `length` bytes from `offset`: one blob of a Puffin file (a deletion vector) without the rest. */
  readRange(location: string, offset: number, length: number): Promise<Uint8Array>;
  write(location: string, data: Uint8Array, options?: WriteOptions): Promise<void>;
  /** Copies a local file to `location`: how DuckDB's Parquet output reaches the table. */
  upload(localPath: string, location: string, options?: WriteOptions): Promise<void>;
  exists(location: string): Promise<boolean>;
  stat(location: string): Promise<FileInfo>;
  delete(location: string): Promise<void>;
  /** Every file under a prefix, recursively: used only to find orphan files, never to plan a scan. */
  list(prefix: string): AsyncIterable<FileInfo>;
  /** A local path holding the file's bytes, for DuckDB: the file itself when local, a cached copy otherwise. */
  localize(location: string): Promise<string>;
}
