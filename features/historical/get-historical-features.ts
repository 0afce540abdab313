import type { DuckDBConnection } from '@duckdb/node-api';
import type { Table as ArrowTable } from 'apache-arrow';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { dropTemporaryTables, pointInTimeJoin } from '../../engine/point-in-time.js';
import type { FeatureViewSource } from '../../engine/point-in-time.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/table-reader.js';
import type { TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { FloeError } from '../../iceberg/errors.js';
import type { FilterLiteral } from '../../iceberg/expressions/expression.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { durationSeconds } from '../definitions.js';
import type { FeatureContext } from '../context.js';
import type { Registry, ResolvedProjection } from '../registry.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { queryToArrow } from './arrow-io.js';
import type { EntityKeyRequirement, EntitySource } from './entity-rows.js';
import { ENTITY_ORDINAL, prepareEntityRows } from './entity-rows.js';
import { commitOutputFiles, createOutputTable, featureList, writeOutputFiles } from './output-table.js';
import { withScratchDirectory } from '../context.js';
import { scanViewSource, VIEW_CREATED_COLUMN, VIEW_EVENT_COLUMN } from './source-scan.js';
import { planSourceEntityRows, sourceEntityRowsSql } from './source-entity-rows.js';
import type { ViewScan } from './source-scan.js';
import { addAggregatedViews, outputFeatureName } from './aggregated-views.js';
import { isAggregatedView } from '../aggregations.js';
import { describeRelation } from '../../engine/describe.js';
import type { FeaturePlan } from '../on-demand-plan.js';
import { planFeatures } from '../on-demand-plan.js';
import { onDemandPass } from './on-demand-pass.js';

export interface HistoricalFeaturesRequest {
  /** Entity rows given, or `{ from, start, end }`: a source's own rows in `[start, end)`, each with its event time as the timestamp. */
  readonly entities: EntitySource;
  /** `view:feature` or `view` references; give these or a feature service. */
  readonly features?: readonly string[];
  readonly featureService?: string;
  /** Name feature columns `view__feature` (Feast's full names) instead of `feature`. */
  readonly fullFeatureNames?: boolean;
  /** The entity rows' timestamp column; `event_timestamp` (Feast's name) when absent. */
  readonly timestampColumn?: string;
  /** Below this many distinct keys, a single-key view's scan is also pruned by an `in` filter on the key. Default 1000; 0 turns it off. */
  readonly keyPruningLimit?: number;
}

export const DEFAULT_ENTITY_TIMESTAMP = 'event_timestamp';

export interface ViewRetrievalSummary {
  readonly featureView: string;
  readonly table: string;
  readonly snapshotId: bigint | null;
  readonly mode: 'copy-on-write' | 'merge-on-read';
  readonly dataFiles: number;
  readonly dataFilesSkipped: number;
  readonly manifestsSkipped: number;
  /** Whether the scan was also pruned by the entities' keys. */
  readonly prunedByKeys: boolean;
}

export interface RetrievalSummary {
  readonly entityRows: number;
  readonly views: readonly ViewRetrievalSummary[];
}

/**
 * Point-in-time correct training data, as Feast's `get_historical_features`: per entity row and
 * feature view, the view's latest row at or before the entity's timestamp (ties to the latest
 * created timestamp), NULL when none or older than the TTL. Nothing runs until an output is asked
 * of the job; feature references are checked now.
 */
export function getHistoricalFeatures(context: FeatureContext, request: HistoricalFeaturesRequest): HistoricalRetrievalJob {
  if ((request.features === undefined) === (request.featureService === undefined)) {
    throw new FloeError('invalid-input', 'Ask for features or a featureService (exactly one of them)', {
      context: { field: request.features === undefined ? 'features' : 'featureService' },
    });
  }
  const { registry } = context;
  if (registry.onDemandViews.size > 0) {
    const selection =
      request.featureService !== undefined ? { featureService: request.featureService } : { features: request.features ?? [] };
    const plan = planFeatures(registry, selection, (references) => registry.resolveFeatureReferences(references));
    if (plan.onDemand.length > 0) return new HistoricalRetrievalJob(context, request, plan.fetched, plan);
  }
  const projections =
    request.featureService !== undefined
      ? registry.featureServiceProjections(request.featureService)
      : registry.resolveFeatureReferences(request.features ?? []);
  return new HistoricalRetrievalJob(context, request, projections);
}

export class HistoricalRetrievalJob {
  /** Filled by each run: what the scans read and skipped. */
  lastSummary: RetrievalSummary | undefined;

  constructor(
    private readonly context: FeatureContext,
    private readonly request: HistoricalFeaturesRequest,
    /** The ordinary views read (with an on-demand view, its inputs too). */
    readonly projections: readonly ResolvedProjection[],
    /** Set when on-demand features are asked for: they are computed over the joined rows. */
    readonly onDemandPlan?: FeaturePlan,
  ) {}

  /** The result in memory, as an Arrow table (timestamps as µs, UTC). */
  async toArrow(): Promise<ArrowTable> {
    return this.run((connection, query) => queryToArrow(connection, query));
  }

  /** Streams the result into a Parquet file (DuckDB writes it; nothing passes through JS). */
  async toParquet(file: string): Promise<{ file: string; rows: number }> {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    return this.run(async (connection, query) => {
      const reader = await connection.runAndReadAll(
        `COPY (${query}) TO ${quoteLiteral(path.resolve(file))} (FORMAT parquet, COMPRESSION zstd)`,
      );
      return { file: path.resolve(file), rows: Number(reader.getRows()[0]?.[0] ?? 0) };
    });
  }

  /**
   * Writes the result as a new Iceberg table (a saved dataset) in the catalog, or appends to an
   * existing one with `ifExists: 'append'`. Rows go from DuckDB to Parquet data files to one commit.
   */
  async toIcebergTable(
    identifier: string | TableIdentifier,
    options: { readonly ifExists?: 'fail' | 'append'; readonly properties?: Readonly<Record<string, string>> } = {},
  ): Promise<{ table: string; snapshotId: bigint | null; dataFiles: number }> {
    const id = typeof identifier === 'string' ? parseTableIdentifier(identifier) : identifier;
    const { catalog } = this.context;
    const name = formatTableIdentifier(id);
    return this.run(async (connection, query) => {
      let table;
      if (await catalog.tableExists(id)) {
        if (options.ifExists !== 'append')
          throw new FloeError('already-exists', `Table ${name} exists; pass ifExists: 'append' to add to it`, { context: { table: name } });
        table = await catalog.loadTable(id);
      } else {
        table = await createOutputTable(catalog, id, connection, query, {
          what: 'historical features',
          ...(options.properties === undefined ? {} : { properties: options.properties }),
        });
      }
      const prefix = `dataset-${randomUUID()}`;
      return withScratchDirectory(this.context, prefix, async (localDirectory) => {
        const { dataFiles, manifest } = await writeOutputFiles(connection, table, {
          query,
          fileNamePrefix: prefix,
          manifestName: prefix,
          localDirectory,
          ...this.signal(),
        });
        const result = await commitOutputFiles(catalog, id, manifest === null ? [] : [manifest], {
          summary: { 'floe.saved-dataset.features': featureList(this.projections) },
        });
        return { table: name, snapshotId: result.snapshotId ?? null, dataFiles: dataFiles.length };
      });
    });
  }

  /**
   * Runs the retrieval on one DuckDB connection and hands `output` the result query (in entity
   * order), valid until `output` returns. The views are joined one at a time into temporary tables.
   */
  async run<T>(output: (connection: DuckDBConnection, query: string) => Promise<T>): Promise<T> {
    const { context, request, onDemandPlan } = this;
    const prefix = `floe_hist_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const keys = keyRequirements(context.registry, this.projections);
    return context.engine.withConnection(async (connection) => {
      const tables: string[] = [];
      const views: string[] = [];
      try {
        const entity = await prepareEntityRows(connection, request.entities, {
          timestampColumn: request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP,
          keys,
          tablePrefix: prefix,
          sourceRelation: async (relation) => {
            if (relation.kind === 'source-rows') {
              const planned = await planSourceEntityRows(context, relation.rows, keys);
              return sourceEntityRowsSql(planned, {
                keys,
                readFiles: context.engine.readFiles,
                timestampColumn: request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP,
                ...this.signal(),
              });
            }
            if (relation.kind === 'table') {
              const table = await context.catalog.loadTable(parseTableIdentifier(relation.table));
              return (
                await scanTable(table, {
                  readFiles: context.engine.readFiles,
                  ...(relation.snapshotId === undefined ? {} : { snapshotId: relation.snapshotId }),
                  ...this.signal(),
                })
              ).sql;
            }
            views.push(...(await this.createSourceViews(connection, relation.sql)));
            return relation.sql;
          },
        });
        tables.push(...entity.tables);
        const keyValues = await this.fewKeyValues(connection, entity.relation, keys);
        const summaries = new Map<ResolvedProjection, ViewRetrievalSummary>();
        const sources: FeatureViewSource[] = [];
        const valuesFor = (view: FeatureViewDefinition): FilterLiteral[] | undefined => {
          const viewKeys = context.registry.joinKeysOf(view).map((key) => key.name);
          return viewKeys.length === 1 ? keyValues.get(viewKeys[0]!) : undefined;
        };
        const aggregated = this.projections.filter((projection) => isAggregatedView(projection.view));
        let entityRelation = entity.relation;
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
            },
            projections: aggregated,
            fullFeatureNames: onDemandPlan === undefined ? (request.fullFeatureNames ?? false) : true,
            prefix,
            keyValues: valuesFor,
            ...this.signal(),
          });
          tables.push(...withAggregates.tables);
          entityRelation = withAggregates.relation;
          aggregated.forEach((projection, index) =>
            summaries.set(projection, viewSummary(projection.view, withAggregates.scans[index]!, valuesFor(projection.view) !== undefined)),
          );
        }
        for (const projection of this.projections) {
          if (isAggregatedView(projection.view)) continue;
          const { view } = projection;
          const ttlSeconds = durationSeconds(view.ttl);
          const ttlMicros = ttlSeconds === null ? undefined : BigInt(Math.round(ttlSeconds * 1_000_000));
          const viewKeys = context.registry.joinKeysOf(view).map((key) => key.name);
          const values = valuesFor(view);
          // Rows older than the oldest entity row's TTL window, or newer than the newest entity row, never join.
          const range: { fromMicros?: bigint; toMicros?: bigint } = {};
          if (entity.minMicros !== null && ttlMicros !== undefined) range.fromMicros = entity.minMicros - ttlMicros;
          if (entity.maxMicros !== null) range.toMicros = entity.maxMicros;
          const scan = await scanViewSource(context, {
            view,
            features: projection.features,
            ...range,
            ...(values === undefined ? {} : { keyValues: values }),
            ...this.signal(),
          });
          summaries.set(projection, viewSummary(view, scan, values !== undefined));
          sources.push({
            name: view.name,
            relation: scan.relation,
            keyColumns: viewKeys,
            entityKeyColumns: viewKeys,
            eventTimestampColumn: VIEW_EVENT_COLUMN,
            ...(scan.hasCreated ? { createdTimestampColumn: VIEW_CREATED_COLUMN } : {}),
            featureColumns: projection.features,
            ...(ttlMicros === undefined ? {} : { ttlMicros }),
          });
        }
        this.lastSummary = { entityRows: entity.rows, views: this.projections.map((projection) => summaries.get(projection)!) };
        // The on-demand pass reads its inputs by their full names (`view__feature`) and names the output itself.
        const joined =
          sources.length === 0
            ? {
                query: `SELECT * FROM (${entityRelation}) ORDER BY ${q(ENTITY_ORDINAL)}`,
                unorderedQuery: `SELECT * FROM (${entityRelation})`,
                tables: [],
              }
            : await pointInTimeJoin(
                connection,
                {
                  entity: {
                    relation: entityRelation,
                    keyColumns: keys.map((key) => key.name),
                    eventTimestampColumn: entity.timestampColumn,
                    ordinalColumn: ENTITY_ORDINAL,
                    dropOrdinal: aggregated.length === 0 && onDemandPlan === undefined,
                  },
                  views: sources,
                  fullFeatureNames: onDemandPlan === undefined ? (request.fullFeatureNames ?? false) : true,
                },
                { prefix },
              );
        tables.push(...joined.tables);
        if (onDemandPlan === undefined) {
          if (aggregated.length === 0) return await output(connection, joined.query);
          return await output(connection, await this.inProjectionOrder(connection, entity.relation, joined.query));
        }
        // The pass sorts its own result, so it reads the joined rows unsorted (a sort inside would be kept).
        const pass = await onDemandPass(connection, joined.unorderedQuery, {
          registry: context.registry,
          plan: onDemandPlan,
          fullFeatureNames: request.fullFeatureNames ?? false,
          ordinalColumn: ENTITY_ORDINAL,
          entityRows: entity.rows,
          table: `${prefix}_on_demand`,
        });
        tables.push(...pass.tables);
        return await output(connection, pass.query);
      } finally {
        // Temporary tables and views die with the connection too; dropping them frees memory now.
        await dropTemporaryTables(connection, tables);
        for (const view of views) await connection.run(`DROP VIEW IF EXISTS temp.${q(view)}`).catch(() => undefined);
      }
    }, this.signal());
  }

  /**
   * The joined rows with the feature columns in the projections' order (aggregated views' columns
   * were added to the entity rows, ahead of the ordinary views'), in entity order, ordinal dropped.
   */
  private async inProjectionOrder(connection: DuckDBConnection, entityRelation: string, joined: string): Promise<string> {
    const fullFeatureNames = this.request.fullFeatureNames ?? false;
    const entityColumns = (await describeRelation(connection, entityRelation, 'entity rows'))
      .map((column) => column.name)
      .filter((name) => name !== ENTITY_ORDINAL);
    const features = this.projections.flatMap((projection) =>
      projection.features.map((feature) => outputFeatureName(projection.view, feature, fullFeatureNames)),
    );
    return `SELECT ${[...entityColumns, ...features].map((name) => q(name)).join(', ')} FROM (${joined}) ORDER BY ${q(ENTITY_ORDINAL)}`;
  }

  private signal(): { signal?: AbortSignal } {
    return this.context.signal === undefined ? {} : { signal: this.context.signal };
  }

  /** Each source named in the entity query becomes a temporary view of its table's current snapshot. */
  private async createSourceViews(connection: DuckDBConnection, sql: string): Promise<string[]> {
    const created: string[] = [];
    for (const source of this.context.registry.sources.values()) {
      if (!new RegExp(`(^|[^A-Za-z0-9_])${source.name}([^A-Za-z0-9_]|$)`).test(sql)) continue;
      const table = await this.context.catalog.loadTable(parseTableIdentifier(source.table));
      const scan = await scanTable(table, { readFiles: this.context.engine.readFiles, ...this.signal() });
      await connection.run(`CREATE OR REPLACE TEMP VIEW ${q(source.name)} AS ${scan.sql}`);
      created.push(source.name);
    }
    return created;
  }

  /** Per join key, its distinct values when there are few of them (for pruning by key), else nothing. */
  private async fewKeyValues(
    connection: DuckDBConnection,
    relation: string,
    keys: readonly EntityKeyRequirement[],
  ): Promise<Map<string, FilterLiteral[]>> {
    const limit = this.request.keyPruningLimit ?? 1000;
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
}

function viewSummary(view: FeatureViewDefinition, scan: ViewScan, prunedByKeys: boolean): ViewRetrievalSummary {
  return {
    featureView: view.name,
    table: scan.table,
    snapshotId: scan.plan.snapshotId,
    mode: scan.plan.mode,
    dataFiles: scan.plan.summary.dataFiles,
    dataFilesSkipped: scan.plan.summary.dataFilesSkipped,
    manifestsSkipped: scan.plan.summary.manifestsSkipped,
    prunedByKeys,
  };
}

/** Every join key the views need, once, with its declared type; two entities typing one key differently is an error. */
export function keyRequirements(registry: Registry, projections: readonly ResolvedProjection[]): EntityKeyRequirement[] {
  const keys = new Map<string, { type: EntityKeyRequirement['type']; views: string[] }>();
  const note = (view: FeatureViewDefinition): void => {
    for (const key of registry.joinKeysOf(view)) {
      const known = keys.get(key.name);
      if (!known) keys.set(key.name, { type: key.type, views: [view.name] });
      else if (known.type !== key.type) {
        throw new FloeError(
          'invalid-input',
          `Join key ${key.name} is a ${known.type} in ${known.views.join(', ')} but a ${key.type} in ${view.name}`,
          { context: { column: key.name, featureView: view.name } },
        );
      } else known.views.push(view.name);
    }
  };
  for (const projection of projections) note(projection.view);
  return [...keys].map(([name, key]) => ({ name, type: key.type, views: key.views }));
}
