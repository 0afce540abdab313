// Pushed rows are checked against the source table's columns before they join a batch, and the
// batcher gathers requests by delay and by row count, one flush at a time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../../../../features/push/batcher.js';
import { checkPushedRows, requestFingerprint, rowsDigest, sameRequest } from '../../../../features/push/push-rows.js';
import type { FloeError } from '../../../../core/errors.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';

const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', type: 'long', required: true },
  { id: 2, name: 'conv_rate', type: 'double', required: false },
  { id: 3, name: 'city', type: 'string', required: false },
  { id: 4, name: 'event_timestamp', type: 'timestamptz', required: true },
  { id: 5, name: 'day', type: 'date', required: false },
  { id: 6, name: 'small', type: 'int', required: false },
  { id: 7, name: 'ratio', type: 'float', required: false },
  { id: 8, name: 'price', type: 'decimal(5, 2)', required: false },
];
const REQUIRED = new Set(['driver_id', 'event_timestamp']);

test('good rows become text per column, in schema order, with null for what was not given', () => {
  const checked = checkPushedRows(
    'driver_push',
    {
      event_timestamp: ['2024-05-01T00:00:00Z', '2024-05-01 00:00:01.123456+02:00'],
      driver_id: [1001, 2n ** 62n],
      conv_rate: [0.5, null],
      day: ['2024-02-29', null],
    },
    FIELDS,
    REQUIRED,
  );
  assert.equal(checked.rows, 2);
  assert.deepEqual(
    checked.columns.map((column) => [column.field.name, column.values]),
    [
      ['driver_id', ['1001', (2n ** 62n).toString()]],
      ['conv_rate', ['0.5', null]],
      ['city', [null, null]],
      // An offset is written out in UTC: DuckDB's cast to TIMESTAMP would drop it (push-instants.test.ts).
      ['event_timestamp', ['2024-05-01T00:00:00Z', '2024-04-30T22:00:01.123456Z']],
      ['day', ['2024-02-29', null]],
      ['small', [null, null]],
      ['ratio', [null, null]],
      ['price', [null, null]],
    ],
  );
});

test('a decimal is staged written out, without an exponent or zeros that add nothing, and a double keeps its sign at zero', () => {
  const checked = checkPushedRows(
    'driver_push',
    {
      driver_id: [1, 2, 3, 4],
      event_timestamp: Array(4).fill('2024-05-01T00:00:00Z'),
      price: ['1.5e1', '-0.50', 7, '.05'],
      conv_rate: [-0, 0, 1e-7, -2.5],
    },
    FIELDS,
    REQUIRED,
  );
  const values = (name: string) => checked.columns.find((column) => column.field.name === name)!.values;
  assert.deepEqual(values('price'), ['15', '-0.5', '7', '0.05']);
  assert.deepEqual(values('conv_rate'), ['-0', '0', '1e-7', '-2.5']);
});

test('a bad row is refused naming the row index and the column', () => {
  const base = { driver_id: [1, 2, 3], event_timestamp: ['2024-05-01T00:00:00Z', '2024-05-01T00:00:00Z', '2024-05-01T00:00:00Z'] };
  const cases: [Record<string, unknown[]>, RegExp][] = [
    [{ ...base, conv_rate: [0.5, 'fast', 1] }, /row 1, column conv_rate: expected a number \(double\), got string "fast"/],
    [{ ...base, driver_id: [1, 2.5, 3] }, /row 1, column driver_id: expected an integer \(long\), got number 2\.5/],
    [{ ...base, driver_id: [1, 2, null] }, /row 2, column driver_id: missing \(it is required\)/],
    [{ event_timestamp: base.event_timestamp }, /row 0, column driver_id: missing/],
    [{ ...base, speed: [1, 2, 3] }, /column "speed" is not a column of the source table; it has: driver_id, conv_rate/],
    [
      { ...base, event_timestamp: ['2024-05-01T00:00:00Z', '2024-02-30T00:00:00Z', 'x'] },
      /row 1, column event_timestamp: expected an ISO 8601/,
    ],
    [{ ...base, day: ['2024-05-01', '2024-05-01', '2024-13-01'] }, /row 2, column day: expected a YYYY-MM-DD date/],
    [{ ...base, small: [1, 2 ** 31, 3] }, /row 1, column small: 2147483648 is out of range for int \(-2147483648 to 2147483647\)/],
    [
      { ...base, driver_id: [1, 1e21, 3] },
      /row 1, column driver_id: 1e\+21 is out of range for long \(-9223372036854775808 to 9223372036854775807\)/,
    ],
    [{ ...base, driver_id: [1, 2, 2n ** 63n] }, /row 2, column driver_id: 9223372036854775808 is out of range for long/],
    [
      { ...base, conv_rate: [1, Infinity, 3] },
      /row 1, column conv_rate: Infinity is not a finite number; double holds finite numbers only/,
    ],
    [{ ...base, ratio: [1, 1e39, 3] }, /row 1, column ratio: 1e\+39 is out of range for float/],
    [
      { ...base, price: [1, 123.5, 1234] },
      /row 2, column price: 1234 is out of range for decimal\(5, 2\) \(at most 3 digits before the point\)/,
    ],
    [{ ...base, price: [1, 1.005, 2] }, /row 1, column price: 1\.005 has more digits after the point than decimal\(5, 2\) keeps \(2\)/],
    [
      { ...base, price: ['1', '1.5e3', '2'] },
      /row 1, column price: "1\.5e3" is out of range for decimal\(5, 2\) \(at most 3 digits before the point\)/,
    ],
    [{ ...base, city: ['ams', 7, 'rtm'] }, /row 1, column city: expected a string text, got number 7/],
    [{ ...base, conv_rate: [1, 2] }, /every column must have the same length/],
  ];
  for (const [df, message] of cases) {
    assert.throws(
      () => checkPushedRows('driver_push', df, FIELDS, REQUIRED),
      (error: Error) => {
        assert.match(error.message, message);
        assert.match((error as FloeError).detail, /^Push to driver_push: .*; nothing of this request was written$/);
        return true;
      },
    );
  }
});

test('the batcher flushes after maxDelayMs, or at once at maxRows, and one batch at a time', async () => {
  const flushed: number[][] = [];
  let release: () => void = () => undefined;
  const batcher = new Batcher<number>(
    async (items) => {
      flushed.push(items);
      await new Promise<void>((resolve) => (release = resolve));
    },
    { maxDelayMs: 30, maxRows: 10 },
  );
  batcher.add(1, 2);
  batcher.add(2, 2);
  assert.deepEqual(flushed, []);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(flushed, [[1, 2]]);
  // While the first flush runs, a full batch gathers and waits for it.
  batcher.add(3, 6);
  batcher.add(4, 6);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(flushed, [[1, 2]]);
  release();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(flushed, [
    [1, 2],
    [3, 4],
  ]);
  batcher.add(5, 1);
  release();
  const drained = batcher.drain();
  await new Promise((resolve) => setTimeout(resolve, 5));
  release();
  await drained;
  assert.deepEqual(flushed, [[1, 2], [3, 4], [5]]);
});

test("a request's fingerprint tells a resend from a reuse: the same rows to the same targets, nothing else", () => {
  const rows = checkPushedRows('driver_push', { driver_id: [1], event_timestamp: ['2024-05-01T00:00:00Z'] }, FIELDS, REQUIRED);
  const other = checkPushedRows('driver_push', { driver_id: [2], event_timestamp: ['2024-05-01T00:00:00Z'] }, FIELDS, REQUIRED);
  const online = requestFingerprint(rows, 'online');
  assert.ok(sameRequest(online, requestFingerprint(rows, 'online')));
  assert.ok(!sameRequest(online, requestFingerprint(rows, 'online_and_offline')));
  assert.ok(!sameRequest(online, requestFingerprint(other, 'online')));
  // Recorded before fingerprints held the targets: the rows' digest alone, compared by rows.
  assert.ok(sameRequest(rowsDigest(rows), requestFingerprint(rows, 'offline')));
  assert.ok(!sameRequest(rowsDigest(rows), requestFingerprint(other, 'offline')));
});
