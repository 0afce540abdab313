import { isoMicros } from '../../contracts/instants.js';
import { mapPrimitives } from '../../iceberg/spec/nested-values.js';
import type { IcebergType, IcebergValue, PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';

export { isoMicros };

/** Feast's field statuses, as far as an online read of a materialized table can tell them apart. */
export type FeatureStatus = 'PRESENT' | 'NOT_FOUND' | 'OUTSIDE_MAX_AGE';

/**
 * A value as an online read returns it: long as bigint (exact), int/float/double as number,
 * timestamps as RFC 3339 UTC text (`…T10:00:00Z`, `….123Z`, `….123456Z`, as Feast prints them), dates as `YYYY-MM-DD`, binary as base64,
 * strings and uuids as text; a list as an array, a struct or map as an object of its fields or keys
 * (Feast's list_val and map_val/struct_val in JSON), a json feature as its JSON text (Feast's
 * json_val). `null` for a missing, expired or null value (the status tells which).
 */
export type OnlineValue = string | number | boolean | bigint | null | readonly OnlineValue[] | { readonly [name: string]: OnlineValue };

/** One requested feature, over every entity row, in request order. */
export interface FeatureVector {
  /** `view:feature`. */
  readonly ref: string;
  readonly featureView: string;
  readonly feature: string;
  /** The type of the values as the feature's column holds them (Feast's JSON writes a whole float or double as 4.0). */
  readonly type: IcebergType;
  readonly values: readonly OnlineValue[];
  readonly statuses: readonly FeatureStatus[];
  /** The event time of the row the value came from (also for an expired one); null when not found. */
  readonly eventTimestamps: readonly (string | null)[];
}

/** What one view's read touched: evidence for tests and `--json`, and for tuning compaction. */
export interface ViewRead {
  readonly featureView: string;
  readonly table: string;
  /** The online table's snapshot read; null when the table does not exist or is empty. */
  readonly snapshotId: bigint | null;
  /** Live data files in that snapshot. */
  readonly dataFiles: number;
  /** The data files this read looked into, after pruning by partition and column statistics. */
  readonly filesRead: readonly string[];
  /**
   * The instant (ISO-8601 UTC, µs) the values read are exact for: an entity row at this time gets
   * the same values offline. For a plain view, the online table's watermark − 1 µs (materialized
   * windows are [start, end), so the latest row is the point-in-time value just before the
   * watermark); for an aggregated view, the watermark floored to its tile grid − 1 µs. Null before
   * anything was materialized.
   */
  readonly exactAsOf: string | null;
}

export interface OnlineFeaturesResponse {
  /** The join key columns of the requested views, echoing each entity row's key. */
  readonly entities: readonly { readonly name: string; readonly values: readonly OnlineValue[] }[];
  readonly features: readonly FeatureVector[];
  readonly reads: readonly ViewRead[];
}

/** The response as one object per entity row: keys, then `view:feature` values. */
export function responseRows(response: OnlineFeaturesResponse): Record<string, OnlineValue>[] {
  const count = response.entities[0]?.values.length ?? response.features[0]?.values.length ?? 0;
  return Array.from({ length: count }, (_, index) => {
    const row: Record<string, OnlineValue> = {};
    for (const entity of response.entities) row[entity.name] = entity.values[index] ?? null;
    for (const feature of response.features) row[feature.ref] = feature.values[index] ?? null;
    return row;
  });
}

export function presentValue(type: IcebergType, value: IcebergValue | null): OnlineValue {
  return mapPrimitives(type, value, presentPrimitive);
}

function presentPrimitive(type: PrimitiveType, value: PrimitiveValue): OnlineValue {
  switch (type) {
    case 'timestamp':
    case 'timestamptz':
      return isoMicros(value as bigint);
    case 'date':
      return new Date((value as number) * 86_400_000).toISOString().slice(0, 10);
    case 'binary':
      return Buffer.from(value as Uint8Array).toString('base64');
    default:
      return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
  }
}
