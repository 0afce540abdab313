import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FloeError } from '../../core/errors.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { IcebergType, NestedField, PrimitiveValue } from '../../iceberg/spec/types.js';
import { describeRelation, requireColumns } from '../describe.js';
import { readParquetStats } from './parquet-stats.js';
import type { ColumnStats } from './parquet-stats.js';
import { POSITION_DELETE_FILE_PATH_FIELD_ID, POSITION_DELETE_POS_FIELD_ID } from '../../iceberg/spec/position-deletes.js';
import { quoteIdentifier as q, quoteLiteral, sortKeySql, withoutSqlQuote } from '../sql.js';
import { duckdbType } from '../types.js';
import { assertWritable, fieldIdsLiteral } from './parquet-field-ids.js';
import { partitionValues } from './partition-sql.js';
import type { PartitionColumn } from './partition-sql.js';

const COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'uncompressed'] as const;
export type ParquetCompression = (typeof COMPRESSIONS)[number];

/** Whether DuckDB writes this Parquet codec (by its lower-case name). */
export function isParquetCompression(codec: string): codec is ParquetCompression {
  return (COMPRESSIONS as readonly string[]).includes(codec);
}

/** Whether `level` is a zstd level DuckDB writes with (negative levels trade ratio for speed). */
export function isZstdLevel(level: number): boolean {
  return Number.isInteger(level) && level >= -131_072 && level <= 22;
}

/** Iceberg's default `write.target-file-size-bytes`. */
export const DEFAULT_TARGET_FILE_SIZE_BYTES = 512 * 1024 * 1024;

/** Rows per row group when a write sets none. */
export const DUCKDB_ROW_GROUP_SIZE = 122_880;

export interface WriteParquetRequest {
  /** SQL whose result is written; its columns are the schema's top-level columns by name, plus partition columns. */
  readonly query: string;
  /** The Iceberg schema of the files: names, types (values are cast to them) and field ids. */
  readonly schema: Schema;
  /** A local folder for the files (created if missing; existing files are left alone). */
  readonly directory: string;
  readonly partitionColumns?: readonly PartitionColumn[];
  /**
   * Rows sorted by these columns inside each file. DuckDB keeps an ORDER BY only when it writes
   * one file at a time, so sorted output is one file per partition and ignores the target size.
   */
  readonly orderBy?: readonly (string | OrderTerm)[];
  /**
   * With partition columns, sort only the partitions holding more rows than this; the others are
   * written in no promised order (see `writeSorted`).
   */
  readonly sortPartitionsAbove?: number;
  /** Rotate to a new file past this size (not with partition columns: DuckDB cannot do both). */
  readonly targetFileSizeBytes?: number;
  /** Rows per row group; DuckDB's default (`DUCKDB_ROW_GROUP_SIZE`) otherwise. */
  readonly rowGroupSize?: number;
  readonly compression?: ParquetCompression;
  /** zstd's level; DuckDB takes none for the other codecs, so it is ignored for them. */
  readonly compressionLevel?: number;
  /**
   * 2: data pages v2 with the delta encodings (DuckDB's PARQUET_VERSION V2). Smaller files that
   * decode faster; readers older than the encodings (some warehouses) cannot read them. 1 by default.
   */
  readonly pageVersion?: 1 | 2;
  /** File names are `<prefix>-<uuid>.parquet`: unique, so a retried write never replaces a file. */
  readonly fileNamePrefix?: string;
}

/** A column to sort by, ascending with NULLs first unless told otherwise (Iceberg's default sort field). */
export interface OrderTerm {
  readonly column: string;
  readonly descending?: boolean;
  readonly nullsLast?: boolean;
}

export interface WrittenParquetFile {
  readonly localPath: string;
  /** Whether its rows follow `orderBy`. */
  readonly sorted: boolean;
  readonly sizeBytes: number;
  readonly recordCount: number;
  readonly columnStats: readonly ColumnStats[];
  /** The file's partition values, in the order of `partitionColumns` (empty when unpartitioned). */
  readonly partition: readonly (PrimitiveValue | null)[];
}

/**
 * Writes a query's rows as Parquet files carrying Iceberg field ids (`FIELD_IDS`, nested ones
 * included), zstd-compressed unless told otherwise, and reads back each file's record count and
 * per-field-id metrics. Files holding no rows are removed. A required top-level column holding a
 * null fails the write (and removes its files), naming the column.
 */
export async function writeParquet(connection: DuckDBConnection, request: WriteParquetRequest): Promise<WrittenParquetFile[]> {
  const partitionColumns = request.partitionColumns ?? [];
  const compression = request.compression ?? 'zstd';
  if (!isParquetCompression(compression))
    throw new FloeError(
      'invalid-input',
      `Parquet compression must be one of ${COMPRESSIONS.join(', ')}, not ${JSON.stringify(compression)}`,
    );
  const sorted = request.orderBy !== undefined && request.orderBy.length > 0;
  if (sorted && request.targetFileSizeBytes !== undefined) {
    throw new FloeError(
      'unsupported',
      'DuckDB keeps an ORDER BY only when it writes one file at a time: pass targetFileSizeBytes or orderBy, not both',
    );
  }
  const written = await checkAndProject(connection, request);
  const common = [
    'FORMAT parquet',
    `COMPRESSION ${compression}`,
    ...(request.compressionLevel === undefined || compression !== 'zstd'
      ? []
      : [`COMPRESSION_LEVEL ${zstdLevel(request.compressionLevel)}`]),
    `FIELD_IDS ${fieldIdsLiteral(written)}`,
    ...(request.pageVersion === 2 ? ['PARQUET_VERSION V2'] : []),
    ...(request.rowGroupSize === undefined ? [] : [`ROW_GROUP_SIZE ${positiveInteger(request.rowGroupSize, 'rowGroupSize')}`]),
  ];
  const prefix = request.fileNamePrefix ?? 'data';
  if (/[/\\{}]/.test(prefix))
    throw new FloeError('invalid-input', `File name prefix ${JSON.stringify(prefix)} may not hold slashes or braces`);
  const source = `SELECT ${castColumns([...written, ...partitionColumns])} FROM (${request.query}) AS ${q('__floe_src')}`;

  let files: FileToFinish[];
  if (sorted) {
    files = await writeSorted(connection, request, source, common, prefix, written);
  } else {
    if (partitionColumns.length > 0 && request.targetFileSizeBytes !== undefined) {
      throw new FloeError(
        'unsupported',
        'DuckDB cannot rotate files by size while splitting them by partition: pass targetFileSizeBytes or partitionColumns, not both',
      );
    }
    files = await copyUnsorted(connection, request, source, common, prefix);
  }
  return finishFiles(connection, request.schema, files);
}

interface FileToFinish {
  readonly path: string;
  readonly partition: (PrimitiveValue | null)[];
  readonly sorted: boolean;
}

/** One COPY of `source` into files split by partition, or rotated by size when unpartitioned; rows in no promised order. */
async function copyUnsorted(
  connection: DuckDBConnection,
  request: WriteParquetRequest,
  source: string,
  common: readonly string[],
  prefix: string,
): Promise<(FileToFinish & { readonly recordCount: number })[]> {
  const partitionColumns = request.partitionColumns ?? [];
  const options = [...common, `FILENAME_PATTERN ${quoteLiteral(`${prefix}-{uuid}`)}`, 'OVERWRITE_OR_IGNORE true', 'RETURN_STATS true'];
  if (partitionColumns.length > 0) {
    options.push(`PARTITION_BY (${partitionColumns.map((column) => q(column.name)).join(', ')})`);
  } else {
    options.push(
      `FILE_SIZE_BYTES ${positiveInteger(request.targetFileSizeBytes ?? DEFAULT_TARGET_FILE_SIZE_BYTES, 'targetFileSizeBytes')}`,
    );
  }
  const reader = await runCopy(
    connection,
    `COPY (${source}) TO ${quoteLiteral(request.directory)} (${options.join(', ')})`,
    request.directory,
  );
  const names = reader.columnNames();
  const fileIndex = names.indexOf('filename');
  const keysIndex = names.indexOf('partition_keys');
  const countIndex = names.indexOf('count');
  const files: (FileToFinish & { readonly recordCount: number })[] = [];
  for (const row of reader.getRows()) {
    const path = String(row[fileIndex]);
    const partition = await partitionValues(connection, row[keysIndex] ?? null, partitionColumns, path);
    files.push({ path, partition, sorted: false, recordCount: Number(row[countIndex]) });
  }
  return files;
}

/** Position delete rows (`file_path`, `pos`) as delete files with the reserved field ids, sorted as the spec requires. */
export async function writePositionDeletes(
  connection: DuckDBConnection,
  request: Omit<WriteParquetRequest, 'schema' | 'orderBy' | 'targetFileSizeBytes'>,
): Promise<WrittenParquetFile[]> {
  return writeParquet(connection, {
    ...request,
    schema: POSITION_DELETE_SCHEMA,
    orderBy: ['file_path', 'pos'],
    fileNamePrefix: request.fileNamePrefix ?? 'delete',
  });
}

export const POSITION_DELETE_SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: POSITION_DELETE_FILE_PATH_FIELD_ID, name: 'file_path', required: true, type: 'string' },
    { id: POSITION_DELETE_POS_FIELD_ID, name: 'pos', required: true, type: 'long' },
  ],
};

/** Checks the query against the schema and returns the fields that go into the files. */
async function checkAndProject(connection: DuckDBConnection, request: WriteParquetRequest): Promise<NestedField[]> {
  const partitionColumns = request.partitionColumns ?? [];
  const columns = await describeRelation(connection, request.query, 'query to write');
  const written: NestedField[] = [];
  for (const field of request.schema.fields) {
    // `unknown` columns are always null and never stored in data files (spec, v3).
    if (field.type === 'unknown') continue;
    assertWritable(field.type, field.name);
    written.push(field);
  }
  requireColumns(
    columns,
    [
      ...written.map((field) => field.name),
      ...partitionColumns.map((column) => column.name),
      ...orderTerms(request).map((term) => term.column),
    ],
    'query to write',
  );
  const known = new Set([...request.schema.fields.map((field) => field.name), ...partitionColumns.map((column) => column.name)]);
  const extra = columns.filter((column) => !known.has(column.name)).map((column) => JSON.stringify(column.name));
  if (extra.length > 0)
    throw new FloeError(
      'invalid-input',
      `The query to write has columns that are neither in the schema nor partition columns: ${extra.join(', ')}`,
    );
  for (const column of partitionColumns) {
    if (request.schema.fields.some((field) => field.name === column.name)) {
      throw new FloeError(
        'invalid-input',
        `Partition column ${JSON.stringify(column.name)} has the name of a schema column; partition columns are computed and not written`,
        { context: { column: column.name } },
      );
    }
  }
  return written;
}

/**
 * Sorted output. DuckDB keeps an ORDER BY only when it writes one file at a time, so with
 * partition columns the rows are first written split by partition in one COPY, and each file
 * holding more than `sortPartitionsAbove` rows (all of them when unset) is then rewritten sorted.
 * A small write (a window of a few thousand rows over many buckets) so pays nothing for its files
 * of one row group, which sorting would not help a read of.
 */
async function writeSorted(
  connection: DuckDBConnection,
  request: WriteParquetRequest,
  source: string,
  common: readonly string[],
  prefix: string,
  written: readonly NestedField[],
): Promise<FileToFinish[]> {
  const typeOf = (column: string): IcebergType | undefined => written.find((field) => field.name === column)?.type;
  const orderBy = orderTerms(request)
    .map((term) => {
      const type = typeOf(term.column);
      const key = type === undefined ? q(term.column) : sortKeySql(q(term.column), duckdbType(type));
      return `${key} ${term.descending ? 'DESC' : 'ASC'} NULLS ${term.nullsLast ? 'LAST' : 'FIRST'}`;
    })
    .join(', ');
  const options = common.join(', ');
  const writeOrdered = async (from: string): Promise<string> => {
    const path = join(request.directory, `${prefix}-${randomUUID()}.parquet`);
    const select = `SELECT ${castColumns(written)} FROM ${from} AS ${q('__floe_src')} ORDER BY ${orderBy}`;
    await runCopy(connection, `COPY (${select}) TO ${quoteLiteral(path)} (${options})`, path);
    return path;
  };
  if ((request.partitionColumns ?? []).length === 0) {
    await mkdir(request.directory, { recursive: true });
    return [{ path: await writeOrdered(`(${source})`), partition: [], sorted: true }];
  }
  const files = await copyUnsorted(connection, request, source, common, prefix);
  const result: FileToFinish[] = [];
  for (const file of files) {
    if (file.recordCount <= (request.sortPartitionsAbove ?? 0)) {
      result.push(file);
      continue;
    }
    const path = await writeOrdered(`read_parquet(${quoteLiteral(file.path)})`);
    await rm(file.path, { force: true });
    result.push({ path, partition: file.partition, sorted: true });
  }
  return result;
}

/** `CAST(__floe_src.<name> AS <type>) AS <name>, …`: the columns as the files store them. */
function castColumns(columns: readonly { readonly name: string; readonly type: IcebergType }[]): string {
  return columns
    .map((column) => `CAST(${q('__floe_src')}.${q(column.name)} AS ${duckdbType(column.type)}) AS ${q(column.name)}`)
    .join(', ');
}

function orderTerms(request: WriteParquetRequest): OrderTerm[] {
  return (request.orderBy ?? []).map((term) => (typeof term === 'string' ? { column: term } : term));
}

async function runCopy(connection: DuckDBConnection, sql: string, target: string) {
  try {
    return await connection.runAndReadAll(sql);
  } catch (error) {
    const message = (error as Error).message;
    // A value the column's type cannot hold is the rows' fault, not the disk's: say so, so that a
    // caller (an activity) reports bad input instead of a storage failure.
    // Without DuckDB's quote of Floe's SQL or the scratch file: neither means anything to whoever sent the rows.
    if (/^(Conversion|Constraint|Out of Range|Invalid Input) Error/.test(message))
      throw new FloeError('invalid-input', `The rows to write do not fit the table's column types: ${withoutSqlQuote(message)}`, {
        cause: error,
      });
    throw new FloeError('io', `DuckDB could not write Parquet to ${target}: ${message}`, {
      cause: error,
      context: { path: target },
      retryable: false,
    });
  }
}

async function finishFiles(connection: DuckDBConnection, schema: Schema, files: readonly FileToFinish[]): Promise<WrittenParquetFile[]> {
  const stats = await readParquetStats(
    connection,
    schema,
    files.map((file) => file.path),
  );
  const result: WrittenParquetFile[] = [];
  for (const file of files) {
    const fileStats = stats.get(file.path);
    if (!fileStats) throw new FloeError('internal', 'DuckDB wrote a file it cannot read back', { context: { file: file.path } });
    if (fileStats.recordCount === 0) {
      await rm(file.path, { force: true });
      continue;
    }
    result.push({
      localPath: file.path,
      sizeBytes: (await stat(file.path)).size,
      recordCount: fileStats.recordCount,
      columnStats: fileStats.columns,
      partition: file.partition,
      sorted: file.sorted,
    });
  }
  const nullInRequired = schema.fields.find(
    (field) =>
      field.required && result.some((file) => (file.columnStats.find((column) => column.fieldId === field.id)?.nullCount ?? 0) > 0),
  );
  if (nullInRequired) {
    await Promise.all(files.map((file) => rm(file.path, { force: true })));
    throw new FloeError('invalid-input', `Column ${JSON.stringify(nullInRequired.name)} is required but the query gives it null values`, {
      context: { column: nullInRequired.name, fieldId: nullInRequired.id },
    });
  }
  return result;
}

function zstdLevel(level: number): number {
  if (!isZstdLevel(level)) throw new FloeError('invalid-input', `compressionLevel must be a whole number from -131072 to 22, got ${level}`);
  return level;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new FloeError('invalid-input', `${name} must be a positive integer, got ${value}`);
  return value;
}
