import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation } from '../../engine/describe.js';
import { writeTableFiles } from '../../engine/write/table-writer.js';
import { schemaFromColumns } from '../../engine/types.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../iceberg/catalog/create-table.js';
import { commitChange } from '../../iceberg/commit/commit.js';
import type { CommitResult } from '../../iceberg/commit/commit.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../iceberg/write/fast-append.js';
import type { ManifestToAppend } from '../../iceberg/write/fast-append.js';
import type { TableFormatVersion } from '../registry.js';
import type { ResolvedHistoricalFeatures } from '../selection.js';
import { defined } from '../../contracts/defined.js';

/**
 * The one way a retrieval result becomes an Iceberg table (saved datasets, training sets): create
 * the table shaped like the result (its namespace too), write the rows as data files and a
 * manifest of them, and commit manifests in one fast append.
 */

/** Creates the output table with the columns of `query`; `what` names the result in error messages. */
export async function createOutputTable(
  catalog: Catalog,
  id: TableIdentifier,
  connection: DuckDBConnection,
  query: string,
  options: {
    readonly what: string;
    readonly formatVersion: TableFormatVersion;
    readonly properties?: Readonly<Record<string, string>>;
  },
): Promise<LoadedTable> {
  const columns = await describeRelation(connection, query, options.what);
  return createTableEnsuringNamespace(catalog, id, {
    schema: schemaFromColumns(columns, { source: options.what }),
    properties: { 'write.parquet.compression-codec': 'zstd', ...options.properties },
    formatVersion: options.formatVersion,
  });
}

export interface OutputFilesRequest {
  readonly query: string;
  /** Names the data files; unique per attempt so a retry never replaces a file another attempt wrote. */
  readonly fileNamePrefix: string;
  /** Names the manifest (in the table's metadata folder). */
  readonly manifestName: string;
  /** Local scratch folder for DuckDB's output (the caller removes it). */
  readonly localDirectory: string;
  /** A staging folder in the table's storage instead of its data folder. */
  readonly dataDirectory?: string;
  readonly signal?: AbortSignal;
  /** Runs once the data files are uploaded, before their manifest is written. */
  readonly afterDataFiles?: (dataFiles: readonly DataFile[]) => Promise<void>;
}

/** Writes the query's rows as data files of the table and a manifest of them (none when there are no rows); commits nothing. */
export async function writeOutputFiles(
  connection: DuckDBConnection,
  table: LoadedTable,
  request: OutputFilesRequest,
): Promise<{ dataFiles: DataFile[]; manifest: ManifestToAppend | null }> {
  const dataFiles = await writeTableFiles(connection, table, {
    query: request.query,
    fileNamePrefix: request.fileNamePrefix,
    localDirectory: request.localDirectory,
    ...defined({ dataDirectory: request.dataDirectory, signal: request.signal }),
  });
  await request.afterDataFiles?.(dataFiles);
  if (dataFiles.length === 0) return { dataFiles, manifest: null };
  return { dataFiles, manifest: await writeAddedManifest(table, dataFiles, request.manifestName) };
}

/** Commits the written manifests in one fast append; a key already committed is not committed again. */
export async function commitOutputFiles(
  catalog: Catalog,
  id: TableIdentifier,
  manifests: readonly ManifestToAppend[],
  options: {
    readonly idempotencyKey?: string;
    readonly summary: Readonly<Record<string, string>>;
    /** The files written for this commit alone (see CommitOptions.ownedFiles): deleted if it fails without landing. */
    readonly ownedFiles?: readonly string[];
  },
): Promise<CommitResult> {
  return commitChange(
    catalog,
    id,
    fastAppend(manifests, {
      ...defined({ idempotencyKey: options.idempotencyKey }),
      summary: options.summary,
    }),
    { ...defined({ ownedFiles: options.ownedFiles }) },
  );
}

/**
 * The result's features as `view:feature,…`, recorded in the committing snapshot's summary: with
 * on-demand features, those asked for (not the inputs read only to compute them).
 */
export function featureList(resolved: ResolvedHistoricalFeatures): string {
  const asked =
    resolved.onDemandPlan === undefined ? resolved.projections : [...resolved.onDemandPlan.requested, ...resolved.onDemandPlan.onDemand];
  return asked.flatMap((projection) => projection.features.map((feature) => `${projection.view.name}:${feature}`)).join(',');
}
