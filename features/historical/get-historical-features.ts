import type { DuckDBConnection } from '@duckdb/node-api';
import type { Table as ArrowTable } from 'apache-arrow';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describeRelation } from '../../engine/describe.js';
import { dropTemporaryTables, pointInTimeJoin } from '../../engine/feature-queries/point-in-time.js';
import type { PointInTimeJoin } from '../../engine/feature-queries/point-in-time.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import type { TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import type { FeatureViewDefinition } from '../definitions.js';
import type { FeaturePlan } from '../on-demand-plan.js';
import type { Registry, ResolvedProjection } from '../registry.js';
import { outputFeatureName } from './aggregated-views.js';
import { resolveHistoricalFeatures } from '../selection.js';
import { queryToArrow } from './arrow-io.js';
import type { EntityKeyRequirement, EntityRelationRequest, EntitySource, PreparedEntityRows } from './entity-rows.js';
import { ENTITY_ORDINAL, prepareEntityRows } from './entity-rows.js';
import { onDemandPass } from './on-demand-pass.js';
import { commitOutputFiles, createOutputTable, featureList, writeOutputFiles } from './output-table.js';
import { appendedFiles } from '../../iceberg/write/added-manifest.js';
import { keysSeenEntityRowsSql, planSourceEntityRows, sourceEntityRowsSql } from './source-entity-rows.js';
import { readViews } from './view-reads.js';
import type { ExchangedViewRows, ViewReads, ViewRetrievalSummary } from './view-reads.js';
import { defined } from '../../contracts/defined.js';

export interface HistoricalFeaturesRequest {
  /**
   * Entity rows given, or `{ from, start, end }`: a source's own rows in `[start, end)`, each with
   * its event time as the timestamp; or `{ asOf, keysSeenSince }`: the keys the views' sources saw
   * in `[keysSeenSince, asOf]`, each once, as of `asOf`.
   */
  readonly entities: EntitySource;
  /** `view:feature` or `view` references; give these or a feature service. */
  readonly features?: readonly string[];
  /** Other names for feature views (alias → view) that `features` may use: `alias:feature` reads the view, named by the alias. */
  readonly viewAliases?: Readonly<Record<string, string>>;
  readonly featureService?: string;
  /** Name feature columns `view__feature` (Feast's full names) instead of `feature`. */
  readonly fullFeatureNames?: boolean;
  /** The entity rows' timestamp column; `event_timestamp` (Feast's name) when absent. */
  readonly timestampColumn?: string;
  /** Below this many distinct keys, a single-key view's scan is also pruned by an `in` filter on the key. Default 1000; 0 turns it off. */
  readonly keyPruningLimit?: number;
  /**
   * Up to this many distinct keys (above keyPruningLimit), a single-key view's data files are
   * pruned by the keys' buckets and bounds, without filtering rows. Default 0 (off): worth it when
   * the entity rows hold a part of the keys (a training set's chunk), not when they hold them all.
   */
  readonly keyFilePruningLimit?: number;
  /** Views (by projection name) a training set's exchange step already read for these entity rows: read from its files, not their sources. */
  readonly exchangedViews?: ReadonlyMap<string, ExchangedViewRows>;
}

export const DEFAULT_ENTITY_TIMESTAMP = 'event_timestamp';

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
  const { projections, onDemandPlan } = resolveHistoricalFeatures(context.registry, request);
  return new HistoricalRetrievalJob(context, request, projections, onDemandPlan);
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
          formatVersion: this.context.registry.tableFormatVersion,
          ...defined({ properties: options.properties }),
        });
      }
      const prefix = `dataset-${randomUUID()}`;
      return withScratchDirectory(this.context, prefix, async (localDirectory) => {
        const { dataFiles, manifest } = await writeOutputFiles(connection, table, {
          query,
          fileNamePrefix: prefix,
          manifestName: prefix,
          localDirectory,
          ...signalOf(this.context),
        });
        const result = await commitOutputFiles(catalog, id, manifest === null ? [] : [manifest], {
          summary: { 'floe.saved-dataset.features': featureList(this) },
          ownedFiles: appendedFiles(manifest, dataFiles),
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
    const { context, request } = this;
    const prefix = `floe_hist_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const keys = keyRequirements(context.registry, this.projections);
    return context.engine.withConnection(async (connection) => {
      const scratch: { readonly tables: string[]; readonly views: string[] } = { tables: [], views: [] };
      try {
        const entity = await prepareEntityRows(connection, request.entities, {
          timestampColumn: request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP,
          keys,
          tablePrefix: prefix,
          sourceRelation: async (relation) => {
            const source = await this.entitySourceSql(connection, relation, keys);
            scratch.views.push(...source.views);
            return source.sql;
          },
        });
        scratch.tables.push(...entity.tables);
        const reads = await readViews(context, connection, {
          entity,
          keys,
          projections: this.projections,
          fullFeatureNames: this.joinedFullFeatureNames(),
          keyPruningLimit: request.keyPruningLimit ?? 1000,
          keyFilePruningLimit: request.keyFilePruningLimit ?? 0,
          prefix,
          ...defined({ exchanged: request.exchangedViews }),
        });
        scratch.tables.push(...reads.tables);
        this.lastSummary = { entityRows: entity.rows, views: reads.summaries };
        const joined = await this.joinViews(connection, entity, reads, keys, prefix);
        scratch.tables.push(...joined.tables);
        const result = await this.resultQuery(connection, entity, reads, joined, prefix);
        scratch.tables.push(...result.tables);
        return await output(connection, result.query);
      } finally {
        // Temporary tables and views die with the connection too; dropping them frees memory now.
        await dropTemporaryTables(connection, scratch.tables);
        for (const view of scratch.views) await connection.run(`DROP VIEW IF EXISTS temp.${q(view)}`).catch(() => undefined);
      }
    }, signalOf(this.context));
  }

  /** Entity rows given as a source's own rows, a table, or a query (its sources become temporary views, also returned). */
  private async entitySourceSql(
    connection: DuckDBConnection,
    relation: EntityRelationRequest,
    keys: readonly EntityKeyRequirement[],
  ): Promise<{ sql: string; views: string[] }> {
    if (relation.kind === 'source-rows') {
      const planned = await planSourceEntityRows(this.context, relation.rows, keys);
      const sql = await sourceEntityRowsSql(planned, {
        keys,
        readFiles: this.context.engine.readFiles,
        timestampColumn: this.request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP,
        ...signalOf(this.context),
      });
      return { sql, views: [] };
    }
    if (relation.kind === 'keys-seen') {
      const sql = await keysSeenEntityRowsSql(
        this.context,
        relation.rows,
        this.projections.map((projection) => projection.view),
        {
          keys,
          readFiles: this.context.engine.readFiles,
          timestampColumn: this.request.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP,
          ...signalOf(this.context),
        },
      );
      return { sql, views: [] };
    }
    if (relation.kind === 'table') {
      const table = await this.context.catalog.loadTable(parseTableIdentifier(relation.table));
      const scan = await scanTable(table, {
        readFiles: this.context.engine.readFiles,
        ...defined({ snapshotId: relation.snapshotId }),
        ...signalOf(this.context),
      });
      return { sql: scan.sql, views: [] };
    }
    return { sql: relation.sql, views: await this.createSourceViews(connection, relation.sql) };
  }

  /** The on-demand pass reads its inputs by their full names (`view__feature`) and names the output itself. */
  private joinedFullFeatureNames(): boolean {
    return this.onDemandPlan === undefined ? (this.request.fullFeatureNames ?? false) : true;
  }

  /** The entity rows joined point in time to the ordinary views, or alone when there are none. */
  private async joinViews(
    connection: DuckDBConnection,
    entity: PreparedEntityRows,
    reads: ViewReads,
    keys: readonly EntityKeyRequirement[],
    prefix: string,
  ): Promise<PointInTimeJoin> {
    if (reads.sources.length === 0) {
      return {
        query: `SELECT * FROM (${reads.entityRelation}) ORDER BY ${q(ENTITY_ORDINAL)}`,
        unorderedQuery: `SELECT * FROM (${reads.entityRelation})`,
        tables: [],
      };
    }
    return pointInTimeJoin(
      connection,
      {
        entity: {
          relation: reads.entityRelation,
          keyColumns: keys.map((key) => key.name),
          eventTimestampColumn: entity.timestampColumn,
          ordinalColumn: ENTITY_ORDINAL,
          dropOrdinal: !reads.aggregated && this.onDemandPlan === undefined,
        },
        views: reads.sources,
        fullFeatureNames: this.joinedFullFeatureNames(),
      },
      { prefix },
    );
  }

  /** The query handed to the output: the joined rows, in projection order, with the on-demand features when asked for. */
  private async resultQuery(
    connection: DuckDBConnection,
    entity: PreparedEntityRows,
    reads: ViewReads,
    joined: PointInTimeJoin,
    prefix: string,
  ): Promise<{ query: string; tables: readonly string[] }> {
    if (this.onDemandPlan === undefined) {
      if (!reads.aggregated) return { query: joined.query, tables: [] };
      return { query: await this.inProjectionOrder(connection, entity.relation, joined.unorderedQuery), tables: [] };
    }
    // The pass sorts its own result, so it reads the joined rows unsorted (a sort inside would be kept).
    return onDemandPass(connection, joined.unorderedQuery, {
      registry: this.context.registry,
      plan: this.onDemandPlan,
      fullFeatureNames: this.request.fullFeatureNames ?? false,
      ordinalColumn: ENTITY_ORDINAL,
      entityRows: entity.rows,
      table: `${prefix}_on_demand`,
    });
  }

  /**
   * The joined rows (unordered: this sorts them) with the feature columns in the projections' order
   * (aggregated views' columns were added to the entity rows, ahead of the ordinary views'), in
   * entity order, ordinal dropped.
   */
  private async inProjectionOrder(connection: DuckDBConnection, entityRelation: string, joined: string): Promise<string> {
    const fullFeatureNames = this.request.fullFeatureNames ?? false;
    const entityColumns = (await describeRelation(connection, entityRelation, 'entity rows'))
      .map((column) => column.name)
      .filter((name) => name !== ENTITY_ORDINAL);
    const features = this.projections.flatMap((projection) =>
      projection.features.map((feature) => outputFeatureName(projection, feature, fullFeatureNames)),
    );
    return `SELECT ${[...entityColumns, ...features].map((name) => q(name)).join(', ')} FROM (${joined}) ORDER BY ${q(ENTITY_ORDINAL)}`;
  }

  /** Each source named in the entity query becomes a temporary view of its table's current snapshot. */
  private async createSourceViews(connection: DuckDBConnection, sql: string): Promise<string[]> {
    const created: string[] = [];
    for (const source of this.context.registry.sources.values()) {
      if (!new RegExp(`(^|[^A-Za-z0-9_])${source.name}([^A-Za-z0-9_]|$)`).test(sql)) continue;
      const table = await this.context.catalog.loadTable(parseTableIdentifier(source.table));
      const scan = await scanTable(table, { readFiles: this.context.engine.readFiles, ...signalOf(this.context) });
      await connection.run(`CREATE OR REPLACE TEMP VIEW ${q(source.name)} AS ${scan.sql}`);
      created.push(source.name);
    }
    return created;
  }
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
