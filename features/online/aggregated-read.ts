import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import { aggregatedFeaturesOf } from '../aggregations.js';
import type { AggregatedFeature } from '../aggregations.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { columnPartials, floorToGrid, tileMicros } from '../online-table/aggregation-tiles.js';
import type { ColumnPartials } from '../online-table/aggregation-tiles.js';
import type { CombinedAggregates } from './combined-aggregates.js';
import { heldWatermarkOf } from './held-watermark.js';
import type { TileLookupResult } from './online-table-reader.js';
import { presentValue } from './response.js';
import type { FeatureStatus, FeatureVector } from './response.js';

/** Some of a view's aggregated features in the order asked: where each is among the view's, and its `view:feature`. */
interface AggregatedLayout {
  readonly positions: readonly number[];
  readonly features: readonly AggregatedFeature[];
  readonly refs: readonly string[];
}

/**
 * A view's aggregated features, tile columns and grid, derived from its definition once rather than
 * on every read; with the tile boundary its reads are exact before per table metadata, and the
 * layout of each list of names asked for (a held plan's list, the same array on every read).
 */
class AggregatedShape {
  readonly features: readonly AggregatedFeature[];
  readonly partials: readonly ColumnPartials[];
  readonly tileMicros: bigint;
  private readonly ends = new WeakMap<TableMetadata, bigint | null>();
  private readonly layouts = new WeakMap<readonly string[], AggregatedLayout>();

  constructor(private readonly view: FeatureViewDefinition) {
    this.features = aggregatedFeaturesOf(view);
    this.partials = columnPartials(view);
    this.tileMicros = tileMicros(view);
  }

  /** The watermark floored to the tile grid (µs), or null before the view has one. */
  endOf(metadata: TableMetadata): bigint | null {
    let end = this.ends.get(metadata);
    if (end === undefined) {
      const watermark = heldWatermarkOf(metadata);
      end = watermark === null ? null : floorToGrid(BigInt(watermark.millis) * 1000n, this.tileMicros);
      this.ends.set(metadata, end);
    }
    return end;
  }

  layoutOf(names: readonly string[]): AggregatedLayout {
    let layout = this.layouts.get(names);
    if (layout === undefined) {
      const positions = names.map((name) => this.features.findIndex((feature) => feature.name === name));
      const features = positions.map((position) => this.features[position]!);
      layout = { positions, features, refs: features.map((feature) => `${this.view.name}:${feature.name}`) };
      this.layouts.set(names, layout);
    }
    return layout;
  }
}

const aggregatedShapes = new WeakMap<FeatureViewDefinition, AggregatedShape>();

function aggregatedShapeOf(view: FeatureViewDefinition): AggregatedShape {
  let shape = aggregatedShapes.get(view);
  if (shape === undefined) {
    shape = new AggregatedShape(view);
    aggregatedShapes.set(view, shape);
  }
  return shape;
}

/**
 * An aggregated view's features for each entity row: its tiles combined as of t − 1 µs, t the
 * watermark floored to the tile grid (aggregation-tiles.ts). Every key is PRESENT once the view has
 * a watermark (a key without events has count 0 and null for the rest, as offline); none before.
 * A view fed by a push source is read at request time instead (`now`, µs): as of now, from the
 * materialized tiles and the pushed events (`realtimeWindowRows`), every key PRESENT once its table exists.
 */
export function aggregatedRead(
  view: FeatureViewDefinition,
  names: readonly string[],
  lookups: readonly string[],
  result: TileLookupResult,
  combined: CombinedAggregates,
  now?: bigint,
): { features: FeatureVector[]; rawValues: () => Map<string, (PrimitiveValue | null)[]>; exactAsOf: string | null } {
  const index = result.state.index;
  const shape = aggregatedShapeOf(view);
  const materializedEnd = result.state.table === null || index === null ? null : shape.endOf(result.state.table.metadata);
  const realtime = now === undefined || index === null ? undefined : { grid: shape.tileMicros, materializedEnd };
  const end = realtime === undefined ? materializedEnd : now! + 1n;
  const { positions, features, refs } = shape.layoutOf(names);
  if (end === null || index === null) {
    const statuses: FeatureStatus[] = lookups.map(() => 'NOT_FOUND');
    return {
      features: features.map((feature, at) => ({
        ref: refs[at]!,
        featureView: view.name,
        feature: feature.name,
        type: feature.type,
        values: lookups.map(() => null),
        statuses,
        eventTimestamps: lookups.map(() => null),
      })),
      rawValues: () => new Map(features.map((feature) => [feature.name, lookups.map(() => null)])),
      exactAsOf: null,
    };
  }
  const snapshot = combined.of(index, end, shape.features, shape.partials, realtime);
  const exactAsOf = snapshot.exactAsOf;
  const values = lookups.map((lookup) => snapshot.valuesOf(lookup, result.rows.get(lookup) ?? []));
  const statuses: FeatureStatus[] = lookups.map(() => 'PRESENT');
  const eventTimestamps = lookups.map(() => exactAsOf);
  return {
    features: features.map((feature, at) => ({
      ref: refs[at]!,
      featureView: view.name,
      feature: feature.name,
      type: feature.type,
      values: values.map((row) => presentValue(feature.type, row[positions[at]!] ?? null)),
      statuses,
      eventTimestamps,
    })),
    // On-demand views' inputs, built only when one is asked for.
    rawValues: () => new Map(features.map((feature, at) => [feature.name, values.map((row) => row[positions[at]!] ?? null)])),
    exactAsOf,
  };
}
