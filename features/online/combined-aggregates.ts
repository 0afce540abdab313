import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import type { AggregatedFeature } from '../aggregations.js';
import type { ColumnPartials, RealtimeRead } from '../online-table/aggregation-tiles.js';
import type { FileIndex } from './file-index.js';
import { combineKey, combinePlan } from './file-tiles.js';
import type { CombinePlan, TileGroup } from './file-tiles.js';
import { isoMicros } from './response.js';

/** A key's aggregated features, in the order of the view's features. */
export type CombinedValues = readonly (PrimitiveValue | null)[];

/** Keys held per aggregated view: a key's values weigh about what a few of its tile rows do. */
export const DEFAULT_MAX_COMBINED_KEYS = 500_000;

/**
 * Each key's aggregated features as of one snapshot of an aggregated view's online table and its
 * watermark, kept once combined: until the table moves, a key reads the same values, so a hot key's
 * tiles are combined once per snapshot instead of on every read. A snapshot is known by its file
 * index (one per snapshot, kept while the catalog says nothing changed); a new watermark starts over.
 */
export class CombinedAggregates {
  private readonly bySnapshot = new WeakMap<FileIndex, SnapshotAggregates>();

  constructor(private readonly maxKeys = DEFAULT_MAX_COMBINED_KEYS) {}

  /**
   * The view's `features` as of `end` (a tile boundary; with `realtime`, any instant + 1 µs) in the
   * snapshot `index` indexes. A request-time read has an end of its own, so it combines afresh.
   */
  of(
    index: FileIndex,
    end: bigint,
    features: readonly AggregatedFeature[],
    partials: readonly ColumnPartials[],
    realtime?: RealtimeRead,
  ): SnapshotAggregates {
    let held = this.bySnapshot.get(index);
    if (held === undefined || held.end !== end) {
      held = new SnapshotAggregates(combinePlan(features, partials, end, realtime), this.maxKeys);
      this.bySnapshot.set(index, held);
    }
    return held;
  }
}

/** One snapshot's combined keys; beyond `maxKeys` the earliest combined go first. */
export class SnapshotAggregates {
  private readonly values = new Map<string, CombinedValues>();
  /** The instant the values are exact for: 1 µs before the end. */
  readonly exactAsOf: string;

  constructor(
    private readonly plan: CombinePlan,
    private readonly maxKeys: number,
  ) {
    this.exactAsOf = isoMicros(plan.end - 1n);
  }

  get end(): bigint {
    return this.plan.end;
  }

  /** A key's values, combined from `groups` (where its tile rows are) the first time. */
  valuesOf(lookup: string, groups: readonly TileGroup[]): CombinedValues {
    let values = this.values.get(lookup);
    if (values === undefined) {
      values = combineKey(this.plan, groups);
      if (this.values.size >= this.maxKeys) this.values.delete(this.values.keys().next().value!);
      this.values.set(lookup, values);
    }
    return values;
  }
}
