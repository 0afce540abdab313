import * as arrow from 'apache-arrow';

/**
 * Arrow IPC messages as Flight carries them: a FlightData's `data_header` is a flatbuffer Message
 * (Message.fbs) and its `data_body` that message's body, without the stream format's framing
 * (continuation marker, metadata length, padding). apache-arrow writes and reads the stream format;
 * these functions only add or strip the framing around its messages.
 */
export interface IpcMessage {
  readonly dataHeader: Uint8Array;
  readonly dataBody: Uint8Array;
}

const CONTINUATION = 0xffffffff;

/** A table's messages: its schema (when `withSchema`) and then its record batches, as apache-arrow's stream writer encodes them. */
export function tableMessages(table: arrow.Table, options: { readonly withSchema: boolean }): IpcMessage[] {
  const stream = arrow.RecordBatchStreamWriter.writeAll(table).toUint8Array(true);
  const reader = new arrow.MessageReader(stream);
  const messages: IpcMessage[] = [];
  for (let message = reader.readMessage(); message !== null; message = reader.readMessage()) {
    const dataBody = reader.readMessageBody(message.bodyLength);
    if (message.isSchema() && !options.withSchema) continue;
    messages.push({ dataHeader: arrow.Message.encode(message), dataBody });
  }
  return messages;
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
