// The checks `floe materialize`, `materialize-incremental` and `backfill` run on their windows
// before any workflow starts. The clock is pinned: every "now" below is an input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  atMost,
  checkChunkCount,
  checkWindowEnded,
  checkWindowOrder,
  instant,
  integerAtLeast,
  positiveInteger,
} from '../../../cli/arguments.js';
import { FloeError } from '../../../core/errors.js';

const NOW = new Date('2024-06-01T12:00:00Z');

function refusal(body: () => unknown, pattern: RegExp): void {
  assert.throws(body, (error: unknown) => FloeError.is(error, 'invalid-input') && pattern.test(error.message));
}

describe('command-line windows', () => {
  test('instants are normalized and kept within the years 1970–9999', () => {
    assert.equal(instant('2024-05-01', '--start'), '2024-05-01T00:00:00.000Z');
    assert.equal(instant('9999-12-31T23:59:59.999Z', '--end'), '9999-12-31T23:59:59.999Z');
    assert.equal(instant('1970-01-01T00:00:00Z', '--start'), '1970-01-01T00:00:00.000Z');
    refusal(() => instant('+275760-09-13T00:00:00Z', '--end'), /--end "\+275760-09-13T00:00:00Z" is outside the years 1970–9999/);
    refusal(() => instant('1969-12-31T23:59:59Z', '--start'), /--start .* outside the years 1970–9999/);
    refusal(() => instant('yesterday', '--start'), /--start "yesterday" is not an ISO-8601 instant/);
  });

  test('the end must come after the start', () => {
    checkWindowOrder('2024-05-01T00:00:00.000Z', '2024-05-01T00:00:00.001Z');
    refusal(
      () => checkWindowOrder('2024-05-02T00:00:00.000Z', '2024-05-01T00:00:00.000Z'),
      /--end 2024-05-01T00:00:00Z must be after --start 2024-05-02T00:00:00Z/,
    );
    refusal(() => checkWindowOrder('2024-05-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z'), /must be after/);
  });

  test("a window may end at now − the view's delay, not after", () => {
    const view = { name: 'driver_hourly_stats', delay: { hours: 2 } };
    checkWindowEnded(view, '2024-06-01T10:00:00.000Z', NOW);
    refusal(
      () => checkWindowEnded(view, '2024-06-01T10:00:00.001Z', NOW),
      /Feature view driver_hourly_stats: --end 2024-06-01T10:00:00.001Z is after 2024-06-01T10:00:00Z \(now − its delay\)/,
    );
    checkWindowEnded({ name: 'no_delay', delay: undefined }, NOW.toISOString(), NOW);
    refusal(
      () => checkWindowEnded({ name: 'no_delay', delay: undefined }, '2024-06-02T00:00:00.000Z', NOW),
      /Feature view no_delay: --end 2024-06-02T00:00:00Z is after 2024-06-01T12:00:00Z;/,
    );
  });

  test('a backfill has at most --max-chunks chunks, views times windows, the last one partial', () => {
    const window = { start: '2024-01-01T00:00:00.000Z', end: '2024-01-11T01:00:00.000Z' };
    assert.equal(checkChunkCount(window, '1d', 1, 11), 11);
    assert.equal(checkChunkCount(window, '1d', 2, 22), 22);
    refusal(() => checkChunkCount(window, '1d', 2, 21), /is 22 chunks, more than --max-chunks 21/);
    refusal(
      () => checkChunkCount({ start: '1970-01-01T00:00:00.000Z', end: '9999-01-01T00:00:00.000Z' }, '1h', 1, 100_000),
      /is 70380768 chunks, more than --max-chunks 100000/,
    );
    refusal(() => checkChunkCount(window, 'daily', 1, 10), /--chunk "daily" is not a duration/);
  });

  test('counts are positive integers', () => {
    assert.equal(positiveInteger('3', '--parallelism'), 3);
    for (const text of ['0', '-1', '1.5', 'x', ''])
      refusal(() => positiveInteger(text, '--max-chunks'), /--max-chunks must be a positive integer/);
    assert.equal(atMost(1000, 1000, '--windows-per-activity'), 1000);
    refusal(() => atMost(1001, 1000, '--windows-per-activity'), /--windows-per-activity must be at most 1000, got 1001/);
  });

  test('floe compact and floe consistency take optional integers of at least a bound, naming the option', () => {
    assert.equal(integerAtLeast(undefined, '--seed', 0), undefined);
    assert.equal(integerAtLeast('0', '--min-files', 0), 0);
    assert.equal(integerAtLeast('25', '--sample', 1), 25);
    refusal(() => integerAtLeast('0', '--sample', 1), /--sample "0" must be an integer of at least 1/);
    for (const text of ['-1', '1.5', 'x', '9007199254740993'])
      refusal(() => integerAtLeast(text, '--retain-last', 0), /--retain-last ".*" must be an integer of at least 0/);
  });
});
