// The rows Feast's offline_write_batch sends as Arrow, as the columns of values a push checks:
// 64-bit integers exact, timestamps of every unit as UTC text keeping every digit, dates as days,
// pandas' index dropped, and a column of a type no push takes refused by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as arrow from 'apache-arrow';
import { FloeError } from '../../../../core/errors.js';
import { arrowPushColumns, isoNanos } from '../../../../server/flight/arrow-push-columns.js';

test('instants in nanoseconds are UTC text with as many fraction digits as they need', () => {
  assert.equal(isoNanos(0n), '1970-01-01T00:00:00Z');
  assert.equal(isoNanos(1_714_532_400_123_456_789n), '2024-05-01T03:00:00.123456789Z');
  assert.equal(isoNanos(1_714_532_400_500_000_000n), '2024-05-01T03:00:00.5Z');
  assert.equal(isoNanos(-1n), '1969-12-31T23:59:59.999999999Z');
});

test('an Arrow table becomes columns of values: longs exact, timestamps of each unit, nulls kept, the pandas index dropped', () => {
  const micros = new arrow.TimestampMicrosecond('UTC');
  const nanos = new arrow.TimestampNanosecond();
  const table = new arrow.Table({
    driver_id: arrow.vectorFromArray([9_007_199_254_740_993n, null], new arrow.Int64()),
    conv_rate: arrow.vectorFromArray([0.5, 0.25], new arrow.Float32()),
    label: arrow.vectorFromArray(['a', null], new arrow.Utf8()),
    event_timestamp: arrow.makeVector({
      type: micros,
      data: new BigInt64Array([1_714_532_400_000_001n, 1_714_532_400_000_000n]),
    } as never),
    created: arrow.makeVector({ type: nanos, data: new BigInt64Array([1_714_532_400_000_000_007n, 0n]) } as never),
    __index_level_0__: arrow.vectorFromArray([7n, 8n], new arrow.Int64()),
  });
  assert.deepEqual(arrowPushColumns(table, 'write'), {
    driver_id: [9_007_199_254_740_993n, null],
    conv_rate: [0.5, 0.25],
    label: ['a', null],
    event_timestamp: ['2024-05-01T03:00:00.000001Z', '2024-05-01T03:00:00Z'],
    created: ['2024-05-01T03:00:00.000000007Z', '1970-01-01T00:00:00Z'],
  });
});

test('a column of a type no push takes is refused naming it', () => {
  const table = new arrow.Table({ span: arrow.vectorFromArray([1n, 2n], new arrow.DurationSecond()) });
  assert.throws(
    () => arrowPushColumns(table, "Feast's offline_write_batch to feature view v"),
    (error: unknown) => FloeError.is(error, 'invalid-input') && /feature view v: column span has Arrow type Duration/.test(error.message),
  );
});
