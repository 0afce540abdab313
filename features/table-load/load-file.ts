/**
 * `floe table load`: a Parquet or CSV file appended to an Iceberg table in one commit, exactly
 * once. The commit carries an idempotency key made of the file's SHA-256 and the table, so the
 * same load run again (after a crash, or by mistake) finds its snapshot and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { describeRelation } from '../../engine/describe.js';
import { schemaFromColumns } from '../../engine/types.js';
import type { LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../iceberg/catalog/create-table.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { findCommitted } from '../../iceberg/commit/commit.js';
import { currentSchema, defaultSpec } from '../../iceberg/spec/metadata.js';
import { describePartitionTerm, partitionSpecFromTerms, partitionTermsOf } from '../../iceberg/spec/partition-terms.js';
import type { PartitionTerm } from '../../iceberg/spec/partition-terms.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import type { Snapshot } from '../../iceberg/spec/snapshot.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import { commitOutputFiles, writeOutputFiles } from '../historical/output-table.js';
import { appendedFiles } from '../../iceberg/write/added-manifest.js';
import { loadColumns, newTableQuery, schemaDifferences } from './load-columns.js';
import type { TruncatedColumn } from './load-columns.js';
import { duckdbReadingReason, fileSha256, loadFormatOf, openLoadSource } from './load-source.js';
import type { LoadSource } from './load-source.js';

/** Snapshot summary properties of a load's commit. */
export const LOADED_FILE_PROPERTY = 'floe.table-load.file';
export const LOADED_SHA256_PROPERTY = 'floe.table-load.sha256';

export interface TableLoadRequest {
  readonly file: string;
  readonly table: TableIdentifier;
  /**
   * Create the table from the file's columns when it does not exist, partitioned by these terms;
   * the struct columns `maps` names become map<string,T> columns (their fields all of type T).
   */
  readonly create?: { readonly partition: readonly PartitionTerm[]; readonly maps?: readonly string[] };
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
  const existing = await loadTableIfExists(context, request.table);
  if (existing === undefined && request.create === undefined)
    throw new FloeError(
      'not-found',
      `No table ${name} in catalog ${context.catalog.name}: load with --create to create it from the columns of ${file}`,
      { context: { table: name, file } },
    );
  return context.engine.withConnection(async (connection) => {
    // A CSV's columns are read as the table's types when there is a table.
    const declared = new Map(
      (existing === undefined ? [] : currentSchema(existing.metadata).fields).map((field) => [field.name, field.type]),
    );
    const source = await openLoadSource(connection, file, format, declared);
    const { table, created } =
      request.create === undefined
        ? { table: existing!, created: false }
        : await tableToCreate(context, connection, { source, request, name, existing, partition: request.create.partition });
    const columns = loadColumns(source, currentSchema(table.metadata), name);
    const result = { table: name, file, sha256, created, truncatedToMicroseconds: columns.truncated };
    const appended = await appendOnce(context, connection, { table, source, query: columns.query, sha256, name }).catch(
      async (error: unknown) => {
        if (created) await dropIfEmpty(context, request.table);
        throw error;
      },
    );
    return { ...result, ...appended };
  }, signalOf(context));
}

/**
 * Drops a table this load created when its rows were refused, so the load leaves nothing behind
 * and the file, mended, can create it again; unless a snapshot landed in it meanwhile (another load).
 */
async function dropIfEmpty(context: FeatureContext, identifier: TableIdentifier): Promise<void> {
  const table = await loadTableIfExists(context, identifier).catch(() => undefined);
  if (table !== undefined && table.metadata.snapshots.length === 0)
    await context.catalog.dropTable(identifier, { purge: true }).catch(() => undefined);
}

/** `--create`: the table the file makes, created unless it exists, in which case it must be that table. */
async function tableToCreate(
  context: FeatureContext,
  connection: DuckDBConnection,
  options: {
    source: LoadSource;
    request: TableLoadRequest;
    name: string;
    existing: LoadedTable | undefined;
    partition: readonly PartitionTerm[];
  },
): Promise<{ table: LoadedTable; created: boolean }> {
  const { source, name } = options;
  const query = newTableQuery(source, new Set(options.request.create?.maps));
  const schema = schemaFromColumns(await describeRelation(connection, query, `file ${source.file}`), {
    source: source.file,
  });
  const partitionSpec = partitionSpecFromTerms(schema, options.partition, name);
  let table = options.existing;
  if (table === undefined) {
    try {
      const formatVersion = context.registry.tableFormatVersion;
      return {
        table: await createTableEnsuringNamespace(context.catalog, options.request.table, { schema, partitionSpec, formatVersion }),
        created: true,
      };
    } catch (error) {
      if (!FloeError.is(error, 'already-exists')) throw error;
      table = await context.catalog.loadTable(options.request.table);
    }
  }
  refuseIfDifferent(table, schema, options.partition, { file: source.file, name });
  return { table, created: false };
}

type Appended = Pick<TableLoadResult, 'alreadyLoaded' | 'rows' | 'dataFiles' | 'snapshotId'>;

/** Appends the rows in one commit keyed by the file's SHA-256 and the table, unless a snapshot of the table already has that key. */
async function appendOnce(
  context: FeatureContext,
  connection: DuckDBConnection,
  options: { table: LoadedTable; source: LoadSource; query: string; sha256: string; name: string },
): Promise<Appended> {
  const { table, source, sha256 } = options;
  const idempotencyKey = `table-load/${sha256}/${options.name}`;
  const earlier = findCommitted(table.metadata, MAIN_BRANCH, idempotencyKey);
  if (earlier !== undefined) return loadedBy(earlier);
  const prefix = `load-${randomUUID()}`;
  return withScratchDirectory(context, prefix, async (directory) => {
    const written = await writeOutputFiles(connection, table, {
      query: options.query,
      fileNamePrefix: prefix,
      manifestName: prefix,
      localDirectory: directory,
      ...signalOf(context),
    }).catch((error: unknown) => {
      throw rowsRefused(source, options.name, error);
    });
    if (written.manifest === null) return { alreadyLoaded: false, rows: 0, dataFiles: 0, snapshotId: null };
    const committed = await commitOutputFiles(context.catalog, table.identifier, [written.manifest], {
      idempotencyKey,
      summary: { [LOADED_FILE_PROPERTY]: path.basename(source.file), [LOADED_SHA256_PROPERTY]: sha256 },
      ownedFiles: appendedFiles(written.manifest, written.dataFiles),
    });
    if (committed.alreadyCommitted && committed.attempts === 0) {
      // Another run loaded the file meanwhile: these files are nobody's.
      await Promise.all(
        [written.manifest.location, ...written.dataFiles.map((dataFile) => dataFile.filePath)].map((location) =>
          table.io.delete(location).catch(() => undefined),
        ),
      );
      const landed = committed.table.metadata.snapshots.find((snapshot) => snapshot.snapshotId === committed.snapshotId);
      if (landed !== undefined) return loadedBy(landed);
    }
    return {
      alreadyLoaded: committed.alreadyCommitted,
      rows: written.dataFiles.reduce((sum, dataFile) => sum + dataFile.recordCount, 0),
      dataFiles: written.dataFiles.length,
      snapshotId: String(committed.snapshotId),
    };
  });
}

/** An earlier load's answer, from the snapshot it committed. */
function loadedBy(snapshot: Snapshot): Appended {
  return {
    alreadyLoaded: true,
    rows: Number(snapshot.summary['added-records'] ?? 0),
    dataFiles: Number(snapshot.summary['added-data-files'] ?? 0),
    snapshotId: snapshot.snapshotId.toString(),
  };
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
function rowsRefused(source: LoadSource, table: string, error: unknown): unknown {
  if (!FloeError.is(error, 'invalid-input')) return error;
  return new FloeError(
    'invalid-input',
    `${source.file} (${source.format}) cannot be appended to ${table}: ${duckdbReadingReason(error.detail)}`,
    {
      context: { file: source.file, table, column: error.context['column'] },
      cause: error,
    },
  );
}
