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
  /** Whether any sum of the values is exact as a double (longs whose absolute sum is a safe integer; always for numbers). */
  readonly exactSums: boolean;
}

export type TileColumn = NumericColumn | { readonly numeric: false; readonly values: readonly (PrimitiveValue | null)[] };

export function tileColumn(values: readonly (PrimitiveValue | null)[]): TileColumn {
  const flags = exactAsDoubles(values.length, (row) => values[row] ?? null);
  if (flags === undefined) return { numeric: false, values };
  return {
    numeric: true,
    values: Float64Array.from(values, (value) => (value === null ? 0 : Number(value))),
    nulls: (flags & HAS_NULL) !== 0 ? Uint8Array.from(values, (value) => (value === null ? 1 : 0)) : null,
    bigint: (flags & LONGS) !== 0,
    exactSums: (flags & INEXACT_SUMS) === 0,
  };
}

/** exactAsDoubles' flags: the values are longs (else numbers); one is null; their absolute sum is past 2^53. */
export const LONGS = 1;
export const HAS_NULL = 2;
export const INEXACT_SUMS = 4;

/**
 * Whether a column's `rows` values are held exactly as doubles — numbers, or longs that are safe
 * integers: LONGS, HAS_NULL and INEXACT_SUMS as they apply, or undefined when they are not. Only
 * count and sum columns are added up; a `last` column's event times (each ~2^50 µs) are only compared.
 */
export function exactAsDoubles(rows: number, valueAt: (row: number) => PrimitiveValue | null): number | undefined {
  let flags = 0;
  let number = false;
  let absoluteSum = 0n;
  for (let row = 0; row < rows; row++) {
    const value = valueAt(row);
    if (value === null) flags |= HAS_NULL;
    else if (typeof value === 'number') number = true;
    else if (typeof value === 'bigint') {
      if (value > MAX_SAFE || value < -MAX_SAFE) return undefined;
      flags |= LONGS;
      absoluteSum += value < 0n ? -value : value;
    } else return undefined;
  }
  if (number && (flags & LONGS) !== 0) return undefined;
  return absoluteSum > MAX_SAFE ? flags | INEXACT_SUMS : flags;
}

/** Whether a tile start (µs) is held exactly as a double. */
export function isSafeMicros(micros: bigint): boolean {
  return micros <= MAX_SAFE && micros >= -MAX_SAFE;
}

/** Whether a partial column (or none) is read as doubles: numeric, and when `summed`, with exact sums. */
export function readAsDoubles(column: TileColumn | undefined, summed: boolean): boolean {
  return column === undefined || (column.numeric && (column.exactSums || !summed));
}

export function isNullAt(column: TileColumn, row: number): boolean {
  return column.numeric ? column.nulls?.[row] === 1 : (column.values[row] ?? null) === null;
}

export function valueAt(column: TileColumn, row: number): PrimitiveValue | null {
  if (!column.numeric) return column.values[row] ?? null;
  if (column.nulls?.[row] === 1) return null;
  const value = column.values[row]!;
  return column.bigint ? BigInt(value) : value;
}

/** `countOf`/`sumOf` of aggregation-tiles.ts over a column whose sums are not exact as doubles, over the rows of `ranges`. */
export function genericSum(column: TileColumn, ranges: RowRanges): bigint | number | null {
  let total: bigint | number | null = null;
  for (const [first, last] of ranges)
    for (let row = first; row < last; row++) {
      const value = valueAt(column, row);
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
  const safe = rows.every((row) => isSafeMicros(row.tileStart));
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

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
