// How a backfill with windowsPerActivity cuts its chunks into batches, and its input check.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { balancedBatchSize, planBackfill } from '../../../workflows/backfill.js';

/** The batch sizes lanes take, in order, cutting `chunks` with batchSize. */
function batches(chunks: number, size: number): number[] {
  const sizes: number[] = [];
  for (let next = 0; next < chunks; next += size) sizes.push(Math.min(size, chunks - next));
  return sizes;
}

describe('backfill batches', () => {
  test('every lane gets the same number of batches, none larger than asked', () => {
    assert.deepEqual(batches(30, balancedBatchSize(30, 2, 10)), [8, 8, 8, 6]);
    assert.deepEqual(batches(30, balancedBatchSize(30, 1, 10)), [10, 10, 10]);
    assert.deepEqual(batches(30, balancedBatchSize(30, 4, 10)), [8, 8, 8, 6]);
    assert.deepEqual(batches(5, balancedBatchSize(5, 8, 10)), [1, 1, 1, 1, 1]);
    assert.deepEqual(batches(1, balancedBatchSize(1, 2, 1)), [1]);
    for (let chunks = 1; chunks <= 200; chunks++)
      for (const lanes of [1, 2, 3, 4, 7])
        for (const most of [1, 2, 5, 24]) {
          const size = balancedBatchSize(chunks, lanes, most);
          assert.ok(size >= 1 && size <= most, `${chunks} chunks, ${lanes} lanes, at most ${most}: size ${size}`);
          // Lanes take batches in turn: the busiest one does at most one window per batch more than an even share.
          const rounds = Math.ceil(Math.ceil(chunks / size) / lanes);
          assert.ok(
            rounds * size <= chunks / lanes + rounds,
            `${chunks} chunks, ${lanes} lanes, at most ${most}: ${rounds} rounds of ${size}`,
          );
        }
  });

  test('windowsPerActivity is carried into the plan; a bad one is refused naming the field', () => {
    const range = { featureViews: ['a'], start: '2024-05-01T00:00:00Z', end: '2024-05-03T00:00:00Z' };
    assert.equal(planBackfill({ ...range, windowsPerActivity: 24 }).windowsPerActivity, 24);
    assert.equal(planBackfill(range).windowsPerActivity, undefined);
    for (const bad of [0, 1.5, 1001])
      assert.throws(() => planBackfill({ ...range, windowsPerActivity: bad }), /windowsPerActivity: must be an integer from 1 to 1000/);
  });
});
