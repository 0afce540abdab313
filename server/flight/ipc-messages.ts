import * as arrow from 'apache-arrow';
import protobuf from 'protobufjs';
import type { IpcMessageOut } from '../../features/historical/arrow-ipc-stream.js';

/**
 * Arrow IPC messages as Flight carries them: a FlightData's `data_header` is a flatbuffer Message
 * (Message.fbs) and its `data_body` that message's body, without the stream format's framing
 * (continuation marker, metadata length, padding). Outgoing messages are made by
 * arrow-ipc-stream.ts; uploaded ones are read back through apache-arrow's stream reader, these
 * functions only adding the framing around them.
 */
export interface IpcMessage {
  readonly dataHeader: Uint8Array;
  readonly dataBody: Uint8Array;
}

const CONTINUATION = 0xffffffff;

/**
 * The FlightData (protobuf) carrying one outgoing message: `data_header` (field 2) and `data_body`
 * (field 1000), the body written by the message straight into these bytes, which gRPC sends as they
 * are (offline-server.ts): a message object serialized by protobufjs would copy the body again, so
 * its Writer writes only what comes before the body.
 */
export function flightDataBytes(message: IpcMessageOut): Buffer {
  const before = protobuf.Writer.create().uint32(lengthDelimited(2)).bytes(message.header);
  if (message.bodyLength > 0) before.uint32(lengthDelimited(1000)).uint32(message.bodyLength);
  const head = before.finish();
  const bytes = Buffer.allocUnsafe(head.length + message.bodyLength);
  bytes.set(head, 0);
  message.writeBody(bytes, head.length);
  return bytes;
}

/** A length-delimited field's key: its number and wire type 2. */
function lengthDelimited(field: number): number {
  return field * 8 + 2;
}

/** The schema alone in its IPC form (continuation, length, flatbuffer Message), as FlightInfo.schema and SchemaResult hold it. */
export function schemaBytes(schema: arrow.Schema): Uint8Array {
  const header = arrow.Message.encode(arrow.Message.from(schema));
  return framed({ dataHeader: header, dataBody: new Uint8Array(0) });
}

/** The table a client's messages carry (a schema message, then record batches); messages without a header are skipped. */
export function messagesTable(messages: readonly IpcMessage[]): arrow.Table {
  const frames = messages.filter((message) => message.dataHeader.length > 0).map(framed);
  const stream = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0) + 8);
  let offset = 0;
  for (const frame of frames) {
    stream.set(frame, offset);
    offset += frame.length;
  }
  // The end-of-stream marker: a continuation and a zero length.
  new DataView(stream.buffer).setUint32(offset, CONTINUATION, true);
  return arrow.tableFromIPC(stream);
}

/** One message in the stream format: continuation, metadata length (padded to 8 bytes), metadata, body. */
function framed(message: IpcMessage): Uint8Array {
  const padded = Math.ceil(message.dataHeader.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded + message.dataBody.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, padded, true);
  bytes.set(message.dataHeader, 8);
  bytes.set(message.dataBody, 8 + padded);
  return bytes;
}
