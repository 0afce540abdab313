import fc from 'fast-check';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latestPerEntitySql, latestPerKeySql, type LatestPlan } from '../../../../engine/feature-queries/latest-per-entity.js';
import { quoteIdentifier, quoteLiteral } from '../../../../engine/sql.js';
import { FloeError } from '../../../../core/errors.js';
import { sortedCanonical, tuples, withConnection } from '../../../support/engine/duckdb.js';

interface SourceRow {
  readonly k1: number | null;
  readonly k2: string | null;
  /** µs since the epoch. */
  readonly ev: number | null;
  readonly cr: number | null;
  readonly val: number | null;
  readonly label: string | null;
}

const rowArb: fc.Arbitrary<SourceRow> = fc.record({
  k1: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null, freq: 8 }),
  k2: fc.option(fc.constantFrom('a', 'b'), { nil: null, freq: 8 }),
  ev: fc.option(fc.integer({ min: -2, max: 4 }), { nil: null, freq: 8 }),
  cr: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null, freq: 4 }),
  val: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null, freq: 4 }),
  label: fc.option(fc.constantFrom('x', 'y', "q'"), { nil: null, freq: 4 }),
});

const n = (value: number | null) => (value === null ? 'NULL' : String(value));
const s = (value: string | null) => (value === null ? 'NULL' : quoteLiteral(value));

/** The source as SQL: event time as TIMESTAMP, created time as TIMESTAMPTZ (mixed on purpose). */
function relation(rows: readonly SourceRow[]): string {
  const body = rows
    .map(
      (row) =>
        `(${n(row.k1)}, ${s(row.k2)}, ${row.ev === null ? 'NULL' : `make_timestamp(${row.ev}::BIGINT)`}, ${row.cr === null ? 'NULL' : `make_timestamp(${row.cr}::BIGINT)::TIMESTAMPTZ`}, ${n(row.val)}, ${s(row.label)})`,
    )
    .join(', ');
  const typed = `SELECT k1::INTEGER AS k1, k2::VARCHAR AS k2, ev::TIMESTAMP AS ev, cr::TIMESTAMPTZ AS cr, val::INTEGER AS val, label::VARCHAR AS label`;
  return rows.length === 0
    ? `${typed} FROM (SELECT NULL AS k1, NULL AS k2, NULL AS ev, NULL AS cr, NULL AS val, NULL AS label) WHERE false`
    : `${typed} FROM (VALUES ${body}) t(k1, k2, ev, cr, val, label)`;
}

/** Greatest first, NULL lowest: the documented ordering, one column at a time. */
function descNullsLast(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

function reference(rows: readonly SourceRow[], start?: number, end?: number): SourceRow[] {
  const eligible = rows.filter(
    (row) =>
      row.k1 !== null &&
      row.k2 !== null &&
      row.ev !== null &&
      (start === undefined || row.ev >= start) &&
      (end === undefined || row.ev < end),
  );
  const groups = new Map<string, SourceRow[]>();
  for (const row of eligible) {
    const key = JSON.stringify([row.k1, row.k2]);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map(
    (group) =>
      [...group].sort(
        (a, b) =>
          descNullsLast(a.ev, b.ev) ||
          descNullsLast(a.cr, b.cr) ||
          // Tie-break: every column in relation order.
          descNullsLast(a.k1, b.k1) ||
          descNullsLast(a.k2, b.k2) ||
          descNullsLast(a.ev, b.ev) ||
          descNullsLast(a.cr, b.cr) ||
          descNullsLast(a.val, b.val) ||
          descNullsLast(a.label, b.label),
      )[0]!,
  );
}

describe('latestPerEntitySql', () => {
  it('equals a brute-force reference with either plan: latest (event_ts, created_ts) per key in [start, end), deterministic on ties (property)', async () => {
    await withConnection(async (connection) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(rowArb, { maxLength: 40, size: 'max' }),
          fc.option(fc.integer({ min: -3, max: 5 }), { nil: undefined }),
          fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          fc.constantFrom<LatestPlan | undefined>('rank-every-row', 'latest-time-first', undefined),
          async (rows, start, width, plan) => {
            const end = start === undefined || width === undefined ? undefined : start + width;
            const sql = await latestPerEntitySql(connection, {
              ...(plan === undefined ? {} : { plan }),
              relation: relation(rows),
              keyColumns: ['k1', 'k2'],
              eventTimestampColumn: 'ev',
              createdTimestampColumn: 'cr',
              ...(start === undefined ? {} : { start: BigInt(start) }),
              ...(end === undefined ? {} : { end: BigInt(end) }),
            });
            const actual = (await tuples(connection, `SELECT k1, k2, epoch_us(ev), epoch_us(cr), val, label FROM (${sql})`)).map(
              ([k1, k2, ev, cr, val, label]) => ({
                k1,
                k2,
                ev: Number(ev),
                cr: cr === null ? null : Number(cr),
                val,
                label,
              }),
            );
            assert.deepEqual(sortedCanonical(actual), sortedCanonical(reference(rows, start, end)));
            // Same rows in another order: same answer (no dependence on file order).
            const reversed = await latestPerEntitySql(connection, {
              ...(plan === undefined ? {} : { plan }),
              relation: relation([...rows].reverse()),
              keyColumns: ['k1', 'k2'],
              eventTimestampColumn: 'ev',
              createdTimestampColumn: 'cr',
            });
            const again = await latestPerEntitySql(connection, {
              ...(plan === undefined ? {} : { plan }),
              relation: relation(rows),
              keyColumns: ['k1', 'k2'],
              eventTimestampColumn: 'ev',
              createdTimestampColumn: 'cr',
            });
            assert.deepEqual(sortedCanonical(await tuples(connection, reversed)), sortedCanonical(await tuples(connection, again)));
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  it('chooses its plan by rows per key and answers as either plan alone, at one row a key and at several', async () => {
    await withConnection(async (connection) => {
      for (const rowsPerKey of [1, 3]) {
        const latest = (plan?: LatestPlan) =>
          latestPerEntitySql(connection, {
            // Event times tie within a key; the created time and the value decide.
            relation: `SELECT i // ${rowsPerKey} AS k, make_timestamp((i // 2) * 1000) AS ts, make_timestamp(i % 5)::TIMESTAMPTZ AS cr, i % 7 AS v FROM range(3000) t(i)`,
            keyColumns: ['k'],
            eventTimestampColumn: 'ts',
            createdTimestampColumn: 'cr',
            ...(plan === undefined ? {} : { plan }),
          });
        const expected = sortedCanonical(await tuples(connection, await latest('rank-every-row')));
        assert.equal(expected.length, 3000 / rowsPerKey);
        assert.deepEqual(sortedCanonical(await tuples(connection, await latest())), expected);
        assert.deepEqual(sortedCanonical(await tuples(connection, await latest('latest-time-first'))), expected);
      }
    });
  });

  it('keeps the relation’s columns and order, and works without a created timestamp', async () => {
    await withConnection(async (connection) => {
      const sql = await latestPerEntitySql(connection, {
        relation: `SELECT * FROM (VALUES ('z', 1, TIMESTAMP '2024-01-01 00:00:00'), ('z', 2, TIMESTAMP '2024-01-02 00:00:00'), ('w', 3, TIMESTAMP '2024-01-01 00:00:00')) t(extra, k, ts)`,
        keyColumns: ['k'],
        eventTimestampColumn: 'ts',
      });
      assert.deepEqual(
        (await tuples(connection, `SELECT * FROM (${sql}) ORDER BY k`)).map((row) => row.slice(0, 2)),
        [
          ['z', 1],
          ['z', 2],
          ['w', 3],
        ],
      );
    });
  });

  it('keeps -0.0 in the row it picks, alone and inside a list (duckdb/duckdb#25417)', async () => {
    await withConnection(async (connection) => {
      const sql = await latestPerEntitySql(connection, {
        relation: `SELECT 1 AS k, TIMESTAMP '2024-01-01 00:00:00' AS ts, CAST('-0' AS DOUBLE) AS v, [CAST('-0' AS FLOAT)] AS vs`,
        keyColumns: ['k'],
        eventTimestampColumn: 'ts',
      });
      assert.deepEqual(await tuples(connection, `SELECT signbit(v), signbit(vs[1]) FROM (${sql})`), [[true, true]]);
    });
  });

  it('compares instants in UTC at µs: TIMESTAMPTZ, TIMESTAMP and floored TIMESTAMP_NS alike', async () => {
    await withConnection(async (connection) => {
      // Same key; which row is latest depends on reading +02:00 as an offset and flooring ns.
      const sql = await latestPerEntitySql(connection, {
        relation: `SELECT * FROM (VALUES
          (1, TIMESTAMPTZ '2024-01-01 12:00:00+02:00', 'tz'),
          (1, TIMESTAMPTZ '2024-01-01 10:30:00+00:00', 'later')) t(k, ts, tag)`,
        keyColumns: ['k'],
        eventTimestampColumn: 'ts',
      });
      assert.deepEqual(await tuples(connection, `SELECT tag FROM (${sql})`), [['later']]);
      const window = await latestPerEntitySql(connection, {
        relation: `SELECT * FROM (VALUES (1, '1969-12-31 23:59:59.9999995'::TIMESTAMP_NS, 'pre-epoch')) t(k, ts, tag)`,
        keyColumns: ['k'],
        eventTimestampColumn: 'ts',
        start: -1n,
        end: 0n,
      });
      // Floored to -1 µs it falls in [-1, 0); truncated toward zero it would be 0 and fall out.
      assert.deepEqual(await tuples(connection, `SELECT tag FROM (${window})`), [['pre-epoch']]);
    });
  });

  it('takes hostile column names', async () => {
    await withConnection(async (connection) => {
      const key = `k"; DROP TABLE x; --`;
      const ts = `ts 'quoted' ünï`;
      const sql = await latestPerEntitySql(connection, {
        relation: `SELECT * FROM (VALUES (1, TIMESTAMP '2024-01-01', 'old'), (1, TIMESTAMP '2024-01-02', 'new')) t(${quoteIdentifier(key)}, ${quoteIdentifier(ts)}, v)`,
        keyColumns: [key],
        eventTimestampColumn: ts,
      });
      assert.deepEqual(await tuples(connection, `SELECT v FROM (${sql})`), [['new']]);
    });
  });

  it('refuses bad requests, naming the column', async () => {
    await withConnection(async (connection) => {
      const relationSql = `SELECT 1 AS k, 'x' AS ts, TIMESTAMP '2024-01-01' AS ok`;
      await assert.rejects(
        latestPerEntitySql(connection, { relation: relationSql, keyColumns: ['nope'], eventTimestampColumn: 'ok', name: 'driver_stats' }),
        /"nope" is not in the source of driver_stats/,
      );
      await assert.rejects(
        latestPerEntitySql(connection, { relation: relationSql, keyColumns: ['k'], eventTimestampColumn: 'ts' }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /"ts".*timestamp or date, not VARCHAR/.test(error.message),
      );
      await assert.rejects(
        latestPerEntitySql(connection, { relation: relationSql, keyColumns: [], eventTimestampColumn: 'ok' }),
        /at least one key column/,
      );
      await assert.rejects(
        latestPerEntitySql(connection, { relation: relationSql, keyColumns: ['k'], eventTimestampColumn: 'ok', start: 5n, end: 5n }),
        /empty/,
      );
      await assert.rejects(
        latestPerEntitySql(connection, {
          relation: `SELECT 1 AS k, TIMESTAMP '2024-01-01' AS ts, 1 AS __floe_x`,
          keyColumns: ['k'],
          eventTimestampColumn: 'ts',
        }),
        /reserves/,
      );
    });
  });
});

describe('latestPerKeySql', () => {
  it('ranks a key by its greatest time, then the order given; a key without times, and a NULL key, keep a row too, with either plan', async () => {
    await withConnection(async (connection) => {
      for (const plan of ['rank-every-row', 'latest-time-first', undefined] as const) {
        const sql = latestPerKeySql({
          relation: `SELECT * FROM (VALUES
            (1, 10, 'a'), (1, 20, 'b'), (1, 20, 'c'), (1, NULL, 'z'),
            (2, NULL, 'x'), (2, NULL, 'y'),
            (NULL, 5, 'n'), (NULL, 7, 'm')) t(k, ts, tag)`,
          keyColumns: ['k'],
          event: 'r.ts',
          afterEvent: ['r.tag DESC'],
          select: ['r.k', 'r.ts', 'r.tag'],
          ...(plan === undefined ? {} : { plan }),
        });
        // As `row_number() OVER (PARTITION BY k ORDER BY ts DESC NULLS LAST, tag DESC) = 1` ranks them.
        assert.deepEqual(
          await tuples(connection, `SELECT * FROM (${sql}) ORDER BY k NULLS LAST`),
          [
            [1, 20, 'c'],
            [2, null, 'y'],
            [null, 7, 'm'],
          ],
          `plan ${plan ?? 'chosen by the query'}`,
        );
      }
    });
  });
});
