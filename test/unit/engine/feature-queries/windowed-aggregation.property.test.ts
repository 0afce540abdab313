// aggregateWindows against a brute-force reference of the contract (features/aggregations.ts), with
// each key's plan forced both ways and mixed: every key through the join, every key with events
// through window frames, and a threshold that splits the keys between the two in one query; and
// each of those again with the entity rows' keys split across passes, as at millions of entity rows.
// Values are integers and multiples of 1/4, so every sum is exact in any order: no tolerance.
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregateWindows, JOIN_PAIRS_PER_ROW } from '../../../../engine/feature-queries/windowed-aggregation.js';
import type { WindowFunction, WindowedAggregate } from '../../../../engine/feature-queries/windowed-aggregation.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import { tuples, withConnection } from '../../../support/engine/duckdb.js';

interface EntityRow {
  readonly k1: number | null;
  readonly k2: string;
  /** Seconds. */
  readonly t: number | null;
}
interface Event {
  readonly k1: number | null;
  readonly k2: string;
  readonly t: number | null;
  readonly created: number | null;
  readonly n: number | null;
  readonly x: number | null;
}
type Value = number | null;

/** Windows in seconds, not multiples of each other; times land on their multiples often. */
const WINDOWS = [2, 3, 5] as const;
const FUNCTIONS: readonly WindowFunction[] = ['count', 'sum', 'avg', 'min', 'max', 'last'];
const AGGREGATES: readonly WindowedAggregate[] = (['n', 'x'] as const).flatMap((column) =>
  FUNCTIONS.flatMap((fn) =>
    WINDOWS.map((window) => ({ column, function: fn, windowMicros: BigInt(window) * 1_000_000n, output: `${column}_${fn}_${window}` })),
  ),
);

const eventArb: fc.Arbitrary<Event> = fc.record({
  k1: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null, freq: 12 }), // key 4 has entity rows, never an event
  k2: fc.constantFrom('a', 'b'),
  t: fc.option(fc.integer({ min: -6, max: 12 }), { nil: null, freq: 12 }), // some before 1970: the join's time buckets around 0
  created: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null, freq: 3 }),
  n: fc.option(fc.integer({ min: -3, max: 5 }), { nil: null, freq: 5 }),
  x: fc.option(
    fc.integer({ min: -8, max: 8 }).map((value) => value / 4),
    { nil: null, freq: 5 },
  ),
});
const entityArb: fc.Arbitrary<EntityRow> = fc.record({
  k1: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null, freq: 12 }),
  k2: fc.constantFrom('a', 'b'),
  t: fc.option(fc.integer({ min: -3, max: 16 }), { nil: null, freq: 12 }),
});

const sql = (value: number | string | null): string =>
  value === null ? 'NULL' : typeof value === 'string' ? quoteLiteral(value) : String(value);
const instantSql = (seconds: number | null): string => (seconds === null ? 'NULL' : `to_timestamp(${seconds})`);
const localTimeSql = (seconds: number | null): string => (seconds === null ? 'NULL' : `make_timestamp(${seconds}::BIGINT * 1000000)`);

async function load(connection: DuckDBConnection, entities: readonly EntityRow[], events: readonly Event[]): Promise<void> {
  const entityValues = entities.map((row, index) => `(${index}, ${sql(row.k1)}, ${sql(row.k2)}, ${instantSql(row.t)})`);
  const eventValues = events.map(
    (row) => `(${sql(row.k1)}, ${sql(row.k2)}, ${instantSql(row.t)}, ${localTimeSql(row.created)}, ${sql(row.n)}, ${sql(row.x)})`,
  );
  await connection.run(
    'CREATE OR REPLACE TABLE entity_rows (ordinal BIGINT, k1 INTEGER, k2 VARCHAR, ts TIMESTAMPTZ);' +
      'CREATE OR REPLACE TABLE events (k1 INTEGER, k2 VARCHAR, ts TIMESTAMPTZ, created TIMESTAMP, n BIGINT, x DOUBLE);' +
      (entityValues.length === 0 ? '' : `INSERT INTO entity_rows VALUES ${entityValues.join(', ')};`) +
      (eventValues.length === 0 ? '' : `INSERT INTO events VALUES ${eventValues.join(', ')};`),
  );
}

async function computed(connection: DuckDBConnection, joinPairsPerRow: number, entityRowsPerPass?: number): Promise<Map<number, Value[]>> {
  await aggregateWindows(
    connection,
    {
      entity: {
        relation: 'SELECT * FROM entity_rows',
        rows: Number((await tuples(connection, 'SELECT count(*) FROM entity_rows'))[0]![0]),
        ordinalColumn: 'ordinal',
        keyColumns: ['k1', 'k2'],
        eventTimestampColumn: 'ts',
      },
      events: {
        what: 'test events',
        relation: 'SELECT * FROM events',
        keyColumns: ['k1', 'k2'],
        eventTimestampColumn: 'ts',
        createdTimestampColumn: 'created',
      },
      aggregates: AGGREGATES,
    },
    'aggregated',
    { joinPairsPerRow, ...(entityRowsPerPass === undefined ? {} : { entityRowsPerPass }) },
  );
  const rows = await tuples(connection, `SELECT * FROM aggregated ORDER BY ordinal`);
  assert.equal(new Set(rows.map(([ordinal]) => Number(ordinal))).size, rows.length, 'one row per entity row');
  return new Map(rows.map(([ordinal, ...values]) => [Number(ordinal), values.map((value) => (value === null ? null : Number(value)))]));
}

function descendingNullsLast(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

/** The contract for one entity row; rows with a NULL key or time have no result row. */
function reference(entity: EntityRow, events: readonly Event[]): Value[] {
  return AGGREGATES.map((aggregate) => {
    const t = entity.t!;
    const window = Number(aggregate.windowMicros / 1_000_000n);
    const value = (event: Event): Value => (aggregate.column === 'n' ? event.n : event.x);
    const inWindow = events.filter(
      (event) => event.k1 === entity.k1 && event.k2 === entity.k2 && event.t !== null && t - window < event.t && event.t <= t,
    );
    const values = inWindow.map(value).filter((item): item is number => item !== null);
    const total = values.reduce((sum, item) => sum + item, 0);
    switch (aggregate.function) {
      case 'count':
        return values.length;
      case 'sum':
        return values.length === 0 ? null : total;
      case 'avg':
        return values.length === 0 ? null : total / values.length;
      case 'min':
        return values.length === 0 ? null : Math.min(...values);
      case 'max':
        return values.length === 0 ? null : Math.max(...values);
      case 'last': {
        const [latest] = [...inWindow].sort(
          (a, b) => descendingNullsLast(a.t, b.t) || descendingNullsLast(a.created, b.created) || descendingNullsLast(value(a), value(b)),
        );
        return latest === undefined ? null : value(latest);
      }
    }
  });
}

function expected(entities: readonly EntityRow[], events: readonly Event[]): Map<number, Value[]> {
  const result = new Map<number, Value[]>();
  entities.forEach((entity, index) => {
    if (entity.k1 !== null && entity.t !== null) result.set(index, reference(entity, events));
  });
  return result;
}

describe('aggregateWindows (property)', () => {
  it('equals a brute-force reference through the join, through window frames and with keys split between them', async () => {
    await withConnection(async (connection) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(eventArb, { maxLength: 30 }),
          fc.array(entityArb, { maxLength: 10 }),
          fc.array(fc.record({ index: fc.nat(), offset: fc.constantFrom(0, ...WINDOWS, -1, 1) }), { maxLength: 10 }),
          async (events, randomEntities, picks) => {
            // Before every event, exactly on events, exactly a window after them and a second either side, and random rows.
            const onEvents = picks.flatMap(({ index, offset }) => {
              const event = events[index % Math.max(1, events.length)];
              return event === undefined || event.t === null ? [] : [{ k1: event.k1, k2: event.k2, t: event.t + offset }];
            });
            const entities = [{ k1: 1, k2: 'a', t: -3 }, ...onEvents, ...randomEntities];
            await load(connection, entities, events);
            const want = expected(entities, events);
            assert.deepEqual(await computed(connection, Infinity), want, 'every key joined');
            assert.deepEqual(await computed(connection, 0), want, 'every key with events through window frames');
            // n·m > n + m: keys with at least two entity rows and two events (and a bit more) take window frames, the rest the join.
            assert.deepEqual(await computed(connection, 1), want, 'keys split between the plans');
            for (const joinPairsPerRow of [Infinity, 0, 1])
              assert.deepEqual(
                await computed(connection, joinPairsPerRow, 3),
                want,
                `in passes of 3 entity rows (${joinPairsPerRow} pairs per row)`,
              );
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  it(`puts a key whose rows make more than ${JOIN_PAIRS_PER_ROW} pairs per row through window frames beside joined keys, exactly`, async () => {
    await withConnection(async (connection) => {
      // Key 1: 120 events and 100 entity rows in 100 s (120·100 > 32·220: window frames); keys 2 and 3: a few each (joined).
      const events: Event[] = Array.from({ length: 120 }, (_, index) => ({
        k1: 1,
        k2: 'a',
        t: Math.floor(index * 0.8),
        created: index % 3 === 0 ? null : index % 2,
        n: index % 7 === 0 ? null : (index * 37) % 11,
        x: (index % 9) / 4,
      }));
      events.push(
        { k1: 2, k2: 'a', t: 4, created: null, n: 3, x: 0.25 },
        { k1: 2, k2: 'a', t: 4, created: 0, n: -1, x: null },
        { k1: 3, k2: 'b', t: 10, created: null, n: null, x: 1.5 },
      );
      const entities: EntityRow[] = [
        ...Array.from({ length: 100 }, (_, index) => ({ k1: 1, k2: 'a', t: index })),
        { k1: 2, k2: 'a', t: 4 },
        { k1: 2, k2: 'a', t: 6 },
        { k1: 2, k2: 'a', t: 9 },
        { k1: 3, k2: 'b', t: 12 },
        { k1: 3, k2: 'a', t: 12 },
      ];
      await load(connection, entities, events);
      assert.deepEqual(await computed(connection, JOIN_PAIRS_PER_ROW), expected(entities, events));
    });
  });
});
