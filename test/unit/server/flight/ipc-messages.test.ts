// FlightData as Floe sends it (flightDataBytes: the IPC message's header and its body written in
// place) read back by protobufjs from flight.proto, as gRPC would, and the uploaded messages read back
// into Arrow tables through apache-arrow's own stream reader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import * as arrow from 'apache-arrow';
import { tableIpcMessages } from '../../../../features/historical/arrow-ipc-stream.js';
import type { IpcMessageOut } from '../../../../features/historical/arrow-ipc-stream.js';
import { flightDataBytes, messagesTable, schemaBytes } from '../../../../server/flight/ipc-messages.js';
import type { IpcMessage } from '../../../../server/flight/ipc-messages.js';
import { protoPath } from '../../../../server/grpc/proto-path.js';

function sample(): arrow.Table {
  return new arrow.Table({
    driver_id: arrow.vectorFromArray([1001n, null, 9_007_199_254_740_993n], new arrow.Int64()),
    city: arrow.vectorFromArray(['ams', 'rtm', null], new arrow.Utf8()),
    rate: arrow.vectorFromArray([0.25, null, 1.5], new arrow.Float64()),
    at: arrow.vectorFromArray([1_714_532_400_000, 1_714_532_400_001, null], new arrow.TimestampMicrosecond('UTC')),
  });
}

/** FlightData's bytes decoded by protobufjs with flight.proto (keepCase off: dataHeader, dataBody). */
function decodeFlightData(bytes: Buffer): { dataHeader?: Buffer; dataBody?: Buffer } {
  const definition = protoLoader.loadSync(protoPath('../../../../server/flight/flight.proto', import.meta.url), { defaults: false });
  const service = (
    grpc.loadPackageDefinition(definition) as unknown as {
      arrow: { flight: { protocol: { FlightService: grpc.ServiceClientConstructor } } };
    }
  ).arrow.flight.protocol.FlightService.service;
  return service.DoPut!.requestDeserialize(bytes) as { dataHeader?: Buffer; dataBody?: Buffer };
}

/** What a client receives of each message: FlightData decoded. */
function received(messages: readonly IpcMessageOut[]): IpcMessage[] {
  return messages.map((message) => {
    const data = decodeFlightData(flightDataBytes(message));
    return { dataHeader: data.dataHeader ?? new Uint8Array(0), dataBody: data.dataBody ?? new Uint8Array(0) };
  });
}

test('a table survives its FlightData: schema, nulls, longs past 2^53 and microsecond timestamps', () => {
  const table = sample();
  const messages = received([...tableIpcMessages(table)]);
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

test('bodies past 127 bytes and past 16 KiB keep their length prefixes whole', () => {
  for (const rows of [20, 3_000]) {
    const table = new arrow.Table({
      n: arrow.vectorFromArray(
        Array.from({ length: rows }, (_, row) => row / 3),
        new arrow.Float64(),
      ),
    });
    const back = messagesTable(received([...tableIpcMessages(table)]));
    assert.equal(back.numRows, rows);
    assert.equal(back.getChild('n')!.get(rows - 1), (rows - 1) / 3);
  }
});

test('the schema alone frames as IPC', () => {
  const bytes = schemaBytes(sample().schema);
  assert.equal(new DataView(bytes.buffer).getUint32(0, true), 0xffffffff, 'the continuation marker');
  assert.equal(new DataView(bytes.buffer).getInt32(4, true) % 8, 0, 'the metadata padded to 8 bytes');
});

test('an empty table still carries its schema', () => {
  const empty = new arrow.Table(sample().schema);
  const back = messagesTable(received([...tableIpcMessages(empty)]));
  assert.equal(back.schema.fields.length, 4);
  assert.equal(back.numRows, 0);
});
