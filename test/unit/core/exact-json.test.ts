// Issue #54: numbers in stream messages and HTTP bodies arrive exactly. parseExactJson is the one
// parse of both; a long column takes 2^53 + 1, 2^63 − 1 and −2^63 as sent, a decimal(38, 10) its 30
// digits, and a refusal shows the number as it was sent, not as a double rounded it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isLosslessNumber, LosslessNumber } from 'lossless-json';
import { mayBeInexact, parseExactJson } from '../../../core/exact-json.js';
import { FloeError } from '../../../core/errors.js';
import { checkPushedRows } from '../../../features/push/push-rows.js';
import { messageRow } from '../../../features/stream/stream-rows.js';
import type { MessageShape } from '../../../features/stream/stream-rows.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import type { NestedField } from '../../../iceberg/spec/types.js';

const BIG_LONGS = ['9007199254740993', '4611686018427387907', '9223372036854775807', '-9223372036854775808'];
const DECIMAL_30_DIGITS = '12345678901234567890.1234567891';

test('integers a number holds are numbers, larger ones bigints; non-integers a double holds exactly are numbers, others keep their digits', () => {
  const parsed = parseExactJson(
    `{"small": 42, "negative": -7, "safe": 9007199254740991, "big": [${BIG_LONGS.join(', ')}], "half": 0.5, "tenth": 0.1, "trailing": 1.10, "tiny": 1.5e-7, "exact": ${DECIMAL_30_DIGITS}, "huge": 1e400, "text": "9007199254740993"}`,
  ) as Record<string, unknown>;
  assert.equal(parsed.small, 42);
  assert.equal(parsed.negative, -7);
  assert.equal(parsed.safe, 9007199254740991);
  assert.deepEqual(
    parsed.big,
    BIG_LONGS.map((digits) => BigInt(digits)),
  );
  assert.equal(parsed.half, 0.5);
  assert.equal(parsed.tenth, 0.1);
  assert.equal(parsed.trailing, 1.1);
  assert.equal(parsed.tiny, 1.5e-7);
  assert.deepEqual(parsed.exact, new LosslessNumber(DECIMAL_30_DIGITS));
  assert.ok(isLosslessNumber(parsed.huge) && parsed.huge.value === '1e400');
  assert.equal(parsed.text, '9007199254740993');
});

test('not JSON is a SyntaxError naming the position; a key twice keeps its last value, a __proto__ key is a key, as JSON.parse', () => {
  assert.throws(
    () => parseExactJson('{"a": [1, 2'),
    (error: unknown) => error instanceof SyntaxError && /position 11/.test(error.message),
  );
  assert.throws(() => parseExactJson(' '.repeat(300)), /position 300/);
  assert.throws(() => parseExactJson('{"a": 9007199254740993,'), SyntaxError);
  for (const big of ['', ', "b": 9007199254740993']) {
    assert.deepEqual(parseExactJson(`{"a": 1, "a": 2${big}}`), { a: 2, ...(big === '' ? {} : { b: 9007199254740993n }) });
    const record = parseExactJson(`{"__proto__": {"driver_id": 1}${big}}`) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), big === '' ? ['__proto__'] : ['__proto__', 'b']);
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
  }
});

test('the native parse and the exact one agree wherever both are exact: numbers of up to 15 digits, in strings too', () => {
  // 15 digits and less: the native parse; the same numbers with a 16th digit in a string beside: the exact one.
  const numbers = '[0, -0, 1, -1.5, 123456789012345, 0.12345678901234, 1234567.89012345, -99999999999999.9, 0.000244140625]';
  const native = parseExactJson(numbers) as number[];
  const exact = parseExactJson(`{"n": ${numbers}, "s": "1234567890123456"}`) as { n: number[] };
  assert.deepEqual(exact.n, native);
  assert.deepEqual(native, JSON.parse(numbers));
  assert.ok(Object.is(native[1], -0) && Object.is(exact.n[1], -0));
});

const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', type: 'long', required: true },
  { id: 2, name: 'price', type: 'decimal(38, 10)', required: false },
  { id: 3, name: 'rate', type: 'double', required: false },
  { id: 4, name: 'small', type: 'int', required: false },
  { id: 5, name: 'event_timestamp', type: 'timestamptz', required: true },
];
const REQUIRED = new Set(['driver_id', 'event_timestamp']);
const TS = '2024-05-01T00:00:00Z';

test('a push parsed exactly lands every long and the decimal digit for digit', () => {
  const body = parseExactJson(
    `{"driver_id": [${BIG_LONGS.join(', ')}], "price": [${DECIMAL_30_DIGITS}, 5, -0.25, 1.5e-7], "rate": [0.1, 1.00000000000000000001, 3, 2.5], "event_timestamp": ["${TS}", "${TS}", "${TS}", "${TS}"]}`,
  ) as Record<string, unknown[]>;
  const checked = checkPushedRows('driver_push', body, FIELDS, REQUIRED);
  const values = Object.fromEntries(checked.columns.map(({ field, values }) => [field.name, values]));
  assert.deepEqual(values.driver_id, BIG_LONGS);
  // Written out without an exponent: DuckDB's cast of an exponent's text to a decimal can round.
  assert.deepEqual(values.price, [DECIMAL_30_DIGITS, '5', '-0.25', '0.00000015']);
  // A double column rounds as doubles do.
  assert.deepEqual(values.rate, ['0.1', '1', '3', '2.5']);
});

test('refusals show the number as sent: a long past 2^63 − 1, a decimal with too many integer digits, a fraction for an integer', () => {
  const refusal = (column: string, number: string): string => {
    const body = parseExactJson(`{"driver_id": [1], "event_timestamp": ["${TS}"]}`) as Record<string, unknown[]>;
    body[column] = parseExactJson(`[${number}]`) as unknown[];
    try {
      checkPushedRows('driver_push', body, FIELDS, REQUIRED);
    } catch (error) {
      assert.ok(FloeError.is(error, 'invalid-input'), String(error));
      return error.detail;
    }
    return assert.fail(`${column} = ${number} was taken`);
  };
  assert.match(refusal('driver_id', '9223372036854775808'), /column driver_id: 9223372036854775808 is out of range for long/);
  assert.match(refusal('driver_id', '-9223372036854775809'), /column driver_id: -9223372036854775809 is out of range for long/);
  assert.match(refusal('driver_id', '1e30'), /column driver_id: 1e30 is out of range for long/);
  assert.match(
    refusal('driver_id', '9007199254740993.5'),
    /column driver_id: expected an integer \(long\), got number 9007199254740993\.5;/,
  );
  assert.match(refusal('small', '2147483648'), /column small: 2147483648 is out of range for int/);
  assert.match(
    refusal('price', '123456789012345678901234567890.5'),
    /column price: 123456789012345678901234567890\.5 is out of range for decimal\(38, 10\) \(at most 28 digits before the point\)/,
  );
  assert.match(refusal('rate', '1e400'), /column rate: 1e400 is out of range for double/);
  // Written with an exponent, an integer is still one.
  const body = parseExactJson(`{"driver_id": [9.2e18, 12.000000000000000000], "event_timestamp": ["${TS}", "${TS}"]}`) as Record<
    string,
    unknown[]
  >;
  assert.deepEqual(checkPushedRows('driver_push', body, FIELDS, REQUIRED).columns[0]!.values, ['9200000000000000000', '12']);
});

const shape: MessageShape = {
  stream: defineStreamSource({ name: 'events', pushSource: 'p', kafka: { brokers: ['b:1'], topic: 't' }, timestampField: 'ts' }),
  fields: FIELDS,
  required: REQUIRED,
  timestampColumn: 'event_timestamp',
};

test('a stream message is parsed exactly: the big longs and the decimal land as sent; its refusals are in its own words', () => {
  for (const digits of BIG_LONGS) {
    const row = messageRow(shape, Buffer.from(`{"driver_id": ${digits}, "price": ${DECIMAL_30_DIGITS}, "ts": "${TS}"}`));
    assert.deepEqual(row, [digits, DECIMAL_30_DIGITS, null, null, TS]);
  }
  assert.equal(
    messageRow(shape, Buffer.from(`{"driver_id": 9223372036854775808, "ts": "${TS}"}`)),
    'field driver_id: 9223372036854775808 is out of range for long (-9223372036854775808 to 9223372036854775807)',
  );
});

test('a JSON message that is not UTF-8 is a dead letter, not text with U+FFFD', () => {
  const bytes = Buffer.concat([Buffer.from(`{"driver_id": 1, "ts": "${TS}", "note": "`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  assert.match(String(messageRow(shape, bytes)), /^the value is not UTF-8 text/);
});

test('the fast path is taken exactly where /\\d[\\d.]{15}|\\d[eE]/ does not match: no number of more than 15 digits, none with an exponent', () => {
  const reference = /\d[\d.]{15}|\d[eE]/;
  // Mostly digits and points, so that runs near 16 characters are common.
  const unit = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...'0123456789.') },
    { weight: 1, arbitrary: fc.constantFrom(...'eE-+" ,:x') },
  );
  const text = fc.string({ unit, maxLength: 60, size: 'max' });
  fc.assert(
    fc.property(text, (candidate) => mayBeInexact(candidate) === reference.test(candidate)),
    { numRuns: 20_000 },
  );
  for (const exact of ['{"rate":0.001220703125,"trips":5}', '123456789012345', '1234567.8901234', '"a.e"'])
    assert.equal(mayBeInexact(exact), false, exact);
  for (const inexact of ['1e5', '1.5E3', '12345678901234567', '1234567.890123456', '{"a":1.0000000000000001}', '.1234567890123456'])
    assert.equal(mayBeInexact(inexact), true, inexact);
});
