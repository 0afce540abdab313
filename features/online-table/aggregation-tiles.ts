import type { AggregatedColumnType, AggregatedFeature, AggregationDefinition } from '../aggregations.js';
import { tileSeconds } from '../aggregations.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';

/**
 * The online table of an aggregated view holds one row per (entity key, tile) partial aggregate:
 * tile = [tile_start, tile_start + g) with g = tileSeconds(view). Partials combine associatively,
 * so every materialization just appends partial rows; which rows of a (key, tile) count is decided
 * by `tile_kind` and the row's sequence (see `effectiveTileRows`).
 */
export const TILE_START = 'tile_start';
/**
 * `delta`: events added to the tile. `full`: the whole tile as of its sequence, superseding older rows.
 * `pushed`: the events of one key and one instant landed by a push or a stream batch (a view fed by
 * a push source), its tile_start that instant: raw events, never superseded, read only by
 * request-time reads (`realtimeWindowRows`); materialization and compaction leave them alone.
 */
export const TILE_KIND = 'tile_kind';
/**
 * The data sequence number a row stands for when it is not its file's own: a compacted row merges
 * the rows of the planned snapshot, so it supersedes those up to that snapshot's sequence only, not
 * rows a materialization committed while the compaction ran.
 */
export const TILE_COVERS_SEQUENCE = 'tile_covers_sequence';

export type TileKind = 'full' | 'delta' | 'pushed';

/** The partial columns kept for one aggregated source column (only those its functions need). */
export interface ColumnPartials {
  readonly column: string;
  readonly columnType: AggregatedColumnType;
  readonly count?: string;
  readonly sum?: string;
  readonly min?: string;
  readonly max?: string;
  /** The value of the tile's greatest (event_ts, created_ts, value) row, and that row's times. */
  readonly last?: { readonly value: string; readonly eventTs: string; readonly createdTs: string };
}

export interface PartialColumn {
  readonly name: string;
  readonly type: PrimitiveType;
}

/** Per aggregated column, its partial columns, in the order aggregations first name the column. */
export function columnPartials(view: { readonly aggregations?: readonly AggregationDefinition[] | undefined }): ColumnPartials[] {
  const byColumn = new Map<string, { type: AggregatedColumnType; functions: Set<string> }>();
  for (const aggregation of view.aggregations ?? []) {
    const known = byColumn.get(aggregation.column) ?? { type: aggregation.type, functions: new Set<string>() };
    for (const fn of aggregation.functions) known.functions.add(fn);
    byColumn.set(aggregation.column, known);
  }
  return [...byColumn].map(([column, { type, functions }]) => {
    const has = (...names: string[]) => names.some((name) => functions.has(name));
    return {
      column,
      columnType: type,
      ...(has('count', 'avg') ? { count: `${column}__count` } : {}),
      ...(has('sum', 'avg') ? { sum: `${column}__sum` } : {}),
      ...(has('min') ? { min: `${column}__min` } : {}),
      ...(has('max') ? { max: `${column}__max` } : {}),
      ...(has('last')
        ? { last: { value: `${column}__last`, eventTs: `${column}__last_event_ts`, createdTs: `${column}__last_created_ts` } }
        : {}),
    };
  });
}

/** The partial columns with their Iceberg types, in table order. */
export function partialColumnsOf(partials: readonly ColumnPartials[]): PartialColumn[] {
  return partials.flatMap((column) => [
    ...(column.count === undefined ? [] : [{ name: column.count, type: 'long' as const }]),
    ...(column.sum === undefined ? [] : [{ name: column.sum, type: sumType(column.columnType) }]),
    ...(column.min === undefined ? [] : [{ name: column.min, type: column.columnType }]),
    ...(column.max === undefined ? [] : [{ name: column.max, type: column.columnType }]),
    ...(column.last === undefined
      ? []
      : [
          { name: column.last.value, type: column.columnType },
          { name: column.last.eventTs, type: 'timestamptz' as const },
          { name: column.last.createdTs, type: 'timestamptz' as const },
        ]),
  ]);
}

export function sumType(columnType: AggregatedColumnType): PrimitiveType {
  return columnType === 'float' || columnType === 'double' ? 'double' : 'long';
}

/** The tile grid in µs. */
export function tileMicros(view: { readonly aggregations?: readonly AggregationDefinition[] | undefined }): bigint {
  return BigInt(tileSeconds(view)) * 1_000_000n;
}

export function floorToGrid(micros: bigint, grid: bigint): bigint {
  const remainder = ((micros % grid) + grid) % grid;
  return micros - remainder;
}

/** One partial row of a key as read: the values in the order of `partialColumnsOf`. */
export interface TileRow {
  readonly tileStart: bigint;
  readonly kind: TileKind;
  /** The covered sequence when set, else the data sequence number of the row's file. */
  readonly sequence: number;
  readonly values: readonly (PrimitiveValue | null)[];
}

/**
 * The rows of one key that count: per tile, the full row with the greatest sequence and the deltas
 * after it (every delta when the tile has no full row). Older rows are already part of that full row.
 * Pushed rows are kept as they are: they stand apart from the materialized ones (`realtimeWindowRows`).
 */
export function effectiveTileRows(rows: readonly TileRow[]): TileRow[] {
  const newestFull = new Map<bigint, number>();
  for (const row of rows) {
    if (row.kind !== 'full') continue;
    const held = newestFull.get(row.tileStart);
    if (held === undefined || row.sequence > held) newestFull.set(row.tileStart, row.sequence);
  }
  return rows.filter((row) => {
    if (row.kind === 'pushed') return true;
    const full = newestFull.get(row.tileStart);
    if (full === undefined) return true;
    return row.kind === 'full' ? row.sequence === full : row.sequence > full;
  });
}

/**
 * One key's rows of one file as a read combines them: those that count within the file
 * (`effectiveTileRows`), the pushed ones first, each part sorted by tile start.
 */
export function orderedTileRows(rows: readonly TileRow[]): { readonly rows: TileRow[]; readonly pushed: number } {
  const effective = effectiveTileRows(rows);
  const byStart = (x: TileRow, y: TileRow) => (x.tileStart < y.tileStart ? -1 : x.tileStart > y.tileStart ? 1 : 0);
  const pushed = effective.filter((row) => row.kind === 'pushed').sort(byStart);
  return { rows: [...pushed, ...effective.filter((row) => row.kind !== 'pushed').sort(byStart)], pushed: pushed.length };
}

/**
 * A request-time read of a view fed by a push source: the instant t it answers for, and the
 * materialized tiles it may use (those before `materializedEnd`, the watermark floored to the grid;
 * null before the first materialization).
 */
export interface RealtimeRead {
  readonly grid: bigint;
  readonly materializedEnd: bigint | null;
}

/**
 * The rows of one key a window [from, end) takes at request time (end = t + 1 µs, from = end − w,
 * so the events with t − w < event_ts ≤ t). With c the first tile boundary ≥ from and m the
 * materialized end (no later than the last boundary ≤ end): the materialized tiles in [c, m), which
 * lie wholly inside the window, plus the pushed events in [from, c) (the edge tile, to the µs) and
 * in [m, end) (what landed since the watermark). Exact whenever the events in those two ranges
 * came by push or stream, which is what a view fed by a push source is for (docs/streams.md).
 */
export function realtimeWindowRows(rows: readonly TileRow[], from: bigint, end: bigint, realtime: RealtimeRead): TileRow[] {
  const firstBoundary = floorToGrid(from + realtime.grid - 1n, realtime.grid);
  const lastBoundary = floorToGrid(end, realtime.grid);
  const materialized =
    realtime.materializedEnd === null ? firstBoundary : realtime.materializedEnd < lastBoundary ? realtime.materializedEnd : lastBoundary;
  return rows.filter((row) =>
    row.kind === 'pushed'
      ? row.tileStart >= from && row.tileStart < end && (row.tileStart < firstBoundary || row.tileStart >= materialized)
      : row.tileStart >= firstBoundary && row.tileStart < materialized,
  );
}

/**
 * The value of each aggregated feature for the instant t − 1 µs, t a tile boundary: a window w
 * covers the tiles with t − w ≤ tile_start < t, i.e. the events with t − 1µs − w < event_ts ≤ t − 1µs.
 * `rows` are the key's effective rows (see `effectiveTileRows`). With `realtime`, t − 1 µs is any
 * instant and each window takes `realtimeWindowRows`; without, pushed rows are not read.
 */
export function aggregateTiles(
  features: readonly AggregatedFeature[],
  partials: readonly ColumnPartials[],
  rows: readonly TileRow[],
  end: bigint,
  realtime?: RealtimeRead,
): (PrimitiveValue | null)[] {
  const positions = positionsOf(partials);
  const position = (name: string | undefined) => (name === undefined ? undefined : positions.get(name)!);
  const at = (row: TileRow, name: string | undefined) => (name === undefined ? null : (row.values[positions.get(name)!] ?? null));
  // Features share windows (5 functions × 3 windows): select each window's tiles once.
  const windows = new Map<number, TileRow[]>();
  return features.map((feature) => {
    const column = partials.find((candidate) => candidate.column === feature.column)!;
    let inWindow = windows.get(feature.windowSeconds);
    if (inWindow === undefined) {
      const from = end - BigInt(feature.windowSeconds) * 1_000_000n;
      inWindow =
        realtime === undefined
          ? rows.filter((row) => row.kind !== 'pushed' && row.tileStart >= from && row.tileStart < end)
          : realtimeWindowRows(rows, from, end, realtime);
      windows.set(feature.windowSeconds, inWindow);
    }
    switch (feature.function) {
      case 'count':
        return countOf(inWindow, position(column.count));
      case 'sum':
        return sumOf(inWindow, position(column.sum));
      case 'avg': {
        const count = countOf(inWindow, position(column.count));
        const sum = sumOf(inWindow, position(column.sum));
        return count === 0n || sum === null ? null : Number(sum) / Number(count);
      }
      case 'min':
        return extreme(inWindow, position(column.min), -1);
      case 'max':
        return extreme(inWindow, position(column.max), 1);
      case 'last': {
        const last = column.last!;
        let best: { value: PrimitiveValue | null; eventTs: bigint; createdTs: bigint | null } | null = null;
        for (const row of inWindow) {
          const eventTs = at(row, last.eventTs) as bigint | null;
          if (eventTs === null) continue;
          const candidate = { value: at(row, last.value), eventTs, createdTs: at(row, last.createdTs) as bigint | null };
          if (best === null || compareLast(candidate, best) > 0) best = candidate;
        }
        return best?.value ?? null;
      }
    }
  });
}

/** Each partial column's position in a tile row; computed once per `partials` (one read), not per key. */
const positionsCache = new WeakMap<readonly ColumnPartials[], ReadonlyMap<string, number>>();
function positionsOf(partials: readonly ColumnPartials[]): ReadonlyMap<string, number> {
  let positions = positionsCache.get(partials);
  if (positions === undefined) {
    positions = new Map(partialColumnsOf(partials).map((column, index) => [column.name, index]));
    positionsCache.set(partials, positions);
  }
  return positions;
}

function countOf(rows: readonly TileRow[], position: number | undefined): bigint {
  if (position === undefined) return 0n;
  let total = 0n;
  for (const row of rows) {
    const value = row.values[position] ?? null;
    if (value !== null) total += typeof value === 'bigint' ? value : BigInt(value as number);
  }
  return total;
}

function sumOf(rows: readonly TileRow[], position: number | undefined): PrimitiveValue | null {
  if (position === undefined) return null;
  let total: bigint | number | null = null;
  for (const row of rows) {
    const value = row.values[position] ?? null;
    if (value === null) continue;
    if (typeof value === 'bigint') total = ((total as bigint | null) ?? 0n) + value;
    else total = ((total as number | null) ?? 0) + (value as number);
  }
  return total;
}

function extreme(rows: readonly TileRow[], position: number | undefined, sign: 1 | -1): PrimitiveValue | null {
  if (position === undefined) return null;
  let best: PrimitiveValue | null = null;
  for (const row of rows) {
    const value = row.values[position] ?? null;
    if (value !== null && (best === null || compareExtremes(value, best) * sign > 0)) best = value;
  }
  return best;
}

/**
 * min's and max's order: `compareValues`, with −0 below +0, so which of the two a window's min or
 * max is does not depend on the order its rows are read in.
 */
export function compareExtremes(a: PrimitiveValue, b: PrimitiveValue): number {
  const order = compareValues(a, b);
  if (order !== 0 || typeof a !== 'number' || typeof b !== 'number') return order;
  const negative = (value: number) => Object.is(value, -0);
  return negative(a) === negative(b) ? 0 : negative(a) ? -1 : 1;
}

/** `last`'s order: event time, then created time, then the value; a null lowest in each. */
export function compareLast(
  a: { value: PrimitiveValue | null; eventTs: bigint; createdTs: bigint | null },
  b: { value: PrimitiveValue | null; eventTs: bigint; createdTs: bigint | null },
): number {
  if (a.eventTs !== b.eventTs) return a.eventTs > b.eventTs ? 1 : -1;
  const created = compareNullable(a.createdTs, b.createdTs);
  return created !== 0 ? created : compareNullable(a.value, b.value);
}

function compareNullable(a: PrimitiveValue | null, b: PrimitiveValue | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return compareValues(a, b);
}

export function compareValues(a: PrimitiveValue, b: PrimitiveValue): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
