// Arrow into DuckDB. Entity rows (loadArrowTable), appended a chunk at a time: every column kind Floe
// reads, nulls in each, a table of several record batches and more rows than one chunk holds, the
// ordinal numbering rows in order, timestamps exact to their unit. (Results out of DuckDB as Arrow:
// arrow-ipc-stream.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arrow from 'apache-arrow';
import { loadArrowTable } from '../../../../features/historical/arrow-load.js';
import { withConnection } from '../../../support/engine/duckdb.js';

const ROWS = 5_000;
const AT_MICROS = 1_714_521_600_123_457n;
const isNull = (row: number): boolean => row % 7 === 3;
const maybe = <T>(row: number, value: T): T | null => (isNull(row) ? null : value);

function batch(first: number, count: number): arrow.Table {
  const rows = Array.from({ length: count }, (_, index) => first + index);
  const micros = rows.map((row) => maybe(row, AT_MICROS + BigInt(row)));
  const timestamps = (type: arrow.Timestamp, scale: bigint) => {
    const data = new BigInt64Array(count);
    const validity = new Uint8Array(Math.ceil(count / 8));
    micros.forEach((value, index) => {
      if (value === null) return;
      data[index] = value * scale;
      validity[index >> 3]! |= 1 << (index & 7);
    });
    const nullCount = micros.filter((value) => value === null).length;
    return arrow.makeVector(arrow.makeData({ type, length: count, nullCount, nullBitmap: validity, data } as never));
  };
  return new arrow.Table({
    flag: arrow.vectorFromArray(
      rows.map((row) => maybe(row, row % 2 === 0)),
      new arrow.Bool(),
    ),
    small: arrow.vectorFromArray(
      rows.map((row) => maybe(row, row - 2_500)),
      new arrow.Int32(),
    ),
    big: arrow.vectorFromArray(
      rows.map((row) => maybe(row, 2n ** 62n + BigInt(row))),
      new arrow.Int64(),
    ),
    unsigned: arrow.vectorFromArray(
      rows.map((row) => maybe(row, 2n ** 63n + BigInt(row))),
      new arrow.Uint64(),
    ),
    ratio: arrow.vectorFromArray(
      rows.map((row) => maybe(row, row / 8)),
      new arrow.Float64(),
    ),
    name: arrow.vectorFromArray(
      rows.map((row) => maybe(row, `n${row}`)),
      new arrow.Utf8(),
    ),
    label: arrow.vectorFromArray(
      rows.map((row) => maybe(row, row % 3 === 0 ? 'a' : 'b')),
      new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()),
    ),
    day: arrow.vectorFromArray(
      rows.map((row) => maybe(row, new Date(Date.UTC(2024, 0, 1 + (row % 300))))),
      new arrow.DateDay(),
    ),
    zoned: timestamps(new arrow.TimestampMicrosecond('UTC'), 1n),
    nanos: timestamps(new arrow.TimestampNanosecond(), 1_000n),
  });
}

test('every column kind, nulls included, lands row for row with its ordinal, over several batches and chunks', async () => {
  // Three record batches of uneven sizes (slices of one: their values start at an offset), 5,000
  // rows: chunks of 2,048 cross the batches' edges.
  const whole = batch(0, ROWS);
  const table = whole.slice(0, 1_000).concat(whole.slice(1_000, 4_001), whole.slice(4_001));
  assert.equal(table.batches.length, 3);
  assert.equal(table.numRows, ROWS);
  await withConnection(async (connection) => {
    await loadArrowTable(connection, table, 'loaded', 'ordinal');
    const rows = (
      await connection.runAndReadAll(
        `SELECT ordinal, flag, small, big, unsigned, ratio, name, label, day::VARCHAR, epoch_us(zoned), epoch_ns(nanos) FROM loaded ORDER BY ordinal`,
      )
    ).getRowsJS();
    assert.equal(rows.length, ROWS);
    rows.forEach((values, row) => {
      const expected = [
        BigInt(row),
        maybe(row, row % 2 === 0),
        maybe(row, BigInt(row - 2_500)),
        maybe(row, 2n ** 62n + BigInt(row)),
        maybe(row, 2n ** 63n + BigInt(row)),
        maybe(row, row / 8),
        maybe(row, `n${row}`),
        maybe(row, row % 3 === 0 ? 'a' : 'b'),
        maybe(row, new Date(Date.UTC(2024, 0, 1 + (row % 300))).toISOString().slice(0, 10)),
        maybe(row, AT_MICROS + BigInt(row)),
        maybe(row, (AT_MICROS + BigInt(row)) * 1_000n),
      ];
      assert.deepEqual(values, expected, `row ${row}`);
    });
  });
});
