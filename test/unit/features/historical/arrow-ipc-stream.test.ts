// Query results and tables as Arrow IPC messages (queryIpcMessages, tableIpcMessages), read back
// through apache-arrow's own stream reader: typed columns with their nulls across batches, fixed-width
// columns copied as bytes from chunks of any length, other types (text, booleans, dates, lists,
// structs, decimals) through Arrow vectors beside them, an empty result as its schema alone, and a
// reader that stops early leaving the connection usable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arrow from 'apache-arrow';
import type { IpcMessageOut } from '../../../../features/historical/arrow-ipc-stream.js';
import { queryIpcMessages, tableIpcMessages } from '../../../../features/historical/arrow-ipc-stream.js';
import { withConnection } from '../../../support/engine/duckdb.js';

const ROWS = 5_000;
const AT_MICROS = 1_714_521_600_123_457n;

/** The messages in the IPC stream format (continuation, padded metadata length, metadata, body), ended. */
function streamOf(messages: readonly IpcMessageOut[]): Uint8Array {
  const frames = messages.map((message) => {
    const metadata = Math.ceil(message.header.length / 8) * 8;
    const frame = new Uint8Array(8 + metadata + message.bodyLength);
    new DataView(frame.buffer).setUint32(0, 0xffffffff, true);
    new DataView(frame.buffer).setInt32(4, metadata, true);
    frame.set(message.header, 8);
    // Written over garbage: every byte the reader reads is the writer's.
    frame.fill(0xab, 8 + metadata);
    message.writeBody(frame, 8 + metadata);
    return frame;
  });
  const stream = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0) + 8);
  let at = 0;
  for (const frame of frames) {
    stream.set(frame, at);
    at += frame.length;
  }
  new DataView(stream.buffer).setUint32(at, 0xffffffff, true);
  return stream;
}

async function collect(messages: AsyncIterable<IpcMessageOut>): Promise<IpcMessageOut[]> {
  const collected: IpcMessageOut[] = [];
  for await (const message of messages) collected.push(message);
  return collected;
}

test('query results come out as typed Arrow columns with their nulls, batch by batch', async () => {
  await withConnection(async (connection) => {
    const sql = `SELECT r::INTEGER AS i, (r * 3)::BIGINT AS l, (r / 4)::FLOAT AS f, (r / 8)::DOUBLE AS d, 'v' || r AS s
      FROM range(${ROWS}) AS t(r)`;
    const nulled = `SELECT ${['i', 'l', 'f', 'd', 's'].map((column) => `CASE WHEN i % 7 = 3 THEN NULL ELSE ${column} END AS ${column}`).join(', ')} FROM (${sql}) ORDER BY l`;
    const messages = await collect(queryIpcMessages(connection, nulled, 2_000));
    assert.ok(messages.length >= 3, `a schema and ${messages.length - 1} batches`);
    const whole = arrow.tableFromIPC(streamOf(messages));
    assert.equal(whole.numRows, ROWS);
    assert.deepEqual(
      whole.schema.fields.map((field) => `${field.name}: ${String(field.type)}${field.nullable ? '?' : ''}`),
      ['i: Int32?', 'l: Int64?', 'f: Float32?', 'd: Float64?', 's: Utf8?'],
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
      .join(', ')}, (r * 5)::BIGINT AS never_null FROM range(${ROWS * 4}) AS t(r) WHERE r % 3 <> 0`;
    const messages = await collect(queryIpcMessages(connection, sql, 3_000));
    assert.ok(messages.length >= 4, `a schema and ${messages.length - 1} batches`);
    const whole = arrow.tableFromIPC(streamOf(messages));
    assert.deepEqual(
      whole.schema.fields.map((field) => String(field.type)),
      ['Int32', 'Int64', 'Float32', 'Float64', 'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>', 'Int64'],
    );
    const kept = Array.from({ length: ROWS * 4 }, (_, r) => r).filter((r) => r % 3 !== 0);
    assert.equal(whole.numRows, kept.length);
    const columns = ['i', 'l', 'f', 'd', 'ts', 'tz', 'never_null'].map((name) => whole.getChild(name)!);
    assert.equal(columns[6]!.nullCount, 0);
    const raw = (column: number, row: number): unknown => {
      const vector = columns[column]!;
      if (!vector.isValid(row)) return null;
      // Timestamps compared as their microseconds (Arrow JS hands them out as milliseconds).
      return column === 4 || column === 5 ? rawMicros(vector, row) : vector.get(row);
    };
    kept.forEach((r, row) => {
      const expected =
        r % 7 === 3
          ? [null, null, null, null, null, null, BigInt(r * 5)]
          : [r, BigInt(r * 3), Math.fround(r / 4), r / 8, AT_MICROS + BigInt(r), AT_MICROS - BigInt(r), BigInt(r * 5)];
      assert.deepEqual(
        columns.map((_, column) => raw(column, row)),
        expected,
        `row ${row} (r ${r})`,
      );
    });
  });
});

test('other types travel as Arrow vectors beside the byte-copied ones, in the same record batches', async () => {
  await withConnection(async (connection) => {
    const sql = `SELECT r::BIGINT AS id, CASE WHEN r % 5 = 0 THEN NULL ELSE r % 2 = 0 END AS even,
        DATE '2024-01-01' + r::INTEGER AS day, [r, r + 1] AS pair, {'k': 'v' || r} AS tag, (r / 100)::DECIMAL(10, 2) AS amount
      FROM range(3000) AS t(r) ORDER BY r`;
    const whole = arrow.tableFromIPC(streamOf(await collect(queryIpcMessages(connection, sql, 1_000))));
    assert.equal(whole.numRows, 3_000);
    assert.deepEqual(
      whole.schema.fields.map((field) => String(field.type)),
      ['Int64', 'Bool', 'Date32<DAY>', 'List<Int64>', 'Struct<{k:Utf8}>', 'Utf8'],
    );
    for (const row of [0, 1, 2_047, 2_999]) {
      const record = whole.get(row)!.toJSON() as Record<string, unknown>;
      assert.equal(record.id, BigInt(row));
      assert.equal(record.even, row % 5 === 0 ? null : row % 2 === 0);
      assert.equal(record.day, Date.UTC(2024, 0, 1 + row));
      assert.deepEqual([...(record.pair as arrow.Vector)], [BigInt(row), BigInt(row + 1)]);
      assert.deepEqual((record.tag as { toJSON(): unknown }).toJSON(), { k: `v${row}` });
      assert.equal(record.amount, (row / 100).toFixed(2));
    }
  });
});

test('an empty result is its schema alone, and a reader that stops early leaves the connection usable', async () => {
  await withConnection(async (connection) => {
    const messages = await collect(queryIpcMessages(connection, 'SELECT 1::BIGINT AS a, 0.5::DOUBLE AS b WHERE false'));
    assert.equal(messages.length, 1);
    const empty = arrow.tableFromIPC(streamOf(messages));
    assert.deepEqual(
      empty.schema.fields.map((field) => field.name),
      ['a', 'b'],
    );
    assert.equal(empty.numRows, 0);

    let batches = 0;
    for await (const message of queryIpcMessages(connection, 'SELECT range AS n FROM range(100000)', 2_048)) {
      if (message.bodyLength > 0 && ++batches === 2) break;
    }
    const after = await connection.runAndReadAll('SELECT 42 AS answer');
    assert.deepEqual(after.getRowsJS(), [[42]]);
  });
});

test('a table comes out as its schema and its batches', () => {
  const table = new arrow.Table({
    name: arrow.vectorFromArray(['driver_id', 'event_timestamp', null], new arrow.Utf8()),
    rate: arrow.vectorFromArray([0.5, null, 2], new arrow.Float64()),
  });
  const twice = table.concat(table);
  const messages = [...tableIpcMessages(twice)];
  assert.equal(messages.length, 3, 'a schema and two record batches');
  const back = arrow.tableFromIPC(streamOf(messages));
  assert.deepEqual(
    back.toArray().map((row: { toJSON(): unknown }) => row.toJSON()),
    twice.toArray().map((row: { toJSON(): unknown }) => row.toJSON()),
  );
  const dictionary = new arrow.Table({
    label: arrow.vectorFromArray(['a', 'b'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
  });
  assert.throws(() => [...tableIpcMessages(dictionary)], /label is dictionary-encoded/);
});

function rawMicros(vector: arrow.Vector, row: number): bigint {
  let at = row;
  for (const data of vector.data) {
    if (at < data.length) return (data.values as BigInt64Array)[at]!;
    at -= data.length;
  }
  throw new Error(`row ${row} is past the vector's end`);
}
