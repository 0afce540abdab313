import { endianness } from 'node:os';
import { Packr } from 'msgpackr';
import type { IcebergValue, PrimitiveValue } from '../../iceberg/spec/types.js';
import type { TileRow } from '../online-table/aggregation-tiles.js';
import { exactAsDoubles, HAS_NULL, INEXACT_SUMS, isSafeMicros, KIND_CODES, KINDS, LONGS, tileColumnsOf } from './tile-columns.js';
import type { NumericColumn, TileColumns } from './tile-columns.js';

// What the row store (file-row-store.ts) keeps per key of a data file, and how it is encoded there.

/** A key's latest row in one data file of a plain view's table (the file's sequence and path come from its task). */
export interface StoredRow {
  readonly values: readonly (IcebergValue | null)[];
  readonly eventTs: bigint;
  readonly createdTs: bigint | null;
  readonly materializedAt: bigint | null;
}

/**
 * A key's tile rows in one data file as reads combine them (`orderedTileRows`): those that count
 * within the file, its pushed rows first, each part by tile start, every sequence resolved (the
 * covered one, else the file's data sequence number).
 */
export interface StoredTiles {
  readonly rows: readonly TileRow[];
  readonly pushed: number;
}

/** StoredTiles as the store gives them back: the rows column by column. */
export interface StoredTileColumns {
  readonly columns: TileColumns;
  readonly pushed: number;
}

/** How one kind of value is kept in a store file: a store file holds values of one kind only. */
export interface StoredCodec<T, Decoded = T> {
  encode(value: T): Buffer;
  decode(encoded: Buffer): Decoded;
}

// MessagePack keeps a bigint a bigint (always 64 bits wide, so it never comes back a number) and a
// number a number; binary values come back as Buffers, which are Uint8Arrays. Maps and structs come
// back as Maps, made objects again here: msgpackr's own objects rename a `__proto__` key.
const packr = new Packr({ int64AsType: 'bigint', useRecords: false, mapsAsObjects: false });

function unpacked(value: unknown): IcebergValue | null {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, inner]) => [key, unpacked(inner)]));
  if (Array.isArray(value)) return value.map(unpacked);
  return value as IcebergValue | null;
}

/** A plain view's rows: the values, then the three times. */
export const storedRows: StoredCodec<StoredRow> = {
  encode: (row) => packr.pack([...row.values, row.eventTs, row.createdTs, row.materializedAt]),
  decode: (encoded) => {
    const fields = (packr.unpack(encoded) as unknown[]).map(unpacked);
    const count = fields.length - 3;
    return {
      values: fields.slice(0, count),
      eventTs: fields[count] as bigint,
      createdTs: fields[count + 1] as bigint | null,
      materializedAt: fields[count + 2] as bigint | null,
    };
  },
};

/**
 * Part of the row store's key of an aggregated view's file (online-table-reader.ts): a store file of
 * tiles written in another encoding is then never opened, and is removed as a file the table no
 * longer holds. Change it when storedTiles' encoding changes.
 */
export const STORED_TILES_FORMAT = 'tiles-columns-2';

/** A columnar value's first byte; any other value is MessagePack (which never starts with 0xc1). */
const COLUMNAR = 0xc1;
const HEADER_BYTES = 16;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * An aggregated view's tiles. When every tile start is within ±2^53 µs and every partial column
 * holds numbers (doubles, or longs that are safe integers: exactAsDoubles), the rows are kept
 * column by column as little-endian doubles, read back as typed arrays over the stored bytes
 * without a value made per row:
 *   0xc1, column count (u8), 2 bytes unused, rows (u32), pushed rows (u32), 4 bytes unused,
 *   starts (f64 × rows), sequences (f64 × rows), each column's values (f64 × rows),
 *   each column's flags (u8: 1 longs, 2 has nulls, 4 sums past 2^53), kinds (u8 × rows), each column with nulls' null flags (u8 × rows).
 * Otherwise MessagePack: [pushed, [tileStart, kind code, sequence, ...values] per row].
 */
export const storedTiles: StoredCodec<StoredTiles, StoredTileColumns> = {
  encode: (tiles) => {
    const { rows, pushed } = tiles;
    const count = rows.length;
    const columnCount = rows[0]?.values.length ?? 0;
    const flags = numericColumnFlags(rows, columnCount);
    if (flags === undefined)
      return packr.pack([pushed, ...rows.map((row) => [row.tileStart, KIND_CODES[row.kind], row.sequence, ...row.values])]);
    let withNulls = 0;
    for (const flag of flags) if ((flag & HAS_NULL) !== 0) withNulls++;
    const encoded = Buffer.alloc(HEADER_BYTES + 8 * count * (2 + columnCount) + columnCount + count * (1 + withNulls));
    const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    view.setUint8(0, COLUMNAR);
    view.setUint8(1, columnCount);
    view.setUint32(4, count, true);
    view.setUint32(8, pushed, true);
    let offset = HEADER_BYTES;
    for (const row of rows) view.setFloat64((offset += 8) - 8, Number(row.tileStart), true);
    for (const row of rows) view.setFloat64((offset += 8) - 8, row.sequence, true);
    for (let column = 0; column < columnCount; column++)
      for (const row of rows) view.setFloat64((offset += 8) - 8, Number(row.values[column] ?? 0), true);
    encoded.set(flags, offset);
    offset += columnCount;
    for (const row of rows) encoded[offset++] = KIND_CODES[row.kind];
    for (let column = 0; column < columnCount; column++)
      if ((flags[column]! & HAS_NULL) !== 0) for (const row of rows) encoded[offset++] = row.values[column] === null ? 1 : 0;
    return encoded;
  },
  decode: (encoded) => {
    if (encoded[0] !== COLUMNAR) {
      const [pushed, ...rows] = packr.unpack(encoded) as [number, ...[bigint, number, number, ...(PrimitiveValue | null)[]][]];
      const tileRows = rows.map(([tileStart, kind, sequence, ...values]) => ({
        tileStart,
        kind: KINDS[Number(kind)]!,
        sequence: Number(sequence),
        values,
      }));
      return { columns: tileColumnsOf(tileRows, rows[0] === undefined ? 0 : rows[0].length - 3), pushed: Number(pushed) };
    }
    const columnCount = encoded[1]!;
    const count = encoded.readUInt32LE(4);
    const starts = doublesAt(encoded, HEADER_BYTES, count);
    const sequences = doublesAt(encoded, HEADER_BYTES + 8 * count, count);
    const flagsAt = HEADER_BYTES + 8 * count * (2 + columnCount);
    const kinds = encoded.subarray(flagsAt + columnCount, flagsAt + columnCount + count);
    let nullsAt = flagsAt + columnCount + count;
    const columns: NumericColumn[] = [];
    for (let column = 0; column < columnCount; column++) {
      const flag = encoded[flagsAt + column]!;
      const nulls = (flag & HAS_NULL) === 0 ? null : encoded.subarray(nullsAt, (nullsAt += count));
      columns.push({
        numeric: true,
        values: doublesAt(encoded, HEADER_BYTES + 8 * count * (2 + column), count),
        nulls,
        bigint: (flag & LONGS) !== 0,
        exactSums: (flag & INEXACT_SUMS) === 0,
      });
    }
    return { columns: { starts, startBigints: null, kinds, sequences, columns }, pushed: encoded.readUInt32LE(8) };
  },
};

/**
 * Per partial column, exactAsDoubles' flags, when the rows can be kept column by column (see
 * storedTiles); undefined when they cannot.
 */
function numericColumnFlags(rows: readonly TileRow[], columnCount: number): Uint8Array | undefined {
  if (columnCount > 255 || !rows.every((row) => isSafeMicros(row.tileStart))) return undefined;
  const flags = new Uint8Array(columnCount);
  for (let column = 0; column < columnCount; column++) {
    const exact = exactAsDoubles(rows.length, (row) => rows[row]!.values[column] ?? null);
    if (exact === undefined) return undefined;
    flags[column] = exact;
  }
  return flags;
}

/** `count` little-endian doubles at `offset`: a view of the bytes where the host and the alignment allow, else a copy. */
function doublesAt(encoded: Buffer, offset: number, count: number): Float64Array {
  const at = encoded.byteOffset + offset;
  if (LITTLE_ENDIAN && at % 8 === 0) return new Float64Array(encoded.buffer, at, count);
  return Float64Array.from({ length: count }, (_, index) => encoded.readDoubleLE(offset + 8 * index));
}
