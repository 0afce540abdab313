// The trainingSet workflow's library half (plan, one chunk at a time, one commit) with an aggregated
// view beside an ordinary one: entity rows cut into chunks still see every event of their windows,
// and the committed table holds, row for row, a brute-force reference of the aggregates and what
// getHistoricalFeatures gives for the same entity rows in one piece.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { quoteLiteral } from '../../../../engine/sql.js';
import { scanTable } from '../../../../engine/read/table-reader.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { commitTrainingSet, planTrainingSet, writeTrainingSetChunk } from '../../../../features/training-set/index.js';
import type { TrainingSetRequest } from '../../../../features/training-set/index.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';

const BASE = 1_714_000_000_000_000n;
const at = (seconds: number): bigint => BASE + BigInt(seconds) * 1_000_000n;

const events = Array.from({ length: 120 }, (_, index) => ({
  driver: 1 + ((index * 7) % 4),
  t: (index * 13) % 100,
  amount: (index * 5) % 11,
}));
const entities = Array.from({ length: 30 }, (_, index) => ({ requestId: index, driver: 1 + (index % 5), t: (index * 17) % 110 }));

test('a training set in chunks carries exact aggregates beside an ordinary view', async () => {
  await withWorkspace(async (workspace) => {
    await createTableWithRows(
      workspace,
      'src.trips',
      [
        { name: 'driver_id', type: 'long' },
        { name: 'ts', type: 'timestamptz' },
        { name: 'amount', type: 'long' },
      ],
      [events.slice(0, 60), events.slice(60)].map((rows) =>
        rows.map((row) => [BigInt(row.driver), { micros: at(row.t) }, BigInt(row.amount)]),
      ),
    );
    const entityFile = path.join(workspace.directory, 'entities.parquet');
    const values = entities.map(
      (row) => `(${row.requestId}, ${row.driver}::BIGINT, TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds(${at(row.t)}::BIGINT))`,
    );
    await workspace.engine.withConnection((connection) =>
      connection.run(
        `COPY (SELECT * FROM (VALUES ${values.join(', ')}) AS t(request_id, driver_id, event_timestamp)) TO ${quoteLiteral(entityFile)} (FORMAT parquet)`,
      ),
    );
    const context = workspace.context([
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({ name: 'trips_source', table: 'src.trips', timestampField: 'ts' }),
      defineFeatureView({
        name: 'trip_stats',
        entities: ['driver'],
        source: 'trips_source',
        aggregations: [{ column: 'amount', type: 'long', functions: ['count', 'sum'], windows: ['10s', '30s'] }],
      }),
      defineFeatureView({
        name: 'latest_trip',
        entities: ['driver'],
        source: 'trips_source',
        features: [{ name: 'amount', type: 'long' }],
      }),
    ]);
    const request: TrainingSetRequest = {
      entities: { parquet: [entityFile] },
      features: ['trip_stats', 'latest_trip:amount'],
      fullFeatureNames: true,
      output: { table: 'datasets.trips_training' },
    };
    const key = 'training-set-aggregations';
    const plan = await planTrainingSet(context, request, { key, chunkRows: 7 });
    assert.equal(plan.chunks.length, 5);
    const chunks = [];
    for (const chunk of plan.chunks)
      chunks.push(await writeTrainingSetChunk(context, request, { key, chunk, entitySnapshotId: null, attempt: 1 }));
    await commitTrainingSet(context, request, { key, chunks });

    const columns = [
      'request_id',
      'trip_stats__amount_count_10s',
      'trip_stats__amount_count_30s',
      'trip_stats__amount_sum_10s',
      'trip_stats__amount_sum_30s',
    ];
    const table = await workspace.catalog.loadTable({ namespace: ['datasets'], name: 'trips_training' });
    const scan = await scanTable(table);
    const saved = await workspace.engine.withConnection(async (connection) =>
      (
        await connection.runAndReadAll(`SELECT ${[...columns, 'latest_trip__amount'].join(', ')} FROM (${scan.sql}) ORDER BY request_id`)
      ).getRowsJS(),
    );
    const expected = entities.map((entity) => {
      const within = (window: number) =>
        events.filter((event) => event.driver === entity.driver && entity.t - window < event.t && event.t <= entity.t);
      const sum = (window: number) =>
        within(window).length === 0 ? null : BigInt(within(window).reduce((total, event) => total + event.amount, 0));
      return [entity.requestId, BigInt(within(10).length), BigInt(within(30).length), sum(10), sum(30)];
    });
    assert.deepEqual(
      saved.map((row) => row.slice(0, columns.length)),
      expected,
    );
    assert.ok(
      expected.some((row) => row[1] === 0n) && expected.some((row) => (row[2] as bigint) > 1n),
      'the data has empty and busy windows',
    );

    const inOnePiece = await getHistoricalFeatures(context, {
      entities: { parquet: [entityFile] },
      features: ['trip_stats', 'latest_trip:amount'],
      fullFeatureNames: true,
    }).toArrow();
    const latest = inOnePiece.getChild('latest_trip__amount')!;
    assert.deepEqual(
      saved.map((row) => row.at(-1)),
      Array.from({ length: latest.length }, (_, index) => latest.get(index) as unknown),
    );
  });
});
