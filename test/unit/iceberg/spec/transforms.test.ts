import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import murmur3 from 'murmurhash3js-revisited';
import { FloeError } from '../../../../core/errors.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { bucketHash, parseTransform, partitionPath } from '../../../../iceberg/spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../../../../iceberg/spec/types.js';
import { evaluatePredicate } from '../../../../iceberg/spec/value-predicate.js';
import type { ValuePredicate } from '../../../../iceberg/spec/value-predicate.js';
import { fromJsonValue } from '../../../../iceberg/spec/value-json.js';

const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

describe('bucketHash: every test vector of spec Appendix B', () => {
  const vectors: [PrimitiveType, PrimitiveValue, number][] = [
    ['int', 34, 2017239379],
    ['long', 34n, 2017239379],
    ['decimal(4, 2)', 1420n, -500754589], // 14.20
    ['date', fromJsonValue('date', '2017-11-16'), -653330422],
    ['time', fromJsonValue('time', '22:31:08'), -662762989],
    ['timestamp', fromJsonValue('timestamp', '2017-11-16T22:31:08'), -2047944441],
    ['timestamp', fromJsonValue('timestamp', '2017-11-16T22:31:08.000001'), -1207196810],
    ['timestamptz', fromJsonValue('timestamptz', '2017-11-16T14:31:08-08:00'), -2047944441],
    ['timestamptz', fromJsonValue('timestamptz', '2017-11-16T14:31:08.000001-08:00'), -1207196810],
    ['timestamp_ns', fromJsonValue('timestamp_ns', '2017-11-16T22:31:08'), -2047944441],
    ['timestamp_ns', fromJsonValue('timestamp_ns', '2017-11-16T22:31:08.000001001'), -1207196810],
    ['timestamptz_ns', fromJsonValue('timestamptz_ns', '2017-11-16T14:31:08-08:00'), -2047944441],
    ['timestamptz_ns', fromJsonValue('timestamptz_ns', '2017-11-16T14:31:08.000001001-08:00'), -1207196810],
    ['string', 'iceberg', 1210000089],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
    ['fixed[4]', bytes('00010203'), -188683207],
    ['binary', bytes('00010203'), -188683207],
    // Types not valid for bucketing, whose hashes the spec still defines.
    ['boolean', true, 1392991556],
    ['float', 1, -142385009],
    ['float', 0, 1669671676],
    ['float', -0, 1669671676],
    ['double', 1, -142385009],
    ['double', 0, 1669671676],
    ['double', -0, 1669671676],
  ];
  for (const [type, value, expected] of vectors) {
    it(`${type} ${String(value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value)} → ${expected}`, () => {
      assert.equal(bucketHash(value, type), expected);
    });
  }

  it('bucket[N] is (hash & Integer.MAX_VALUE) % N', () => {
    const bucket = parseTransform('bucket[16]').bind('string');
    assert.equal(bucket.apply('iceberg'), (1210000089 & 0x7fffffff) % 16);
    const negative = parseTransform('bucket[100]').bind('date');
    assert.equal(negative.apply(fromJsonValue('date', '2017-11-16')), (-653330422 & 0x7fffffff) % 100);
    assert.equal(bucket.apply(null), null);
  });

  it('ints, longs and times hash as the 8 little-endian bytes of their long, whatever their sign or size', () => {
    const hashOfLongBytes = (value: bigint) => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigInt64(0, value, true);
      return murmur3.x86.hash32(bytes, 0) | 0;
    };
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (value) => {
        assert.equal(bucketHash(value, 'long'), hashOfLongBytes(value));
        assert.equal(bucketHash(value, 'timestamptz'), hashOfLongBytes(value));
      }),
    );
    fc.assert(
      fc.property(fc.integer(), (value) => {
        assert.equal(bucketHash(value, 'int'), hashOfLongBytes(BigInt(value)));
        assert.equal(bucketHash(value, 'date'), bucketHash(BigInt(value), 'long'));
      }),
    );
    assert.equal(bucketHash(false, 'boolean'), hashOfLongBytes(0n));
    assert.throws(() => bucketHash(2n ** 63n, 'long'), /signed 64-bit integer/);
    assert.throws(() => bucketHash(2 ** 31, 'int'), /integer in/);
  });
});

describe('truncate (spec examples)', () => {
  it('int and long truncate toward negative infinity', () => {
    const int = parseTransform('truncate[10]').bind('int');
    assert.equal(int.apply(1), 0);
    assert.equal(int.apply(-1), -10);
    assert.equal(int.apply(10), 10);
    const long = parseTransform('truncate[10]').bind('long');
    assert.equal(long.apply(1n), 0n);
    assert.equal(long.apply(-1n), -10n);
    assert.equal(long.apply(2n ** 62n + 5n), 4611686018427387900n); // 4611686018427387909 → …900
  });

  it('decimal truncates the unscaled value: W=50, 10.65 → 10.50', () => {
    const decimal = parseTransform('truncate[50]').bind('decimal(9, 2)');
    assert.equal(decimal.apply(fromJsonValue('decimal(9, 2)', '10.65')), fromJsonValue('decimal(9, 2)', '10.50'));
    assert.equal(decimal.apply(-1n), -50n);
  });

  it('strings truncate to code points, never splitting one', () => {
    const truncate = parseTransform('truncate[3]').bind('string');
    assert.equal(truncate.apply('iceberg'), 'ice');
    assert.equal(truncate.apply('😀😀😀😀'), '😀😀😀');
    assert.equal(truncate.apply('ab'), 'ab');
  });

  it('binary truncates to bytes', () => {
    assert.deepEqual(parseTransform('truncate[3]').bind('binary').apply(bytes('0102030405')), bytes('010203'));
  });
});

describe('temporal transforms', () => {
  const ts = (text: string): bigint => fromJsonValue('timestamp', text) as bigint;
  it('year, month, day, hour of timestamps count from the epoch, flooring before it', () => {
    assert.equal(parseTransform('year').bind('timestamp').apply(ts('2017-11-16T22:31:08')), 47);
    assert.equal(parseTransform('month').bind('timestamp').apply(ts('2017-11-16T22:31:08')), 47 * 12 + 10);
    assert.equal(parseTransform('day').bind('timestamp').apply(ts('2017-11-16T22:31:08')), 17486);
    assert.equal(parseTransform('hour').bind('timestamp').apply(ts('2017-11-16T22:31:08')), 17486 * 24 + 22);
    assert.equal(parseTransform('day').bind('timestamp').apply(-1n), -1);
    assert.equal(parseTransform('hour').bind('timestamp').apply(-1n), -1);
    assert.equal(parseTransform('month').bind('timestamp').apply(-1n), -1);
    assert.equal(parseTransform('year').bind('timestamp').apply(-1n), -1);
  });

  it('works on dates and nanosecond timestamps', () => {
    assert.equal(parseTransform('month').bind('date').apply(fromJsonValue('date', '1969-12-31')), -1);
    assert.equal(parseTransform('day').bind('date').apply(17486), 17486);
    assert.equal(
      parseTransform('hour').bind('timestamptz_ns').apply(fromJsonValue('timestamptz_ns', '2017-11-16T22:31:08.123456789+00:00')),
      17486 * 24 + 22,
    );
    assert.equal(parseTransform('day').bind('timestamp_ns').apply(-1n), -1);
  });

  it('has the spec result types', () => {
    assert.equal(parseTransform('day').resultType('timestamp'), 'date');
    assert.equal(parseTransform('hour').resultType('timestamptz'), 'int');
    assert.equal(parseTransform('bucket[4]').resultType('string'), 'int');
    assert.equal(parseTransform('truncate[4]').resultType('string'), 'string');
    assert.equal(parseTransform('void').resultType('uuid'), 'uuid');
  });
});

describe('parseTransform', () => {
  it('rejects an unknown transform as unsupported, naming it', () => {
    assert.throws(
      () => parseTransform('zorder'),
      (e: unknown) => FloeError.is(e, 'unsupported') && e.message.includes('"zorder"'),
    );
  });
  it('rejects a transform that cannot apply to the source type', () => {
    assert.throws(
      () => parseTransform('hour').bind('date'),
      (e: unknown) => FloeError.is(e, 'invalid-input') && /hour.*date/.test(e.message),
    );
    assert.throws(
      () => parseTransform('bucket[2]').bind('float'),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
    assert.throws(
      () => parseTransform('bucket[0]'),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
  });
});

describe('partitionPath: human-readable, escaped like Java', () => {
  const schema: Schema = {
    schemaId: 0,
    identifierFieldIds: [],
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'ts', required: false, type: 'timestamptz' },
      { id: 3, name: 'name', required: false, type: 'string' },
      { id: 4, name: 'payload', required: false, type: 'binary' },
      { id: 5, name: 'price', required: false, type: 'decimal(9, 2)' },
    ],
  };
  const spec: PartitionSpec = {
    specId: 0,
    fields: [
      { sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' },
      { sourceId: 2, fieldId: 1001, name: 'ts_day', transform: 'day' },
      { sourceId: 2, fieldId: 1002, name: 'ts_hour', transform: 'hour' },
      { sourceId: 2, fieldId: 1003, name: 'ts_month', transform: 'month' },
      { sourceId: 2, fieldId: 1004, name: 'ts_year', transform: 'year' },
      { sourceId: 3, fieldId: 1005, name: 'name', transform: 'identity' },
      { sourceId: 4, fieldId: 1006, name: 'payload', transform: 'identity' },
      { sourceId: 5, fieldId: 1007, name: 'price', transform: 'identity' },
      { sourceId: 2, fieldId: 1008, name: 'ts', transform: 'identity' },
    ],
  };

  it('prints dates, hours, months, years, strings, bytes, decimals and timestamps', () => {
    const path = partitionPath(spec, schema, [3, 19723, 19723 * 24 + 5, 648, 54, 'a b/ü', bytes('0102ff'), 1050n, 1704067200000000n]);
    assert.equal(
      path,
      'id_bucket=3/ts_day=2024-01-01/ts_hour=2024-01-01-05/ts_month=2024-01/ts_year=2024/name=a+b%2F%C3%BC/payload=AQL%2F/price=10.50/ts=2024-01-01T00%3A00Z',
    );
  });

  it('prints floating point values as Java Float.toString and Double.toString do', () => {
    const numbers: Schema = {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'f', required: false, type: 'float' },
        { id: 2, name: 'd', required: false, type: 'double' },
      ],
    };
    const identities: PartitionSpec = {
      specId: 0,
      fields: [
        { sourceId: 1, fieldId: 1000, name: 'f', transform: 'identity' },
        { sourceId: 2, fieldId: 1001, name: 'd', transform: 'identity' },
      ],
    };
    assert.equal(partitionPath(identities, numbers, [Math.fround(0.1), 1]), 'f=0.1/d=1.0');
    assert.equal(partitionPath(identities, numbers, [-2.5, 1e10]), 'f=-2.5/d=1.0E10');
    assert.equal(partitionPath(identities, numbers, [1.5e-5, 123.25]), 'f=1.5E-5/d=123.25');
  });

  it('prints null as null', () => {
    assert.equal(partitionPath({ specId: 1, fields: [spec.fields[1]!] }, schema, [null]), 'ts_day=null');
  });

  it('rejects a tuple of the wrong size', () => {
    assert.throws(
      () => partitionPath(spec, schema, [1]),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
  });
});

describe('inclusive projection', () => {
  // Property: if a source value satisfies the predicate, its partition value satisfies the projection.
  const ops = ['lt', 'lte', 'gt', 'gte', 'eq', 'notEq'] as const;

  function checkInclusive<T extends PrimitiveValue>(transformText: string, type: PrimitiveType, values: fc.Arbitrary<T>): void {
    const bound = parseTransform(transformText).bind(type);
    fc.assert(
      fc.property(values, values, fc.constantFrom(...ops, 'in' as const), fc.array(values, { maxLength: 3 }), (x, v, op, list) => {
        const predicate: ValuePredicate = op === 'in' ? { op, values: [v, ...list] } : { op, value: v };
        if (!evaluatePredicate(type, predicate, x)) return;
        const projected = bound.projectInclusive(predicate);
        if (projected === null) return;
        assert.ok(
          evaluatePredicate(bound.resultType, projected, bound.apply(x)),
          `${transformText} ${JSON.stringify(predicate, (_, val: unknown) => (typeof val === 'bigint' ? `${val}n` : val))} x=${String(x)}`,
        );
      }),
      { numRuns: 400 },
    );
  }

  const micros = fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n });
  it('identity', () => checkInclusive('identity', 'long', fc.bigInt({ min: -1000n, max: 1000n })));
  it('bucket', () => checkInclusive('bucket[7]', 'long', fc.bigInt({ min: -50n, max: 50n })));
  it('truncate int', () => checkInclusive('truncate[10]', 'int', fc.integer({ min: -100, max: 100 })));
  it('truncate long', () => checkInclusive('truncate[10]', 'long', fc.bigInt({ min: -100n, max: 100n })));
  it('truncate string', () =>
    checkInclusive('truncate[2]', 'string', fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀'), maxLength: 4 })));
  it('truncate binary', () =>
    checkInclusive(
      'truncate[2]',
      'binary',
      fc.uint8Array({ maxLength: 4, min: 0, max: 3 }).map((b) => Uint8Array.from(b)),
    ));
  it('year', () => checkInclusive('year', 'timestamp', micros));
  it('month', () => checkInclusive('month', 'timestamptz', micros));
  it('day', () => checkInclusive('day', 'timestamp', micros));
  it('hour', () => checkInclusive('hour', 'timestamp', fc.bigInt({ min: -(10n ** 10n), max: 10n ** 10n })));
  it('hour on nanoseconds', () => checkInclusive('hour', 'timestamp_ns', fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n })));
  it('day on dates', () => checkInclusive('month', 'date', fc.integer({ min: -800, max: 800 })));

  it('narrows what it can: bucket eq/in, string startsWith, day ranges', () => {
    assert.deepEqual(parseTransform('bucket[16]').bind('string').projectInclusive({ op: 'eq', value: 'iceberg' }), { op: 'eq', value: 9 });
    assert.equal(parseTransform('bucket[16]').bind('long').projectInclusive({ op: 'lt', value: 3n }), null);
    assert.deepEqual(parseTransform('truncate[3]').bind('string').projectInclusive({ op: 'startsWith', value: 'icebe' }), {
      op: 'eq',
      value: 'ice',
    });
    assert.deepEqual(parseTransform('truncate[3]').bind('string').projectInclusive({ op: 'startsWith', value: 'ic' }), {
      op: 'startsWith',
      value: 'ic',
    });
    const day = parseTransform('day').bind('timestamp');
    assert.deepEqual(day.projectInclusive({ op: 'gt', value: fromJsonValue('timestamp', '2024-01-01T23:59:59.999999') }), {
      op: 'gte',
      value: 19724,
    });
    assert.deepEqual(day.projectInclusive({ op: 'lt', value: fromJsonValue('timestamp', '2024-01-02T00:00:00') }), {
      op: 'lte',
      value: 19723,
    });
    assert.deepEqual(day.projectInclusive({ op: 'isNull' }), { op: 'isNull' });
    assert.equal(parseTransform('void').bind('long').projectInclusive({ op: 'eq', value: 1n }), null);
  });
});
