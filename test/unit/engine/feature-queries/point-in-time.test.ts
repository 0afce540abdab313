import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointInTimeJoin } from '../../../../engine/feature-queries/point-in-time.js';
import type { PointInTimeRequest } from '../../../../engine/feature-queries/point-in-time.js';
import { quoteIdentifier, quoteLiteral } from '../../../../engine/sql.js';
import { FloeError } from '../../../../core/errors.js';
import { tuples, withConnection } from '../../../support/engine/duckdb.js';

let joins = 0;
/** Runs the join on the connection; its result query reads temporary tables that live as long as the connection. */
async function pointInTimeJoinSql(connection: DuckDBConnection, request: PointInTimeRequest): Promise<string> {
  return (await pointInTimeJoin(connection, request, { prefix: `pit_test_${joins++}` })).query;
}

interface EntityRow {
  readonly k: number | null;
  /** µs since the epoch, written as TIMESTAMP_NS with `ns` extra nanoseconds (floored away). */
  readonly ts: number | null;
  readonly ns: number;
  readonly extra: string;
}
interface FeatureRow {
  readonly k: number | null;
  readonly ev: number | null;
  readonly cr: number | null;
  readonly f1: number | null;
  readonly f2: string | null;
}

const entityArb: fc.Arbitrary<EntityRow> = fc.record({
  k: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null, freq: 10 }),
  ts: fc.option(fc.integer({ min: -4, max: 10 }), { nil: null, freq: 10 }),
  ns: fc.integer({ min: 0, max: 999 }),
  extra: fc.constantFrom('e1', 'e2', "it's"),
});
const featureArb: fc.Arbitrary<FeatureRow> = fc.record({
  k: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null, freq: 10 }),
  ev: fc.option(fc.integer({ min: -4, max: 10 }), { nil: null, freq: 10 }),
  cr: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null, freq: 4 }),
  f1: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null, freq: 4 }),
  f2: fc.option(fc.constantFrom('a', 'b'), { nil: null, freq: 4 }),
});

const num = (value: number | null) => (value === null ? 'NULL' : String(value));
const str = (value: string | null) => (value === null ? 'NULL' : quoteLiteral(value));

/** Entity timestamps as TIMESTAMP_NS: ts µs plus 0..999 ns, which the join must floor away. */
function entitySql(rows: readonly EntityRow[]): string {
  const typed = `SELECT k::INTEGER AS k, ts::TIMESTAMP_NS AS ts, extra::VARCHAR AS extra`;
  if (rows.length === 0) return `${typed} FROM (SELECT NULL AS k, NULL AS ts, NULL AS extra) WHERE false`;
  const body = rows
    .map(
      (row) =>
        `(${num(row.k)}, ${row.ts === null ? 'NULL' : `make_timestamp_ns(${BigInt(row.ts) * 1000n + BigInt(row.ns)}::BIGINT)`}, ${str(row.extra)})`,
    )
    .join(', ');
  return `${typed} FROM (VALUES ${body}) t(k, ts, extra)`;
}

/** Feature rows: event time TIMESTAMPTZ, created time TIMESTAMP (mixed with the entity's type on purpose). */
function featureSql(rows: readonly FeatureRow[]): string {
  const typed = `SELECT k::BIGINT AS k, ev::TIMESTAMPTZ AS ev, cr::TIMESTAMP AS cr, f1::INTEGER AS f1, f2::VARCHAR AS f2`;
  if (rows.length === 0) return `${typed} FROM (SELECT NULL AS k, NULL AS ev, NULL AS cr, NULL AS f1, NULL AS f2) WHERE false`;
  const ts = (value: number | null) => (value === null ? 'NULL' : `make_timestamp(${value}::BIGINT)`);
  const body = rows.map((row) => `(${num(row.k)}, ${ts(row.ev)}, ${ts(row.cr)}, ${num(row.f1)}, ${str(row.f2)})`).join(', ');
  return `${typed} FROM (VALUES ${body}) t(k, ev, cr, f1, f2)`;
}

function descNullsLast(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

/** The documented join, one entity row at a time. */
function reference(entities: readonly EntityRow[], features: readonly FeatureRow[], ttl: number): [number | null, string | null][] {
  return entities.map((entity) => {
    if (entity.k === null || entity.ts === null) return [null, null];
    const candidates = features
      .filter((row) => row.k === entity.k && row.ev !== null && row.ev <= entity.ts!)
      .sort((a, b) => descNullsLast(a.ev, b.ev) || descNullsLast(a.cr, b.cr) || descNullsLast(a.f1, b.f1) || descNullsLast(a.f2, b.f2));
    const best = candidates[0];
    if (!best) return [null, null];
    if (ttl > 0 && best.ev! < entity.ts - ttl) return [null, null];
    return [best.f1, best.f2];
  });
}

describe('pointInTimeJoin', () => {
  it('equals a brute-force reference with TTLs, ties, duplicates and missing entities, in entity order (property)', async () => {
    await withConnection(async (connection) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(entityArb, { maxLength: 15, size: 'max' }),
          fc.array(featureArb, { maxLength: 30, size: 'max' }),
          fc.array(featureArb, { maxLength: 10 }),
          fc.integer({ min: 0, max: 4 }),
          fc.integer({ min: 0, max: 4 }),
          async (entities, features, others, ttlA, ttlB) => {
            const sql = await pointInTimeJoinSql(connection, {
              entity: { relation: entitySql(entities), keyColumns: ['k'], eventTimestampColumn: 'ts' },
              views: [
                {
                  name: 'va',
                  relation: featureSql(features),
                  eventTimestampColumn: 'ev',
                  createdTimestampColumn: 'cr',
                  featureColumns: ['f1', 'f2'],
                  ttlMicros: BigInt(ttlA),
                },
                {
                  name: 'vb',
                  relation: featureSql(others),
                  eventTimestampColumn: 'ev',
                  createdTimestampColumn: 'cr',
                  featureColumns: ['f1', 'f2'],
                  ttlMicros: BigInt(ttlB),
                },
              ],
              fullFeatureNames: true,
            });
            const actual = await tuples(connection, `SELECT k, extra, va__f1, va__f2, vb__f1, vb__f2 FROM (${sql})`);
            const expectedA = reference(entities, features, ttlA);
            const expectedB = reference(entities, others, ttlB);
            const expected = entities.map((entity, index) => [entity.k, entity.extra, ...expectedA[index]!, ...expectedB[index]!]);
            assert.deepEqual(actual, expected);
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  it('keeps a row exactly TTL old and drops one a microsecond older', async () => {
    await withConnection(async (connection) => {
      const sql = await pointInTimeJoinSql(connection, {
        entity: {
          relation: `SELECT * FROM (VALUES (1, TIMESTAMPTZ '2024-01-01 00:01:00+00'), (2, TIMESTAMPTZ '2024-01-01 00:01:00.000001+00')) t(k, ts)`,
          keyColumns: ['k'],
          eventTimestampColumn: 'ts',
        },
        views: [
          {
            name: 'v',
            relation: `SELECT * FROM (VALUES (1, TIMESTAMP '2024-01-01 00:00:00', 'kept'), (2, TIMESTAMP '2024-01-01 00:00:00', 'dropped')) t(k, ev, f)`,
            eventTimestampColumn: 'ev',
            featureColumns: ['f'],
            ttlMicros: 60_000_000n,
          },
        ],
      });
      assert.deepEqual(await tuples(connection, `SELECT k, f FROM (${sql})`), [
        [1, 'kept'],
        [2, null],
      ]);
    });
  });

  it('keeps entity columns, duplicates and order, with a caller-given ordinal too', async () => {
    await withConnection(async (connection) => {
      const entity = `SELECT * FROM (VALUES (3, 'c', TIMESTAMP '2024-01-03', 2), (1, 'a', TIMESTAMP '2024-01-02', 0), (1, 'a', TIMESTAMP '2024-01-02', 1), (9, 'z', TIMESTAMP '2024-01-09', 3)) t(k, label, ts, pos)`;
      const features = `SELECT * FROM (VALUES (1, TIMESTAMP '2024-01-01', 10), (3, TIMESTAMP '2024-01-03', 30), (3, TIMESTAMP '2024-01-04', 31)) t(k, ev, f)`;
      const view = { name: 'v', relation: features, eventTimestampColumn: 'ev', featureColumns: ['f'] };
      const sql = await pointInTimeJoinSql(connection, {
        entity: { relation: entity, keyColumns: ['k'], eventTimestampColumn: 'ts' },
        views: [view],
      });
      assert.deepEqual(await tuples(connection, `SELECT k, label, pos, f FROM (${sql})`), [
        [3, 'c', 2, 30],
        [1, 'a', 0, 10],
        [1, 'a', 1, 10],
        [9, 'z', 3, null],
      ]);
      const byPos = await pointInTimeJoinSql(connection, {
        entity: { relation: entity, keyColumns: ['k'], eventTimestampColumn: 'ts', ordinalColumn: 'pos' },
        views: [view],
      });
      assert.deepEqual(
        (await tuples(connection, byPos)).map((row) => row[3]),
        [0, 1, 2, 3],
      );
    });
  });

  it('joins on composite keys named differently in the view, and compares TIMESTAMP with TIMESTAMPTZ in UTC', async () => {
    await withConnection(async (connection) => {
      const sql = await pointInTimeJoinSql(connection, {
        entity: {
          relation: `SELECT 'u1' AS user_id, 7 AS shop, TIMESTAMPTZ '2024-01-01 12:00:00+02:00' AS at`,
          keyColumns: ['user_id', 'shop'],
          eventTimestampColumn: 'at',
        },
        views: [
          {
            name: 'spend',
            relation: `SELECT * FROM (VALUES ('u1', 7, TIMESTAMP '2024-01-01 10:00:00', 1.5), ('u1', 7, TIMESTAMP '2024-01-01 10:00:01', 2.5), ('u1', 8, TIMESTAMP '2024-01-01 09:00:00', 9.0)) t(uid, shop_id, ts, amount)`,
            keyColumns: ['uid', 'shop_id'],
            eventTimestampColumn: 'ts',
            featureColumns: ['amount'],
          },
        ],
      });
      // 12:00+02:00 is 10:00 UTC: the 10:00:01 row is in the future.
      assert.deepEqual(await tuples(connection, `SELECT amount FROM (${sql})`), [[1.5]]);
    });
  });

  it('takes hostile names for keys, timestamps, features and views', async () => {
    await withConnection(async (connection) => {
      const key = `id"; DROP TABLE t; --`;
      const ts = `when 'it' happened`;
      const feature = 'ünïcødé 🚀';
      const sql = await pointInTimeJoinSql(connection, {
        entity: {
          relation: `SELECT 1 AS ${quoteIdentifier(key)}, TIMESTAMP '2024-01-02' AS ${quoteIdentifier(ts)}`,
          keyColumns: [key],
          eventTimestampColumn: ts,
        },
        views: [
          {
            name: `view "x"`,
            relation: `SELECT 1 AS ${quoteIdentifier(key)}, TIMESTAMP '2024-01-01' AS ${quoteIdentifier(ts)}, 42 AS ${quoteIdentifier(feature)}`,
            eventTimestampColumn: ts,
            featureColumns: [feature],
          },
        ],
        fullFeatureNames: true,
      });
      assert.deepEqual(await tuples(connection, `SELECT ${quoteIdentifier(`view "x"__${feature}`)} FROM (${sql})`), [[42]]);
    });
  });

  it('refuses colliding output names and bad columns, naming the view', async () => {
    await withConnection(async (connection) => {
      const entity = { relation: `SELECT 1 AS k, TIMESTAMP '2024-01-01' AS ts, 'x' AS f`, keyColumns: ['k'], eventTimestampColumn: 'ts' };
      const view = {
        name: 'v',
        relation: `SELECT 1 AS k, TIMESTAMP '2024-01-01' AS ts, 2 AS f`,
        eventTimestampColumn: 'ts',
        featureColumns: ['f'],
      };
      await assert.rejects(
        pointInTimeJoinSql(connection, { entity, views: [view] }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /"f".*collides/.test(error.message),
      );
      assert.ok(await pointInTimeJoinSql(connection, { entity, views: [view], fullFeatureNames: true }));
      await assert.rejects(
        pointInTimeJoinSql(connection, { entity, views: [{ ...view, featureColumns: ['missing'] }] }),
        /"missing" is not in the feature view "v"/,
      );
      await assert.rejects(
        pointInTimeJoinSql(connection, { entity, views: [{ ...view, keyColumns: ['k', 'ts'] }] }),
        /2 key columns but the entity rows have 1/,
      );
      await assert.rejects(pointInTimeJoinSql(connection, { entity, views: [{ ...view, ttlMicros: -1n }] }), /negative/);
    });
  });
});
