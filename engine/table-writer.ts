import type { DuckDBConnection } from '@duckdb/node-api';
import { basename } from 'node:path';
import type { LoadedTable } from '../iceberg/catalog/catalog.js';
import type { DataFile } from '../iceberg/spec/manifest.js';
import { currentSchema } from '../iceberg/spec/metadata.js';
import { dataFileMetrics } from '../iceberg/spec/metrics.js';
import { partitionPath } from '../iceberg/spec/transforms.js';
import { mapWithConcurrency } from '../iceberg/util/concurrency.js';
import { defaultSpec } from '../iceberg/write/added-manifest.js';
import { dataDirectory } from '../iceberg/write/table-locations.js';
import { writeParquet } from './parquet-writer.js';
import { partitionColumnsSql, withPartitionColumns } from './partition-sql.js';

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
  const schema = currentSchema(metadata);
  const spec = defaultSpec(table);
  const partitionColumns = partitionColumnsSql(spec, schema);
  const targetSize = Number(metadata.properties['write.target-file-size-bytes'] ?? '');
  const written = await writeParquet(connection, {
    query: withPartitionColumns(request.query, partitionColumns),
    schema,
    directory: request.localDirectory,
    partitionColumns,
    fileNamePrefix: request.fileNamePrefix,
    ...(partitionColumns.length === 0 && Number.isSafeInteger(targetSize) && targetSize > 0 ? { targetFileSizeBytes: targetSize } : {}),
  });
  const dataDir = request.dataDirectory?.replace(/\/+$/, '') ?? dataDirectory(table);
  return mapWithConcurrency(written, request.uploadConcurrency ?? 4, async (file) => {
    request.signal?.throwIfAborted();
    const folder = spec.fields.length === 0 ? dataDir : `${dataDir}/${partitionPath(spec, schema, file.partition)}`;
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
    };
    return dataFile;
  });
}
