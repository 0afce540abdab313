// Aggregated views through getHistoricalFeatures (Iceberg tables written by Floe in a SQL catalog,
// merge-on-read deletes, Arrow entity rows, DuckDB) against a brute-force reference of the contract
// in features/aggregations.ts: per entity row and window w, the live source rows of the same key with
// t − w < event_ts ≤ t; count of non-null values (0 when none), sum/avg/min/max over them (NULL when
// none), last = the value of the greatest (event_ts, created_ts NULL lowest, value NULL lowest).
// Doubles and floats are multiples of 1/4 with small magnitudes, so every sum is exact in any order and avg is
// one division of exact operands: the comparison is exact, with no tolerance.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq } from '../../../iceberg/expressions/expression.js';
import { FloeError } from '../../../core/errors.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { at, columnValues, driverCustomerEntities, inTwoBatches, nullable, timeCell } from '../../support/features/historical-builders.js';
import type { Value } from '../../support/features/point-in-time-reference.js';
import { createTableWithRows, deleteWhere, withWorkspace } from '../../support/features/tables.js';

interface EntityRow {
  readonly driver: number | null;
  readonly customer: string | null;
  readonly t: number;
}
interface Trip {
  readonly driver: number | null;
  readonly t: number | null;
  readonly created: number | null;
  readonly amount: number | null;
  readonly rating: number | null;
  readonly tag: string | null;
  /** Deleted (merge-on-read) after it was written. */
  readonly gone: boolean;
}
interface Order {
  readonly customer: string | null;
  readonly t: number | null;
  readonly total: number | null;
  /** A timestamp column aggregated (min, max, last), in seconds. */
  readonly placed: number | null;
}
interface Plain {
  readonly driver: number | null;
  readonly t: number | null;
  readonly x: number | null;
}

const time = fc.integer({ min: 0, max: 8 });
const maybe = nullable(6);
const tripArb: fc.Arbitrary<Trip> = fc.record({
  driver: maybe(fc.integer({ min: 1, max: 3 }), 10), // driver 4 has entity rows but never a trip
  t: maybe(time, 12),
  created: maybe(fc.integer({ min: 0, max: 1 }), 3),
  amount: maybe(fc.integer({ min: -3, max: 5 })),
  rating: maybe(fc.integer({ min: -8, max: 8 }).map((n) => n / 4)),
  tag: maybe(fc.constantFrom('a', 'b', 'c')),
  gone: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});
const orderArb: fc.Arbitrary<Order> = fc.record({
  customer: maybe(fc.constantFrom('c1', 'c2'), 10),
  t: maybe(time, 12),
  total: maybe(fc.integer({ min: 0, max: 4 }).map((n) => n / 2)),
  placed: maybe(fc.integer({ min: 0, max: 3 })),
});
const plainArb: fc.Arbitrary<Plain> = fc.record({
  driver: maybe(fc.integer({ min: 1, max: 3 })),
  t: maybe(time),
  x: maybe(fc.integer({ min: -1, max: 1 })),
});
const entityArb: fc.Arbitrary<EntityRow> = fc.record({
  driver: maybe(fc.integer({ min: 1, max: 4 }), 10),
  customer: maybe(fc.constantFrom('c1', 'c2', 'c3'), 10),
  t: fc.integer({ min: -3, max: 14 }),
});

const WINDOWS = [2, 3, 5] as const;

/** Entity rows placed on the events: exactly on one, exactly a window after one, one µs-free second either side. */
function onEvents(trips: readonly Trip[], picks: readonly { index: number; offset: number }[]): EntityRow[] {
  const placed: EntityRow[] = [];
  for (const pick of picks) {
    const trip = trips[pick.index % Math.max(1, trips.length)];
    if (trip?.t === undefined || trip.t === null) continue;
    placed.push({ driver: trip.driver, customer: 'c1', t: trip.t + pick.offset });
  }
  return placed;
}

function compareDescNullsLast(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

/** The contract, one entity row at a time. */
function aggregate<R extends { t: number | null; created?: number | null }>(
  rows: readonly R[],
  fn: string,
  value: (row: R) => Value,
  entityTime: number,
  window: number,
): Value {
  const inWindow = rows.filter((row) => row.t !== null && entityTime - window < row.t && row.t <= entityTime);
  const values = inWindow.map(value).filter((item): item is number | string => item !== null);
  switch (fn) {
    case 'count':
      return values.length;
    case 'sum':
      return values.length === 0 ? null : (values as number[]).reduce((sum, item) => sum + item, 0);
    case 'avg':
      return values.length === 0 ? null : (values as number[]).reduce((sum, item) => sum + item, 0) / values.length;
    case 'min':
      return values.length === 0 ? null : values.reduce((least, item) => (item < least ? item : least));
    case 'max':
      return values.length === 0 ? null : values.reduce((most, item) => (item > most ? item : most));
    case 'last': {
      const best = [...inWindow].sort(
        (a, b) =>
          compareDescNullsLast(a.t, b.t) ||
          compareDescNullsLast(a.created ?? null, b.created ?? null) ||
          compareDescNullsLast(value(a), value(b)),
      )[0];
      return best === undefined ? null : value(best);
    }
    default:
      throw new Error(fn);
  }
}

const TRIP_FEATURES: readonly { name: string; fn: string; window: number; value: (trip: Trip) => Value }[] = [
  ...(['count', 'sum', 'avg', 'min', 'max', 'last'] as const).flatMap((fn) =>
    WINDOWS.map((window) => ({ name: `amount_${fn}_${window}s`, fn, window, value: (trip: Trip) => trip.amount })),
  ),
  ...(['sum', 'avg', 'last'] as const).map((fn) => ({ name: `rating_${fn}_3s`, fn, window: 3, value: (trip: Trip) => trip.rating })),
  ...(['count', 'min', 'max', 'last'] as const).map((fn) => ({ name: `tag_${fn}_4s`, fn, window: 4, value: (trip: Trip) => trip.tag })),
  { name: 'best_amount', fn: 'max', window: 1, value: (trip: Trip) => trip.amount },
];

let run = 0;

describe('aggregated views in getHistoricalFeatures (property)', () => {
  it('equal a brute-force reference: duplicate event and created times, rows on and a window after events, keys without events, deletes, beside an ordinary view', async () => {
    await withWorkspace(async (workspace) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(tripArb, { maxLength: 24 }),
          fc.array(orderArb, { maxLength: 10 }),
          fc.array(plainArb, { maxLength: 8 }),
          fc.array(entityArb, { maxLength: 8 }),
          fc.array(fc.record({ index: fc.nat(), offset: fc.constantFrom(0, ...WINDOWS, 1, 4, -1) }), { maxLength: 10 }),
          async (trips, orders, plains, randomEntities, picks) => {
            run += 1;
            // Before every event, on events and a window after them, and random rows.
            const entities = [{ driver: 1, customer: 'c1', t: -5 }, ...onEvents(trips, picks), ...randomEntities];
            const half = <T>(rows: readonly T[]): T[][] => inTwoBatches(rows, rows.length >> 1);
            await createTableWithRows(
              workspace,
              `src.trips${run}`,
              [
                { name: 'driver_id', type: 'long' },
                { name: 'ts', type: 'timestamptz' },
                { name: 'created', type: 'timestamp' },
                { name: 'amount_raw', type: 'long' },
                { name: 'rating', type: 'double' },
                { name: 'tag', type: 'string' },
                { name: 'gone', type: 'boolean' },
              ],
              half(
                trips.map((trip) => [
                  trip.driver === null ? null : BigInt(trip.driver),
                  timeCell(trip.t),
                  timeCell(trip.created),
                  trip.amount === null ? null : BigInt(trip.amount),
                  trip.rating,
                  trip.tag,
                  trip.gone,
                ]),
              ),
            );
            if (trips.some((trip) => trip.gone)) await deleteWhere(workspace, `src.trips${run}`, eq('gone', true));
            await createTableWithRows(
              workspace,
              `src.orders${run}`,
              [
                { name: 'customer', type: 'string' },
                { name: 'ts', type: 'timestamp' },
                { name: 'total', type: 'float' },
                { name: 'placed', type: 'timestamptz' },
              ],
              half(orders.map((order) => [order.customer, timeCell(order.t), order.total, timeCell(order.placed)])),
            );
            await createTableWithRows(
              workspace,
              `src.plain${run}`,
              [
                { name: 'driver_id', type: 'long' },
                { name: 'ts', type: 'timestamptz' },
                { name: 'x', type: 'long' },
              ],
              [
                plains.map((row) => [
                  row.driver === null ? null : BigInt(row.driver),
                  timeCell(row.t),
                  row.x === null ? null : BigInt(row.x),
                ]),
              ],
            );
            const definitions = [
              defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
              defineEntity({ name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] }),
              defineIcebergSource({
                name: 'trips_source',
                table: `src.trips${run}`,
                timestampField: 'ts',
                createdTimestampField: 'created',
                fieldMapping: { amount_raw: 'amount' },
              }),
              defineIcebergSource({
                name: 'orders_source',
                table: `src.orders${run}`,
                timestampField: 'ts',
                fieldMapping: { customer: 'customer_id' },
              }),
              defineIcebergSource({ name: 'plain_source', table: `src.plain${run}`, timestampField: 'ts' }),
              defineFeatureView({
                name: 'trips',
                entities: ['driver'],
                source: 'trips_source',
                aggregations: [
                  { column: 'amount', type: 'long', functions: ['count', 'sum', 'avg', 'min', 'max', 'last'], windows: ['2s', '3s', '5s'] },
                  { column: 'rating', type: 'double', functions: ['sum', 'avg', 'last'], windows: ['3s'] },
                  { column: 'tag', type: 'string', functions: ['count', 'min', 'max', 'last'], windows: ['4s'] },
                  { column: 'amount', type: 'long', functions: ['max'], windows: ['1s'], name: 'best_amount' },
                ],
              }),
              defineFeatureView({
                name: 'orders',
                entities: ['customer'],
                source: 'orders_source',
                aggregations: [
                  { column: 'total', type: 'float', functions: ['sum', 'count', 'max'], windows: ['2s'] },
                  { column: 'placed', type: 'timestamptz', functions: ['min', 'max', 'last'], windows: ['3s'] },
                ],
              }),
              defineFeatureView({ name: 'plain', entities: ['driver'], source: 'plain_source', features: [{ name: 'x', type: 'long' }] }),
            ];
            const context = workspace.context(definitions);
            const table = driverCustomerEntities(entities);
            const liveTrips = trips.filter((trip) => !trip.gone);
            const expectTrips = (feature: (typeof TRIP_FEATURES)[number]): Value[] =>
              entities.map((entity) =>
                entity.driver === null
                  ? null
                  : aggregate(
                      liveTrips.filter((trip) => trip.driver === entity.driver),
                      feature.fn,
                      feature.value,
                      entity.t,
                      feature.window,
                    ),
              );
            const expectOrders = (fn: string, column: 'total' | 'placed' = 'total'): Value[] =>
              entities.map((entity) => {
                if (entity.customer === null) return null;
                const rows = orders.filter((order) => order.customer === entity.customer);
                if (column === 'total') return aggregate(rows, fn, (order) => order.total, entity.t, 2);
                // Timestamps come out of Arrow as milliseconds.
                const placed = aggregate(rows, fn, (order) => order.placed, entity.t, 3);
                return placed === null ? null : Number(at(placed as number) / 1000n);
              });
            const expectPlain = entities.map((entity) => {
              if (entity.driver === null) return null;
              const candidates = plains
                .filter((row) => row.driver === entity.driver && row.t !== null && row.t <= entity.t)
                .sort((a, b) => compareDescNullsLast(a.t, b.t) || compareDescNullsLast(a.x, b.x));
              return candidates[0]?.x ?? null;
            });

            // Full names, the ordinary view between two aggregated ones: columns by view in the order first asked (as the registry groups them).
            const full = await getHistoricalFeatures(context, {
              entities: table,
              features: [
                'orders:total_count_2s',
                'plain:x',
                'trips',
                'orders:total_sum_2s',
                'orders:total_max_2s',
                'orders:placed_min_3s',
                'orders:placed_max_3s',
                'orders:placed_last_3s',
              ],
              fullFeatureNames: true,
            }).toArrow();
            assert.deepEqual(
              full.schema.fields.map((field) => field.name),
              [
                'driver_id',
                'customer_id',
                'event_timestamp',
                'orders__total_count_2s',
                'orders__total_sum_2s',
                'orders__total_max_2s',
                'orders__placed_min_3s',
                'orders__placed_max_3s',
                'orders__placed_last_3s',
                'plain__x',
                ...TRIP_FEATURES.map((feature) => `trips__${feature.name}`),
              ],
            );
            assert.equal(full.numRows, entities.length);
            assert.deepEqual(
              columnValues(full, 'event_timestamp'),
              entities.map((entity) => Number(at(entity.t) / 1000n)),
            );
            assert.deepEqual(columnValues(full, 'plain__x'), expectPlain);
            for (const feature of TRIP_FEATURES)
              assert.deepEqual(columnValues(full, `trips__${feature.name}`), expectTrips(feature), feature.name);
            assert.deepEqual(columnValues(full, 'orders__total_sum_2s'), expectOrders('sum'));
            assert.deepEqual(columnValues(full, 'orders__total_count_2s'), expectOrders('count'));
            assert.deepEqual(columnValues(full, 'orders__total_max_2s'), expectOrders('max'));
            for (const fn of ['min', 'max', 'last'])
              assert.deepEqual(columnValues(full, `orders__placed_${fn}_3s`), expectOrders(fn, 'placed'), fn);

            // Short names, aggregated features only.
            const short = await getHistoricalFeatures(context, {
              entities: table,
              features: ['trips:amount_last_5s', 'trips:best_amount', 'orders:total_sum_2s'],
            }).toArrow();
            assert.deepEqual(
              short.schema.fields.map((field) => field.name),
              ['driver_id', 'customer_id', 'event_timestamp', 'amount_last_5s', 'best_amount', 'total_sum_2s'],
            );
            assert.deepEqual(columnValues(short, 'amount_last_5s'), expectTrips(TRIP_FEATURES.find((f) => f.name === 'amount_last_5s')!));
            assert.deepEqual(columnValues(short, 'best_amount'), expectTrips(TRIP_FEATURES.find((f) => f.name === 'best_amount')!));
            assert.deepEqual(columnValues(short, 'total_sum_2s'), expectOrders('sum'));
          },
        ),
        { numRuns: 30 },
      );
    });
  });

  it('refuses an aggregation whose declared type is not the source column type, naming view, source and column', async () => {
    await withWorkspace(async (workspace) => {
      await createTableWithRows(
        workspace,
        'src.typed',
        [
          { name: 'driver_id', type: 'long' },
          { name: 'ts', type: 'timestamptz' },
          { name: 'amount', type: 'int' },
        ],
        [[[1n, { micros: at(0) }, 3]]],
      );
      const context = workspace.context([
        defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
        defineIcebergSource({ name: 'typed_source', table: 'src.typed', timestampField: 'ts' }),
        defineFeatureView({
          name: 'typed',
          entities: ['driver'],
          source: 'typed_source',
          aggregations: [{ column: 'amount', type: 'long', functions: ['sum'], windows: ['1h'] }],
        }),
      ]);
      await assert.rejects(
        getHistoricalFeatures(context, {
          entities: driverCustomerEntities([{ driver: 1, customer: null, t: 1 }]),
          features: ['typed'],
        }).toArrow(),
        (error: unknown) =>
          FloeError.is(error, 'invalid-input') &&
          /typed/.test(error.message) &&
          /typed_source/.test(error.message) &&
          /aggregated column amount is declared long, but source typed_source \(table src.typed\) has it as int/.test(error.message),
      );
    });
  });
});
