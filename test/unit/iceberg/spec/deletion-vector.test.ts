import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../iceberg/errors.js';
import { readDeletionVector, writeDeletionVector } from '../../../../iceberg/spec/deletion-vector.js';

const owner = { dataFile: 's3://bucket/t/data/a.parquet', table: 'ns.t' };

/** CRC-32 (IEEE, reflected, as zlib and Java's CRC32), bit by bit: independent of the codec's. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A deletion-vector-v1 blob framed by hand from the Puffin spec and the Roaring format spec: one
 * 32-bit bitmap per key, each with one array container (cookie 12346, no runs) of `lows`.
 */
function handMade(bitmaps: readonly { key: number; lows: readonly number[] }[]): Uint8Array {
  const bytes: number[] = [];
  const u16 = (value: number): void => void bytes.push(value & 0xff, (value >>> 8) & 0xff);
  const u32 = (value: number): void => void bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
  bytes.push(0xd1, 0xd3, 0x39, 0x64);
  u32(bitmaps.length);
  u32(0);
  for (const { key, lows } of bitmaps) {
    u32(key);
    u32(12346); // SERIAL_COOKIE_NO_RUNCONTAINER
    u32(1); // one container
    u16(0); // its 16-bit key
    u16(lows.length - 1); // cardinality - 1
    u32(4 + 4 + 4 + 4); // offset of its data from the bitmap's start: cookie, count, key+card, this offset
    for (const low of lows) u16(low);
  }
  const body = Uint8Array.from(bytes);
  const blob = new Uint8Array(body.length + 8);
  const view = new DataView(blob.buffer);
  view.setUint32(0, body.length, false);
  blob.set(body, 4);
  view.setUint32(4 + body.length, crc32(body), false);
  return blob;
}

function corruptNaming(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(FloeError.is(error, 'corrupt'), String(error));
    assert.match(error.message, /data file s3:\/\/bucket\/t\/data\/a\.parquet of table ns\.t/);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('deletion vectors (deletion-vector-v1)', () => {
  it('reads a blob framed by hand from the specs, keys past 2^32 included', () => {
    const blob = handMade([
      { key: 0, lows: [1, 5, 9] },
      { key: 1, lows: [7] },
    ]);
    assert.deepEqual([...readDeletionVector(blob, owner)], [1, 5, 9, 2 ** 32 + 7]);
  });

  it('writes the same bytes for the positions of the hand-made blob (array containers, no runs)', () => {
    const blob = handMade([{ key: 0, lows: [1, 5, 9] }]);
    assert.deepEqual(writeDeletionVector([9, 1, 5, 5]), blob);
  });

  it('round-trips array, bitmap and run containers across keys, in any order, duplicates once', () => {
    const positions: number[] = [];
    for (let position = 0; position < 100_000; position++) positions.push(position); // runs
    for (let position = 200_000; position < 260_000; position += 3) positions.push(position); // a bitmap container
    positions.push(1_000_003, 2 ** 32, 2 ** 32 + 65_536 * 3 + 1, 3 * 2 ** 32 + 42); // arrays, three keys
    const shuffled = [...positions].reverse();
    shuffled.push(17, 2 ** 32);
    const read = readDeletionVector(writeDeletionVector(shuffled.map((value, index) => (index % 2 === 0 ? BigInt(value) : value))), owner);
    assert.equal(read.length, positions.length);
    assert.deepEqual(
      [...read],
      [...positions].sort((a, b) => a - b),
    );
  });

  it('an empty vector has no positions', () => {
    assert.deepEqual([...readDeletionVector(writeDeletionVector([]), owner)], []);
  });

  it('refuses a wrong magic, a wrong CRC, a wrong length and trailing bytes, naming the data file and table', () => {
    const good = writeDeletionVector([3, 4, 100]);
    const badMagic = good.slice();
    badMagic[5]! ^= 0xff;
    assert.throws(() => readDeletionVector(badMagic, owner), corruptNaming(/magic D1 D3 39 64/));
    const badCrc = good.slice();
    badCrc[badCrc.length - 1]! ^= 0x01;
    assert.throws(() => readDeletionVector(badCrc, owner), corruptNaming(/CRC-32/));
    const flipped = good.slice();
    flipped[20]! ^= 0x10;
    assert.throws(() => readDeletionVector(flipped, owner), corruptNaming(/CRC-32/));
    assert.throws(() => readDeletionVector(good.subarray(0, good.length - 2), owner), corruptNaming(/bytes long|holds/));
    const longer = handMade([{ key: 0, lows: [1] }]);
    const withTrailing = new Uint8Array(longer.length + 2);
    withTrailing.set(longer.subarray(0, longer.length - 4));
    const view = new DataView(withTrailing.buffer);
    view.setUint32(0, longer.length - 8 + 2, false);
    view.setUint32(withTrailing.length - 4, crc32(withTrailing.subarray(4, withTrailing.length - 4)), false);
    assert.throws(() => readDeletionVector(withTrailing, owner), corruptNaming(/after its last bitmap/));
  });

  it('refuses a negative or fractional position to write', () => {
    assert.throws(
      () => writeDeletionVector([-1]),
      (error) => FloeError.is(error, 'invalid-input'),
    );
    assert.throws(
      () => writeDeletionVector([1.5]),
      (error) => FloeError.is(error, 'invalid-input'),
    );
  });
});
