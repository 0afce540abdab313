// Builders the getHistoricalFeatures property tests share: pinned times, nullable arbitraries,
// entity tables, a source table of long features and reading a result column back as plain values.
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import type { Value } from './point-in-time-reference.js';
import { createTableWithRows } from './tables.js';
import type { Workspace } from './tables.js';

const BASE = 1_714_000_000_000_000n; // 2024-04-24, in µs

/** `seconds` after a pinned instant, in µs. */
export const at = (seconds: number): bigint => BASE + BigInt(seconds) * 1_000_000n;

/** A timestamp cell for `createTableWithRows` at `t` seconds (see `at`), or null. */
export const timeCell = (t: number | null): { micros: bigint } | null => (t === null ? null : { micros: at(t) });

/** `maybe(arb, freq)`: `arb`, or null about once in `freq` draws (`defaultFreq` when not given). */
export const nullable =
  (defaultFreq: number) =>
  <T>(arb: fc.Arbitrary<T>, freq = defaultFreq): fc.Arbitrary<T | null> =>
    fc.option(arb, { nil: null, freq });

/** The rows as two commits, the first `firstLength` long (by default the larger half), so a table has several data files. */
export const inTwoBatches = <T>(rows: readonly T[], firstLength = Math.ceil(rows.length / 2)): T[][] => [
  rows.slice(0, firstLength),
  rows.slice(firstLength),
];

/** A UTC timestamp column of µs values, none null. */
export function timestampVector(micros: readonly bigint[]): arrow.Vector {
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), length: micros.length, nullCount: 0, data: new BigInt64Array(micros) }),
  );
}

/** Entity rows keyed by driver_id and customer_id at `t` seconds, then any `extra` columns. */
export function driverCustomerEntities(
  entities: readonly { readonly driver: number | null; readonly customer: string | null; readonly t: number }[],
  extra: Record<string, arrow.Vector> = {},
): arrow.Table {
  return new arrow.Table({
    driver_id: arrow.vectorFromArray(
      entities.map((entity) => (entity.driver === null ? null : BigInt(entity.driver))),
      new arrow.Int64(),
    ),
    customer_id: arrow.vectorFromArray(
      entities.map((entity) => entity.customer),
      new arrow.Utf8(),
    ),
    event_timestamp: timestampVector(entities.map((entity) => at(entity.t))),
    ...extra,
  });
}

/** A result column's values, longs as numbers; fails naming the columns there are when it is missing. */
export function columnValues(table: arrow.Table, name: string): Value[] {
  const column = table.getChild(name);
  assert.ok(column, `the result has a column ${name}; it has ${table.schema.fields.map((field) => field.name).join(', ')}`);
  return Array.from({ length: column.length }, (_, index) => column.get(index) as unknown).map((value) =>
    value === null || value === undefined ? null : typeof value === 'bigint' ? Number(value) : (value as number | string),
  );
}

/** Event times in seconds (see `at`): before, on and after the entity rows' times. */
export const eventSecond = fc.integer({ min: -4, max: 10 });

/** A row of a source with one long feature `x` and no created time, keyed by driver. */
export interface LongFeatureRow {
  readonly driver: number | null;
  readonly t: number | null;
  readonly x: number | null;
}

export const longFeatureRow: fc.Arbitrary<LongFeatureRow> = fc.record({
  driver: nullable(8)(fc.integer({ min: 1, max: 3 })),
  t: nullable(8)(eventSecond),
  x: nullable(4)(fc.integer({ min: -1, max: 1 })),
});

/** `identifier` (driver_id long, ts timestamp, x long) holding `rows` in two commits. */
export async function createLongFeatureTable(workspace: Workspace, identifier: string, rows: readonly LongFeatureRow[]): Promise<void> {
  await createTableWithRows(
    workspace,
    identifier,
    [
      { name: 'driver_id', type: 'long' },
      { name: 'ts', type: 'timestamp' },
      { name: 'x', type: 'long' },
    ],
    inTwoBatches(
      rows.map((row) => [row.driver === null ? null : BigInt(row.driver), timeCell(row.t), row.x === null ? null : BigInt(row.x)]),
    ),
  );
}
