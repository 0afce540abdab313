// Tile combination against the brute-force reference: events cut into delta tiles at random,
// some tiles restated as full rows (with stale rows before them that must not count), combined as
// of a tile boundary, equal the aggregates of the events themselves at that boundary − 1 µs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { expandAggregations } from '../../../../features/aggregations.js';
import type { AggregationInput } from '../../../../features/aggregations.js';
import { aggregationSchema } from '../../../../features/aggregations.js';
import type { TileRow } from '../../../../features/online-table/aggregation-tiles.js';
import {
  aggregateTiles,
  columnPartials,
  effectiveTileRows,
  floorToGrid,
  partialColumnsOf,
  tileMicros,
} from '../../../../features/online-table/aggregation-tiles.js';
import { referenceAggregates } from '../../../support/aggregation-reference.js';
import type { ReferenceEvent } from '../../../support/aggregation-reference.js';

const inputs: AggregationInput[] = [
  { column: 'amount', functions: ['count', 'sum', 'avg', 'min', 'max', 'last'], windows: ['2m', '6m', '10m'] },
];
const view = { aggregations: inputs.map((input) => aggregationSchema.parse(input)) };
const features = expandAggregations(view.aggregations);
const partials = columnPartials(view);
const grid = tileMicros(view);
const MINUTE = 60_000_000n;

/** The partial row of some events of one tile, as materialization writes it. */
function tileOf(events: readonly ReferenceEvent[], tileStart: bigint, kind: TileRow['kind'], sequence: number): TileRow {
  const values = events.map((event) => event.value).filter((value): value is number => value !== null);
  let last: ReferenceEvent | null = null;
  for (const event of events) {
    const later =
      last === null ||
      event.eventTs > last.eventTs ||
      (event.eventTs === last.eventTs &&
        ((event.createdTs ?? -1n) > (last.createdTs ?? -1n) ||
          (event.createdTs === last.createdTs && (event.value ?? -Infinity) > (last.value ?? -Infinity))));
    if (later) last = event;
  }
  const byName: Record<string, number | bigint | null> = {
    amount__count: BigInt(values.length),
    amount__sum: values.length === 0 ? null : values.reduce((a, b) => a + b, 0),
    amount__min: values.length === 0 ? null : Math.min(...values),
    amount__max: values.length === 0 ? null : Math.max(...values),
    amount__last: last?.value ?? null,
    amount__last_event_ts: last?.eventTs ?? null,
    amount__last_created_ts: last?.createdTs ?? null,
  };
  return { tileStart, kind, sequence, values: partialColumnsOf(partials).map((column) => byName[column.name] ?? null) };
}

const eventArbitrary = fc.record({
  // Within 20 minutes, on a coarse grid of seconds so that duplicate times are common.
  eventTs: fc.integer({ min: 0, max: 1200 }).map((seconds) => BigInt(seconds) * 1_000_000n),
  createdTs: fc.option(
    fc.integer({ min: 0, max: 3 }).map((value) => BigInt(value)),
    { nil: null },
  ),
  value: fc.option(
    fc.integer({ min: -8, max: 8 }).map((value) => value / 4),
    { nil: null },
  ),
});

test('tiles cut at random, with full rows superseding older ones, combine to the brute-force aggregates', () => {
  fc.assert(
    fc.property(
      fc.array(eventArbitrary, { maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 40, maxLength: 40 }),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      fc.integer({ min: 0, max: 11 }),
      (events, chunks, restated, boundaryTiles) => {
        const byTile = new Map<bigint, ReferenceEvent[]>();
        for (const event of events) {
          const tile = floorToGrid(event.eventTs, grid);
          byTile.set(tile, [...(byTile.get(tile) ?? []), event]);
        }
        const rows: TileRow[] = [];
        let sequence = 1;
        for (const [tile, tileEvents] of byTile) {
          // Deltas: the tile's events in up to four commits.
          const parts = [0, 1, 2, 3].map((part) => tileEvents.filter((_, index) => chunks[index]! === part));
          for (const part of parts) if (part.length > 0) rows.push(tileOf(part, tile, 'delta', sequence++));
          if (restated[Number(tile / grid)]) {
            // A stale delta, then a restatement of the whole tile, then a delta of nothing new.
            rows.push(tileOf([{ eventTs: tile, createdTs: null, value: 100 }], tile, 'delta', sequence++));
            rows.push(tileOf(tileEvents, tile, 'full', sequence++));
            rows.push(tileOf([], tile, 'delta', sequence++));
          }
        }
        const end = BigInt(boundaryTiles) * 2n * MINUTE;
        const online = aggregateTiles(features, partials, effectiveTileRows(rows), end);
        assert.deepEqual(online, referenceAggregates(features, events, end - 1n));
      },
    ),
    { numRuns: 300 },
  );
});

test('a request-time read (materialized tiles up to a boundary, every event also pushed) equals the brute-force aggregates at any µs', () => {
  const microsEvent = fc.record({
    eventTs: fc.integer({ min: 0, max: 1_200_000_000 }).map((micros) => BigInt(micros)),
    createdTs: fc.option(
      fc.integer({ min: 0, max: 3 }).map((value) => BigInt(value)),
      { nil: null },
    ),
    value: fc.option(
      fc.integer({ min: -8, max: 8 }).map((value) => value / 4),
      { nil: null },
    ),
  });
  fc.assert(
    fc.property(
      fc.array(microsEvent, { maxLength: 40 }),
      fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
      fc.integer({ min: 0, max: 1_300_000_000 }),
      fc.array(fc.integer({ min: 0, max: 39 }), { maxLength: 4 }),
      (drawn, materializedTiles, atMicros, edgeOf) => {
        // Some instants sit on a window's edge: t − w equal to an event's time, and 1 µs either side.
        const events = drawn;
        const at =
          edgeOf.length > 0 && events.length > 0
            ? events[edgeOf[0]! % events.length]!.eventTs + 2n * MINUTE + BigInt((edgeOf[1] ?? 1) % 3) - 1n
            : BigInt(atMicros);
        const materializedEnd = materializedTiles === null ? null : BigInt(materializedTiles) * grid;
        const rows: TileRow[] = [];
        let sequence = 1;
        const byTile = new Map<bigint, ReferenceEvent[]>();
        for (const event of events) {
          if (materializedEnd !== null && event.eventTs < materializedEnd) {
            const tile = floorToGrid(event.eventTs, grid);
            byTile.set(tile, [...(byTile.get(tile) ?? []), event]);
          }
          rows.push(tileOf([event], event.eventTs, 'pushed', sequence++));
        }
        for (const [tile, tileEvents] of byTile) rows.push(tileOf(tileEvents, tile, 'delta', sequence++));
        const online = aggregateTiles(features, partials, effectiveTileRows(rows), at + 1n, { grid, materializedEnd });
        assert.deepEqual(online, referenceAggregates(features, events, at));
        // A read that is not at request time never counts a pushed row.
        if (materializedEnd !== null) {
          const materialized = events.filter((event) => event.eventTs < materializedEnd);
          assert.deepEqual(
            aggregateTiles(features, partials, effectiveTileRows(rows), materializedEnd),
            referenceAggregates(features, materialized, materializedEnd - 1n),
          );
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('a key without events in a window has count 0 and null for the rest', () => {
  assert.deepEqual(
    aggregateTiles(features, partials, [], 10n * MINUTE),
    features.map((feature) => (feature.function === 'count' ? 0n : null)),
  );
});
