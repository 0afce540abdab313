// getHistoricalFeatures: each entity input form, each output, the source filter and pruning, and
// bad input named clearly. Tables are Iceberg tables written by Floe in a SQL catalog (SQLite).
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { FloeError } from '../../../../core/errors.js';
import { currentSchema } from '../../../../iceberg/spec/metadata.js';
import { eq } from '../../../../iceberg/expressions/expression.js';
import type { Workspace } from '../../../support/features/tables.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

const H = 3_600_000_000n;
const T0 = 1_714_521_600_000_000n; // 2024-05-01T00:00:00Z in µs
const at = (hours: number) => ({ micros: T0 + BigInt(hours) * H });

/** driver 1: hourly conv_rate 0..5 in NL, plus one DE row; driver 2: one row at hour 1. Two data files, far apart in time. */
async function driverStats(workspace: Workspace): Promise<void> {
  await createTableWithRows(
    workspace,
    'rides.driver_stats',
    [
      { name: 'driver', type: 'long' },
      { name: 'event_ts', type: 'timestamptz' },
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'int' },
      { name: 'country', type: 'string' },
    ],
    [
      [
        [1n, at(0), 0.0, 10, 'NL'],
        [1n, at(1), 0.1, 11, 'NL'],
        [1n, at(2), 0.2, 12, 'NL'],
        [2n, at(1), 0.9, 90, 'NL'],
        [1n, at(3), 0.3, 13, 'DE'],
      ],
      // A much later file: the entity time range prunes it.
      [[1n, at(1000), 5.0, 50, 'NL']],
    ],
  );
}

const definitions = (options: { filter?: boolean; ttlHours?: number } = {}) => [
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({
    name: 'driver_stats',
    table: 'rides.driver_stats',
    timestampField: 'event_ts',
    fieldMapping: { driver: 'driver_id' },
    ...(options.filter ? { filter: eq('country', 'NL') } : {}),
  }),
  defineFeatureView({
    name: 'stats',
    entities: ['driver'],
    source: 'driver_stats',
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'int' },
    ],
    ...(options.ttlHours === undefined ? {} : { ttl: { hours: options.ttlHours } }),
  }),
];

function rows(table: arrow.Table): Record<string, unknown>[] {
  return table.toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON());
}

describe('getHistoricalFeatures inputs and outputs', () => {
  it('normalizes entity timestamps of any zone and precision to UTC microseconds, from CSV', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const csv = path.join(workspace.directory, 'entities.csv');
      // 03:30+02:00 is 01:30Z (sees hour 1); a naive time is UTC; a nanosecond past 02:00 still sees hour 2.
      await writeFile(
        csv,
        'driver_id,event_timestamp,note\n1,2024-05-01T03:30:00+02:00,zoned\n1,2024-05-01 00:30:00,naive\n1,2024-05-01T02:00:00.000000001Z,nanos\n',
      );
      const table = await getHistoricalFeatures(workspace.context(definitions()), {
        entities: { csv },
        features: ['stats:conv_rate'],
      }).toArrow();
      const type = table.schema.fields.find((field) => field.name === 'event_timestamp')!.type as arrow.Timestamp;
      assert.equal(type.unit, arrow.TimeUnit.MICROSECOND);
      assert.equal(type.timezone, 'UTC');
      assert.deepEqual(
        rows(table).map((row) => [row.note, row.conv_rate]),
        [
          ['zoned', 0.1],
          ['naive', 0.0],
          ['nanos', 0.2],
        ],
      );
    });
  });

  it('reads entity rows from Arrow (millisecond timestamps, int32 keys), Parquet, an Iceberg table and SQL over sources, keeping order and duplicates', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const context = workspace.context(definitions());
      const ms = Number((T0 + 2n * H) / 1000n);
      const fromArrow = new arrow.Table({
        driver_id: arrow.vectorFromArray([2, 1, 1, 3], new arrow.Int32()),
        event_timestamp: arrow.vectorFromArray(
          [ms, ms, ms, ms].map((value) => new Date(value)),
          new arrow.TimestampMillisecond(),
        ),
      });
      const expected = [0.9, 0.2, 0.2, null];
      const arrowResult = await getHistoricalFeatures(context, { entities: fromArrow, features: ['stats:conv_rate'] }).toArrow();
      assert.deepEqual(
        rows(arrowResult).map((row) => row.conv_rate),
        expected,
      );
      assert.equal(
        arrowResult.schema.fields.find((field) => field.name === 'driver_id')!.type.toString(),
        'Int64',
        'keys are coerced to their declared type',
      );

      const parquet = path.join(workspace.directory, 'entities.parquet');
      await workspace.engine.withConnection((connection) =>
        connection.run(
          `COPY (SELECT * FROM (VALUES (2, TIMESTAMP '2024-05-01 02:00:00'), (1, TIMESTAMP '2024-05-01 02:00:00'), (1, TIMESTAMP '2024-05-01 02:00:00'), (3, TIMESTAMP '2024-05-01 02:00:00')) t(driver_id, event_timestamp)) TO '${parquet}' (FORMAT parquet)`,
        ),
      );
      assert.deepEqual(
        rows(await getHistoricalFeatures(context, { entities: { parquet }, features: ['stats:conv_rate'] }).toArrow()).map(
          (row) => row.conv_rate,
        ),
        expected,
      );

      await createTableWithRows(
        workspace,
        'rides.requests',
        [
          { name: 'driver_id', type: 'long' },
          { name: 'event_timestamp', type: 'timestamp' },
        ],
        [
          [
            [2n, at(2)],
            [1n, at(2)],
          ],
        ],
      );
      const fromIceberg = rows(
        await getHistoricalFeatures(context, { entities: { table: 'rides.requests' }, features: ['stats:conv_rate'] }).toArrow(),
      );
      assert.deepEqual(fromIceberg.map((row) => [Number(row.driver_id), row.conv_rate]).sort(), [
        [1, 0.2],
        [2, 0.9],
      ]);

      // Entity rows from the source itself: every driver's rows, each seeing itself (and the latest NL-or-not row at that time).
      const fromSql = rows(
        await getHistoricalFeatures(context, {
          entities: {
            sql: 'SELECT driver AS driver_id, event_ts AS event_timestamp, trips AS label FROM driver_stats ORDER BY event_ts, driver',
          },
          features: ['stats:trips'],
        }).toArrow(),
      );
      assert.deepEqual(
        fromSql.map((row) => [row.label, row.trips]),
        [
          [10, 10],
          [11, 11],
          [90, 90],
          [12, 12],
          [13, 13],
          [50, 50],
        ],
      );
    });
  });

  it('applies the source filter to rows and prunes files by the entity time range, honouring the TTL', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const entities = new arrow.Table({
        driver_id: arrow.vectorFromArray([1n, 1n], new arrow.Int64()),
        event_timestamp: arrow.vectorFromArray(
          [new Date(Number((T0 + 4n * H) / 1000n)), new Date(Number((T0 + 6n * H) / 1000n))],
          new arrow.TimestampMillisecond(),
        ),
      });
      const unfiltered = getHistoricalFeatures(workspace.context(definitions({ ttlHours: 2 })), {
        entities,
        features: ['stats:conv_rate'],
      });
      assert.deepEqual(
        rows(await unfiltered.toArrow()).map((row) => row.conv_rate),
        [0.3, null],
        'the DE row at hour 3 is latest; at hour 6 it is past the 2h TTL',
      );
      const summary = unfiltered.lastSummary!.views[0]!;
      assert.equal(summary.dataFiles, 1, 'the file at hour 1000 is after every entity row: pruned');
      assert.equal(summary.dataFilesSkipped, 1);

      const filtered = await getHistoricalFeatures(workspace.context(definitions({ filter: true, ttlHours: 2 })), {
        entities,
        features: ['stats:conv_rate'],
      }).toArrow();
      assert.deepEqual(
        rows(filtered).map((row) => row.conv_rate),
        [0.2, null],
        'only NL rows belong to the source',
      );
    });
  });

  it('prunes data files by the entity keys when there are few of them', async () => {
    await withWorkspace(async (workspace) => {
      await createTableWithRows(
        workspace,
        'rides.driver_stats',
        [
          { name: 'driver', type: 'long' },
          { name: 'event_ts', type: 'timestamptz' },
          { name: 'conv_rate', type: 'double' },
          { name: 'trips', type: 'int' },
          { name: 'country', type: 'string' },
        ],
        [
          [
            [1n, at(0), 0.5, 1, 'NL'],
            [2n, at(0), 0.6, 2, 'NL'],
          ],
          [
            [100n, at(0), 0.7, 3, 'NL'],
            [200n, at(0), 0.8, 4, 'NL'],
          ],
        ],
      );
      const entities = new arrow.Table({
        driver_id: arrow.vectorFromArray([2n, 2n], new arrow.Int64()),
        event_timestamp: arrow.vectorFromArray(
          [new Date(Number((T0 + H) / 1000n)), new Date(Number((T0 + H) / 1000n))],
          new arrow.TimestampMillisecond(),
        ),
      });
      const job = getHistoricalFeatures(workspace.context(definitions()), { entities, features: ['stats:conv_rate'] });
      assert.deepEqual(
        rows(await job.toArrow()).map((row) => row.conv_rate),
        [0.6, 0.6],
      );
      assert.deepEqual(
        [job.lastSummary!.views[0]!.prunedByKeys, job.lastSummary!.views[0]!.dataFiles, job.lastSummary!.views[0]!.dataFilesSkipped],
        [true, 1, 1],
        'the file of drivers 100..200 is skipped by its key bounds',
      );
      const unpruned = getHistoricalFeatures(workspace.context(definitions()), {
        entities,
        features: ['stats:conv_rate'],
        keyPruningLimit: 0,
      });
      assert.deepEqual(
        rows(await unpruned.toArrow()).map((row) => row.conv_rate),
        [0.6, 0.6],
      );
      assert.deepEqual([unpruned.lastSummary!.views[0]!.prunedByKeys, unpruned.lastSummary!.views[0]!.dataFiles], [false, 2]);
    });
  });

  it('writes Parquet and a new Iceberg table without holding the result in JS', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const context = workspace.context(definitions());
      const entities = new arrow.Table({
        driver_id: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
        event_timestamp: arrow.vectorFromArray(
          [new Date(Number((T0 + 2n * H) / 1000n)), new Date(Number((T0 + 2n * H) / 1000n))],
          new arrow.TimestampMillisecond(),
        ),
      });
      const job = getHistoricalFeatures(context, { entities, features: ['stats:conv_rate', 'stats:trips'], fullFeatureNames: true });
      const file = path.join(workspace.directory, 'out', 'training.parquet');
      assert.deepEqual(await job.toParquet(file), { file, rows: 2 });
      const fromFile = await workspace.engine.withConnection(async (connection) =>
        (await connection.runAndReadAll(`SELECT driver_id, stats__conv_rate, stats__trips FROM read_parquet('${file}')`)).getRowsJS(),
      );
      assert.deepEqual(fromFile, [
        [1n, 0.2, 12],
        [2n, 0.9, 90],
      ]);

      const saved = await job.toIcebergTable('datasets.training');
      assert.ok(saved.snapshotId !== null);
      const table = await workspace.catalog.loadTable({ namespace: ['datasets'], name: 'training' });
      assert.equal(table.metadata.snapshots.at(-1)?.summary['floe.saved-dataset.features'], 'stats:conv_rate,stats:trips');
      const scan = await scanTable(table);
      const back = await workspace.engine.withConnection(async (connection) =>
        (
          await connection.runAndReadAll(`SELECT driver_id, stats__conv_rate, stats__trips FROM (${scan.sql}) ORDER BY driver_id`)
        ).getRowsJS(),
      );
      assert.deepEqual(back, fromFile);
      await assert.rejects(job.toIcebergTable('datasets.training'), (error: unknown) => FloeError.is(error, 'already-exists'));
      await job.toIcebergTable('datasets.training', { ifExists: 'append' });
    });
  });

  it('saves a result with no rows as a table of its columns (namespace created) and a snapshot adding nothing', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const context = workspace.context(definitions());
      const entities = new arrow.Table({
        driver_id: arrow.vectorFromArray([], new arrow.Int64()),
        event_timestamp: arrow.vectorFromArray([], new arrow.TimestampMillisecond()),
      });
      const saved = await getHistoricalFeatures(context, { entities, features: ['stats:conv_rate'] }).toIcebergTable('empty_results.none');
      assert.equal(saved.dataFiles, 0);
      assert.ok(saved.snapshotId !== null);
      const table = await workspace.catalog.loadTable({ namespace: ['empty_results'], name: 'none' });
      assert.deepEqual(
        currentSchema(table.metadata).fields.map((field) => field.name),
        ['driver_id', 'event_timestamp', 'conv_rate'],
      );
      assert.equal(table.metadata.snapshots.at(-1)?.summary['added-data-files'] ?? '0', '0');
      const scan = await scanTable(table);
      const count = await workspace.engine.withConnection(async (connection) =>
        (await connection.runAndReadAll(`SELECT count(*)::INTEGER FROM (${scan.sql})`)).getRowsJS(),
      );
      assert.deepEqual(count, [[0]]);
    });
  });
});

describe('getHistoricalFeatures bad input', () => {
  const expectError = async (promise: Promise<unknown>, pattern: RegExp): Promise<void> => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(FloeError.is(error, 'invalid-input'), `expected an invalid-input FloeError, got ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    });
  };

  it('names the missing timestamp column, the unknown feature, the missing source column and the wrongly typed key', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const context = workspace.context(definitions());
      const noTimestamp = new arrow.Table({
        driver_id: arrow.vectorFromArray([1n], new arrow.Int64()),
        ts: arrow.vectorFromArray([new Date(0)], new arrow.TimestampMillisecond()),
      });
      await expectError(
        getHistoricalFeatures(context, { entities: noTimestamp, features: ['stats:trips'] }).toArrow(),
        /no timestamp column "event_timestamp"; their columns are "driver_id", "ts"/,
      );
      assert.ok(
        await getHistoricalFeatures(context, { entities: noTimestamp, features: ['stats:trips'], timestampColumn: 'ts' }).toArrow(),
      );

      assert.throws(
        () => getHistoricalFeatures(context, { entities: noTimestamp, features: ['stats:nope'] }),
        /feature "stats:nope", which does not exist; stats has: conv_rate, trips/,
      );
      assert.throws(
        () => getHistoricalFeatures(context, { entities: noTimestamp, features: ['nope:trips'] }),
        /feature view "nope", which is not defined; defined: stats/,
      );

      const badKey = new arrow.Table({
        driver_id: arrow.vectorFromArray(['1', 'abc'], new arrow.Utf8()),
        event_timestamp: arrow.vectorFromArray([new Date(0), new Date(0)], new arrow.TimestampMillisecond()),
      });
      await expectError(
        getHistoricalFeatures(context, { entities: badKey, features: ['stats:trips'] }).toArrow(),
        /Entity column "driver_id" holds "abc", which is not a long \(the type of join key driver_id of stats\)/,
      );
      const fractional = new arrow.Table({
        driver_id: arrow.vectorFromArray([1.5], new arrow.Float64()),
        event_timestamp: arrow.vectorFromArray([new Date(0)], new arrow.TimestampMillisecond()),
      });
      await expectError(
        getHistoricalFeatures(context, { entities: fractional, features: ['stats:trips'] }).toArrow(),
        /holds "1\.5", which is not a long/,
      );
      const noKey = new arrow.Table({ event_timestamp: arrow.vectorFromArray([new Date(0)], new arrow.TimestampMillisecond()) });
      await expectError(
        getHistoricalFeatures(context, { entities: noKey, features: ['stats:trips'] }).toArrow(),
        /no column "driver_id", the join key of feature view stats/,
      );

      const wrongSource = [
        ...definitions().slice(0, 1),
        defineIcebergSource({
          name: 'driver_stats',
          table: 'rides.driver_stats',
          timestampField: 'event_ts',
          fieldMapping: { driver: 'driver_id' },
        }),
        defineFeatureView({
          name: 'stats',
          entities: ['driver'],
          source: 'driver_stats',
          features: [{ name: 'acc_rate', type: 'double' }],
        }),
      ];
      await expectError(
        getHistoricalFeatures(workspace.context(wrongSource), {
          entities: noTimestamp,
          features: ['stats:acc_rate'],
          timestampColumn: 'ts',
        }).toArrow(),
        /Feature view stats: source driver_stats \(table rides.driver_stats\) has no column "acc_rate" \(feature acc_rate\)/,
      );
    });
  });

  it('names a missing or unreadable entity Parquet file, without quoting the SQL that read it', async () => {
    await withWorkspace(async (workspace) => {
      await driverStats(workspace);
      const context = workspace.context(definitions());
      const missing = path.join(workspace.directory, 'no-such-entities.parquet');
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { parquet: missing }, features: ['stats:trips'] }).toArrow(),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'not-found'), `expected a not-found FloeError, got ${String(error)}`);
          assert.equal(error.message, `The entity Parquet file ${missing} does not exist or cannot be read (file=${missing})`);
          return true;
        },
      );
      const notParquet = path.join(workspace.directory, 'not-parquet.parquet');
      await writeFile(notParquet, 'driver_id,event_timestamp\n1,2024-05-01T00:00:00Z\n');
      await assert.rejects(
        getHistoricalFeatures(context, { entities: { parquet: notParquet }, features: ['stats:trips'] }).toArrow(),
        (error: unknown) => {
          assert.ok(FloeError.is(error, 'invalid-input'), `expected an invalid-input FloeError, got ${String(error)}`);
          assert.match(
            error.message,
            new RegExp(`^Cannot read the entity Parquet file ${notParquet.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
          );
          assert.doesNotMatch(error.message, /LINE \d|SELECT|\n/);
          return true;
        },
      );
    });
  });
});
