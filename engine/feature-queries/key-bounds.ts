import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier as q } from '../sql.js';

/** A key column by position, in a key-bounds table and the rows joined to it; then the table's earliest and latest entity time (µs). */
export const positionalKey = (index: number): string => q(`__floe_k${index}`);
export const KEY_BOUNDS_FROM = q('__floe_from_us');
export const KEY_BOUNDS_TO = q('__floe_to_us');

/**
 * Per key of the entity rows `rows` (SQL), their earliest and latest event time, into the temporary
 * table `table` as (`positionalKey(i)`…, KEY_BOUNDS_FROM, KEY_BOUNDS_TO). `keys` are column names of
 * `rows`; `micros` is SQL for a row's event time in microseconds. Rows missing a key or a time count
 * for nothing.
 */
export async function createKeyBounds(
  connection: DuckDBConnection,
  input: { readonly rows: string; readonly keys: readonly string[]; readonly micros: string; readonly table: string },
): Promise<void> {
  const keys = input.keys.map((key, index) => `${q(key)} AS ${positionalKey(index)}`);
  const present = [...input.keys.map((key) => q(key)), input.micros].map((value) => `${value} IS NOT NULL`).join(' AND ');
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${q(input.table)} AS SELECT ${keys.join(', ')}, min(${input.micros}) AS ${KEY_BOUNDS_FROM}, max(${input.micros}) AS ${KEY_BOUNDS_TO} FROM (${input.rows}) WHERE ${present} GROUP BY ALL`,
  );
}

/**
 * SQL for whether a feature row at `time` (µs) can matter to its key's entity rows, whose bounds are
 * `bounds.from` and `bounds.to`: at most as new as the latest, and, given a `lookback` (SQL µs), no
 * older than the earliest less it (`exclusive`: newer than that). CASE rather than plain comparisons:
 * DuckDB would make those part of the join condition on the keys, which costs it its fast hash join
 * (twice the time on bench pit's data).
 */
export function withinKeyBoundsSql(
  time: string,
  bounds: { readonly from: string; readonly to: string },
  lookback?: { readonly micros: string; readonly exclusive?: boolean },
): string {
  const notAfter = `${time} <= ${bounds.to}`;
  if (lookback === undefined) return `CASE WHEN ${notAfter} THEN true ELSE false END`;
  return `CASE WHEN ${time} ${lookback.exclusive === true ? '>' : '>='} ${bounds.from} - ${lookback.micros} THEN ${notAfter} ELSE false END`;
}
