// The runs page lists runs most recent first by their start instant, also when one started on a
// whole second and so prints without a fraction (seen in `npm test`: `…:37Z` listed before
// `…:37.082Z` by text order).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary } from '../../../../server/ui/runs.js';
import { mostRecentFirst } from '../../../../server/ui/runs.js';

const run = (workflowId: string, startTime: string): RunSummary => ({
  workflowId,
  runId: `${workflowId}-run`,
  type: 'materialize',
  status: 'RUNNING',
  startTime,
  closeTime: null,
  featureViews: [],
  progress: null,
  windows: [],
  rows: null,
  error: null,
  temporalUiUrl: null,
});

test('runs are ordered by start instant, most recent first, whether or not their instant prints a fraction', () => {
  const runs = [
    run('whole-second', '2026-11-27T10:23:37Z'),
    run('later', '2026-11-27T10:23:37.082Z'),
    run('earlier-second', '2026-11-27T10:23:36.999Z'),
    run('next-second', '2026-11-27T10:23:38Z'),
  ];
  assert.deepEqual(
    mostRecentFirst(runs).map((each) => each.workflowId),
    ['next-second', 'later', 'whole-second', 'earlier-second'],
  );
  assert.deepEqual(
    runs.map((each) => each.workflowId),
    ['whole-second', 'later', 'earlier-second', 'next-second'],
    'the input is left as it was',
  );
});
