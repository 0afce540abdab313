// `floe materialize` prints its window's instants as Floe prints every instant (no fraction for whole
// seconds), though the workflow keeps them as Date.toISOString writes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeMaterializeResult, printedMaterializeResult } from '../../../cli/materialize-result.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';

const asked: MaterializeResult = {
  featureView: 'driver_hourly_stats',
  start: '2024-05-01T00:00:00.000Z',
  end: '2024-05-01T09:00:00.000Z',
  sourceSnapshotId: '1',
  scan: { mode: 'copy-on-write', dataFiles: 1, positionDeleteFiles: 0, equalityDeleteFiles: 0, dataRecords: 2 },
  rows: 2,
  dataFiles: 1,
  onlineSnapshotId: '2',
  alreadyCommitted: false,
};
const result: MaterializeResult = { ...asked, requested: { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.500Z' } };

test('the JSON result and the lines print the window as documented; a window asked for only when it differs', () => {
  const printed = printedMaterializeResult(result);
  assert.deepEqual(
    [printed.start, printed.end, printed.requested],
    ['2024-05-01T00:00:00Z', '2024-05-01T09:00:00Z', { start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00.500Z' }],
  );
  const lines = describeMaterializeResult(printed);
  assert.match(lines, /^Materialized driver_hourly_stats for \[2024-05-01T00:00:00Z, 2024-05-01T09:00:00Z\)$/m);
  assert.doesNotMatch(lines, /\.000Z/);
  assert.equal(printedMaterializeResult(asked).requested, undefined);
});
