import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import type { Catalog, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../iceberg/catalog/create-table.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { isoMillis } from '../../contracts/instants.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { ConsistencyReport } from '../../contracts/consistency.js';
import type { FeatureContext } from '../context.js';
import { withScratchDirectory } from '../context.js';
import { commitOutputFiles, writeOutputFiles } from '../historical/output-table.js';
import { appendedFiles } from '../../iceberg/write/added-manifest.js';
import { compactPlanned, planCompaction } from '../compaction/index.js';
import { defined } from '../../contracts/defined.js';

export { DEFAULT_CONSISTENCY_TABLE } from '../config.js';

/** The report table's columns, one row per view and feature per check. */
const REPORT_SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'checked_at', type: 'timestamptz', required: true },
    { id: 2, name: 'view', type: 'string', required: true },
    { id: 3, name: 'feature', type: 'string', required: true },
    { id: 4, name: 'exact_as_of', type: 'timestamptz', required: true },
    { id: 5, name: 'sampled', type: 'long', required: true },
    { id: 6, name: 'mismatches', type: 'long', required: true },
    { id: 7, name: 'mismatch_rate', type: 'double', required: true },
    { id: 8, name: 'example_entity', type: 'string', required: false },
    { id: 9, name: 'example_online', type: 'string', required: false },
    { id: 10, name: 'example_offline', type: 'string', required: false },
    { id: 11, name: 'online_snapshot_id', type: 'long', required: false },
  ],
};

/**
 * A check appends one small file (hourly per view when scheduled): past this many the append
 * compacts the table too, so it and the feature server's scan of it stay small.
 */
const REPORT_MAX_FILES = 24;

/**
 * Appends the report's rows (one per feature) to the report table, creating it (and its namespace)
 * when absent. `idempotencyKey` makes a retried append commit once. Once the table holds more than
 * `maxFiles` small files (default REPORT_MAX_FILES), they are merged and snapshots past compaction's
 * default retention expired, as `floe compact --table` does.
 */
export async function appendConsistencyReport(
  context: FeatureContext,
  tableName: string,
  report: ConsistencyReport,
  options: { readonly idempotencyKey?: string; readonly maxFiles?: number } = {},
): Promise<{ table: string; snapshotId: string | null; rows: number }> {
  const id = reportTableIdentifier(tableName);
  const table = await ensureReportTable(context.catalog, id);
  const prefix = `consistency-${randomUUID()}`;
  const rows = report.features.map((feature) => {
    const example = feature.examples[0];
    const text = (value: string | undefined): string => (value === undefined ? 'NULL' : quoteLiteral(value));
    return [
      `CAST(${quoteLiteral(report.checkedAt)} AS TIMESTAMPTZ)`,
      quoteLiteral(report.featureView),
      quoteLiteral(feature.feature),
      `CAST(${quoteLiteral(report.exactAsOf)} AS TIMESTAMPTZ)`,
      `${report.sampled}::BIGINT`,
      `${feature.mismatches}::BIGINT`,
      `${feature.mismatchRate}::DOUBLE`,
      `CAST(${text(example?.entity)} AS VARCHAR)`,
      `CAST(${text(example?.online)} AS VARCHAR)`,
      `CAST(${text(example?.offline)} AS VARCHAR)`,
      report.onlineSnapshotId === null ? 'CAST(NULL AS BIGINT)' : `${BigInt(report.onlineSnapshotId)}::BIGINT`,
    ].join(', ');
  });
  if (rows.length === 0) return { table: formatTableIdentifier(id), snapshotId: null, rows: 0 };
  const columns = REPORT_SCHEMA.fields.map((field) => q(field.name)).join(', ');
  const query = `SELECT * FROM (VALUES ${rows.map((row) => `(${row})`).join(', ')}) AS report(${columns})`;
  const { manifest, dataFiles } = await withScratchDirectory(context, prefix, (localDirectory) =>
    context.engine.withConnection((connection) =>
      writeOutputFiles(connection, table, { query, fileNamePrefix: prefix, manifestName: prefix, localDirectory }),
    ),
  );
  const result = await commitOutputFiles(context.catalog, id, manifest === null ? [] : [manifest], {
    ...defined({ idempotencyKey: options.idempotencyKey }),
    summary: { 'floe.feature-view': report.featureView, 'floe.consistency.checked-at': report.checkedAt },
    ownedFiles: appendedFiles(manifest, dataFiles),
  });
  await compactWhenLarge(context, formatTableIdentifier(id), options.maxFiles ?? REPORT_MAX_FILES);
  return { table: formatTableIdentifier(id), snapshotId: result.snapshotId?.toString() ?? null, rows: rows.length };
}

/**
 * Compacts the report table when its small files outnumber `maxFiles` (otherwise it only plans its
 * few manifests), from that one plan. Two checks may both compact it at once: the one whose commit loses to the other's
 * has nothing left to do, and its report has landed, so the conflict is no failure.
 */
async function compactWhenLarge(context: FeatureContext, table: string, maxFiles: number): Promise<void> {
  const target = { kind: 'source', table } as const;
  const plan = await planCompaction(context, target, { minFiles: maxFiles });
  if (plan.groups.length === 0) return;
  await compactPlanned(context, plan).catch((error: unknown) => {
    if (!FloeError.is(error, 'commit-conflict')) throw error;
  });
}

/** A feature's latest mismatch rate, as the report table holds it. */
export interface LatestMismatchRate {
  readonly featureView: string;
  readonly feature: string;
  readonly mismatchRate: number;
  readonly checkedAt: string;
}

/** Per view and feature, the row of the latest check in the report table; none when the table does not exist. */
export async function latestMismatchRates(
  context: Pick<FeatureContext, 'catalog' | 'engine'>,
  tableName: string,
): Promise<LatestMismatchRate[]> {
  const id = reportTableIdentifier(tableName);
  if (!(await context.catalog.tableExists(id))) return [];
  const table = await context.catalog.loadTable(id);
  const scan = await scanTable(table, { columns: ['checked_at', 'view', 'feature', 'mismatch_rate'], readFiles: context.engine.readFiles });
  return context.engine.withConnection(async (connection: DuckDBConnection) => {
    const reader = await connection.runAndReadAll(
      `SELECT ${q('view')}, feature, mismatch_rate, CAST(epoch_ms(checked_at) AS BIGINT) FROM (${scan.sql}) ` +
        `QUALIFY row_number() OVER (PARTITION BY ${q('view')}, feature ORDER BY checked_at DESC) = 1 ORDER BY ${q('view')}, feature`,
    );
    return reader.getRows().map(([view, feature, rate, checkedAt]) => ({
      featureView: String(view),
      feature: String(feature),
      mismatchRate: Number(rate),
      checkedAt: isoMillis(Number(checkedAt)),
    }));
  });
}

/** One check of a feature: when, and the share of sampled keys whose online value differed from the offline one. */
export interface MismatchRatePoint {
  readonly feature: string;
  readonly checkedAt: string;
  readonly mismatchRate: number;
  readonly sampled: number;
}

/** Every check of a view's features in the report table, oldest first (per feature in that order); none when the table does not exist. */
export async function mismatchRateHistory(
  context: Pick<FeatureContext, 'catalog' | 'engine'>,
  tableName: string,
  featureView: string,
): Promise<MismatchRatePoint[]> {
  const id = reportTableIdentifier(tableName);
  if (!(await context.catalog.tableExists(id))) return [];
  const table = await context.catalog.loadTable(id);
  const scan = await scanTable(table, {
    columns: ['checked_at', 'view', 'feature', 'mismatch_rate', 'sampled'],
    rowFilter: `${q('view')} = ${quoteLiteral(featureView)}`,
    readFiles: context.engine.readFiles,
  });
  return context.engine.withConnection(async (connection: DuckDBConnection) => {
    const reader = await connection.runAndReadAll(
      `SELECT feature, CAST(epoch_ms(checked_at) AS BIGINT), mismatch_rate, sampled FROM (${scan.sql}) ` +
        `WHERE ${q('view')} = ${quoteLiteral(featureView)} ORDER BY checked_at, feature`,
    );
    return reader.getRows().map(([feature, checkedAt, rate, sampled]) => ({
      feature: String(feature),
      checkedAt: isoMillis(Number(checkedAt)),
      mismatchRate: Number(rate),
      sampled: Number(sampled),
    }));
  });
}

function reportTableIdentifier(tableName: string): TableIdentifier {
  try {
    return parseTableIdentifier(tableName);
  } catch (error) {
    throw new FloeError('invalid-input', `The consistency report table ${JSON.stringify(tableName)} must be namespace.table`, {
      context: { field: 'monitoring.consistencyTable' },
      cause: error,
    });
  }
}

async function ensureReportTable(catalog: Catalog, id: TableIdentifier) {
  if (await catalog.tableExists(id)) return catalog.loadTable(id);
  return createTableEnsuringNamespace(catalog, id, {
    schema: REPORT_SCHEMA,
    properties: { 'format-version': '2', 'write.parquet.compression-codec': 'zstd' },
  }).catch(async (error: unknown) => {
    // Another check created it meanwhile.
    if (FloeError.is(error, 'already-exists')) return catalog.loadTable(id);
    throw error;
  });
}
