import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import type { TileKind, TileRow } from '../online-table/aggregation-tiles.js';

// A file's tiles (file-tiles.ts) column by column: each partial column as numbers in a typed array
// wherever that is exact, else as values.

/** Half-open ranges [first, last) of row positions: the rows a window takes. */
export type RowRanges = readonly (readonly [number, number])[];

export interface NumericColumn {
  readonly numeric: true;
  readonly values: Float64Array;
  readonly nulls: Uint8Array | null;
  readonly bigint: boolean;
}

export type TileColumn = NumericColumn | { readonly numeric: false; readonly values: readonly (PrimitiveValue | null)[] };

export function tileColumn(values: readonly (PrimitiveValue | null)[]): TileColumn {
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

export function valueAt(column: TileColumn, row: number): PrimitiveValue | null {
  if (!column.numeric) return column.values[row] ?? null;
  if (column.nulls?.[row] === 1) return null;
  const value = column.values[row]!;
  return column.bigint ? BigInt(value) : value;
}

/** `countOf`/`sumOf` of aggregation-tiles.ts over a column kept as values, over the rows of `ranges`. */
export function genericSum(values: readonly (PrimitiveValue | null)[], ranges: RowRanges): bigint | number | null {
  let total: bigint | number | null = null;
  for (const [first, last] of ranges)
    for (let row = first; row < last; row++) {
      const value = values[row] ?? null;
      if (value === null) continue;
      if (typeof value === 'bigint') total = ((total as bigint | null) ?? 0n) + value;
      else total = ((total as number | null) ?? 0) + (value as number);
    }
  return total;
}

/** Tile rows column by column (`kinds` by KIND_CODES). */
export interface TileColumns {
  /** Tile starts in µs; null when one is beyond ±2^53 µs (then rows are combined as objects). */
  readonly starts: Float64Array | null;
  /** Tile starts kept as they are, only when `starts` is null. */
  readonly startBigints: readonly bigint[] | null;
  readonly kinds: Uint8Array;
  readonly sequences: Float64Array;
  readonly columns: readonly TileColumn[];
}

/** Rows as columns, numbers in typed arrays wherever that is exact (tile-columns.ts). */
export function tileColumnsOf(rows: readonly TileRow[], partialColumnCount: number): TileColumns {
  const safe = rows.every((row) => row.tileStart <= MAX_SAFE_MICROS && row.tileStart >= -MAX_SAFE_MICROS);
  return {
    starts: safe ? Float64Array.from(rows, (row) => Number(row.tileStart)) : null,
    startBigints: safe ? null : rows.map((row) => row.tileStart),
    kinds: Uint8Array.from(rows, (row) => KIND_CODES[row.kind]),
    sequences: Float64Array.from(rows, (row) => row.sequence),
    columns: Array.from({ length: partialColumnCount }, (_, index) => tileColumn(rows.map((row) => row.values[index] ?? null))),
  };
}

export const KINDS: readonly TileKind[] = ['delta', 'full', 'pushed'];
export const KIND_CODES: Readonly<Record<TileKind, number>> = { delta: 0, full: 1, pushed: 2 };

const MAX_SAFE_MICROS = BigInt(Number.MAX_SAFE_INTEGER);
