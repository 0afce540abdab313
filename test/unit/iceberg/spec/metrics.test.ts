import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { dataFileMetrics, truncateBinaryMax, truncateStringMax } from '../../../../iceberg/spec/metrics.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { fromBinary, toBinary } from '../../../../iceberg/spec/values.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'score', required: false, type: 'double' },
    { id: 4, name: 'blob', required: false, type: 'binary' },
    {
      id: 5,
      name: 'address',
      required: false,
      type: { type: 'struct', fields: [{ id: 6, name: 'city', required: false, type: 'string' }] },
    },
  ],
};

const long = 'abcdefghijklmnopqrstuvwxyz'; // 26 code points
const stats = [
  { fieldId: 1, valueCount: 10, nullCount: 0, min: 1n, max: 2n ** 60n, sizeBytes: 100 },
  { fieldId: 2, valueCount: 10, nullCount: 3, min: long, max: long, sizeBytes: 50 },
  { fieldId: 3, valueCount: 10, nullCount: 1, nanCount: 2, min: 0, max: 0, sizeBytes: 80 },
  { fieldId: 4, valueCount: 10, nullCount: 0, min: new Uint8Array(20).fill(1), max: new Uint8Array(20).fill(0xff), sizeBytes: 30 },
  { fieldId: 6, valueCount: 10, nullCount: 0, min: 'Berlin', max: 'Zurich' },
];

describe('dataFileMetrics', () => {
  it('defaults to truncate(16): counts, and string/binary bounds truncated, upper bounds incremented', () => {
    const m = dataFileMetrics(schema, stats, {});
    assert.deepEqual(
      m.valueCounts,
      new Map([
        [1, 10],
        [2, 10],
        [3, 10],
        [4, 10],
        [6, 10],
      ]),
    );
    assert.deepEqual(
      m.nullValueCounts,
      new Map([
        [1, 0],
        [2, 3],
        [3, 1],
        [4, 0],
        [6, 0],
      ]),
    );
    assert.deepEqual(m.nanValueCounts, new Map([[3, 2]]));
    assert.deepEqual(
      m.columnSizes,
      new Map([
        [1, 100],
        [2, 50],
        [3, 80],
        [4, 30],
      ]),
    );
    assert.equal(fromBinary('long', m.lowerBounds!.get(1)!), 1n);
    assert.equal(fromBinary('long', m.upperBounds!.get(1)!), 2n ** 60n);
    assert.equal(fromBinary('string', m.lowerBounds!.get(2)!), 'abcdefghijklmnop');
    assert.equal(fromBinary('string', m.upperBounds!.get(2)!), 'abcdefghijklmnoq');
    assert.deepEqual(m.lowerBounds!.get(4), new Uint8Array(16).fill(1));
    assert.equal(m.upperBounds!.has(4), false, 'all 0xFF: no truncated upper bound exists');
    // 0.0 bounds widen to -0.0 / +0.0 so a -0.0 in the file is covered.
    assert.ok(Object.is(fromBinary('double', m.lowerBounds!.get(3)!), -0));
    assert.ok(Object.is(fromBinary('double', m.upperBounds!.get(3)!), 0));
    assert.equal(fromBinary('string', m.upperBounds!.get(6)!), 'Zurich');
  });

  it('honours per-column modes by full dotted name, and the default mode', () => {
    const m = dataFileMetrics(schema, stats, {
      'write.metadata.metrics.default': 'counts',
      'write.metadata.metrics.column.name': 'full',
      'write.metadata.metrics.column.id': 'none',
      'write.metadata.metrics.column.address.city': 'truncate(2)',
    });
    assert.equal(m.valueCounts!.has(1), false);
    assert.equal(m.columnSizes!.has(1), false);
    assert.equal(fromBinary('string', m.upperBounds!.get(2)!), long);
    assert.equal(m.lowerBounds!.has(3), false);
    assert.equal(m.valueCounts!.get(3), 10);
    assert.equal(fromBinary('string', m.lowerBounds!.get(6)!), 'Be');
    assert.equal(fromBinary('string', m.upperBounds!.get(6)!), 'Zv');
  });

  it('never writes NaN as a bound', () => {
    const m = dataFileMetrics(schema, [{ fieldId: 3, valueCount: 2, nullCount: 0, nanCount: 2, min: Number.NaN, max: Number.NaN }], {});
    assert.equal(m.lowerBounds!.size, 0);
    assert.equal(m.upperBounds!.size, 0);
  });

  it('rejects a bad mode and an unknown field id, naming them', () => {
    assert.throws(
      () => dataFileMetrics(schema, stats, { 'write.metadata.metrics.default': 'truncate(0)' }),
      (e: unknown) => FloeError.is(e, 'invalid-input') && e.message.includes('write.metadata.metrics.default'),
    );
    assert.throws(
      () => dataFileMetrics(schema, [{ fieldId: 99, valueCount: 1, nullCount: 0 }], {}),
      (e: unknown) => FloeError.is(e, 'invalid-input') && e.message.includes('99'),
    );
  });
});

describe('truncated upper bounds (Java UnicodeUtil / BinaryUtil rules)', () => {
  it('increments the last code point that can be', () => {
    assert.equal(truncateStringMax('abc', 5), 'abc');
    assert.equal(truncateStringMax('abcdef', 3), 'abd');
    assert.equal(truncateStringMax('a\u{10FFFF}\u{10FFFF}x', 3), 'b');
    assert.equal(truncateStringMax('\u{10FFFF}\u{10FFFF}x', 2), undefined);
    assert.equal(truncateStringMax('a\uD7FFx', 2), 'a\uE000'); // skips the surrogate range
    assert.equal(truncateStringMax('😀😀😀', 2), '😀😁');
  });

  it('increments the last byte below 0xFF', () => {
    assert.deepEqual(truncateBinaryMax(Uint8Array.of(1, 2, 3), 2), Uint8Array.of(1, 3));
    assert.deepEqual(truncateBinaryMax(Uint8Array.of(1, 0xff, 3), 2), Uint8Array.of(2));
    assert.equal(truncateBinaryMax(Uint8Array.of(0xff, 0xff, 3), 2), undefined);
    assert.deepEqual(truncateBinaryMax(Uint8Array.of(1, 2), 2), Uint8Array.of(1, 2));
  });

  it('a truncated upper bound is ≥ the value in bound order', () => {
    const value = 'zzzz\u{1F600}tail';
    const upper = truncateStringMax(value, 5)!;
    assert.ok(Buffer.compare(Buffer.from(toBinary('string', upper)), Buffer.from(toBinary('string', value))) > 0);
  });
});
