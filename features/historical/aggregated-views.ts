import type { DuckDBConnection } from '@duckdb/node-api';
import { dropTemporaryTables } from '../../engine/feature-queries/point-in-time.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { aggregateWindows } from '../../engine/feature-queries/windowed-aggregation.js';
import { FloeError } from '../../core/errors.js';
import type { AggregatedFeature } from '../aggregations.js';
import { aggregatedFeaturesOf } from '../aggregations.js';
import type { FeatureViewDefinition } from '../definitions.js';
import type { Registry, ResolvedProjection } from '../registry.js';
import { projectionName } from '../registry.js';
import { VIEW_CREATED_COLUMN, VIEW_EVENT_COLUMN } from './source-scan.js';

export interface AggregatedEntityRows {
  /**
   * SQL for the entity rows with one column per aggregated feature added (after theirs, in
   * projection order), in no particular order: order by the ordinal. Valid until `tables` are dropped.
   */
  readonly relation: string;
  /** Temporary tables to drop once the result is read. */
  readonly tables: readonly string[];
}

/** The name a feature column takes in the result: `view__feature` with full feature names. */
export function outputFeatureName(projection: ResolvedProjection, feature: string, fullFeatureNames: boolean): string {
  return fullFeatureNames ? `${projectionName(projection)}__${feature}` : feature;
}

/**
 * Adds the aggregated views' features to the entity rows, each computed exactly per entity row
 * from its view's source (merge-on-read deletes applied) by `aggregateWindows`, into temporary
 * tables joined back on the entity ordinal. The entity rows must carry a unique ordinal column;
 * rows with a NULL key or time get NULL for every aggregate (as the point-in-time join gives them).
 */
export async function addAggregatedViews(
  context: { readonly registry: Registry },
  connection: DuckDBConnection,
  request: {
    readonly entity: {
      readonly relation: string;
      readonly ordinalColumn: string;
      readonly timestampColumn: string;
      /** The columns already in the entity rows (output names must not collide with them). */
      readonly columns: readonly string[];
      readonly minMicros: bigint | null;
      readonly maxMicros: bigint | null;
      readonly rows: number;
    };
    readonly projections: readonly ResolvedProjection[];
    readonly fullFeatureNames: boolean;
    readonly prefix: string;
    /** SQL for the projection's rows as a scan of its source reads them (scanViewSource), for these entity rows. */
    readonly viewRows: (projection: ResolvedProjection) => Promise<string>;
  },
): Promise<AggregatedEntityRows> {
  const { entity } = request;
  const taken = new Set(entity.columns);
  const tables: string[] = [];
  const joins: string[] = [];
  const added: string[] = [];
  try {
    for (const [index, projection] of request.projections.entries()) {
      const { view } = projection;
      const features = requestedFeatures(view, projection.features);
      const relation = await request.viewRows(projection);
      const outputs = features.map((feature) => {
        const output = outputFeatureName(projection, feature.name, request.fullFeatureNames);
        if (taken.has(output)) {
          throw new FloeError(
            'invalid-input',
            `Feature column ${JSON.stringify(output)} of the feature view ${JSON.stringify(view.name)} collides with another output column; use full feature names or rename it`,
            { context: { featureView: view.name, column: output } },
          );
        }
        taken.add(output);
        return output;
      });
      const table = `${request.prefix}_agg${index}`;
      tables.push(table);
      const keys = context.registry.joinKeysOf(view).map((key) => key.name);
      await aggregateWindows(
        connection,
        {
          entity: {
            relation: entity.relation,
            rows: entity.rows,
            ordinalColumn: entity.ordinalColumn,
            keyColumns: keys,
            eventTimestampColumn: entity.timestampColumn,
          },
          events: {
            what: `feature view ${JSON.stringify(view.name)}`,
            relation,
            keyColumns: keys,
            eventTimestampColumn: VIEW_EVENT_COLUMN,
            ...(context.registry.sourceOf(view).createdTimestampField !== undefined ? { createdTimestampColumn: VIEW_CREATED_COLUMN } : {}),
          },
          aggregates: features.map((feature, featureIndex) => ({
            column: feature.column,
            function: feature.function,
            windowMicros: BigInt(feature.windowSeconds) * 1_000_000n,
            output: outputs[featureIndex]!,
          })),
        },
        table,
      );
      const alias = `a${index}`;
      joins.push(`LEFT JOIN ${q(table)} AS ${alias} ON ${alias}.${q(entity.ordinalColumn)} = e.${q(entity.ordinalColumn)}`);
      added.push(...outputs.map((output) => `${alias}.${q(output)}`));
    }
    return { relation: `SELECT e.*, ${added.join(', ')} FROM (${entity.relation}) AS e ${joins.join(' ')}`, tables };
  } catch (error) {
    await dropTemporaryTables(connection, tables);
    throw error;
  }
}

/** The columns an aggregated projection's aggregations take, and its longest window (µs): how far back its events count. */
export function aggregatedViewInputs(projection: ResolvedProjection): { columns: string[]; longestWindowMicros: bigint } {
  const features = requestedFeatures(projection.view, projection.features);
  return {
    columns: [...new Set(features.map((feature) => feature.column))],
    longestWindowMicros: BigInt(Math.max(...features.map((feature) => feature.windowSeconds))) * 1_000_000n,
  };
}

/** The aggregated features a projection asks for, in its order. */
function requestedFeatures(view: FeatureViewDefinition, names: readonly string[]): AggregatedFeature[] {
  const byName = new Map(aggregatedFeaturesOf(view).map((feature) => [feature.name, feature]));
  return names.map((name) => {
    const feature = byName.get(name);
    if (!feature)
      throw new FloeError('invalid-input', `Feature view ${view.name} has no aggregated feature ${name}`, {
        context: { featureView: view.name, feature: name },
      });
    return feature;
  });
}
