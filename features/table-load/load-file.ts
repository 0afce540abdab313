/**
 * `floe table load`: a Parquet or CSV file appended to an Iceberg table in one commit, exactly
 * once. The commit carries an idempotency key made of the file's SHA-256 and the table, so the
 * same load run again (after a crash, or by mistake) finds its snapshot and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { FloeError } from '../../core/errors.js';
import { describeRelation } from '../../engine/describe.js';
import { duckdbType, schemaFromColumns } from '../../engine/types.js';
import type { LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../iceberg/catalog/create-table.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { findCommitted } from '../../iceberg/commit/commit.js';
import { currentSchema, defaultSpec } from '../../iceberg/spec/metadata.js';
import { describePartitionTerm, partitionSpecFromTerms, partitionTermsOf } from '../../iceberg/spec/partition-terms.js';
import type { PartitionTerm } from '../../iceberg/spec/partition-terms.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import { commitOutputFiles, writeOutputFiles } from '../historical/output-table.js';
import { loadColumns, newTableQuery, schemaDifferences } from './load-columns.js';
import type { TruncatedColumn } from './load-columns.js';
import { duckdbReadingReason, fileSha256, loadFormatOf, openLoadSource } from './load-source.js';
import type { LoadFormat, LoadSource } from './load-source.js';

/** Snapshot summary properties of a load's commit. */
export const LOADED_FILE_PROPERTY = 'floe.table-load.file';
export const LOADED_SHA256_PROPERTY = 'floe.table-load.sha256';

export interface TableLoadRequest {
  readonly file: string;
  readonly table: TableIdentifier;
  /** Create the table from the file's columns when it does not exist, partitioned by these terms. */
  readonly create?: { readonly partition: readonly PartitionTerm[] };
}

export interface TableLoadResult {
  readonly table: string;
  readonly file: string;
  readonly sha256: string;
  /** The table was created by this load. */
  readonly created: boolean;
  /** An earlier load of the same file committed it: nothing was written. */
  readonly alreadyLoaded: boolean;
  /** Rows appended (for an earlier load, the rows it appended). */
  readonly rows: number;
  readonly dataFiles: number;
  /** The snapshot holding the file's rows; null when the file has no rows. */
  readonly snapshotId: string | null;
  /** Columns whose nanosecond timestamps were written as microseconds. */
  readonly truncatedToMicroseconds: readonly TruncatedColumn[];
}

export async function loadFileIntoTable(context: FeatureContext, request: TableLoadRequest): Promise<TableLoadResult> {
  const { file } = request;
  const name = formatTableIdentifier(request.table);
  const format = await loadFormatOf(file);
  const sha256 = await fileSha256(file);
  const idempotencyKey = `table-load/${sha256}/${name}`;
  let table = await loadTableIfExists(context, request.table);
  if (table === undefined && request.create === undefined)
    throw new FloeError(
      'not-found',
      `No table ${name} in catalog ${context.catalog.name}: load with --create to create it from the columns of ${file}`,
      { context: { table: name, file } },
    );
  return context.engine.withConnection(async (connection) => {
    const declared = new Map(
      (table === undefined ? [] : currentSchema(table.metadata).fields).map((field) => [field.name, duckdbType(field.type)]),
    );
    const source = await openLoadSource(connection, file, format, declared);
    let created = false;
    if (request.create !== undefined) {
      const query = newTableQuery(source);
      const schema = schemaFromColumns(await describeRelation(connection, query, `file ${file}`), { source: file });
      const spec = partitionSpecFromTerms(schema, request.create.partition, name);
      if (table === undefined) {
        try {
          table = await createTableEnsuringNamespace(context.catalog, request.table, {
            schema,
            partitionSpec: spec,
            formatVersion: context.registry.tableFormatVersion,
          });
          created = true;
        } catch (error) {
          if (!FloeError.is(error, 'already-exists')) throw error;
          table = await context.catalog.loadTable(request.table);
        }
      }
      if (!created) refuseIfDifferent(table, schema, request.create.partition, { file, name });
    }
    const loaded = table!;
    const columns = loadColumns(source, currentSchema(loaded.metadata), name);
    const earlier = findCommitted(loaded.metadata, MAIN_BRANCH, idempotencyKey);
    const result = { table: name, file, sha256, created, truncatedToMicroseconds: columns.truncated };
    if (earlier !== undefined)
      return {
        ...result,
        alreadyLoaded: true,
        rows: Number(earlier.summary['added-records'] ?? 0),
        dataFiles: Number(earlier.summary['added-data-files'] ?? 0),
        snapshotId: earlier.snapshotId.toString(),
      };
    const prefix = `load-${randomUUID()}`;
    return withScratchDirectory(context, prefix, async (directory) => {
      const written = await writeOutputFiles(connection, loaded, {
        query: columns.query,
        fileNamePrefix: prefix,
        manifestName: prefix,
        localDirectory: directory,
        ...signalOf(context),
      }).catch((error: unknown) => {
        throw rowsRefused(source, format, name, error);
      });
      if (written.manifest === null) return { ...result, alreadyLoaded: false, rows: 0, dataFiles: 0, snapshotId: null };
      const committed = await commitOutputFiles(context.catalog, request.table, [written.manifest], {
        idempotencyKey,
        summary: { [LOADED_FILE_PROPERTY]: path.basename(file), [LOADED_SHA256_PROPERTY]: sha256 },
      });
      if (committed.alreadyCommitted && committed.attempts === 0) {
        // Another run loaded the file meanwhile: these files are nobody's.
        await Promise.all(
          [written.manifest.location, ...written.dataFiles.map((dataFile) => dataFile.filePath)].map((location) =>
            loaded.io.delete(location).catch(() => undefined),
          ),
        );
        const landed = committed.table.metadata.snapshots.find((snapshot) => snapshot.snapshotId === committed.snapshotId);
        return {
          ...result,
          alreadyLoaded: true,
          rows: Number(landed?.summary['added-records'] ?? 0),
          dataFiles: Number(landed?.summary['added-data-files'] ?? 0),
          snapshotId: String(committed.snapshotId),
        };
      }
      return {
        ...result,
        alreadyLoaded: committed.alreadyCommitted,
        rows: written.dataFiles.reduce((sum, dataFile) => sum + dataFile.recordCount, 0),
        dataFiles: written.dataFiles.length,
        snapshotId: String(committed.snapshotId),
      };
    });
  }, signalOf(context));
}

async function loadTableIfExists(context: FeatureContext, identifier: TableIdentifier): Promise<LoadedTable | undefined> {
  try {
    return await context.catalog.loadTable(identifier);
  } catch (error) {
    if (FloeError.is(error, 'not-found') && !(await context.catalog.tableExists(identifier).catch(() => false))) return undefined;
    throw error;
  }
}

/** `--create` on a table that exists: it must be the table the file would create (columns, types and partitioning). */
function refuseIfDifferent(
  table: LoadedTable,
  schema: Schema,
  partition: readonly PartitionTerm[],
  names: { file: string; name: string },
): void {
  const existing = currentSchema(table.metadata);
  const differences = schemaDifferences(schema, existing);
  const have = partitionTermsOf(defaultSpec(table.metadata), existing).map(describePartitionTerm).join(', ') || 'nothing';
  const want = partition.map(describePartitionTerm).join(', ') || 'nothing';
  if (have !== want) differences.push(`it is partitioned by ${have}, --partition asks for ${want}`);
  if (differences.length > 0)
    throw new FloeError(
      'invalid-input',
      `Table ${names.name} exists and is not the table ${names.file} would create: ${differences.join('; ')}. Load without --create to append to it as it is`,
      { context: { table: names.name, file: names.file } },
    );
}

/** A write DuckDB refused for the rows' sake (a CSV value that is not its column's type, a null in a required column), naming the file. */
function rowsRefused(source: LoadSource, format: LoadFormat, table: string, error: unknown): unknown {
  if (!FloeError.is(error, 'invalid-input')) return error;
  return new FloeError('invalid-input', `${source.file} (${format}) cannot be appended to ${table}: ${duckdbReadingReason(error.detail)}`, {
    context: { file: source.file, table, column: error.context['column'] },
    cause: error,
  });
}
