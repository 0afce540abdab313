import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LosslessNumber, stringify } from 'lossless-json';
import { FloeError } from '../../../../core/errors.js';
import type { PrimitiveType, PrimitiveValue } from '../../../../iceberg/spec/types.js';
import { compareValues } from '../../../../iceberg/spec/value-order.js';
import { formatDecimal, fromJsonValue, toJsonValue } from '../../../../iceberg/spec/value-json.js';
import { fromBinary, minimalBigEndian, toBinary } from '../../../../iceberg/spec/values.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

describe('Appendix D binary single-value serialization', () => {
  // Expected bytes from the spec's table (longs checked with Python's struct.pack('<q', v)).
  const cases: [PrimitiveType, PrimitiveValue, string][] = [
    ['boolean', false, '00'],
    ['boolean', true, '01'],
    ['int', 34, '22000000'],
    ['int', -1, 'ffffffff'],
    ['date', 17486, '4e440000'], // 2017-11-16
    ['long', 34n, '2200000000000000'],
    ['long', -2n, 'feffffffffffffff'],
    ['long', 2n ** 62n + 7n, '0700000000000040'],
    ['float', 1, '0000803f'],
    ['double', 1, '000000000000f03f'],
    ['double', -0, '0000000000000080'],
    ['time', 81068000000n, '008307e012000000'], // 22:31:08
    ['timestamp', 1510871468000000n, '00c3262d215e0500'],
    ['timestamptz', -1n, 'ffffffffffffffff'],
    ['timestamp_ns', 1510871468000001001n, 'e9bb695f98b1f714'],
    ['string', 'iceberg', '69636562657267'],
    ['string', 'ü日', 'c3bce697a5'],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7'],
    ['fixed[4]', bytes('00010203'), '00010203'],
    ['binary', bytes('000102ff'), '000102ff'],
    ['binary', new Uint8Array(0), ''],
    ['decimal(9, 2)', 1420n, '058c'], // 14.20
    ['decimal(9, 2)', 127n, '7f'],
    ['decimal(9, 2)', 128n, '0080'],
    ['decimal(9, 2)', -128n, '80'],
    ['decimal(9, 2)', -129n, 'ff7f'],
    ['decimal(9, 2)', 0n, '00'],
    ['decimal(38, 0)', -1n, 'ff'],
  ];
  for (const [type, value, expected] of cases) {
    it(`${type} ${String(value instanceof Uint8Array ? hex(value) : value)} ↔ ${expected}`, () => {
      assert.equal(hex(toBinary(type, value)), expected);
      assert.deepEqual(fromBinary(type, bytes(expected)), value);
    });
  }

  it('reads a 4-byte bound of a column promoted from int to long, and float to double, like Java', () => {
    assert.equal(fromBinary('long', bytes('feffffff')), -2n);
    assert.equal(fromBinary('double', bytes('0000803f')), 1);
  });

  it('rejects bytes of the wrong length as corrupt, naming the type', () => {
    assert.throws(
      () => fromBinary('int', bytes('0102')),
      (e: unknown) => FloeError.is(e, 'corrupt') && /int/.test(e.message),
    );
    assert.throws(
      () => fromBinary('fixed[4]', bytes('0102')),
      (e: unknown) => FloeError.is(e, 'corrupt'),
    );
  });

  it('rejects values of the wrong shape as invalid input', () => {
    assert.throws(
      () => toBinary('int', 2 ** 31),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
    assert.throws(
      () => toBinary('long', 2n ** 63n),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
    assert.throws(
      () => toBinary('uuid', 'not-a-uuid'),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
    assert.throws(
      () => toBinary('fixed[3]', bytes('00')),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
    assert.throws(
      () => toBinary('unknown', 1),
      (e: unknown) => FloeError.is(e, 'unsupported'),
    );
  });

  it('writes the minimal two-complement big-endian form for large decimals', () => {
    const value = 10n ** 37n; // fits 16 bytes
    const encoded = minimalBigEndian(value);
    assert.equal(encoded.length, 16);
    assert.equal(fromBinary('decimal(38, 0)', encoded), value);
    assert.equal(fromBinary('decimal(38, 0)', minimalBigEndian(-value)), -value);
  });
});

describe('JSON single-value serialization (spec examples)', () => {
  const cases: [PrimitiveType, PrimitiveValue, unknown][] = [
    ['boolean', true, true],
    ['int', 34, 34],
    ['long', 34n, 34],
    ['float', 1, 1],
    ['double', 1, 1],
    ['decimal(9, 2)', 1420n, '14.20'],
    ['decimal(9, -20)', 2n, '2E+20'],
    ['decimal(9, 4)', -5n, '-0.0005'],
    ['date', 17486, '2017-11-16'],
    ['time', 81068123456n, '22:31:08.123456'],
    ['timestamp', 1510871468123456n, '2017-11-16T22:31:08.123456'],
    ['timestamptz', 1510871468123456n, '2017-11-16T22:31:08.123456+00:00'],
    ['timestamp_ns', 1510871468123456789n, '2017-11-16T22:31:08.123456789'],
    ['timestamptz_ns', 1510871468123456789n, '2017-11-16T22:31:08.123456789+00:00'],
    ['timestamp', -1n, '1969-12-31T23:59:59.999999'],
    ['string', 'iceberg', 'iceberg'],
    ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'],
    ['fixed[4]', bytes('000102ff'), '000102ff'],
    ['binary', bytes('000102ff'), '000102ff'],
  ];
  for (const [type, value, json] of cases) {
    it(`${type} ${JSON.stringify(json)}`, () => {
      assert.deepEqual(toJsonValue(type, value), json);
      assert.deepEqual(fromJsonValue(type, json), value);
    });
  }

  it('keeps every digit of a 64-bit long through lossless-json', () => {
    const big = 9007199254740993n; // 2^53 + 1
    const json = toJsonValue('long', big);
    assert.ok(json instanceof LosslessNumber);
    assert.equal(stringify(json), '9007199254740993');
    assert.equal(fromJsonValue('long', json), big);
  });

  it('accepts timestamps with any offset and a Z, converting to UTC', () => {
    assert.equal(fromJsonValue('timestamptz', '2017-11-16T14:31:08-08:00'), 1510871468000000n);
    assert.equal(fromJsonValue('timestamptz', '2017-11-16T22:31:08Z'), 1510871468000000n);
  });

  it('rejects a zone on a timestamp without zone, and none on timestamptz', () => {
    assert.throws(
      () => fromJsonValue('timestamp', '2017-11-16T22:31:08+00:00'),
      (e: unknown) => FloeError.is(e, 'invalid-input') && /timestamp/.test(e.message),
    );
    assert.throws(
      () => fromJsonValue('timestamptz', '2017-11-16T22:31:08'),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
  });

  it('rejects a decimal whose scale differs from the type', () => {
    assert.throws(
      () => fromJsonValue('decimal(9, 2)', '14.2'),
      (e: unknown) => FloeError.is(e, 'invalid-input') && /scale 2/.test(e.message),
    );
  });

  it('formats decimals like Java BigDecimal', () => {
    assert.equal(formatDecimal(1050n, 2), '10.50');
    assert.equal(formatDecimal(25n, -19), '2.5E+20');
    assert.equal(formatDecimal(-7n, 0), '-7');
  });
});

describe('compareValues: the order of bounds', () => {
  it('orders strings by code point (UTF-8 byte order), not UTF-16 units', () => {
    // U+FFFD is one UTF-16 unit above the surrogates of U+1F600, but below it in UTF-8.
    assert.ok(compareValues('string', '\uFFFD', '😀') < 0);
    assert.ok('\uFFFD' > '😀'); // what naive JS comparison would say
    assert.ok(compareValues('string', 'ab', 'abc') < 0);
    assert.equal(compareValues('string', 'abc', 'abc'), 0);
  });

  it('orders binary by unsigned bytes', () => {
    assert.ok(compareValues('binary', bytes('7f'), bytes('80')) < 0);
    assert.ok(compareValues('binary', bytes('ff'), bytes('ff00')) < 0);
  });

  it('orders -0.0 before +0.0 and NaN last', () => {
    assert.ok(compareValues('double', -0, 0) < 0);
    assert.ok(compareValues('double', 0, -0) > 0);
    assert.ok(compareValues('float', Number.POSITIVE_INFINITY, Number.NaN) < 0);
  });

  it('orders longs, timestamps and decimals as signed integers beyond 2^53', () => {
    assert.ok(compareValues('long', 2n ** 60n, 2n ** 60n + 1n) < 0);
    assert.ok(compareValues('decimal(38, 2)', -5n, 3n) < 0);
    assert.ok(compareValues('boolean', false, true) < 0);
  });
});
