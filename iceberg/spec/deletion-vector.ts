/**
 * Deletion vectors (Puffin spec, `deletion-vector-v1` blobs): the deleted row positions of one data
 * file. A blob is its length (4 bytes, big-endian, counting the magic and the vector), the magic
 * `D1 D3 39 64`, the vector in the 64-bit portable Roaring format (little-endian: the number of
 * 32-bit bitmaps as 8 bytes, then for each in ascending key order its key, the position's high
 * 4 bytes, and a portable 32-bit Roaring bitmap of the low 4 bytes), and a CRC-32 of the magic and
 * vector (4 bytes, big-endian). The 32-bit bitmaps are roaring-wasm's (CRoaring compiled to
 * WebAssembly, no native binary to fetch at install); the 64-bit framing around them is written here.
 */
import { RoaringBitmap32 } from 'roaring-wasm';
import { crc32 } from 'node:zlib';
import { FloeError } from '../errors.js';
import type { DataFile } from './manifest.js';
import type { PuffinBlob } from './puffin.js';

export const DELETION_VECTOR_BLOB_TYPE = 'deletion-vector-v1';
/** The field a deletion vector is computed for: the row position metadata column `_pos`. */
export const ROW_POSITION_FIELD_ID = 2147483645;
const MAGIC = Uint8Array.of(0xd1, 0xd3, 0x39, 0x64);
/** The length field before the magic and the CRC after the vector. */
const FRAME_BYTES = 8;
const TWO_32 = 2 ** 32;
/** Positions are positive 64-bit integers: a key's most significant bit is 0. */
const MAX_KEY = 2 ** 31 - 1;
/** Positions are returned as JS numbers, exact below 2^53: no data file has that many rows. */
const MAX_EXACT_KEY = 2 ** 21 - 1;
const MAX_POSITION = 0x7fffffffffffffffn;

/** What a deletion vector belongs to, for errors: the data file it deletes rows of, and its table. */
export interface DeletionVectorOwner {
  readonly dataFile: string;
  readonly table?: string | undefined;
}

/**
 * The positions a `deletion-vector-v1` blob deletes, ascending. Fails with a `corrupt` FloeError
 * naming the data file (and table) when the length, magic, CRC or vector does not decode.
 */
export function readDeletionVector(blob: Uint8Array, owner: DeletionVectorOwner): Float64Array {
  const corrupt = (what: string): FloeError => corruptVector(owner, what);
  if (blob.byteLength < FRAME_BYTES + MAGIC.length + 8) throw corrupt(`is ${blob.byteLength} bytes long, too short for a deletion vector`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const length = view.getUint32(0, false);
  if (length !== blob.byteLength - FRAME_BYTES) {
    throw corrupt(`says its vector and magic are ${length} bytes long, but the blob holds ${blob.byteLength - FRAME_BYTES}`);
  }
  if (!MAGIC.every((byte, index) => blob[4 + index] === byte)) throw corrupt('does not start with the magic D1 D3 39 64');
  const checked = blob.subarray(4, 4 + length);
  const expectedCrc = view.getUint32(4 + length, false);
  if (crc32(checked) !== expectedCrc) throw corrupt('fails its CRC-32 check');
  return readPortable64(checked.subarray(MAGIC.length), owner, corrupt);
}

/** A `deletion-vector-v1` blob deleting `positions` (any order, duplicates ignored; each a non-negative integer). */
export function writeDeletionVector(positions: Iterable<number | bigint>): Uint8Array {
  return encodeDeletionVector(positions).blob;
}

function encodeDeletionVector(positions: Iterable<number | bigint>): { blob: Uint8Array; cardinality: number } {
  const byKey = new Map<number, number[]>();
  for (const position of positions) {
    const valid =
      typeof position === 'number' ? Number.isSafeInteger(position) && position >= 0 : position >= 0n && position <= MAX_POSITION;
    if (!valid)
      throw new FloeError('invalid-input', `A deleted row position must be a non-negative 64-bit integer, got ${String(position)}`);
    const value = BigInt(position);
    const key = Number(value >> 32n);
    const low = Number(value & 0xffffffffn);
    const lows = byKey.get(key);
    if (lows) lows.push(low);
    else byKey.set(key, [low]);
  }
  const keys = [...byKey.keys()].sort((a, b) => a - b);
  let cardinality = 0;
  const bitmaps = keys.map((key) => {
    const bitmap = new RoaringBitmap32();
    try {
      bitmap.addMany(Uint32Array.from(byKey.get(key)!));
      bitmap.runOptimize();
      cardinality += bitmap.size;
      return bitmap.serialize('portable');
    } finally {
      bitmap.dispose();
    }
  });
  const vectorBytes = 8 + bitmaps.reduce((sum, bytes) => sum + 4 + bytes.byteLength, 0);
  const blob = new Uint8Array(FRAME_BYTES + MAGIC.length + vectorBytes);
  const view = new DataView(blob.buffer);
  view.setUint32(0, MAGIC.length + vectorBytes, false);
  blob.set(MAGIC, 4);
  let offset = 4 + MAGIC.length;
  view.setBigUint64(offset, BigInt(keys.length), true);
  offset += 8;
  keys.forEach((key, index) => {
    view.setUint32(offset, key, true);
    blob.set(bitmaps[index]!, offset + 4);
    offset += 4 + bitmaps[index]!.byteLength;
  });
  view.setUint32(offset, crc32(blob.subarray(4, offset)), false);
  return { blob, cardinality };
}

/** The positions of a 64-bit portable Roaring bitmap, ascending. */
function readPortable64(vector: Uint8Array, owner: DeletionVectorOwner, corrupt: (what: string) => FloeError): Float64Array {
  const view = new DataView(vector.buffer, vector.byteOffset, vector.byteLength);
  const count = view.getBigUint64(0, true);
  if (count > BigInt(vector.byteLength)) throw corrupt(`says it holds ${count} bitmaps, more than its ${vector.byteLength} bytes can`);
  const parts: { key: number; lows: Uint32Array }[] = [];
  let offset = 8;
  for (let index = 0; index < Number(count); index++) {
    if (offset + 4 > vector.byteLength) throw corrupt(`ends before bitmap ${index} of ${count}`);
    const key = view.getUint32(offset, true);
    const previous = parts.at(-1);
    if (key > MAX_KEY) throw corrupt(`has bitmap key ${key}, past the largest a positive 64-bit position allows`);
    if (previous !== undefined && key <= previous.key) throw corrupt('has bitmap keys out of ascending order');
    if (key > MAX_EXACT_KEY) {
      throw new FloeError(
        'unsupported',
        `The deletion vector of data file ${owner.dataFile} deletes positions past 2^53, which Floe does not read`,
        {
          context: { table: owner.table, file: owner.dataFile },
        },
      );
    }
    offset += 4;
    let bitmap: RoaringBitmap32;
    try {
      bitmap = RoaringBitmap32.deserialize('portable', vector.subarray(offset));
    } catch {
      throw corrupt(`has bitmap ${index} that is not a portable 32-bit Roaring bitmap`);
    }
    try {
      offset += bitmap.getSerializationSizeInBytes('portable');
      parts.push({ key, lows: bitmap.toUint32Array() });
    } finally {
      bitmap.dispose();
    }
  }
  if (offset !== vector.byteLength) throw corrupt(`has ${vector.byteLength - offset} bytes after its last bitmap`);
  const positions = new Float64Array(parts.reduce((sum, part) => sum + part.lows.length, 0));
  let next = 0;
  for (const { key, lows } of parts) {
    const high = key * TWO_32;
    for (const low of lows) positions[next++] = high + low;
  }
  return positions;
}

function corruptVector(owner: DeletionVectorOwner, what: string): FloeError {
  const table = owner.table === undefined ? '' : ` of table ${owner.table}`;
  return new FloeError(
    'corrupt',
    `The deletion vector of data file ${owner.dataFile}${table} ${what}: expected a deletion-vector-v1 blob (length, magic D1 D3 39 64, 64-bit portable Roaring bitmap, CRC-32)`,
    { context: { table: owner.table, file: owner.dataFile }, retryable: false },
  );
}

/** Whether a delete file is a deletion vector: a position delete kept in a Puffin file (Java's ContentFileUtil.isDV). */
export function isDeletionVector(file: DataFile): boolean {
  return file.fileFormat === 'PUFFIN';
}

/**
 * The Puffin blob of `dataFile`'s deletion vector, as the spec describes it (and Java's
 * BaseDVFileWriter writes it): the `_pos` field, snapshot id and sequence number -1 (inherited),
 * uncompressed, with the `referenced-data-file` and `cardinality` properties. Its offset and length
 * in the written file are a manifest entry's `content_offset` and `content_size_in_bytes`; the
 * cardinality is its `record_count`.
 */
export function deletionVectorBlob(dataFile: string, positions: Iterable<number | bigint>): PuffinBlob & { readonly cardinality: number } {
  const { blob: data, cardinality } = encodeDeletionVector(positions);
  return {
    type: DELETION_VECTOR_BLOB_TYPE,
    fields: [ROW_POSITION_FIELD_ID],
    snapshotId: -1n,
    sequenceNumber: -1n,
    data,
    properties: { 'referenced-data-file': dataFile, cardinality: String(cardinality) },
    cardinality,
  };
}
