import type { DuckDBDataChunk } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import { chunkColumnBytes, IN_PLACE } from '../../engine/chunk-columns.js';

/**
 * Columns whose values Arrow and DuckDB lay out in the same bytes (integers, floats, timestamps as
 * 64-bit integers), copied between them as bytes instead of a JS value per row: results gathered
 * chunk by chunk into the body of one Arrow record batch (a training set streams millions of
 * values), and entity rows copied into DuckDB's chunks.
 */

/** The Arrow type holding a DuckDB type's values in the same bytes, and the bytes of one value. */
interface SameBytes {
  readonly arrowType: () => arrow.DataType;
  readonly width: number;
}

const SAME_BYTES: Partial<Record<DuckDBTypeId, SameBytes>> = {
  [DuckDBTypeId.INTEGER]: { arrowType: () => new arrow.Int32(), width: 4 },
  [DuckDBTypeId.BIGINT]: { arrowType: () => new arrow.Int64(), width: 8 },
  [DuckDBTypeId.FLOAT]: { arrowType: () => new arrow.Float32(), width: 4 },
  [DuckDBTypeId.DOUBLE]: { arrowType: () => new arrow.Float64(), width: 8 },
  [DuckDBTypeId.TIMESTAMP]: { arrowType: () => new arrow.TimestampMicrosecond(), width: 8 },
  [DuckDBTypeId.TIMESTAMP_TZ]: { arrowType: () => new arrow.TimestampMicrosecond('UTC'), width: 8 },
};

interface Piece {
  readonly data: Uint8Array;
  readonly valid: Uint8Array | null;
  readonly rows: number;
}

/** A batch of one fixed-width column as Arrow lays it out: its validity bitmap and its values, written where the caller wants them. */
export interface FixedColumnBytes {
  readonly length: number;
  readonly nullCount: number;
  /** One bit per row, set where the row holds a value; null when no row is null. */
  readonly validity: Uint8Array | null;
  /** The values' bytes (length × the type's width). */
  readonly byteLength: number;
  writeValues(into: Uint8Array, at: number): void;
}

/** One column's chunks of a batch, as bytes; `take` hands them out as Arrow lays them out and starts the next batch. */
export class SameBytesColumn {
  private pieces: Piece[] = [];

  private constructor(
    private readonly typeId: DuckDBTypeId,
    /** The Arrow type holding the column's values in the same bytes. */
    readonly arrowType: arrow.DataType,
    private readonly width: number,
  ) {}

  /** A column of this type gathered as bytes, or undefined when Arrow holds its values otherwise (or DuckDB's bytes cannot be read in place). */
  static of(typeId: DuckDBTypeId): SameBytesColumn | undefined {
    const same = SAME_BYTES[typeId];
    return same === undefined || !IN_PLACE ? undefined : new SameBytesColumn(typeId, same.arrowType(), same.width);
  }

  add(chunk: DuckDBDataChunk, column: number): void {
    const bytes = chunkColumnBytes(chunk, column, this.typeId)!;
    this.pieces.push({ ...bytes, rows: chunk.rowCount });
  }

  take(): FixedColumnBytes {
    const pieces = this.pieces;
    this.pieces = [];
    const width = this.width;
    const length = pieces.reduce((sum, piece) => sum + piece.rows, 0);
    const { bitmap, nullCount } = validityOf(pieces, length);
    return {
      length,
      nullCount,
      validity: bitmap,
      byteLength: length * width,
      writeValues: (into, at) => {
        for (const piece of pieces) {
          into.set(piece.data.subarray(0, piece.rows * width), at);
          at += piece.rows * width;
        }
      },
    };
  }
}

/** The pieces' validity as one Arrow bitmap (null when no row is null) and its count of nulls. */
function validityOf(pieces: readonly Piece[], length: number): { bitmap: Uint8Array | null; nullCount: number } {
  if (pieces.every((piece) => piece.valid === null)) return { bitmap: null, nullCount: 0 };
  const bitmap = new Uint8Array(Math.ceil(length / 8));
  let at = 0;
  for (const piece of pieces) {
    if (at % 8 === 0 && piece.rows % 8 === 0) {
      const bytes = piece.rows / 8;
      if (piece.valid === null) bitmap.fill(0xff, at / 8, at / 8 + bytes);
      else bitmap.set(piece.valid.subarray(0, bytes), at / 8);
    } else {
      for (let row = 0; row < piece.rows; row++) {
        if (piece.valid === null || (piece.valid[row >> 3]! >> (row & 7)) & 1) bitmap[(at + row) >> 3]! |= 1 << ((at + row) & 7);
      }
    }
    at += piece.rows;
  }
  let valid = 0;
  for (let byte = 0; byte < bitmap.length; byte++) valid += BITS_SET[bitmap[byte]!]!;
  return { bitmap, nullCount: length - valid };
}

const BITS_SET = Uint8Array.from({ length: 256 }, (_, byte) => {
  let bits = 0;
  for (let value = byte; value > 0; value >>= 1) bits += value & 1;
  return bits;
});

/**
 * Whether an entity column's Arrow values are laid out as those of the DuckDB type it is loaded as
 * (arrow-io.ts' columnPlan): 64-bit integers, floats and doubles, µs and ns timestamps.
 */
export function holdsDuckDBBytes(type: arrow.DataType): boolean {
  if (!IN_PLACE) return false;
  if (arrow.DataType.isInt(type)) return type.bitWidth === 64;
  if (arrow.DataType.isFloat(type)) return type.precision !== arrow.Precision.HALF;
  if (arrow.DataType.isTimestamp(type)) return type.unit === arrow.TimeUnit.MICROSECOND || type.unit === arrow.TimeUnit.NANOSECOND;
  return false;
}

/** `count` rows of an Arrow column's data from row `offset`, as bytes and DuckDB validity words (null when none is null). */
export function arrowBytes(data: arrow.Data, offset: number, count: number): { data: Uint8Array; valid: Uint8Array | null } {
  const values = data.values as unknown as BigInt64Array | Float64Array | Float32Array;
  const width = values.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(values.buffer, values.byteOffset + offset * width, count * width);
  if (data.nullCount === 0 || data.nullBitmap === undefined || data.nullBitmap.length === 0) return { data: bytes, valid: null };
  const valid = new Uint8Array(Math.ceil(count / 64) * 8);
  const bitmap = data.nullBitmap;
  for (let row = 0; row < count; row++) {
    const bit = data.offset + offset + row;
    if ((bitmap[bit >> 3]! >> (bit & 7)) & 1) valid[row >> 3]! |= 1 << (row & 7);
  }
  return { data: bytes, valid };
}
