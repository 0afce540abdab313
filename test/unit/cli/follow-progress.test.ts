// The progress `floe training-set` and `backfill` show: a count the workflow has not made yet is said
// to be unknown, never shown as `0/0 chunks`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkCount } from '../../../cli/follow.js';
import { progressView } from '../../../cli/commands/training-set.js';
import type { TrainingSetProgress } from '../../../contracts/training-set.js';

const planning: TrainingSetProgress = {
  state: 'planning',
  output: 'datasets.ranking',
  chunksTotal: 0,
  chunksDone: 0,
  entityRows: 0,
  rows: 0,
  current: [],
};

test('a count is done/total once known, and said to be unknown before', () => {
  assert.equal(chunkCount(3, 10), '3/10 chunks');
  assert.equal(chunkCount(0, 0), '0/0 chunks', 'a plan of no chunks is a known total');
  assert.equal(chunkCount(0, undefined), 'chunks not counted yet');
  assert.equal(chunkCount(4, undefined), '4 chunks done, total not known yet');
});

test('a training set that is planning has no total yet; once running, its plan’s', () => {
  const view = progressView(planning);
  assert.equal(view.total, undefined);
  assert.equal(`${chunkCount(view.done, view.total)}, ${view.line}`, 'chunks not counted yet, 0 rows, planning');
  const running = progressView({ ...planning, state: 'running', chunksTotal: 7, chunksDone: 2, rows: 200, entityRows: 700 });
  assert.equal(`${chunkCount(running.done, running.total)}, ${running.line}`, '2/7 chunks, 200 rows, running');
});
