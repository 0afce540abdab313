// FlightData's pieces (a flatbuffer Message header and its body) made from and read back into Arrow
// tables through apache-arrow's own stream writer and reader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arrow from 'apache-arrow';
import { messagesTable, schemaBytes, tableMessages } from '../../../../server/flight/ipc-messages.js';

function sample(): arrow.Table {
  return new arrow.Table({
    driver_id: arrow.vectorFromArray([1001n, null, 9_007_199_254_740_993n], new arrow.Int64()),
    city: arrow.vectorFromArray(['ams', 'rtm', null], new arrow.Utf8()),
    rate: arrow.vectorFromArray([0.25, null, 1.5], new arrow.Float64()),
    at: arrow.vectorFromArray([1_714_532_400_000, 1_714_532_400_001, null], new arrow.TimestampMicrosecond('UTC')),
  });
}

test('a table survives its messages: schema, nulls, longs past 2^53 and microsecond timestamps', () => {
  const table = sample();
  const messages = tableMessages(table, { withSchema: true });
  assert.equal(messages.length, 2, 'a schema message and one record batch');
  assert.equal(messages[0]!.dataBody.length, 0, 'the schema has no body');
  const back = messagesTable(messages);
  assert.deepEqual(
    back.schema.fields.map((field) => String(field)),
    table.schema.fields.map((field) => String(field)),
  );
  assert.deepEqual(
    back.toArray().map((row: { toJSON(): unknown }) => row.toJSON()),
    table.toArray().map((row: { toJSON(): unknown }) => row.toJSON()),
  );
  assert.equal(back.getChild('driver_id')!.get(2), 9_007_199_254_740_993n);
});

test('later batches leave the schema out, and the schema alone frames as IPC', () => {
  const table = sample();
  const first = tableMessages(table, { withSchema: true });
  const second = tableMessages(table, { withSchema: false });
  assert.equal(second.length, 1);
  assert.equal(messagesTable([...first, ...second]).numRows, 6);
  const bytes = schemaBytes(table.schema);
  assert.equal(new DataView(bytes.buffer).getUint32(0, true), 0xffffffff, 'the continuation marker');
  assert.equal(new DataView(bytes.buffer).getInt32(4, true) % 8, 0, 'the metadata padded to 8 bytes');
});

test('an empty result still carries its schema', () => {
  const empty = new arrow.Table(sample().schema);
  const messages = tableMessages(empty, { withSchema: true });
  assert.equal(messagesTable(messages).schema.fields.length, 4);
  assert.equal(messagesTable(messages).numRows, 0);
});
