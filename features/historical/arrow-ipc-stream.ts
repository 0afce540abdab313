import type { DuckDBConnection, DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
// apache-arrow's own building blocks of its IPC writer (not in its index): a record batch's header is
// encoded from its field nodes and buffer regions, so its body is laid out once, where it is sent.
import { BufferRegion, FieldNode, RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';
import { FloeError } from '../../core/errors.js';
import { SameBytesColumn } from './arrow-fixed-columns.js';
import { toArrowVector } from './arrow-io.js';

/**
 * Query results and tables as Arrow IPC messages (Message.fbs): a schema, then record batches. A
 * record batch's body is written by its sender straight into the bytes that carry it; fixed-width
 * columns reach it as DuckDB's own bytes (arrow-fixed-columns.ts), other columns through Arrow
 * vectors. No writer copies the body on the way, and no Arrow table of the result is built: a
 * training set streams hundreds of megabytes of it.
 */
export interface IpcMessageOut {
  /** The flatbuffer Message, without the stream format's framing. */
  readonly header: Uint8Array;
  readonly bodyLength: number;
  /** Writes the body, `bodyLength` bytes (buffers 8-byte aligned, padding zeroed), into `into` from `at`. */
  writeBody(into: Uint8Array, at: number): void;
}

/**
 * Runs a query and yields its result as IPC messages: the schema, then record batches of about
 * `rowsPerBatch` rows (none when the result is empty). The result is materialized before the first
 * message: a failing query fails here, never as a result that merely ends early (streaming results
 * do, engine/duckdb.ts); DuckDB fetches the next chunk while the last one is copied.
 */
export async function* queryIpcMessages(connection: DuckDBConnection, sql: string, rowsPerBatch = 65_536): AsyncGenerator<IpcMessageOut> {
  const result = await connection.run(sql);
  const names = result.columnNames();
  const columns = result.columnTypes().map(resultColumn);
  yield schemaMessage(new arrow.Schema(names.map((name, index) => new arrow.Field(name, columns[index]!.arrowType, true))));
  let rows = 0;
  let next = fetched(result.fetchChunk());
  try {
    for (;;) {
      const chunk = await next;
      if (chunk === null || chunk.rowCount === 0) break;
      next = fetched(result.fetchChunk());
      for (const [index, column] of columns.entries()) column.add(chunk, index);
      rows += chunk.rowCount;
      if (rows >= rowsPerBatch) {
        yield recordBatchMessage(
          rows,
          columns.map((column) => column.take()),
        );
        rows = 0;
      }
    }
    if (rows > 0)
      yield recordBatchMessage(
        rows,
        columns.map((column) => column.take()),
      );
  } finally {
    // A reader that stops early leaves a fetch under way: it ends before the connection is used again.
    await next.catch(() => undefined);
  }
}

/** The promise, with its failure also handled where nobody awaits it (a fetch started ahead, then abandoned). */
function fetched<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** A table's IPC messages: its schema, then its record batches (dictionary-encoded columns are not written). */
export function* tableIpcMessages(table: arrow.Table): Generator<IpcMessageOut> {
  const dictionary = table.schema.fields.find((field) => arrow.DataType.isDictionary(field.type));
  if (dictionary !== undefined)
    throw new FloeError('internal', `Column ${dictionary.name} is dictionary-encoded, which Floe does not send as IPC`, {
      context: { column: dictionary.name },
    });
  yield schemaMessage(table.schema);
  for (const batch of table.batches) yield recordBatchMessage(batch.numRows, [assembled(VectorAssembler.assemble(batch))]);
}

/** A column's share of a record batch: its field nodes (depth first) and its buffers in order. */
interface ColumnBody {
  readonly nodes: readonly FieldNode[];
  readonly buffers: readonly BodyBuffer[];
}

/** One buffer of a body: how many bytes it holds (its region is that, padded to 8) and how to write them. */
interface BodyBuffer {
  readonly byteLength: number;
  write(into: Uint8Array, at: number): void;
}

/** A result column gathered chunk by chunk; `take` hands out its batch and starts the next. */
interface ResultColumn {
  readonly arrowType: arrow.DataType;
  add(chunk: DuckDBDataChunk, column: number): void;
  take(): ColumnBody;
}

function resultColumn(type: DuckDBType): ResultColumn {
  const bytes = SameBytesColumn.of(type.typeId);
  if (bytes !== undefined)
    return {
      arrowType: bytes.arrowType,
      add: (chunk, column) => bytes.add(chunk, column),
      take: () => {
        const batch = bytes.take();
        const validity = batch.nullCount > 0 ? batch.validity! : new Uint8Array(0);
        return {
          nodes: [new FieldNode(batch.length, batch.nullCount)],
          buffers: [copied(validity), { byteLength: batch.byteLength, write: (into, at) => batch.writeValues(into, at) }],
        };
      },
    };
  // Any other type as Arrow vectors built from DuckDB's values (arrow-io.ts), assembled as apache-arrow's writer does.
  let values: unknown[] = [];
  return {
    arrowType: toArrowVector([], type).type,
    add: (chunk, column) => {
      for (const value of chunk.getColumnValues(column)) values.push(value);
    },
    take: () => {
      const vector = toArrowVector(values, type);
      values = [];
      return assembled(VectorAssembler.assemble(vector));
    },
  };
}

function assembled(assembler: VectorAssembler): ColumnBody {
  return { nodes: assembler.nodes, buffers: assembler.buffers.map(copied) };
}

function copied(view: ArrayBufferView): BodyBuffer {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  return { byteLength: bytes.byteLength, write: (into, at) => into.set(bytes, at) };
}

/** Arrow aligns each buffer of a body to 8 bytes (as apache-arrow's writer and VectorAssembler do). */
const padded = (byteLength: number): number => (byteLength + 7) & ~7;

function schemaMessage(schema: arrow.Schema): IpcMessageOut {
  return { header: arrow.Message.encode(arrow.Message.from(schema)), bodyLength: 0, writeBody: () => undefined };
}

function recordBatchMessage(rows: number, columns: readonly ColumnBody[]): IpcMessageOut {
  const buffers = columns.flatMap((column) => column.buffers);
  const regions: BufferRegion[] = [];
  let bodyLength = 0;
  for (const buffer of buffers) {
    regions.push(new BufferRegion(bodyLength, padded(buffer.byteLength)));
    bodyLength += padded(buffer.byteLength);
  }
  const header = new RecordBatchHeader(
    rows,
    columns.flatMap((column) => column.nodes),
    regions,
    null,
  );
  return {
    header: arrow.Message.encode(arrow.Message.from(header, bodyLength)),
    bodyLength,
    writeBody: (into, at) => {
      buffers.forEach((buffer, index) => {
        const region = regions[index]!;
        buffer.write(into, at + region.offset);
        into.fill(0, at + region.offset + buffer.byteLength, at + region.offset + region.length);
      });
    },
  };
}
