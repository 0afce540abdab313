import { Packr } from 'msgpackr';
import type { IcebergValue, PrimitiveValue } from '../../iceberg/spec/types.js';
import type { TileKind } from '../online-table/aggregation-tiles.js';

// What the row store (file-row-store.ts) keeps per key of a data file, and how it is encoded there.

/** A key's latest row in one data file of a plain view's table (the file's sequence and path come from its task). */
export interface StoredRow {
  readonly values: readonly (IcebergValue | null)[];
  readonly eventTs: bigint;
  readonly createdTs: bigint | null;
  readonly materializedAt: bigint | null;
}

/**
 * One tile row of a key in one data file of an aggregated view's table, as the file holds it:
 * `covers` is the tile's covered sequence, null when the row takes its file's data sequence number
 * (which comes from the task, like a StoredRow's).
 */
export interface StoredTile {
  readonly tileStart: bigint;
  readonly kind: TileKind;
  readonly covers: number | null;
  readonly values: readonly (PrimitiveValue | null)[];
}

/** A key's tile rows in one data file, in the order the file holds them. */
export type StoredTiles = readonly StoredTile[];

/** How one kind of value is kept in a store file: a store file holds values of one kind only. */
export interface StoredCodec<T> {
  encode(value: T): Buffer;
  decode(encoded: Buffer): T;
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

/** An aggregated view's tiles: per tile row, its start, kind and covered sequence, then its partial values (all primitive). */
export const storedTiles: StoredCodec<StoredTiles> = {
  encode: (tiles) => packr.pack(tiles.map((tile) => [tile.tileStart, tile.kind, tile.covers, ...tile.values])),
  decode: (encoded) =>
    (packr.unpack(encoded) as unknown[][]).map(([tileStart, kind, covers, ...values]) => ({
      tileStart: tileStart as bigint,
      kind: kind as TileKind,
      covers: covers as number | null,
      values: values as (PrimitiveValue | null)[],
    })),
};
