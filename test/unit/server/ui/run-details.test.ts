// The runs page's details of a run (issue #57): the windows, rows and views each workflow's input,
// result or progress tells, its failure in words without a secret or a stack trace, and nothing
// guessed from values of an unexpected shape (histories of other Floe versions).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackfillInput, BackfillProgress, BackfillResult } from '../../../../contracts/backfill.js';
import type { CompactionSummary } from '../../../../contracts/compaction-summary.js';
import type { ConsistencyResult } from '../../../../contracts/consistency.js';
import type { MaterializeInput, MaterializeResult } from '../../../../contracts/materialize.js';
import type { TrainingSetInput, TrainingSetProgress, TrainingSetResult } from '../../../../contracts/training-set.js';
import { Redactor } from '../../../../core/redaction.js';
import { MAX_ERROR_LENGTH, runDetails as detailsRedactedBy, shownError } from '../../../../server/ui/run-details.js';

const redactor = new Redactor();
const runDetails = (...args: Parameters<typeof detailsRedactedBy> extends [unknown, ...infer Rest] ? Rest : never) =>
  detailsRedactedBy(redactor, ...args);

const MAY_1 = '2024-05-01T00:00:00Z';
const MAY_2 = '2024-05-02T00:00:00Z';
const MAY_3 = '2024-05-03T00:00:00Z';

const materialized: MaterializeResult = {
  featureView: 'driver_hourly',
  start: MAY_1,
  end: '2024-05-01T20:00:00.000Z',
  requested: { start: MAY_1, end: MAY_2 },
  sourceSnapshotId: '8',
  scan: { mode: 'copy-on-write', dataFiles: 2, positionDeleteFiles: 0, equalityDeleteFiles: 0, dataRecords: 9 },
  rows: 5,
  dataFiles: 1,
  onlineSnapshotId: '9',
  alreadyCommitted: false,
};

test('a completed materialize shows the window it committed (not the one asked for), its rows and its view', () => {
  const input: MaterializeInput = { featureView: 'driver_hourly', start: MAY_1, end: MAY_2 };
  assert.deepEqual(runDetails('materialize', input, { kind: 'result', value: materialized }), {
    featureViews: ['driver_hourly'],
    windows: [{ start: MAY_1, end: '2024-05-01T20:00:00Z', chunks: null }],
    rows: 5,
    error: null,
  });
});

test("a running or failed materialize shows its input's view and window, rows unknown; a scheduled one (no start) no window", () => {
  const input: MaterializeInput = { featureView: 'driver_hourly', start: MAY_1, end: MAY_2 };
  assert.deepEqual(runDetails('materialize', input, { kind: 'unknown' }), {
    featureViews: ['driver_hourly'],
    windows: [{ start: MAY_1, end: MAY_2, chunks: null }],
    rows: null,
    error: null,
  });
  assert.deepEqual(runDetails('materialize', { featureView: 'driver_hourly', end: MAY_2 }, { kind: 'unknown' }), {
    featureViews: ['driver_hourly'],
    windows: [],
    rows: null,
    error: null,
  });
  const failed = runDetails('materialize', input, { kind: 'failure', message: 'Table rides.gone does not exist' });
  assert.deepEqual(failed, {
    featureViews: ['driver_hourly'],
    windows: [{ start: MAY_1, end: MAY_2, chunks: null }],
    rows: null,
    error: 'Table rides.gone does not exist',
  });
});

test('a backfill shows its range in chunks and its rows, so far from its progress query, in all from its result', () => {
  const input: BackfillInput = { featureViews: ['driver_hourly', 'driver_quick'], start: MAY_1, end: MAY_3, chunk: '12h' };
  const progress: BackfillProgress = {
    state: 'running',
    featureViews: ['driver_hourly', 'driver_quick'],
    start: MAY_1,
    end: MAY_3,
    chunksTotal: 8,
    chunksDone: 3,
    rows: 40,
    current: [],
    paused: false,
    run: 1,
  };
  assert.deepEqual(runDetails('backfill', input, { kind: 'progress', value: progress }), {
    featureViews: ['driver_hourly', 'driver_quick'],
    windows: [{ start: MAY_1, end: MAY_3, chunks: 8 }],
    rows: 40,
    error: null,
  });
  const result: BackfillResult = { featureViews: input.featureViews, start: MAY_1, end: MAY_3, chunks: 8, rows: 96, runs: 2 };
  assert.deepEqual(runDetails('backfill', input, { kind: 'result', value: result }), {
    featureViews: ['driver_hourly', 'driver_quick'],
    windows: [{ start: MAY_1, end: MAY_3, chunks: 8 }],
    rows: 96,
    error: null,
  });
  // Continued as new, or its progress query not answered: the range its input names.
  assert.deepEqual(runDetails('backfill', input, { kind: 'unknown' }).windows, [{ start: MAY_1, end: MAY_3, chunks: null }]);
});

test("a compaction shows the rows it rewrote and its view (none for a source table's), and covers no window", () => {
  const summary: CompactionSummary = {
    table: 'floe_online.driver_hourly',
    kind: 'online',
    featureView: 'driver_hourly',
    plannedSnapshotId: '3',
    snapshotId: '4',
    alreadyCommitted: false,
    partitionsRewritten: 2,
    dataFilesBefore: 9,
    dataFilesAfter: 2,
    deleteFilesBefore: 0,
    deleteFilesRemoved: 0,
    rowsBefore: 120,
    rowsAfter: 100,
    snapshotsExpired: 0,
    expiredFilesDeleted: 0,
    orphansRemoved: 0,
  };
  assert.deepEqual(runDetails('compact', { featureView: 'driver_hourly' }, { kind: 'result', value: summary }), {
    featureViews: ['driver_hourly'],
    windows: [],
    rows: 100,
    error: null,
  });
  assert.deepEqual(
    runDetails('compact', { table: 'rides.driver_stats' }, { kind: 'result', value: { ...summary, kind: 'source', featureView: null } }),
    { featureViews: [], windows: [], rows: 100, error: null },
  );
  assert.equal(
    runDetails('compact', { featureView: 'driver_hourly' }, { kind: 'progress', value: { phase: 'rewriting', rewrite: null } }).rows,
    null,
  );
});

test('a consistency check shows the entities it sampled; a training set its rows and the range of its entity rows', () => {
  const report: ConsistencyResult = {
    featureView: 'driver_hourly',
    checkedAt: MAY_2,
    exactAsOf: MAY_1,
    onlineSnapshotId: '4',
    seed: 7,
    sampled: 50,
    population: 80,
    mismatches: 0,
    features: [],
    reportTable: 'floe_monitoring.consistency',
    reportSnapshotId: '5',
  };
  assert.deepEqual(runDetails('consistency', { featureView: 'driver_hourly' }, { kind: 'result', value: report }), {
    featureViews: ['driver_hourly'],
    windows: [],
    rows: 50,
    error: null,
  });

  const input: TrainingSetInput = {
    entities: { from: 'driver_source', start: MAY_1, end: MAY_2 },
    features: ['driver_hourly:trips'],
    output: { table: 'ml.training' },
  };
  const progress: TrainingSetProgress = {
    state: 'running',
    output: 'ml.training',
    chunksTotal: 4,
    chunksDone: 1,
    entityRows: 400,
    rows: 100,
    current: [1],
  };
  const result: TrainingSetResult = { table: 'ml.training', snapshotId: '2', rows: 400, chunks: 4, dataFiles: 4, alreadyCommitted: false };
  const window = [{ start: MAY_1, end: MAY_2, chunks: null }];
  assert.deepEqual(runDetails('trainingSet', input, { kind: 'progress', value: progress }), {
    featureViews: [],
    windows: window,
    rows: 100,
    error: null,
  });
  assert.deepEqual(runDetails('trainingSet', input, { kind: 'result', value: result }), {
    featureViews: [],
    windows: window,
    rows: 400,
    error: null,
  });
  assert.deepEqual(runDetails('trainingSet', { ...input, entities: { table: 'ml.requests' } }, { kind: 'unknown' }).windows, []);
});

test('values of an unexpected shape leave the fields empty rather than guessed', () => {
  const empty = { featureViews: [], windows: [], rows: null, error: null };
  assert.deepEqual(runDetails('materialize', undefined, { kind: 'result', value: null }), empty);
  assert.deepEqual(runDetails('materialize', [], { kind: 'result', value: 'done' }), empty);
  assert.deepEqual(
    runDetails('materialize', { featureView: 7, start: MAY_1 }, { kind: 'result', value: { ...materialized, start: 1, rows: -1 } }),
    { featureViews: ['driver_hourly'], windows: [], rows: null, error: null },
  );
  assert.deepEqual(runDetails('backfill', { featureViews: 'driver_hourly' }, { kind: 'result', value: { rows: 1.5 } }), empty);
  assert.deepEqual(runDetails('somethingElse', { featureView: 'driver_hourly' }, { kind: 'result', value: materialized }), empty);
});

test('an error is shown without known secrets, bearer tokens or a stack trace, and cut when very long', () => {
  redactor.register(['s3cr3t-catalog-token']);
  assert.equal(
    shownError(
      'Catalog refused s3cr3t-catalog-token with Authorization: Bearer abc.def.ghi\n    at loadTable (iceberg/catalog/rest.ts:10:5)\n    at x',
      redactor,
    ),
    'Catalog refused [redacted] with Authorization: Bearer [redacted]',
  );
  assert.equal(shownError('', redactor), 'failed without a message');
  const long = shownError('x'.repeat(MAX_ERROR_LENGTH * 2), redactor);
  assert.equal(long.length, MAX_ERROR_LENGTH);
  assert.ok(long.endsWith('…'));
  assert.equal(runDetails('backfill', {}, { kind: 'failure', message: 'a chunk failed\n    at run' }).error, 'a chunk failed');
});
