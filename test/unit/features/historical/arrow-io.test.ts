// Arrow in and out of DuckDB. Entity rows (loadArrowTable), appended a chunk at a time: every column kind
// Floe reads, nulls in each, a table of several record batches and more rows than one chunk holds,
// the ordinal numbering rows in order, timestamps exact to their unit. Results (queryToArrowBatches):
// fixed-width columns written straight into their buffers, nulls kept, across batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arrow from 'apache-arrow';
import { loadArrowTable, queryToArrowBatches } from '../../../../features/historical/arrow-io.js';
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

test('query results come out as typed Arrow columns with their nulls, batch by batch', async () => {
  await withConnection(async (connection) => {
    const sql = `SELECT r::INTEGER AS i, (r * 3)::BIGINT AS l, (r / 4)::FLOAT AS f, (r / 8)::DOUBLE AS d, 'v' || r AS s
      FROM range(${ROWS}) AS t(r)`;
    const nulled = `SELECT ${['i', 'l', 'f', 'd', 's'].map((column) => `CASE WHEN i % 7 = 3 THEN NULL ELSE ${column} END AS ${column}`).join(', ')} FROM (${sql}) ORDER BY l`;
    const batches: arrow.Table[] = [];
    for await (const table of queryToArrowBatches(connection, nulled, 2_000)) batches.push(table);
    const whole = new arrow.Table(batches.flatMap((table) => table.batches));
    assert.equal(whole.numRows, ROWS);
    assert.ok(batches.length >= 2, `${batches.length} batches`);
    assert.deepEqual(
      whole.schema.fields.map((field) => String(field.type)),
      ['Int32', 'Int64', 'Float32', 'Float64', 'Utf8'],
    );
    const nullsLast = whole.numRows - Math.ceil((ROWS - 3) / 7);
    for (const row of [0, 3, 4, 2_047, 2_048, nullsLast - 1]) {
      const values = ['i', 'l', 'f', 'd', 's'].map((column) => whole.getChild(column)!.get(row) as unknown);
      const key = Number(values[1]) / 3;
      assert.deepEqual(values, [key, BigInt(key * 3), Math.fround(key / 4), key / 8, `v${key}`], `row ${row}`);
    }
    for (let row = nullsLast; row < ROWS; row++)
      assert.deepEqual(
        ['i', 'l', 'f', 'd', 's'].map((column) => whole.getChild(column)!.get(row) as unknown),
        [null, null, null, null, null],
      );
  });
});

test('numbers and timestamps are copied as bytes: every row equal across chunks of any length, several to a batch', async () => {
  await withConnection(async (connection) => {
    // A filter makes chunks of uneven lengths, so a chunk's validity bits start mid-byte in its batch.
    const sql = `SELECT ${[
      'r::INTEGER AS i',
      '(r * 3)::BIGINT AS l',
      '(r / 4)::FLOAT AS f',
      '(r / 8)::DOUBLE AS d',
      `make_timestamp(${AT_MICROS} + r) AS ts`,
      `make_timestamp(${AT_MICROS} - r)::TIMESTAMPTZ AS tz`,
    ]
      .map((column) => `CASE WHEN r % 7 = 3 THEN NULL ELSE ${column.split(' AS ')[0]} END AS ${column.split(' AS ')[1]}`)
      .join(', ')} FROM range(${ROWS * 4}) AS t(r) WHERE r % 3 <> 0`;
    const batches: arrow.Table[] = [];
    for await (const table of queryToArrowBatches(connection, sql, 3_000)) batches.push(table);
    const whole = new arrow.Table(batches.flatMap((table) => table.batches));
    assert.ok(batches.length >= 3, `${batches.length} batches`);
    assert.deepEqual(
      whole.schema.fields.map((field) => String(field.type)),
      ['Int32', 'Int64', 'Float32', 'Float64', 'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>'],
    );
    const kept = Array.from({ length: ROWS * 4 }, (_, r) => r).filter((r) => r % 3 !== 0);
    assert.equal(whole.numRows, kept.length);
    const columns = ['i', 'l', 'f', 'd', 'ts', 'tz'].map((name) => whole.getChild(name)!);
    const raw = (column: number, row: number): unknown => {
      const vector = columns[column]!;
      if (!vector.isValid(row)) return null;
      // Timestamps compared as their microseconds (Arrow JS hands them out as milliseconds).
      return column >= 4 ? rawMicros(vector, row) : vector.get(row);
    };
    kept.forEach((r, row) => {
      const expected =
        r % 7 === 3
          ? [null, null, null, null, null, null]
          : [r, BigInt(r * 3), Math.fround(r / 4), r / 8, AT_MICROS + BigInt(r), AT_MICROS - BigInt(r)];
      assert.deepEqual(
        columns.map((_, column) => raw(column, row)),
        expected,
        `row ${row} (r ${r})`,
      );
    });
  });
});

function rawMicros(vector: arrow.Vector, row: number): bigint {
  let at = row;
  for (const data of vector.data) {
    if (at < data.length) return (data.values as BigInt64Array)[at]!;
    at -= data.length;
  }
  throw new Error(`row ${row} is past the vector's end`);
}
