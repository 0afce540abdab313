/**
 * Fixed-width columns of DuckDB data chunks read and written in DuckDB's own memory, through the C
 * API's vector data and validity mask: node-api's vectors hand out one value at a time and test and
 * set validity bits with BigInt arithmetic, which dominated a pass that touches every value of a
 * million-row result. Values are the same as the vectors' `getItem`/`setItem` (a BIGINT read as a
 * number is `Number(value)`), on little-endian machines, where a validity word's bits run in byte order.
 */
import { endianness } from 'node:os';
import duckdb from '@duckdb/node-bindings';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';

/** A column's value in a row as a number (booleans as booleans), null where the row is null. */
export type ChunkColumnReader = (row: number) => number | boolean | null;
/** Sets a column's value in a row; null clears the row's validity bit. */
export type ChunkColumnWriter = (row: number, value: number | bigint | boolean | null) => void;

/** Values are read and written in place only where validity bits run in byte order; elsewhere callers keep to the vectors. */
export const IN_PLACE = endianness() === 'LE';

const TWO_32 = 4_294_967_296;

/** A reader of a fixed-width numeric or boolean column, or undefined for any other type. */
export function chunkColumnReader(chunk: DuckDBDataChunk, column: number, typeId: DuckDBTypeId): ChunkColumnReader | undefined {
  const width = widthOf(typeId);
  if (width === undefined || !IN_PLACE) return undefined;
  const rows = chunk.rowCount;
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  const data = duckdb.vector_get_data(vector, rows * width);
  const values = valuesOf(typeId, data, rows);
  const valid = validityOf(vector, rows);
  if (valid === null) return values;
  return (row) => ((valid[row >> 3]! >> (row & 7)) & 1 ? values(row) : null);
}

/**
 * A writer of a fixed-width numeric or boolean column of a chunk being filled, or undefined for any
 * other type: values gather in JavaScript (the C API hands out a copy of a vector's memory, not the
 * memory) and `finish` copies them into the vector at once.
 */
export function chunkColumnWriter(
  chunk: DuckDBDataChunk,
  column: number,
  typeId: DuckDBTypeId,
): { write: ChunkColumnWriter; finish: () => void } | undefined {
  const width = widthOf(typeId);
  if (width === undefined || !IN_PLACE) return undefined;
  const rows = chunk.rowCount;
  const data = new Uint8Array(rows * width);
  const set = setterOf(typeId, data, rows);
  let valid: Uint8Array<ArrayBuffer> | null = null;
  return {
    write: (row, value) => {
      if (value !== null) return set(row, value);
      valid ??= new Uint8Array(Math.ceil(rows / 64) * 8).fill(0xff);
      valid[row >> 3]! &= ~(1 << (row & 7));
    },
    finish: () => {
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
      duckdb.copy_data_to_vector(vector, 0, data.buffer, 0, data.byteLength);
      if (valid === null) return;
      duckdb.vector_ensure_validity_writable(vector);
      duckdb.copy_data_to_vector_validity(vector, 0, valid.buffer, 0, valid.byteLength);
    },
  };
}

/**
 * A fixed-width column's bytes (a copy of the vector's, little-endian) and validity mask (a bit per
 * row in byte order; null when no row is null), or undefined for any other type. Timestamps are
 * their 64-bit microseconds.
 */
export function chunkColumnBytes(
  chunk: DuckDBDataChunk,
  column: number,
  typeId: DuckDBTypeId,
): { readonly data: Uint8Array; readonly valid: Uint8Array | null } | undefined {
  const width = typeId === DuckDBTypeId.TIMESTAMP || typeId === DuckDBTypeId.TIMESTAMP_TZ ? 8 : widthOf(typeId);
  if (width === undefined || !IN_PLACE) return undefined;
  const rows = chunk.rowCount;
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  return { data: duckdb.vector_get_data(vector, rows * width), valid: validityOf(vector, rows) };
}

/**
 * Fills a fixed-width column of a chunk being filled with bytes laid out as chunkColumnBytes hands
 * them out, and its validity bits (null: no row is null), in whole 64-bit words as DuckDB keeps them.
 */
export function setChunkColumnBytes(chunk: DuckDBDataChunk, column: number, data: Uint8Array, valid: Uint8Array | null): void {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  duckdb.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  if (valid === null) return;
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, valid.buffer as ArrayBuffer, valid.byteOffset, valid.byteLength);
}

/** Copies a fixed-width column's values and nulls from one chunk to another of as many rows. */
export function copyChunkColumn(
  from: DuckDBDataChunk,
  fromColumn: number,
  to: DuckDBDataChunk,
  toColumn: number,
  typeId: DuckDBTypeId,
): void {
  const width = widthOf(typeId);
  if (width === undefined) throw new Error(`copyChunkColumn copies fixed-width columns, not type ${typeId}`);
  const rows = from.rowCount;
  const source = duckdb.data_chunk_get_vector(from.chunk, fromColumn);
  const target = duckdb.data_chunk_get_vector(to.chunk, toColumn);
  const data = duckdb.vector_get_data(source, rows * width);
  duckdb.copy_data_to_vector(target, 0, data.buffer as ArrayBuffer, data.byteOffset, rows * width);
  const valid = validityOf(source, rows);
  if (valid === null) return;
  duckdb.vector_ensure_validity_writable(target);
  duckdb.copy_data_to_vector_validity(target, 0, valid.buffer as ArrayBuffer, valid.byteOffset, valid.byteLength);
}

/** Bytes per value of the types read and written here; undefined for any other type. */
function widthOf(typeId: DuckDBTypeId): number | undefined {
  if (typeId === DuckDBTypeId.BOOLEAN) return 1;
  if (typeId === DuckDBTypeId.BIGINT) return 8;
  return NUMBER_ARRAYS[typeId]?.BYTES_PER_ELEMENT;
}

function validityOf(vector: duckdb.Vector, rows: number): Uint8Array | null {
  const bytes = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8) as Uint8Array | null | undefined;
  return bytes ?? null;
}

type NumberArray = Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** Types held as one JavaScript number per value, by the typed array that views them. */
interface NumberArrayType {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumberArray;
  readonly BYTES_PER_ELEMENT: number;
}

const NUMBER_ARRAYS: Partial<Record<DuckDBTypeId, NumberArrayType>> = {
  [DuckDBTypeId.TINYINT]: Int8Array,
  [DuckDBTypeId.SMALLINT]: Int16Array,
  [DuckDBTypeId.INTEGER]: Int32Array,
  [DuckDBTypeId.FLOAT]: Float32Array,
  [DuckDBTypeId.DOUBLE]: Float64Array,
};

function valuesOf(typeId: DuckDBTypeId, data: Uint8Array, rows: number): (row: number) => number | boolean {
  const { buffer, byteOffset } = data;
  if (typeId === DuckDBTypeId.BOOLEAN) return (row) => data[row] !== 0;
  if (typeId === DuckDBTypeId.BIGINT) {
    // Two 32-bit halves instead of a BigInt per value: high · 2³² is exact, and adding the low
    // half rounds once, to the same double as Number(bigint).
    const low = new Uint32Array(buffer, byteOffset, rows * 2);
    const high = new Int32Array(buffer, byteOffset, rows * 2);
    return (row) => high[row * 2 + 1]! * TWO_32 + low[row * 2]!;
  }
  const values = new NUMBER_ARRAYS[typeId]!(buffer, byteOffset, rows);
  return (row) => values[row]!;
}

function setterOf(typeId: DuckDBTypeId, data: Uint8Array, rows: number): (row: number, value: number | bigint | boolean) => void {
  const { buffer, byteOffset } = data;
  if (typeId === DuckDBTypeId.BOOLEAN) return (row, value) => (data[row] = value ? 1 : 0);
  if (typeId === DuckDBTypeId.BIGINT) {
    const values = new BigInt64Array(buffer, byteOffset, rows);
    return (row, value) => (values[row] = BigInt(value));
  }
  const values = new NUMBER_ARRAYS[typeId]!(buffer, byteOffset, rows);
  return (row, value) => (values[row] = Number(value));
}
