import type { AggregatedFeature } from '../aggregations.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import type { ColumnPartials, RealtimeRead, TileKind, TileRow } from '../online-table/aggregation-tiles.js';
import { aggregateTiles, compareLast, compareValues, effectiveTileRows, partialColumnsOf } from '../online-table/aggregation-tiles.js';
import { defined } from '../../core/defined.js';

/**
 * One data file of an aggregated view's online table as a read keeps it: per key, the rows that
 * count within the file (`effectiveTileRows`, applied once at load), in file order, stored column
 * by column. Numbers go in typed arrays wherever that is exact (doubles; longs whose absolute sum
 * over the file is a safe integer, so any sum of them is too), so combining a key's tiles is a loop
 * over numbers instead of a pass over row objects with bigint arithmetic per request.
 */
export class FileTiles {
  /** Tile rows held: the row cache's weight for this file. */
  readonly size: number;
  private readonly groups = new Map<string, number>();
  /** Group g holds rows [offsets[g], offsets[g + 1]). */
  private readonly offsets: Int32Array;
  /** Tile starts in seconds (tiles lie on a grid of whole seconds); null when one is not a whole second. */
  private readonly startSeconds: Float64Array | null;
  /** Tile starts in µs, kept only when they are not all whole seconds. */
  private readonly startMicros: readonly bigint[] | null;
  private readonly kinds: Uint8Array;
  /** Rows a push landed: only a request-time read (`realtimeWindowRows`) takes them, from row objects. */
  private readonly hasPushed: boolean;
  private readonly sequences: Float64Array;
  private readonly columns: readonly TileColumn[];

  constructor(byKey: ReadonlyMap<string, readonly TileRow[]>, partialColumnCount: number) {
    const rows: TileRow[] = [];
    this.offsets = new Int32Array(byKey.size + 1);
    for (const [lookup, keyRows] of byKey) {
      this.offsets[this.groups.size] = rows.length;
      this.groups.set(lookup, this.groups.size);
      for (const row of effectiveTileRows(keyRows)) rows.push(row);
    }
    this.offsets[this.groups.size] = rows.length;
    this.size = rows.length;
    const wholeSeconds = rows.every((row) => row.tileStart % 1_000_000n === 0n);
    this.startSeconds = wholeSeconds ? Float64Array.from(rows, (row) => Number(row.tileStart / 1_000_000n)) : null;
    this.startMicros = wholeSeconds ? null : rows.map((row) => row.tileStart);
    this.kinds = Uint8Array.from(rows, (row) => KIND_CODES[row.kind]);
    this.hasPushed = rows.some((row) => row.kind === 'pushed');
    this.sequences = Float64Array.from(rows, (row) => row.sequence);
    this.columns = Array.from({ length: partialColumnCount }, (_, index) => tileColumn(rows.map((row) => row.values[index] ?? null)));
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
        tileStart: this.startSeconds === null ? this.startMicros![row]! : BigInt(this.startSeconds[row]!) * 1_000_000n,
        kind: KINDS[this.kinds[row]!]!,
        sequence: this.sequences[row]!,
        values: this.columns.map((column) => valueAt(column, row)),
      });
    }
    return rows;
  }

  /** `aggregateTiles` over one group, computed on the columns; undefined when the file's tile starts are not whole seconds. */
  aggregate(plan: CombinePlan, group: number): (PrimitiveValue | null)[] | undefined {
    const starts = this.startSeconds;
    const end = plan.endSeconds;
    if (starts === null || end === null || plan.realtime !== undefined || this.hasPushed) return undefined;
    const first = this.offsets[group]!;
    const last = this.offsets[group + 1]!;
    const values = new Array<PrimitiveValue | null>(plan.features.length);
    for (const stats of plan.windowStats) {
      const window: Window = { starts, from: end - stats.windowSeconds, end };
      if (!this.windowStatsInto(values, stats, first, last, window))
        for (const { index } of stats.features) values[index] = this.feature(plan.features[index]!, first, last, window);
    }
    for (const index of plan.lastFeatures) {
      const feature = plan.features[index]!;
      values[index] = this.last(feature.last!, first, last, { starts, from: end - feature.windowSeconds, end });
    }
    return values;
  }

  /**
   * The count, sum, min and max features of one column and window from one pass over the rows,
   * when every partial column they read holds numbers; false (nothing written) otherwise.
   */
  private windowStatsInto(values: (PrimitiveValue | null)[], stats: WindowStats, first: number, last: number, window: Window): boolean {
    const column = (position: number | undefined) => (position === undefined ? undefined : this.columns[position]!);
    const counts = column(stats.count);
    const sums = column(stats.sum);
    const mins = column(stats.min);
    const maxes = column(stats.max);
    if (![counts, sums, mins, maxes].every((one) => one === undefined || one.numeric)) return false;
    const [c, s, lo, hi] = [counts, sums, mins, maxes] as (NumericColumn | undefined)[];
    let count = 0;
    let sum: number | null = null;
    let min: number | null = null;
    let max: number | null = null;
    for (let row = first; row < last; row++) {
      if (!inWindow(window, row)) continue;
      if (c !== undefined && c.nulls?.[row] !== 1) count += c.values[row]!;
      if (s !== undefined && s.nulls?.[row] !== 1) sum = (sum ?? 0) + s.values[row]!;
      if (lo !== undefined && lo.nulls?.[row] !== 1) {
        const value = lo.values[row]!;
        if (min === null || compareValues(value, min) < 0) min = value;
      }
      if (hi !== undefined && hi.nulls?.[row] !== 1) {
        const value = hi.values[row]!;
        if (max === null || compareValues(value, max) > 0) max = value;
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
  private feature(feature: CombinePlan['features'][number], first: number, last: number, window: Window): PrimitiveValue | null {
    switch (feature.function) {
      case 'count':
        return this.count(feature.count, first, last, window);
      case 'sum':
        return this.sum(feature.sum, first, last, window);
      case 'avg': {
        const count = this.count(feature.count, first, last, window);
        const sum = this.sum(feature.sum, first, last, window);
        return count === 0n || sum === null ? null : Number(sum) / Number(count);
      }
      case 'min':
        return this.extreme(feature.min, first, last, window, -1);
      case 'max':
        return this.extreme(feature.max, first, last, window, 1);
      default:
        throw new Error(`feature() has no ${feature.function} feature`);
    }
  }

  private count(position: number | undefined, first: number, last: number, window: Window): bigint {
    if (position === undefined) return 0n;
    const column = this.columns[position]!;
    if (!column.numeric) return BigInt(genericSum(column.values, first, last, window) ?? 0n);
    let total = 0;
    for (let row = first; row < last; row++) if (inWindow(window, row) && column.nulls?.[row] !== 1) total += column.values[row]!;
    return BigInt(total);
  }

  private sum(position: number | undefined, first: number, last: number, window: Window): PrimitiveValue | null {
    if (position === undefined) return null;
    const column = this.columns[position]!;
    if (!column.numeric) return genericSum(column.values, first, last, window);
    let total: number | null = null;
    for (let row = first; row < last; row++)
      if (inWindow(window, row) && column.nulls?.[row] !== 1) total = (total ?? 0) + column.values[row]!;
    return total === null ? null : column.bigint ? BigInt(total) : total;
  }

  private extreme(position: number | undefined, first: number, last: number, window: Window, sign: 1 | -1): PrimitiveValue | null {
    if (position === undefined) return null;
    const column = this.columns[position]!;
    if (column.numeric) {
      let best: number | null = null;
      for (let row = first; row < last; row++) {
        if (!inWindow(window, row) || column.nulls?.[row] === 1) continue;
        const value = column.values[row]!;
        if (best === null || compareValues(value, best) * sign > 0) best = value;
      }
      return best === null ? null : column.bigint ? BigInt(best) : best;
    }
    let best: PrimitiveValue | null = null;
    for (let row = first; row < last; row++) {
      if (!inWindow(window, row)) continue;
      const value = column.values[row] ?? null;
      if (value !== null && (best === null || compareValues(value, best) * sign > 0)) best = value;
    }
    return best;
  }

  private last(
    positions: { value: number; eventTs: number; createdTs: number },
    first: number,
    last: number,
    window: Window,
  ): PrimitiveValue | null {
    let best: { value: PrimitiveValue | null; eventTs: bigint; createdTs: bigint | null } | null = null;
    for (let row = first; row < last; row++) {
      if (!inWindow(window, row)) continue;
      const eventTs = valueAt(this.columns[positions.eventTs]!, row) as bigint | null;
      if (eventTs === null) continue;
      const candidate = {
        value: valueAt(this.columns[positions.value]!, row),
        eventTs,
        createdTs: valueAt(this.columns[positions.createdTs]!, row) as bigint | null,
      };
      if (best === null || compareLast(candidate, best) > 0) best = candidate;
    }
    return best?.value ?? null;
  }
}

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
  /** Null when the end is not a whole second (never for a view's grid of whole seconds): then rows are combined as objects. */
  readonly endSeconds: number | null;
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
      ...defined({ count }),
      ...defined({ sum }),
      ...defined({ min }),
      ...defined({ max }),
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
        ...defined({ count }),
        ...defined({ sum }),
        ...defined({ min }),
        ...defined({ max }),
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
    endSeconds: end % 1_000_000n === 0n ? Number(end / 1_000_000n) : null,
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

const KINDS: readonly TileKind[] = ['delta', 'full', 'pushed'];
const KIND_CODES: Readonly<Record<TileKind, number>> = { delta: 0, full: 1, pushed: 2 };

interface Window {
  readonly starts: Float64Array;
  readonly from: number;
  readonly end: number;
}

function inWindow(window: Window, row: number): boolean {
  const start = window.starts[row]!;
  return start >= window.from && start < window.end;
}

interface NumericColumn {
  readonly numeric: true;
  readonly values: Float64Array;
  readonly nulls: Uint8Array | null;
  readonly bigint: boolean;
}

type TileColumn = NumericColumn | { readonly numeric: false; readonly values: readonly (PrimitiveValue | null)[] };

function tileColumn(values: readonly (PrimitiveValue | null)[]): TileColumn {
  let bigint = false;
  let number = false;
  let absoluteSum = 0n;
  for (const value of values) {
    if (value === null) continue;
    if (typeof value === 'number') number = true;
    else if (typeof value === 'bigint') {
      bigint = true;
      absoluteSum += value < 0n ? -value : value;
    } else return { numeric: false, values };
  }
  if ((bigint && number) || absoluteSum > BigInt(Number.MAX_SAFE_INTEGER)) return { numeric: false, values };
  const hasNull = values.includes(null);
  return {
    numeric: true,
    values: Float64Array.from(values, (value) => (value === null ? 0 : Number(value))),
    nulls: hasNull ? Uint8Array.from(values, (value) => (value === null ? 1 : 0)) : null,
    bigint,
  };
}

function valueAt(column: TileColumn, row: number): PrimitiveValue | null {
  if (!column.numeric) return column.values[row] ?? null;
  if (column.nulls?.[row] === 1) return null;
  const value = column.values[row]!;
  return column.bigint ? BigInt(value) : value;
}

/** `countOf`/`sumOf` of aggregation-tiles.ts over a column kept as values. */
function genericSum(values: readonly (PrimitiveValue | null)[], first: number, last: number, window: Window): bigint | number | null {
  let total: bigint | number | null = null;
  for (let row = first; row < last; row++) {
    const value = values[row] ?? null;
    if (value === null || !inWindow(window, row)) continue;
    if (typeof value === 'bigint') total = ((total as bigint | null) ?? 0n) + value;
    else total = ((total as number | null) ?? 0) + (value as number);
  }
  return total;
}
