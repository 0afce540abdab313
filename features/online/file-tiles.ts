import type { AggregatedFeature } from '../aggregations.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import type { ColumnPartials, RealtimeRead, TileRow } from '../online-table/aggregation-tiles.js';
import {
  aggregateTiles,
  compareExtremes,
  compareLast,
  effectiveTileRows,
  orderedTileRows,
  partialColumnsOf,
} from '../online-table/aggregation-tiles.js';
import { defined } from '../../contracts/defined.js';
import { genericSum, isNullAt, KINDS, readAsDoubles, tileColumnsOf, valueAt } from './tile-columns.js';
import type { NumericColumn, RowRanges, TileColumn, TileColumns } from './tile-columns.js';

/**
 * One data file of an aggregated view's online table as a read keeps it (or one key's rows of a
 * file, as the row store gives them back): per key, the rows that count within the file
 * (`orderedTileRows`, applied once at load, or when the file was stored), its pushed rows first and
 * then the materialized ones, each by tile start, stored column by column. Numbers go in typed
 * arrays wherever that is exact (doubles; longs whose absolute sum over the file, or the key, is a
 * safe integer, so any sum of them is too: a sum never takes rows of two keys), so combining a key's tiles is a loop over numbers instead of a pass over row
 * objects with bigint arithmetic per request; and a window's rows are found by binary search, so a
 * read scans only the rows its windows take (a request-time read: the materialized tiles, the
 * pushed events at each window's old edge and those since the watermark; not a day of pushed
 * events that whole tiles already hold).
 */
export class FileTiles {
  /** Tile rows held: the row cache's weight for this file. */
  readonly size: number;
  private readonly groups: ReadonlyMap<string, number>;
  /** Group g holds pushed rows [offsets[g], materialized[g]) and materialized rows [materialized[g], offsets[g + 1]). */
  private readonly offsets: Int32Array;
  private readonly materialized: Int32Array;
  /** Tile starts in µs; null when one is beyond ±2^53 µs (then rows are combined as objects). */
  private readonly starts: Float64Array | null;
  /** Tile starts kept as they are, only when `starts` is null. */
  private readonly startBigints: readonly bigint[] | null;
  private readonly kinds: Uint8Array;
  private readonly sequences: Float64Array;
  private readonly columns: readonly TileColumn[];

  private constructor(groups: ReadonlyMap<string, number>, offsets: Int32Array, materialized: Int32Array, rows: TileColumns) {
    this.groups = groups;
    this.offsets = offsets;
    this.materialized = materialized;
    this.size = rows.kinds.length;
    this.starts = rows.starts;
    this.startBigints = rows.startBigints;
    this.kinds = rows.kinds;
    this.sequences = rows.sequences;
    this.columns = rows.columns;
  }

  /** A file's tile rows by key, in any order (`orderedTileRows` is applied to each key's). */
  static fromRows(byKey: ReadonlyMap<string, readonly TileRow[]>, partialColumnCount: number): FileTiles {
    const rows: TileRow[] = [];
    const groups = new Map<string, number>();
    const offsets = new Int32Array(byKey.size + 1);
    const materialized = new Int32Array(byKey.size);
    for (const [lookup, keyRows] of byKey) {
      const group = groups.size;
      offsets[group] = rows.length;
      groups.set(lookup, group);
      const ordered = orderedTileRows(keyRows);
      materialized[group] = rows.length + ordered.pushed;
      rows.push(...ordered.rows);
    }
    offsets[groups.size] = rows.length;
    return new FileTiles(groups, offsets, materialized, tileColumnsOf(rows, partialColumnCount));
  }

  /** One key's rows, already as `orderedTileRows` leaves them (`pushed` pushed rows first), column by column: its group is 0. */
  static ofKey(lookup: string, rows: TileColumns, pushed: number): FileTiles {
    return new FileTiles(new Map([[lookup, 0]]), Int32Array.of(0, rows.kinds.length), Int32Array.of(pushed), rows);
  }

  /** The group of a key's rows, or undefined when the file has none. */
  groupOf(lookup: string): number | undefined {
    return this.groups.get(lookup);
  }

  /** A group's rows as row objects (for a key whose rows span several files). */
  rowsOf(group: number): TileRow[] {
    const rows: TileRow[] = [];
    for (let row = this.offsets[group]!; row < this.offsets[group + 1]!; row++) {
      rows.push({
        tileStart: this.starts === null ? this.startBigints![row]! : BigInt(this.starts[row]!),
        kind: KINDS[this.kinds[row]!]!,
        sequence: this.sequences[row]!,
        values: this.columns.map((column) => valueAt(column, row)),
      });
    }
    return rows;
  }

  /** `aggregateTiles` over one group, computed on the columns; undefined when the tile starts or the end are beyond ±2^53 µs. */
  aggregate(plan: CombinePlan, group: number): (PrimitiveValue | null)[] | undefined {
    if (this.starts === null || plan.endMicros === null) return undefined;
    const values = new Array<PrimitiveValue | null>(plan.features.length);
    const rangesByWindow = new Map<number, RowRanges>();
    const rangesOf = (windowSeconds: number): RowRanges => {
      let ranges = rangesByWindow.get(windowSeconds);
      if (ranges === undefined) {
        ranges = this.windowRanges(plan, group, windowSeconds);
        rangesByWindow.set(windowSeconds, ranges);
      }
      return ranges;
    };
    for (const stats of plan.windowStats) {
      const ranges = rangesOf(stats.windowSeconds);
      if (!this.windowStatsInto(values, stats, ranges))
        for (const { index } of stats.features) values[index] = this.feature(plan.features[index]!, ranges);
    }
    for (const index of plan.lastFeatures) {
      const feature = plan.features[index]!;
      values[index] = this.last(feature.last!, rangesOf(feature.windowSeconds));
    }
    return values;
  }

  /**
   * The rows of a group one window takes, as position ranges: the materialized tiles in
   * [from, end) (t − 1 µs = end − 1 µs on the grid); for a request-time read, `realtimeWindowRows`'
   * rule: materialized tiles in [c, m), pushed events in [from, c) and [m, end).
   */
  private windowRanges(plan: CombinePlan, group: number, windowSeconds: number): RowRanges {
    const end = plan.endMicros!;
    const from = end - windowSeconds * 1_000_000;
    const pushedFirst = this.offsets[group]!;
    const materializedFirst = this.materialized[group]!;
    const last = this.offsets[group + 1]!;
    const range = (first: number, stop: number, lower: number, upper: number): [number, number] => [
      this.lowerBound(first, stop, lower),
      this.lowerBound(first, stop, upper),
    ];
    const realtime = plan.realtime;
    if (realtime === undefined) return [range(materializedFirst, last, from, end)];
    const grid = Number(realtime.grid);
    const floor = (micros: number) => micros - (((micros % grid) + grid) % grid);
    const firstBoundary = floor(from + grid - 1);
    const lastBoundary = floor(end);
    const materializedEnd = realtime.materializedEnd === null ? firstBoundary : Math.min(Number(realtime.materializedEnd), lastBoundary);
    const ranges: [number, number][] = [range(materializedFirst, last, firstBoundary, Math.max(firstBoundary, materializedEnd))];
    if (materializedEnd <= firstBoundary) ranges.push(range(pushedFirst, materializedFirst, from, end));
    else
      ranges.push(
        range(pushedFirst, materializedFirst, from, Math.min(firstBoundary, end)),
        range(pushedFirst, materializedFirst, materializedEnd, end),
      );
    return ranges;
  }

  /** The first position in [first, stop) whose tile start is ≥ micros (stop when none): rows there are sorted by it. */
  private lowerBound(first: number, stop: number, micros: number): number {
    const starts = this.starts!;
    let low = first;
    let high = stop;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (starts[middle]! < micros) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * The count, sum, min and max features of one column and window from one pass over the rows,
   * when every partial column they read holds numbers; false (nothing written) otherwise.
   */
  private windowStatsInto(values: (PrimitiveValue | null)[], stats: WindowStats, ranges: RowRanges): boolean {
    const column = (position: number | undefined) => (position === undefined ? undefined : this.columns[position]!);
    const counts = column(stats.count);
    const sums = column(stats.sum);
    const mins = column(stats.min);
    const maxes = column(stats.max);
    if (!readAsDoubles(counts, true) || !readAsDoubles(sums, true) || !readAsDoubles(mins, false) || !readAsDoubles(maxes, false))
      return false;
    const [c, s, lo, hi] = [counts, sums, mins, maxes] as (NumericColumn | undefined)[];
    let count = 0;
    let sum: number | null = null;
    let min: number | null = null;
    let max: number | null = null;
    for (const [first, last] of ranges)
      for (let row = first; row < last; row++) {
        if (c !== undefined && c.nulls?.[row] !== 1) count += c.values[row]!;
        if (s !== undefined && s.nulls?.[row] !== 1) sum = (sum ?? 0) + s.values[row]!;
        if (lo !== undefined && lo.nulls?.[row] !== 1) {
          const value = lo.values[row]!;
          if (min === null || compareExtremes(value, min) < 0) min = value;
        }
        if (hi !== undefined && hi.nulls?.[row] !== 1) {
          const value = hi.values[row]!;
          if (max === null || compareExtremes(value, max) > 0) max = value;
        }
      }
    const typed = (value: number | null, source: NumericColumn | undefined) =>
      value === null ? null : source?.bigint === true ? BigInt(value) : value;
    for (const { index, function: fn } of stats.features) {
      switch (fn) {
        case 'count':
          values[index] = c === undefined ? 0n : BigInt(count);
          break;
        case 'sum':
          values[index] = s === undefined ? null : typed(sum, s);
          break;
        case 'avg':
          values[index] = c === undefined || count === 0 || sum === null ? null : sum / count;
          break;
        case 'min':
          values[index] = lo === undefined ? null : typed(min, lo);
          break;
        case 'max':
          values[index] = hi === undefined ? null : typed(max, hi);
          break;
        default:
          throw new Error(`windowStatsInto has no ${fn} feature`);
      }
    }
    return true;
  }

  /** One count, sum, avg, min or max feature over a window, each from its own pass (columns of any values). */
  private feature(feature: CombinePlan['features'][number], ranges: RowRanges): PrimitiveValue | null {
    switch (feature.function) {
      case 'count':
        return this.count(feature.count, ranges);
      case 'sum':
        return this.sum(feature.sum, ranges);
      case 'avg': {
        const count = this.count(feature.count, ranges);
        const sum = this.sum(feature.sum, ranges);
        return count === 0n || sum === null ? null : Number(sum) / Number(count);
      }
      case 'min':
        return this.extreme(feature.min, ranges, -1);
      case 'max':
        return this.extreme(feature.max, ranges, 1);
      default:
        throw new Error(`feature() has no ${feature.function} feature`);
    }
  }

  private count(position: number | undefined, ranges: RowRanges): bigint {
    if (position === undefined) return 0n;
    const column = this.columns[position]!;
    if (!column.numeric || !column.exactSums) return BigInt(genericSum(column, ranges) ?? 0n);
    let total = 0;
    for (const [first, last] of ranges)
      for (let row = first; row < last; row++) if (column.nulls?.[row] !== 1) total += column.values[row]!;
    return BigInt(total);
  }

  private sum(position: number | undefined, ranges: RowRanges): PrimitiveValue | null {
    if (position === undefined) return null;
    const column = this.columns[position]!;
    if (!column.numeric || !column.exactSums) return genericSum(column, ranges);
    let total: number | null = null;
    for (const [first, last] of ranges)
      for (let row = first; row < last; row++) if (column.nulls?.[row] !== 1) total = (total ?? 0) + column.values[row]!;
    return total === null ? null : column.bigint ? BigInt(total) : total;
  }

  private extreme(position: number | undefined, ranges: RowRanges, sign: 1 | -1): PrimitiveValue | null {
    if (position === undefined) return null;
    const column = this.columns[position]!;
    let best: PrimitiveValue | null = null;
    for (const [first, last] of ranges)
      for (let row = first; row < last; row++) {
        const value = valueAt(column, row);
        if (value !== null && (best === null || compareExtremes(value, best) * sign > 0)) best = value;
      }
    return best;
  }

  private last(positions: { value: number; eventTs: number; createdTs: number }, ranges: RowRanges): PrimitiveValue | null {
    const candidate = (row: number) => ({
      value: valueAt(this.columns[positions.value]!, row),
      eventTs: valueAt(this.columns[positions.eventTs]!, row) as bigint,
      createdTs: valueAt(this.columns[positions.createdTs]!, row) as bigint | null,
    });
    const eventTs = this.columns[positions.eventTs]!;
    let best = -1;
    for (const [first, last] of ranges)
      for (let row = first; row < last; row++) {
        if (isNullAt(eventTs, row)) continue;
        // Event times as doubles where they are kept so (exact: safe integers); a tie is decided by compareLast.
        const order =
          best === -1
            ? 1
            : eventTs.numeric && eventTs.values[row] !== eventTs.values[best]
              ? eventTs.values[row]! - eventTs.values[best]!
              : compareLast(candidate(row), candidate(best));
        if (order > 0) best = row;
      }
    return best === -1 ? null : valueAt(this.columns[positions.value]!, best);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The requested features with their partial columns' positions, worked out once per read. */
export interface CombinePlan {
  readonly features: readonly (AggregatedFeature & {
    readonly count?: number;
    readonly sum?: number;
    readonly min?: number;
    readonly max?: number;
    readonly last?: { value: number; eventTs: number; createdTs: number };
  })[];
  /** The count, sum, avg, min and max features by column and window: one pass over the rows each. */
  readonly windowStats: readonly WindowStats[];
  /** Positions of the `last` features. */
  readonly lastFeatures: readonly number[];
  readonly aggregated: readonly AggregatedFeature[];
  readonly partials: readonly ColumnPartials[];
  readonly end: bigint;
  /** Set for a request-time read of a view fed by a push source (see `aggregateTiles`). */
  readonly realtime?: RealtimeRead;
  /** The end in µs; null beyond ±2^53 µs: then rows are combined as objects. */
  readonly endMicros: number | null;
}

/** One column's count, sum, avg, min and max features over one window, and the partial columns they read. */
export interface WindowStats {
  readonly windowSeconds: number;
  readonly count?: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly features: readonly { readonly index: number; readonly function: AggregatedFeature['function'] }[];
}

export function combinePlan(
  features: readonly AggregatedFeature[],
  partials: readonly ColumnPartials[],
  end: bigint,
  realtime?: RealtimeRead,
): CombinePlan {
  const positions = new Map(partialColumnsOf(partials).map((column, index) => [column.name, index]));
  const at = (name: string | undefined) => (name === undefined ? undefined : positions.get(name)!);
  const planned = features.map((feature) => {
    const column = partials.find((candidate) => candidate.column === feature.column)!;
    const count = at(column.count);
    const sum = at(column.sum);
    const min = at(column.min);
    const max = at(column.max);
    return {
      ...feature,
      ...defined({ count, sum, min, max }),
      ...(column.last === undefined
        ? {}
        : { last: { value: at(column.last.value)!, eventTs: at(column.last.eventTs)!, createdTs: at(column.last.createdTs)! } }),
    };
  });
  const windowStats = new Map<string, WindowStats & { features: { index: number; function: AggregatedFeature['function'] }[] }>();
  planned.forEach((feature, index) => {
    if (feature.function === 'last') return;
    const key = `${feature.column}|${feature.windowSeconds}`;
    let stats = windowStats.get(key);
    if (stats === undefined) {
      const { count, sum, min, max } = feature;
      stats = {
        windowSeconds: feature.windowSeconds,
        ...defined({ count, sum, min, max }),
        features: [],
      };
      windowStats.set(key, stats);
    }
    stats.features.push({ index, function: feature.function });
  });
  return {
    features: planned,
    windowStats: [...windowStats.values()],
    lastFeatures: planned.flatMap((feature, index) => (feature.function === 'last' ? [index] : [])),
    aggregated: features,
    partials,
    end,
    ...defined({ realtime }),
    endMicros: end <= MAX_SAFE && end >= -MAX_SAFE ? Number(end) : null,
  };
}

/** Where one key's rows are: a group of each file that holds some, in the order the files were selected. */
export interface TileGroup {
  readonly file: FileTiles;
  readonly group: number;
}

/** A key's aggregated features as of the plan's end (see `aggregateTiles`), from the files that hold its rows. */
export function combineKey(plan: CombinePlan, groups: readonly TileGroup[]): (PrimitiveValue | null)[] {
  if (groups.length === 1) {
    const fast = groups[0]!.file.aggregate(plan, groups[0]!.group);
    if (fast !== undefined) return fast;
  }
  // Rows of several files: a full row in one may supersede deltas in another.
  const rows = groups.flatMap(({ file, group }) => file.rowsOf(group));
  return aggregateTiles(plan.aggregated, plan.partials, effectiveTileRows(rows), plan.end, plan.realtime);
}
