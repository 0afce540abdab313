/**
 * The views of a historical retrieval, each scanned once: aggregated views add their columns to the
 * entity rows, ordinary views become the sources of the point-in-time join. Each scan is pruned to
 * the entity rows' time range, and by key when the entity rows have few distinct keys.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation } from '../../engine/describe.js';
import { dropTemporaryTables } from '../../engine/feature-queries/point-in-time.js';
import type { FeatureViewSource } from '../../engine/feature-queries/point-in-time.js';
import { quoteIdentifier as q, quoteLiteralList } from '../../engine/sql.js';
import type { FilterLiteral } from '../../iceberg/expressions/expression.js';
import { isAggregatedView } from '../aggregations.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { durationSeconds } from '../definitions.js';
import type { ResolvedProjection } from '../registry.js';
import { projectionName } from '../registry.js';
import { addAggregatedViews, aggregatedViewInputs } from './aggregated-views.js';
import type { EntityKeyRequirement, PreparedEntityRows } from './entity-rows.js';
import { ENTITY_ORDINAL } from './entity-rows.js';
import { scanViewSource, VIEW_CREATED_COLUMN, VIEW_EVENT_COLUMN } from './source-scan.js';
import type { SourceRead, ViewScan } from './source-scan.js';
import { defined } from '../../contracts/defined.js';

export interface ViewRetrievalSummary {
  readonly featureView: string;
  readonly table: string;
  readonly snapshotId: bigint | null;
  readonly mode: 'copy-on-write' | 'merge-on-read';
  readonly dataFiles: number;
  readonly dataFilesSkipped: number;
  readonly manifestsSkipped: number;
  /** Rows and bytes of the data files read (before deletes): what the scan costs. */
  readonly dataRecords: number;
  readonly dataBytes: number;
  /** Whether the scan was also pruned by the entities' keys (as a row filter, or by the key set alone). */
  readonly prunedByKeys: boolean;
}

export interface ViewReadsRequest {
  readonly entity: PreparedEntityRows;
  readonly keys: readonly EntityKeyRequirement[];
  readonly projections: readonly ResolvedProjection[];
  /** Name the aggregated views' columns `view__feature`. */
  readonly fullFeatureNames: boolean;
  /** Below this many distinct keys, a single-key view's scan is also pruned by an `in` filter on the key; 0 turns it off. */
  readonly keyPruningLimit: number;
  /** Above keyPruningLimit and up to this many distinct keys, the data files alone are pruned by the key set (key-set.ts); 0 turns it off. */
  readonly keyFilePruningLimit: number;
  /** Prefix of the temporary tables created. */
  readonly prefix: string;
  /** Views (by projection name) whose rows were read from their sources already, as local Parquet files: read from those instead. */
  readonly exchanged?: ReadonlyMap<string, ExchangedViewRows>;
}

/** A view's rows that a training set's exchange step read from its source for these entity rows (features/training-set/exchange.ts). */
export interface ExchangedViewRows {
  /** Local Parquet files holding the view's columns as its scan's relation has them. */
  readonly files: readonly string[];
  /** What reading them costs, said as a scan's summary would (its files are these). */
  readonly summary: ViewRetrievalSummary;
}

export interface ViewReads {
  /** The entity rows, with the aggregated views' columns added when there are any. */
  readonly entityRelation: string;
  /** Whether aggregated views' columns were added to the entity rows. */
  readonly aggregated: boolean;
  /** The ordinary views, for the point-in-time join. */
  readonly sources: readonly FeatureViewSource[];
  /** What each projection's scan read and skipped, in the projections' order. */
  readonly summaries: readonly ViewRetrievalSummary[];
  /** Temporary tables created, for `dropTemporaryTables` once the result is read. */
  readonly tables: readonly string[];
}

export async function readViews(context: FeatureContext, connection: DuckDBConnection, request: ViewReadsRequest): Promise<ViewReads> {
  const { entity } = request;
  const keyValues = await fewKeyValues(
    connection,
    entity.relation,
    request.keys,
    Math.max(request.keyPruningLimit, request.keyFilePruningLimit),
  );
  const distinctValuesFor = (view: FeatureViewDefinition): FilterLiteral[] | undefined => {
    const viewKeys = context.registry.joinKeysOf(view).map((key) => key.name);
    return viewKeys.length === 1 ? keyValues.get(viewKeys[0]!) : undefined;
  };
  const valuesFor = (view: FeatureViewDefinition): FilterLiteral[] | undefined => {
    const values = distinctValuesFor(view);
    return values !== undefined && values.length <= request.keyPruningLimit ? values : undefined;
  };
  const keySetFor = (view: FeatureViewDefinition): FilterLiteral[] | undefined => {
    const values = distinctValuesFor(view);
    return values !== undefined && values.length > request.keyPruningLimit ? values : undefined;
  };
  const summaries = new Map<ResolvedProjection, ViewRetrievalSummary>();
  // A projection's rows: its exchanged files when it has them, else a scan of its source pruned by the entity rows' keys.
  const viewRows = async (projection: ResolvedProjection): Promise<string> => {
    const exchanged = request.exchanged?.get(projectionName(projection));
    if (exchanged !== undefined) {
      summaries.set(projection, exchanged.summary);
      return `SELECT * FROM read_parquet(${quoteLiteralList(exchanged.files)}, hive_partitioning = false)`;
    }
    const keyValues = valuesFor(projection.view);
    const keySet = keyValues === undefined ? keySetFor(projection.view) : undefined;
    const read = sourceRead(projection, entity);
    const scan = await scanViewSource(context, { view: projection.view, ...read, ...defined({ keyValues, keySet }), ...signalOf(context) });
    summaries.set(projection, viewSummary(projection.view, scan, keyValues !== undefined || keySet !== undefined));
    return scan.relation;
  };
  const aggregated = request.projections.filter((projection) => isAggregatedView(projection.view));
  let entityRelation = entity.relation;
  const tables: string[] = [];
  if (aggregated.length > 0) {
    const entityColumns = (await describeRelation(connection, entity.relation, 'entity rows')).map((column) => column.name);
    const withAggregates = await addAggregatedViews(context, connection, {
      entity: {
        relation: entity.relation,
        ordinalColumn: ENTITY_ORDINAL,
        timestampColumn: entity.timestampColumn,
        columns: entityColumns,
        minMicros: entity.minMicros,
        maxMicros: entity.maxMicros,
        rows: entity.rows,
      },
      projections: aggregated,
      fullFeatureNames: request.fullFeatureNames,
      prefix: request.prefix,
      viewRows,
    });
    tables.push(...withAggregates.tables);
    entityRelation = withAggregates.relation;
  }
  const sources: FeatureViewSource[] = [];
  try {
    for (const projection of request.projections) {
      if (isAggregatedView(projection.view)) continue;
      sources.push(joinSource(context, projection, await viewRows(projection)));
    }
  } catch (error) {
    await dropTemporaryTables(connection, tables);
    throw error;
  }
  return {
    entityRelation,
    aggregated: aggregated.length > 0,
    sources,
    summaries: request.projections.map((projection) => summaries.get(projection)!),
    tables,
  };
}

/** The point-in-time join's source for a view whose rows `relation` holds with the columns of its scan (scanViewSource). */
function joinSource(context: FeatureContext, projection: ResolvedProjection, relation: string): FeatureViewSource {
  const { view } = projection;
  const viewKeys = context.registry.joinKeysOf(view).map((key) => key.name);
  return {
    name: projectionName(projection),
    relation,
    keyColumns: viewKeys,
    entityKeyColumns: viewKeys,
    eventTimestampColumn: VIEW_EVENT_COLUMN,
    ...(context.registry.sourceOf(view).createdTimestampField !== undefined ? { createdTimestampColumn: VIEW_CREATED_COLUMN } : {}),
    featureColumns: projection.features,
    ...defined({ ttlMicros: viewTtlMicros(view) }),
  };
}

function viewTtlMicros(view: FeatureViewDefinition): bigint | undefined {
  const ttlSeconds = durationSeconds(view.ttl);
  return ttlSeconds === null ? undefined : BigInt(Math.round(ttlSeconds * 1_000_000));
}

/**
 * What a projection reads of its source for entity rows of these times: a plain view its features,
 * an aggregated view its aggregations' columns; of event times from the earliest entity row's less
 * the lookback (lookbackMicros) to the latest entity row's (others never join).
 */
export function sourceRead(
  projection: ResolvedProjection,
  entity: { readonly minMicros: bigint | null; readonly maxMicros: bigint | null },
): SourceRead {
  const lookback = lookbackMicros(projection);
  return {
    features: isAggregatedView(projection.view) ? aggregatedViewInputs(projection).columns : projection.features,
    ...(entity.minMicros !== null && lookback !== undefined ? { fromMicros: entity.minMicros - lookback } : {}),
    ...(entity.maxMicros !== null ? { toMicros: entity.maxMicros } : {}),
  };
}

/**
 * How long before an entity row's time a view's row can still count for it (µs): a plain view's
 * TTL, an aggregated view's longest window; undefined for no limit.
 */
export function lookbackMicros(projection: ResolvedProjection): bigint | undefined {
  return isAggregatedView(projection.view) ? aggregatedViewInputs(projection).longestWindowMicros : viewTtlMicros(projection.view);
}

/** Per join key, its distinct values when there are few of them (for pruning by key), else nothing. */
async function fewKeyValues(
  connection: DuckDBConnection,
  relation: string,
  keys: readonly EntityKeyRequirement[],
  limit: number,
): Promise<Map<string, FilterLiteral[]>> {
  const found = new Map<string, FilterLiteral[]>();
  if (limit <= 0) return found;
  for (const key of keys) {
    const reader = await connection.runAndReadAll(
      `SELECT DISTINCT ${q(key.name)} FROM (${relation}) WHERE ${q(key.name)} IS NOT NULL LIMIT ${limit + 1}`,
    );
    const values = reader.getRowsJS().map((row) => row[0]);
    if (
      values.length <= limit &&
      values.every(
        (value) => typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean',
      )
    ) {
      found.set(key.name, values as FilterLiteral[]);
    }
  }
  return found;
}

function viewSummary(view: FeatureViewDefinition, scan: ViewScan, prunedByKeys: boolean): ViewRetrievalSummary {
  return {
    featureView: view.name,
    table: scan.table,
    snapshotId: scan.plan.snapshotId,
    mode: scan.plan.mode,
    dataFiles: scan.plan.summary.dataFiles,
    dataRecords: scan.plan.summary.dataRecords,
    dataBytes: scan.plan.tasks.reduce((sum, task) => sum + task.dataFile.fileSizeInBytes, 0),
    dataFilesSkipped: scan.plan.summary.dataFilesSkipped,
    manifestsSkipped: scan.plan.summary.manifestsSkipped,
    prunedByKeys,
  };
}
