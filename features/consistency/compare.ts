import type { AggregatedFeature } from '../aggregations.js';
import type { OnlineValue } from '../online/response.js';

/**
 * How far apart, relative to the larger magnitude, an online and an offline floating-point sum or
 * average may be. Online, a window's sum is added tile by tile from per-tile partial sums (and a
 * tile's partial depends on how its rows arrived: deltas, or one full row after compaction);
 * offline, DuckDB adds the window's rows in its own order. Double addition is not associative, so
 * the two differ in the last bits (about 1e-16 relative per addition); 1e-12 leaves room for
 * thousands of additions and still catches any wrong row.
 */
export const FLOATING_SUM_RELATIVE_TOLERANCE = 1e-12;

export type ValueComparison = 'exact' | 'floating-sum';

/** `floating-sum` for an aggregate computed by adding doubles (`sum` of a float or double column, every `avg`); else `exact`. */
export function comparisonOf(feature: AggregatedFeature | undefined): ValueComparison {
  if (feature === undefined) return 'exact';
  return feature.function === 'avg' || (feature.function === 'sum' && feature.type === 'double') ? 'floating-sum' : 'exact';
}

/**
 * Whether an online value equals the offline value of the same feature, both as an online read
 * presents them (features/online/response.ts: long as bigint, timestamps as µs ISO text, …).
 * Floating-point values must be bit-for-bit equal: both paths copy the source's doubles through
 * Parquet without arithmetic, so any difference (even 0 against −0) is a real one. The one
 * exception is a `floating-sum` comparison (see FLOATING_SUM_RELATIVE_TOLERANCE), where finite
 * values within the relative tolerance are the same.
 */
export function sameFeatureValue(online: OnlineValue, offline: OnlineValue, comparison: ValueComparison = 'exact'): boolean {
  if (online === null || offline === null) return online === offline;
  if (typeof online === 'number' && typeof offline === 'number')
    return sameBits(online, offline) || (comparison === 'floating-sum' && withinSumTolerance(online, offline));
  if (typeof online === 'object' || typeof offline === 'object') {
    if (typeof online !== 'object' || typeof offline !== 'object') return false;
    if (Array.isArray(online) || Array.isArray(offline)) {
      if (!Array.isArray(online) || !Array.isArray(offline)) return false;
      const items = online as readonly OnlineValue[];
      const others = offline as readonly OnlineValue[];
      return items.length === others.length && items.every((item, index) => sameFeatureValue(item, others[index]!, comparison));
    }
    const fields = online as { readonly [name: string]: OnlineValue };
    const others = offline as { readonly [name: string]: OnlineValue };
    const names = Object.keys(fields);
    return (
      names.length === Object.keys(others).length &&
      names.every((name) => Object.hasOwn(others, name) && sameFeatureValue(fields[name]!, others[name]!, comparison))
    );
  }
  if (typeof online === 'bigint' || typeof offline === 'bigint') {
    // A long read one way as bigint and another as a safe integer number is the same value.
    if (typeof online === 'string' || typeof offline === 'string' || typeof online === 'boolean' || typeof offline === 'boolean')
      return false;
    return Number.isInteger(Number(online)) && Number.isInteger(Number(offline)) && BigInt(online) === BigInt(offline);
  }
  return online === offline;
}

function withinSumTolerance(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= FLOATING_SUM_RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

function sameBits(a: number, b: number): boolean {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return view.getBigUint64(0) === view.getBigUint64(8);
}

/** A value as a report shows it: JSON-like text that keeps a long exact. */
export function displayValue(value: OnlineValue): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${(value as readonly OnlineValue[]).map(displayValue).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}: ${displayValue(item)}`)
    .join(', ')}}`;
}
