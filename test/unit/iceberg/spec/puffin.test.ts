import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../iceberg/errors.js';
import { readPuffinFooter, writePuffin } from '../../../../iceberg/spec/puffin.js';

const location = 's3://bucket/t/data/deletes.puffin';

describe('Puffin files', () => {
  const blobs = [
    {
      type: 'deletion-vector-v1',
      fields: [2147483645],
      snapshotId: -1n,
      sequenceNumber: -1n,
      data: Uint8Array.of(1, 2, 3),
      properties: { 'referenced-data-file': 's3://bucket/t/data/a.parquet', cardinality: '3' },
    },
    { type: 'apache-datasketches-theta-v1', fields: [1, 2], snapshotId: 2n ** 62n, sequenceNumber: 7n, data: Uint8Array.of(9, 9) },
  ];

  it('writes magic, blobs and a JSON footer the reader gives back, with 64-bit ids exact', () => {
    const { bytes, metadata } = writePuffin(blobs, { 'created-by': 'Floe' });
    assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x46, 0x41, 0x31]);
    assert.deepEqual([...bytes.subarray(-4)], [0x50, 0x46, 0x41, 0x31]);
    assert.deepEqual(
      metadata.blobs.map((blob) => [blob.offset, blob.length]),
      [
        [4, 3],
        [7, 2],
      ],
    );
    assert.deepEqual([...bytes.subarray(4, 7)], [1, 2, 3]);
    const read = readPuffinFooter(bytes, location);
    assert.deepEqual(read, metadata);
    assert.equal(read.blobs[1]!.snapshotId, 2n ** 62n);
    assert.deepEqual(read.properties, { 'created-by': 'Floe' });
    // The footer is the JSON the spec names.
    const text = new TextDecoder().decode(bytes.subarray(13, bytes.length - 12));
    assert.match(text, /"snapshot-id":-1,"sequence-number":-1,"offset":4,"length":3/);
    assert.match(text, /"snapshot-id":4611686018427387904/);
  });

  it('refuses an LZ4-compressed footer by name', () => {
    const { bytes } = writePuffin(blobs);
    bytes[bytes.length - 8] = 0x01;
    assert.throws(
      () => readPuffinFooter(bytes, location),
      (error) => FloeError.is(error, 'unsupported') && /LZ4-compressed footer/.test(error.message) && error.message.includes(location),
    );
  });

  it('refuses a file without the magic, a payload size past its start, and a blob outside it', () => {
    const { bytes } = writePuffin(blobs);
    const noMagic = bytes.slice();
    noMagic[0] = 0;
    assert.throws(
      () => readPuffinFooter(noMagic, location),
      (error) => FloeError.is(error, 'corrupt') && /PFA1 magic/.test(error.message),
    );
    const badSize = bytes.slice();
    new DataView(badSize.buffer).setInt32(badSize.length - 12, bytes.length, true);
    assert.throws(
      () => readPuffinFooter(badSize, location),
      (error) => FloeError.is(error, 'corrupt') && /payload size/.test(error.message),
    );
    const patched = writePuffin([{ ...blobs[0]!, data: new Uint8Array(0) }]).bytes;
    const length = Buffer.from(patched).indexOf('"length":0');
    patched[length + '"length":'.length] = '9'.charCodeAt(0);
    assert.throws(
      () => readPuffinFooter(patched, location),
      (error) => FloeError.is(error, 'corrupt') && /outside/.test(error.message),
    );
  });
});
