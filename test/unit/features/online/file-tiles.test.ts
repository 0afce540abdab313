// A file's tiles kept column by column combine exactly as the row objects do (aggregateTiles over
// effectiveTileRows): for random keys spread over one or several files, with deltas, restated full
// rows, nulls, doubles with -0, and longs small enough for numbers or large enough to stay bigints;
// and with pushed rows at any µs, as a request-time read (`realtimeWindowRows`) at any µs instant
// and watermark combines them; and so do a key's rows of one file once through the row store's
// encoding (column by column, or as values when a long passes 2^53).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { aggregationSchema, expandAggregations } from '../../../../features/aggregations.js';
import type { AggregationInput } from '../../../../features/aggregations.js';
import type { TileRow } from '../../../../features/online-table/aggregation-tiles.js';
import {
  aggregateTiles,
  columnPartials,
  effectiveTileRows,
  orderedTileRows,
  partialColumnsOf,
  tileMicros,
} from '../../../../features/online-table/aggregation-tiles.js';
import { combineKey, combinePlan, FileTiles } from '../../../../features/online/file-tiles.js';
import type { TileGroup } from '../../../../features/online/file-tiles.js';
import { storedTiles } from '../../../../features/online/row-store-encoding.js';

const SECOND = 1_000_000n;
/** `last`'s event times as they are met: a few such µs sum past 2^53, though each is exact as a double. */
const EPOCH_2024 = 1_704_067_200_000_000n;

const doubles: AggregationInput = {
  column: 'amount',
  type: 'double',
  functions: ['count', 'sum', 'avg', 'min', 'max', 'last'],
  windows: ['2m', '6m', '10m'],
};
const longs: AggregationInput = {
  column: 'amount',
  type: 'long',
  functions: ['count', 'sum', 'avg', 'min', 'max', 'last'],
  windows: ['2m', '10m'],
};
const smallLongs = fc.bigInt({ min: -20n, max: 20n });
/** Safe integers whose sums pass 2^53: kept as doubles, summed as longs. */
const sumsPast2To53 = fc.constantFrom(2n ** 52n + 1n, 2n ** 52n + 2n, -(2n ** 52n) - 3n);
const quarters = fc.oneof(
  fc.integer({ min: -8, max: 8 }).map((v) => v / 4),
  fc.constant(-0),
);
/** Label, aggregation, the partial columns' values, and a shift of every tile start off the grid of whole seconds (never written, but read as objects if met). */
const cases: [string, AggregationInput, fc.Arbitrary<bigint | number>, bigint][] = [
  ['double column', doubles, quarters, 0n],
  ['long column', longs, fc.oneof(smallLongs, sumsPast2To53), 0n],
  ['long column past 2^53', longs, fc.oneof(smallLongs, sumsPast2To53, fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n })), 0n],
  ['tile starts off whole seconds', doubles, quarters, 500_000n],
];

for (const [label, input, values, shift] of cases) {
  test(`columnar tiles combine like row objects (${label})`, () => {
    const view = { aggregations: [aggregationSchema.parse(input)] };
    const features = expandAggregations(view.aggregations);
    const partials = columnPartials(view);
    const columns = partialColumnsOf(partials);
    const grid = tileMicros(view);
    const value = fc.option(values, { nil: null });
    const row = fc.record({
      key: fc.integer({ min: 0, max: 3 }),
      file: fc.integer({ min: 0, max: 2 }),
      tile: fc.integer({ min: 0, max: 11 }),
      kind: fc.constantFrom('full' as const, 'delta' as const, 'pushed' as const),
      /** A pushed row's µs within its tile: often on or beside a boundary, where the windows' edges fall. */
      offset: fc.oneof(fc.constantFrom(0n, 1n, -1n), fc.bigInt({ min: 0n, max: 119_999_999n })),
      sequence: fc.integer({ min: 1, max: 6 }),
      count: fc.oneof(fc.bigInt({ min: 0n, max: 5n }), fc.constant(null)),
      sum: value,
      min: value,
      max: value,
      last: value,
      lastEvent: fc.option(
        fc.integer({ min: 0, max: 12 * 120 }).map((s) => EPOCH_2024 + BigInt(s) * SECOND),
        { nil: null },
      ),
      lastCreated: fc.option(fc.bigInt({ min: 0n, max: 3n }), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 60 }),
        fc.integer({ min: 0, max: 13 }),
        fc.tuple(fc.integer({ min: 0, max: 13 }), fc.oneof(fc.constantFrom(-1n, 0n, 1n), fc.bigInt({ min: 0n, max: 119_999_999n }))),
        fc.option(fc.integer({ min: 0, max: 13 }), { nil: null }),
        (generated, endTiles, [instantTile, instantOffset], watermarkTiles) => {
          const byName = (r: (typeof generated)[number]): Record<string, unknown> => ({
            amount__count: r.count,
            amount__sum: r.sum,
            amount__min: r.min,
            amount__max: r.max,
            amount__last: r.last,
            amount__last_event_ts: r.lastEvent,
            amount__last_created_ts: r.lastCreated,
          });
          const files = [0, 1, 2].map((file) => {
            const byKey = new Map<string, TileRow[]>();
            for (const r of generated.filter((candidate) => candidate.file === file)) {
              const tileRow: TileRow = {
                tileStart: BigInt(r.tile) * grid + (r.kind === 'pushed' ? r.offset : shift),
                kind: r.kind,
                sequence: r.sequence + file * 10,
                values: columns.map((column) => (byName(r)[column.name] ?? null) as TileRow['values'][number]),
              };
              byKey.set(String(r.key), [...(byKey.get(String(r.key)) ?? []), tileRow]);
            }
            return { byKey, tiles: FileTiles.fromRows(byKey, columns.length) };
          });
          const end = BigInt(endTiles) * grid;
          const plan = combinePlan(features, partials, end);
          const instant = BigInt(instantTile) * grid + instantOffset;
          const realtime = { grid, materializedEnd: watermarkTiles === null ? null : BigInt(watermarkTiles) * grid };
          const realtimePlan = combinePlan(features, partials, instant + 1n, realtime);
          for (const key of ['0', '1', '2', '3']) {
            const rows = files.flatMap(({ byKey }) => byKey.get(key) ?? []);
            const groups: TileGroup[] = files.flatMap(({ tiles }) => {
              const group = tiles.groupOf(key);
              return group === undefined ? [] : [{ file: tiles, group }];
            });
            assert.deepEqual(combineKey(plan, groups), aggregateTiles(features, partials, effectiveTileRows(rows), end));
            assert.deepEqual(
              combineKey(realtimePlan, groups),
              aggregateTiles(features, partials, effectiveTileRows(rows), instant + 1n, realtime),
              'a request-time read',
            );
            // One file at a time: the columnar path itself, and a key's rows as the row store gives them back.
            for (const { byKey, tiles } of files) {
              const group = tiles.groupOf(key);
              if (group === undefined) continue;
              const stored = storedTiles.decode(storedTiles.encode(orderedTileRows(byKey.get(key)!)));
              const fromStore = [{ file: FileTiles.ofKey(key, stored.columns, stored.pushed), group: 0 }];
              assert.deepEqual(combineKey(plan, fromStore), combineKey(plan, [{ file: tiles, group }]), 'stored');
              assert.deepEqual(
                combineKey(realtimePlan, fromStore),
                combineKey(realtimePlan, [{ file: tiles, group }]),
                'stored, request-time',
              );
              assert.deepEqual(
                combineKey(plan, [{ file: tiles, group }]),
                aggregateTiles(features, partials, effectiveTileRows(byKey.get(key)!), end),
              );
              assert.deepEqual(
                combineKey(realtimePlan, [{ file: tiles, group }]),
                aggregateTiles(features, partials, effectiveTileRows(byKey.get(key)!), instant + 1n, realtime),
                'a request-time read, on the columns',
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
}
