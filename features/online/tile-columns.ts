import type { PrimitiveValue } from '../../iceberg/spec/types.js';

// One partial column of a file's tiles (file-tiles.ts), as numbers in a typed array wherever that
// is exact, else as values.

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
