// bench online compares every server's answer before it takes a time: the comparison must accept
// Feast's own layout (its Redis store's column order, PRESENT with null for a missing entity,
// 64-bit integers as strings) and must catch any value, status or event time that differs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstDifference } from '../../../bench/_online/compare-answers.js';
import type { FeastAnswer } from '../../../bench/_online/compare-answers.js';

const EPOCH = '1970-01-01T00:00:00Z';

/** Floe's answer for drivers 1, 20000 and 20001 (missing), as its server writes it. */
function floeAnswer(): FeastAnswer {
  return {
    metadata: { feature_names: ['driver_id', 'conv_rate', 'acc_rate', 'avg_daily_trips'] },
    results: [
      { values: [1, 20000, 20001], statuses: ['PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: [EPOCH, EPOCH, EPOCH] },
      {
        values: [0.001, 0, null],
        statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'],
        event_timestamps: ['2024-06-01T00:00:01Z', '2024-06-01T00:00:20Z', EPOCH],
      },
      {
        values: [0.1, 0.1, null],
        statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'],
        event_timestamps: ['2024-06-01T00:00:01Z', '2024-06-01T00:00:20Z', EPOCH],
      },
      {
        values: [1, 0, null],
        statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'],
        event_timestamps: ['2024-06-01T00:00:01Z', '2024-06-01T00:00:20Z', EPOCH],
      },
    ],
  };
}

/** Feast 0.67's feature server over Redis for the same request, as it answered in the benchmark. */
function feastRedisAnswer(): FeastAnswer {
  return {
    metadata: { feature_names: ['driver_id', 'conv_rate', 'avg_daily_trips', 'acc_rate'] },
    results: [
      { values: ['1', '20000', '20001'], statuses: ['PRESENT', 'PRESENT', 'PRESENT'], event_timestamps: [EPOCH, EPOCH, EPOCH] },
      {
        values: [0.001, 0.0, null],
        statuses: ['PRESENT', 'PRESENT', 'PRESENT'],
        event_timestamps: ['2024-06-01T00:00:01Z', '2024-06-01T00:00:20Z', EPOCH],
      },
      {
        values: [1, 0, null],
        statuses: ['PRESENT', 'PRESENT', 'PRESENT'],
        event_timestamps: ['2024-06-01T00:00:01.000Z', '2024-06-01T00:00:20Z', EPOCH],
      },
      {
        values: [0.1, 0.1, null],
        statuses: ['PRESENT', 'PRESENT', 'PRESENT'],
        event_timestamps: ['2024-06-01T00:00:01Z', '2024-06-01T00:00:20Z', EPOCH],
      },
    ],
  };
}

function withResult(answer: FeastAnswer, column: number, change: Partial<FeastAnswer['results'][number]>): FeastAnswer {
  return { ...answer, results: answer.results.map((result, index) => (index === column ? { ...result, ...change } : result)) };
}

test("Feast's layout of the same answer is no difference", () => {
  assert.equal(firstDifference(floeAnswer(), feastRedisAnswer()), undefined);
  assert.equal(firstDifference(feastRedisAnswer(), floeAnswer()), undefined);
});

test('a value one ulp away is a difference that names the feature and the entity', () => {
  const other = withResult(feastRedisAnswer(), 1, { values: [0.001 + Number.EPSILON / 1000, 0, null] });
  assert.match(firstDifference(floeAnswer(), other) ?? '', /^conv_rate of entity row 0 \(driver_id 1\) is 0\.001000/);
});

test('a found entity with a null value, a missing feature, or another event time is a difference', () => {
  const nullValue = withResult(feastRedisAnswer(), 2, { values: [null, 0, null] });
  assert.match(firstDifference(floeAnswer(), nullValue) ?? '', /avg_daily_trips of entity row 0 .* is null, expected 1/);
  const notFound = withResult(feastRedisAnswer(), 3, { statuses: ['NOT_FOUND', 'PRESENT', 'PRESENT'] });
  assert.match(firstDifference(floeAnswer(), notFound) ?? '', /acc_rate of entity row 0 .* has status NOT_FOUND, expected PRESENT/);
  const fewer: FeastAnswer = {
    metadata: { feature_names: ['driver_id', 'conv_rate', 'acc_rate'] },
    results: floeAnswer().results.slice(0, 3),
  };
  assert.match(firstDifference(floeAnswer(), fewer) ?? '', /^feature names/);
  const later = withResult(feastRedisAnswer(), 1, { event_timestamps: ['2024-06-01T00:00:02Z', '2024-06-01T00:00:20Z', EPOCH] });
  assert.match(firstDifference(floeAnswer(), later) ?? '', /conv_rate of entity row 0 .* has event time 2024-06-01T00:00:02Z/);
});
