import type { DuckDBConnection } from '@duckdb/node-api';
import { basename } from 'node:path';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { currentSchema, sortOrderById } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { dataFileMetrics } from '../../iceberg/spec/metrics.js';
import { partitionPath } from '../../iceberg/spec/transforms.js';
import { mapWithConcurrency } from '../../iceberg/util/concurrency.js';
import { defaultSpec } from '../../iceberg/write/added-manifest.js';
import { dataDirectory } from '../../iceberg/write/table-locations.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { DUCKDB_ROW_GROUP_SIZE, isParquetCompression, isZstdLevel, writeParquet } from './parquet-writer.js';
import type { OrderTerm, ParquetCompression } from './parquet-writer.js';
import { partitionColumnsSql, withPartitionColumns } from './partition-sql.js';
import { STORED_ROW_LINEAGE_FIELDS } from '../read/row-lineage.js';
import { defined } from '../../contracts/defined.js';

export const ROW_GROUP_LIMIT = 'write.parquet.row-group-limit';
const TARGET_FILE_SIZE = 'write.target-file-size-bytes';
const DEFAULT_TARGET_FILE_SIZE_BYTES = 512 * 1024 * 1024;
export const COMPRESSION_CODEC = 'write.parquet.compression-codec';
export const COMPRESSION_LEVEL = 'write.parquet.compression-level';
/** Parquet's data page version, 1 or 2 (iceberg-go's property; Java's is proposed under the same name). */
export const PAGE_VERSION = 'write.parquet.page-version';

export interface WriteTableFilesRequest {
  /** SQL whose columns are the table's columns by name (cast to their types on write). */
  readonly query: string;
  /** Names the files; unique per attempt so a retry never replaces a file another attempt wrote. */
  readonly fileNamePrefix: string;
  /** A local scratch folder for DuckDB's output before it is uploaded. */
  readonly localDirectory: string;
  readonly uploadConcurrency?: number;
  readonly signal?: AbortSignal;
  /** Where the files go instead of the table's data folder (a staging folder inside the table's storage). */
  readonly dataDirectory?: string;
  /**
   * Also write the v3 row lineage columns `_row_id` and `_last_updated_sequence_number` (the
   * query has them): rows a rewrite moves into new files keep them (spec: "Row Lineage").
   */
  readonly rowLineage?: boolean;
}

/**
 * Writes a query's rows as data files of the table (current schema, default partition spec, the
 * table's target file size and metrics modes) and uploads them under the table's data folder.
 * Returns the files, ready for a manifest; nothing is committed.
 */
export async function writeTableFiles(
  connection: DuckDBConnection,
  table: LoadedTable,
  request: WriteTableFilesRequest,
): Promise<DataFile[]> {
  const { metadata } = table;
  const tableSchema = currentSchema(metadata);
  const schema = request.rowLineage ? { ...tableSchema, fields: [...tableSchema.fields, ...STORED_ROW_LINEAGE_FIELDS] } : tableSchema;
  const spec = defaultSpec(table);
  const partitionColumns = partitionColumnsSql(spec, tableSchema);
  const targetFileSizeBytes = partitionColumns.length === 0 ? positiveIntegerProperty(metadata, TARGET_FILE_SIZE) : undefined;
  // Sorted output is one file per partition, so an unpartitioned table with a target file size
  // keeps its size bound and is written unsorted (a sort order is a writer's hint, not a rule).
  // A partition of one row group gains nothing from sorting (a read decodes the group either way),
  // so only files past one row group are sorted.
  const sorted = targetFileSizeBytes === undefined ? writeOrder(metadata, tableSchema) : undefined;
  // pyiceberg's rows per row group.
  const rowGroupSize = positiveIntegerProperty(metadata, ROW_GROUP_LIMIT);
  const compression = compressionCodec(metadata);
  const compressionLevel = compression === 'zstd' ? zstdLevelProperty(table) : undefined;
  const pageVersion = pageVersionProperty(table);
  const written = await writeParquet(connection, {
    query: withPartitionColumns(request.query, partitionColumns),
    schema,
    directory: request.localDirectory,
    partitionColumns,
    fileNamePrefix: request.fileNamePrefix,
    ...defined({ targetFileSizeBytes }),
    ...(sorted === undefined ? {} : { orderBy: sorted.terms, sortPartitionsAbove: rowGroupSize ?? DUCKDB_ROW_GROUP_SIZE }),
    ...defined({ rowGroupSize }),
    compression,
    ...defined({ compressionLevel, pageVersion }),
  });
  const dataDir = request.dataDirectory?.replace(/\/+$/, '') ?? dataDirectory(table);
  return mapWithConcurrency(written, request.uploadConcurrency ?? 4, async (file) => {
    request.signal?.throwIfAborted();
    const folder = spec.fields.length === 0 ? dataDir : `${dataDir}/${partitionPath(spec, tableSchema, file.partition)}`;
    const location = `${folder}/${basename(file.localPath)}`;
    await table.io.upload(file.localPath, location, { ifAbsent: true });
    const dataFile: DataFile = {
      content: 'data',
      filePath: location,
      fileFormat: 'PARQUET',
      partition: file.partition,
      recordCount: file.recordCount,
      fileSizeInBytes: file.sizeBytes,
      ...dataFileMetrics(schema, file.columnStats, metadata.properties),
      ...(sorted !== undefined && file.sorted ? { sortOrderId: sorted.orderId } : {}),
    };
    return dataFile;
  });
}

/**
 * The table's default sort order as columns to sort each file by, when every field of it is an
 * identity of a top-level column (what online tables declare: their keys); otherwise none.
 */
function writeOrder(metadata: TableMetadata, schema: Schema): { readonly orderId: number; readonly terms: OrderTerm[] } | undefined {
  const order = sortOrderById(metadata, metadata.defaultSortOrderId);
  if (order === undefined || order.fields.length === 0) return undefined;
  const terms: OrderTerm[] = [];
  for (const field of order.fields) {
    const column = schema.fields.find((candidate) => candidate.id === field.sourceId);
    if (field.transform !== 'identity' || column === undefined || typeof column.type !== 'string') return undefined;
    terms.push({ column: column.name, descending: field.direction === 'desc', nullsLast: field.nullOrder === 'nulls-last' });
  }
  return { orderId: order.orderId, terms };
}

/**
 * The table's `write.parquet.compression-codec` when DuckDB writes it; zstd, Iceberg's default,
 * otherwise (the codec is a writer's setting: lz4 and lzo files would read the same).
 */
function compressionCodec(metadata: TableMetadata): ParquetCompression {
  const codec = metadata.properties[COMPRESSION_CODEC]?.toLowerCase() ?? '';
  return isParquetCompression(codec) ? codec : 'zstd';
}

/**
 * The table's `write.parquet.compression-level` for zstd, when it sets one. A value that is not a
 * level fails the write, as it does Java's writer, rather than write at a level nobody chose.
 */
function zstdLevelProperty(table: LoadedTable): number | undefined {
  const text = table.metadata.properties[COMPRESSION_LEVEL]?.trim();
  if (text === undefined || text === '') return undefined;
  const level = Number(text);
  if (isZstdLevel(level)) return level;
  const name = formatTableIdentifier(table.identifier);
  throw new FloeError(
    'invalid-input',
    `Table ${name}: ${COMPRESSION_LEVEL} must be a whole number from -131072 to 22 for zstd, got ${JSON.stringify(text)}`,
    { context: { table: name, property: COMPRESSION_LEVEL } },
  );
}

/** The table's `write.parquet.page-version`, when it sets one; anything but 1 or 2 fails the write. */
function pageVersionProperty(table: LoadedTable): 1 | 2 | undefined {
  const text = table.metadata.properties[PAGE_VERSION]?.trim();
  if (text === undefined || text === '') return undefined;
  if (text === '1' || text === '2') return Number(text) as 1 | 2;
  const name = formatTableIdentifier(table.identifier);
  throw new FloeError('invalid-input', `Table ${name}: ${PAGE_VERSION} must be 1 or 2, got ${JSON.stringify(text)}`, {
    context: { table: name, property: PAGE_VERSION },
  });
}

/** The table's `write.target-file-size-bytes`, or Iceberg's default (512 MiB). */
export function targetFileSizeBytes(metadata: TableMetadata): number {
  return positiveIntegerProperty(metadata, TARGET_FILE_SIZE) ?? DEFAULT_TARGET_FILE_SIZE_BYTES;
}

/** A table property holding a whole number above 0, when the table sets one. */
function positiveIntegerProperty(metadata: TableMetadata, name: string): number | undefined {
  const value = Number(metadata.properties[name] ?? '');
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
