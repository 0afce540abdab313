// A key's combined aggregates are kept per snapshot and watermark: the same snapshot and end give the
// values combined first, a new end or a new snapshot combines again, and beyond the bound the key
// combined earliest is combined again when read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregationSchema, expandAggregations } from '../../../../features/aggregations.js';
import { columnPartials, partialColumnsOf, tileMicros } from '../../../../features/online-table/aggregation-tiles.js';
import type { TileRow } from '../../../../features/online-table/aggregation-tiles.js';
import { CombinedAggregates } from '../../../../features/online/combined-aggregates.js';
import type { FileIndex } from '../../../../features/online/file-index.js';
import { FileTiles } from '../../../../features/online/file-tiles.js';
import type { TileGroup } from '../../../../features/online/file-tiles.js';

const view = {
  aggregations: [aggregationSchema.parse({ column: 'amount', type: 'double', functions: ['count', 'sum'], windows: ['1m', '1h'] })],
};
const features = expandAggregations(view.aggregations);
const partials = columnPartials(view);
const columns = partialColumnsOf(partials);
const grid = tileMicros(view);

/** One file whose keys each hold one delta tile at tile 0 with `amount` as count 1 and that sum. */
function file(amounts: Record<string, number>): FileTiles {
  const byKey = new Map<string, TileRow[]>();
  for (const [key, amount] of Object.entries(amounts))
    byKey.set(key, [
      {
        tileStart: 0n,
        kind: 'delta',
        sequence: 1,
        values: columns.map((column) => (column.name.endsWith('__count') ? 1n : column.name.endsWith('__sum') ? amount : null)),
      },
    ]);
  return FileTiles.fromRows(byKey, columns.length);
}

const groupsOf = (tiles: FileTiles, key: string): TileGroup[] => [{ file: tiles, group: tiles.groupOf(key)! }];
/** The 1h sum: the tile at 0 stays in its window for every end used here (the grid is 1m). */
const sumOf = (values: readonly unknown[]): unknown =>
  values[features.findIndex((feature) => feature.function === 'sum' && feature.window === '1h')];

test('combined values are kept per snapshot and end, and bounded by key count', () => {
  const combined = new CombinedAggregates(2);
  // A snapshot is known by its file index only as an identity.
  const snapshot = {} as FileIndex;
  const first = file({ a: 1, b: 2, c: 3 });
  const second = file({ a: 10, b: 20, c: 30 });
  const end = grid;

  const held = combined.of(snapshot, end, features, partials);
  assert.equal(sumOf(held.valuesOf('a', groupsOf(first, 'a'))), 1);
  assert.equal(combined.of(snapshot, end, features, partials), held, 'the same snapshot and end: the same values');
  assert.equal(sumOf(held.valuesOf('a', groupsOf(second, 'a'))), 1, 'a key read again is not combined again');

  assert.equal(
    sumOf(combined.of(snapshot, 2n * grid, features, partials).valuesOf('a', groupsOf(second, 'a'))),
    10,
    'a new end combines again',
  );
  assert.equal(
    sumOf(combined.of({} as FileIndex, 2n * grid, features, partials).valuesOf('a', groupsOf(second, 'a'))),
    10,
    'a new snapshot too',
  );

  const bounded = combined.of(snapshot, 3n * grid, features, partials);
  bounded.valuesOf('a', groupsOf(first, 'a'));
  bounded.valuesOf('b', groupsOf(first, 'b'));
  bounded.valuesOf('c', groupsOf(first, 'c'));
  assert.equal(sumOf(bounded.valuesOf('a', groupsOf(second, 'a'))), 10, 'past two keys the earliest combined is let go');
  assert.equal(sumOf(bounded.valuesOf('c', groupsOf(second, 'c'))), 3, 'the latest stay');
  assert.equal(bounded.exactAsOf, '1970-01-01T00:02:59.999999Z');
});
